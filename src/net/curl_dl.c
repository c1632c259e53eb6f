/*
 * NAME
 *	curl_dl - libcurl, loaded when SMTP is first used
 * DESCRIPTION
 *	Debian's libcurl brings some twenty libraries with it (Kerberos,
 *	LDAP, SSH, RTMP, HTTP/2, OpenSSL's libcrypto ...).  Linked normally,
 *	the dynamic loader binds all of them at every start: measured with
 *	callgrind, about 10 million instructions, more than half of what a
 *	delivery filter spends on a whole message.  Only "send" and the
 *	daemon need SMTP, so this file defines the few curl_* functions
 *	redress calls and loads the real library with dlopen(3) on the first
 *	call.  The rest of the program uses <curl/curl.h> as usual.
 *
 *	If the library cannot be loaded, curl_global_init returns
 *	CURLE_FAILED_INIT and curl_easy_init NULL, and curl_dl_error() says
 *	why; the SMTP code reports that as a configuration problem.
 */
#include "autoconfig.h"

/* Our definitions must not be rewritten by curl's type-checking macros. */
#define CURL_DISABLE_TYPECHECK 1

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>

#include "net/curl_dl.h"

#ifndef REDRESS_LIBCURL_SONAME
#define REDRESS_LIBCURL_SONAME "libcurl-gnutls.so.4"
#endif

static struct {
	void *handle;
	const char *error;
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	void (*free_)(void *);
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *);
	CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
} curl_dl;

/* Converts a symbol from dlsym to a function pointer (POSIX allows it). */
#define CURL_DL_SYM(field, name) \
	(*(void **)(void *)&curl_dl.field = dlsym(curl_dl.handle, (name)))

static int
curl_dl_load(void)
{
	if (curl_dl.handle != NULL)
		return 0;
	if (curl_dl.error != NULL)
		return -1;
	curl_dl.handle = dlopen(REDRESS_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (curl_dl.handle == NULL) {
		curl_dl.error = dlerror();
		return -1;
	}
	if (!CURL_DL_SYM(global_init, "curl_global_init") ||
	    !CURL_DL_SYM(easy_init, "curl_easy_init") ||
	    !CURL_DL_SYM(easy_setopt, "curl_easy_setopt") ||
	    !CURL_DL_SYM(easy_getinfo, "curl_easy_getinfo") ||
	    !CURL_DL_SYM(easy_perform, "curl_easy_perform") ||
	    !CURL_DL_SYM(easy_cleanup, "curl_easy_cleanup") ||
	    !CURL_DL_SYM(easy_strerror, "curl_easy_strerror") ||
	    !CURL_DL_SYM(slist_append, "curl_slist_append") ||
	    !CURL_DL_SYM(slist_free_all, "curl_slist_free_all") ||
	    !CURL_DL_SYM(free_, "curl_free") ||
	    !CURL_DL_SYM(url, "curl_url") ||
	    !CURL_DL_SYM(url_cleanup, "curl_url_cleanup") ||
	    !CURL_DL_SYM(url_get, "curl_url_get") ||
	    !CURL_DL_SYM(url_set, "curl_url_set")) {
		curl_dl.error = "a libcurl function is missing (libcurl too old)";
		dlclose(curl_dl.handle);
		curl_dl.handle = NULL;
		return -1;
	}
	return 0;
}

const char *
curl_dl_error(void)
{
	return curl_dl.error != NULL ? curl_dl.error : "libcurl is not loaded";
}

CURLcode
curl_global_init(long flags)
{
	return curl_dl_load() < 0 ? CURLE_FAILED_INIT : curl_dl.global_init(flags);
}

CURL *
curl_easy_init(void)
{
	return curl_dl_load() < 0 ? NULL : curl_dl.easy_init();
}

/*
 * The third argument's type follows from the option's number, as in
 * libcurl itself: longs below CURLOPTTYPE_OBJECTPOINT, then data
 * pointers, function pointers, curl_off_t and blobs (a pointer).
 */
CURLcode
curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	va_list ap;
	CURLcode rc;

	if (curl_dl_load() < 0)
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = curl_dl.easy_setopt(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = curl_dl.easy_setopt(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = curl_dl.easy_setopt(curl, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		rc = curl_dl.easy_setopt(curl, option, va_arg(ap, curl_off_t));
	else
		rc = curl_dl.easy_setopt(curl, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every getinfo takes a pointer to where the answer goes. */
CURLcode
curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	if (curl_dl_load() < 0)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = curl_dl.easy_getinfo(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode
curl_easy_perform(CURL *curl)
{
	return curl_dl_load() < 0 ? CURLE_FAILED_INIT : curl_dl.easy_perform(curl);
}

void
curl_easy_cleanup(CURL *curl)
{
	if (curl != NULL && curl_dl_load() == 0)
		curl_dl.easy_cleanup(curl);
}

const char *
curl_easy_strerror(CURLcode code)
{
	return curl_dl_load() < 0 ? curl_dl_error() : curl_dl.easy_strerror(code);
}

struct curl_slist *
curl_slist_append(struct curl_slist *list, const char *s)
{
	return curl_dl_load() < 0 ? NULL : curl_dl.slist_append(list, s);
}

void
curl_slist_free_all(struct curl_slist *list)
{
	if (list != NULL && curl_dl_load() == 0)
		curl_dl.slist_free_all(list);
}

void
curl_free(void *p)
{
	if (p != NULL && curl_dl_load() == 0)
		curl_dl.free_(p);
}

CURLU *
curl_url(void)
{
	return curl_dl_load() < 0 ? NULL : curl_dl.url();
}

void
curl_url_cleanup(CURLU *u)
{
	if (u != NULL && curl_dl_load() == 0)
		curl_dl.url_cleanup(u);
}

CURLUcode
curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	return curl_dl_load() < 0 ? CURLUE_OUT_OF_MEMORY : curl_dl.url_get(u, what, part, flags);
}

CURLUcode
curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	return curl_dl_load() < 0 ? CURLUE_OUT_OF_MEMORY : curl_dl.url_set(u, what, part, flags);
}
