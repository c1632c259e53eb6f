/*
 * curl_dl - libcurl loaded on first use (see curl_dl.c for why).
 * The curl_* functions keep their <curl/curl.h> prototypes; this header
 * adds only the reason a load failed.
 */
#ifndef REDRESS_CURL_DL_H
#define REDRESS_CURL_DL_H

/* Why libcurl could not be loaded (static text). */
const char *curl_dl_error(void);

#endif
