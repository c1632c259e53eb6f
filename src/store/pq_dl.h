/*
 * pq_dl - libpq loaded on first use (see pq_dl.c for why).  The PQ*
 * functions keep their <libpq-fe.h> prototypes; this header adds only the
 * reason a load failed.
 */
#ifndef REDRESS_STORE_PQ_DL_H
#define REDRESS_STORE_PQ_DL_H

/* Why libpq could not be loaded (static text). */
const char *pq_dl_error(void);

#endif
