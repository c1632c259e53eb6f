/*
 * NAME
 *	pq_dl - libpq loaded on first use
 * DESCRIPTION
 *	Only a store with [store] url needs PostgreSQL, but libpq brings
 *	OpenSSL, Kerberos and LDAP with it (fifteen more libraries), and a
 *	delivery filter that linked them would load them for every message
 *	into a SQLite store (doc/design.md, "Start-up cost of a delivery
 *	filter").  So this file defines the PQ* functions store_pg.c calls and
 *	loads the real library with dlopen(3) the first time one is called,
 *	as src/net/curl_dl.c does for libcurl.  When it cannot be loaded,
 *	PQconnectdbParams returns NULL and pq_dl_error() says why.
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "store/pq_dl.h"

#ifndef REDRESS_LIBPQ_SONAME
#define REDRESS_LIBPQ_SONAME "libpq.so.5"
#endif

static struct {
	void *handle;
	const char *error;
	PGconn *(*connectdbParams)(const char *const *, const char *const *, int);
	PQconninfoOption *(*conninfoParse)(const char *, char **);
	void (*conninfoFree)(PQconninfoOption *);
	void (*finish)(PGconn *);
	void (*reset)(PGconn *);
	ConnStatusType (*status)(const PGconn *);
	PGTransactionStatusType (*transactionStatus)(const PGconn *);
	char *(*errorMessage)(const PGconn *);
	PGresult *(*exec)(PGconn *, const char *);
	PGresult *(*prepare)(PGconn *, const char *, const char *, int, const Oid *);
	PGresult *(*execPrepared)(PGconn *, const char *, int, const char *const *,
				  const int *, const int *, int);
	ExecStatusType (*resultStatus)(const PGresult *);
	char *(*resultErrorMessage)(const PGresult *);
	char *(*resultErrorField)(const PGresult *, int);
	void (*clear)(PGresult *);
	int (*ntuples)(const PGresult *);
	int (*nfields)(const PGresult *);
	char *(*fname)(const PGresult *, int);
	Oid (*ftype)(const PGresult *, int);
	char *(*cmdTuples)(PGresult *);
	char *(*getvalue)(const PGresult *, int, int);
	int (*getlength)(const PGresult *, int, int);
	int (*getisnull)(const PGresult *, int, int);
	char *(*escapeIdentifier)(PGconn *, const char *, size_t);
	void (*freemem)(void *);
} pq_dl;

/* Converts a symbol from dlsym to a function pointer (POSIX allows it). */
#define PQ_DL_SYM(field, name) \
	(*(void **)(void *)&pq_dl.field = dlsym(pq_dl.handle, (name)))

static int
pq_dl_load(void)
{
	if (pq_dl.handle != NULL)
		return 0;
	if (pq_dl.error != NULL)
		return -1;
	pq_dl.handle = dlopen(REDRESS_LIBPQ_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (pq_dl.handle == NULL) {
		pq_dl.error = dlerror();
		return -1;
	}
	if (!PQ_DL_SYM(connectdbParams, "PQconnectdbParams") ||
	    !PQ_DL_SYM(conninfoParse, "PQconninfoParse") ||
	    !PQ_DL_SYM(conninfoFree, "PQconninfoFree") ||
	    !PQ_DL_SYM(finish, "PQfinish") ||
	    !PQ_DL_SYM(reset, "PQreset") ||
	    !PQ_DL_SYM(status, "PQstatus") ||
	    !PQ_DL_SYM(transactionStatus, "PQtransactionStatus") ||
	    !PQ_DL_SYM(errorMessage, "PQerrorMessage") ||
	    !PQ_DL_SYM(exec, "PQexec") ||
	    !PQ_DL_SYM(prepare, "PQprepare") ||
	    !PQ_DL_SYM(execPrepared, "PQexecPrepared") ||
	    !PQ_DL_SYM(resultStatus, "PQresultStatus") ||
	    !PQ_DL_SYM(resultErrorMessage, "PQresultErrorMessage") ||
	    !PQ_DL_SYM(resultErrorField, "PQresultErrorField") ||
	    !PQ_DL_SYM(clear, "PQclear") ||
	    !PQ_DL_SYM(ntuples, "PQntuples") ||
	    !PQ_DL_SYM(nfields, "PQnfields") ||
	    !PQ_DL_SYM(fname, "PQfname") ||
	    !PQ_DL_SYM(ftype, "PQftype") ||
	    !PQ_DL_SYM(cmdTuples, "PQcmdTuples") ||
	    !PQ_DL_SYM(getvalue, "PQgetvalue") ||
	    !PQ_DL_SYM(getlength, "PQgetlength") ||
	    !PQ_DL_SYM(getisnull, "PQgetisnull") ||
	    !PQ_DL_SYM(escapeIdentifier, "PQescapeIdentifier") ||
	    !PQ_DL_SYM(freemem, "PQfreemem")) {
		pq_dl.error = "a libpq function is missing (libpq too old)";
		dlclose(pq_dl.handle);
		pq_dl.handle = NULL;
		return -1;
	}
	return 0;
}

const char *
pq_dl_error(void)
{
	return pq_dl.error != NULL ? pq_dl.error : "libpq is not loaded";
}

/*
 * Every function but the first two is only reached with a connection or
 * a result, which exist only once the library is loaded.
 */
PGconn *
PQconnectdbParams(const char *const *keywords, const char *const *values, int expand_dbname)
{
	return pq_dl_load() < 0 ? NULL : pq_dl.connectdbParams(keywords, values, expand_dbname);
}

PQconninfoOption *
PQconninfoParse(const char *conninfo, char **errmsg)
{
	if (pq_dl_load() < 0) {
		if (errmsg != NULL)
			*errmsg = NULL;
		return NULL;
	}
	return pq_dl.conninfoParse(conninfo, errmsg);
}

void
PQconninfoFree(PQconninfoOption *opts)
{
	if (opts != NULL && pq_dl_load() == 0)
		pq_dl.conninfoFree(opts);
}

void
PQfinish(PGconn *conn)
{
	if (conn != NULL && pq_dl_load() == 0)
		pq_dl.finish(conn);
}

void
PQreset(PGconn *conn)
{
	pq_dl.reset(conn);
}

ConnStatusType
PQstatus(const PGconn *conn)
{
	return conn == NULL || pq_dl_load() < 0 ? CONNECTION_BAD : pq_dl.status(conn);
}

PGTransactionStatusType
PQtransactionStatus(const PGconn *conn)
{
	return conn == NULL || pq_dl_load() < 0 ? PQTRANS_UNKNOWN : pq_dl.transactionStatus(conn);
}

char *
PQerrorMessage(const PGconn *conn)
{
	return conn == NULL || pq_dl_load() < 0 ? (char *)pq_dl_error() : pq_dl.errorMessage(conn);
}

PGresult *
PQexec(PGconn *conn, const char *query)
{
	return pq_dl.exec(conn, query);
}

PGresult *
PQprepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
	  const Oid *paramTypes)
{
	return pq_dl.prepare(conn, stmtName, query, nParams, paramTypes);
}

PGresult *
PQexecPrepared(PGconn *conn, const char *stmtName, int nParams,
	       const char *const *paramValues, const int *paramLengths,
	       const int *paramFormats, int resultFormat)
{
	return pq_dl.execPrepared(conn, stmtName, nParams, paramValues, paramLengths,
				  paramFormats, resultFormat);
}

ExecStatusType
PQresultStatus(const PGresult *res)
{
	return res == NULL || pq_dl_load() < 0 ? PGRES_FATAL_ERROR : pq_dl.resultStatus(res);
}

char *
PQresultErrorMessage(const PGresult *res)
{
	return res == NULL || pq_dl_load() < 0 ? (char *)"" : pq_dl.resultErrorMessage(res);
}

char *
PQresultErrorField(const PGresult *res, int fieldcode)
{
	return res == NULL || pq_dl_load() < 0 ? NULL : pq_dl.resultErrorField(res, fieldcode);
}

void
PQclear(PGresult *res)
{
	if (res != NULL && pq_dl_load() == 0)
		pq_dl.clear(res);
}

int
PQntuples(const PGresult *res)
{
	return pq_dl.ntuples(res);
}

int
PQnfields(const PGresult *res)
{
	return pq_dl.nfields(res);
}

char *
PQfname(const PGresult *res, int field_num)
{
	return pq_dl.fname(res, field_num);
}

Oid
PQftype(const PGresult *res, int field_num)
{
	return pq_dl.ftype(res, field_num);
}

char *
PQcmdTuples(PGresult *res)
{
	return pq_dl.cmdTuples(res);
}

char *
PQgetvalue(const PGresult *res, int tup_num, int field_num)
{
	return pq_dl.getvalue(res, tup_num, field_num);
}

int
PQgetlength(const PGresult *res, int tup_num, int field_num)
{
	return pq_dl.getlength(res, tup_num, field_num);
}

int
PQgetisnull(const PGresult *res, int tup_num, int field_num)
{
	return pq_dl.getisnull(res, tup_num, field_num);
}

char *
PQescapeIdentifier(PGconn *conn, const char *str, size_t len)
{
	return pq_dl.escapeIdentifier(conn, str, len);
}

void
PQfreemem(void *ptr)
{
	if (ptr != NULL && pq_dl_load() == 0)
		pq_dl.freemem(ptr);
}
