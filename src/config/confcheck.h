/*
 * confcheck - every configured value checked at load, by the module that
 * reads it (see confcheck.c).
 */
#ifndef REDRESS_CONFCHECK_H
#define REDRESS_CONFCHECK_H

struct config;

/* 0, or -1 and *error_r (allocated) "FILE:LINE: [section] key: reason". */
int confcheck_all(const struct config *cfg, char **error_r);

#endif
