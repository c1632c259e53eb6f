/*
 * imap_tls - the certificate checks of an IMAP session, part of the imap
 * module (imap.h).
 *
 * Debian's libetpan (GnuTLS build) checks no certificate at all.  We set
 * SNI in the connect callback, then, after the handshake and before
 * anything secret is sent, take the peer's chain and verify it ourselves
 * with a GnuTLS trust list (ca_file, else the system store) including the
 * host name.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "base/buf.h"
#include "base/xmem.h"
#include "net/imap.h"
#include "net/imap_guard.h"
#include "net/imap_int.h"

/* ------------------------------------------------------------------ */
/* TLS */

static bool
imap_host_is_ip(const char *host)
{
	size_t i;
	bool only_digits_dots = true;

	if (strchr(host, ':') != NULL)
		return true;
	for (i = 0; host[i] != '\0'; i++)
		if (!isdigit((unsigned char)host[i]) && host[i] != '.')
			only_digits_dots = false;
	return only_digits_dots;
}

/* Called by libetpan before the handshake: SNI (never for IP literals,
 * RFC 6066 §3). */
void
imap_tls_callback(struct mailstream_ssl_context *ctx, void *data)
{
	struct imap_session *s = data;

	if (!imap_host_is_ip(s->host))
		(void)mailstream_ssl_set_server_name(ctx, s->host);
}

/* Turns GnuTLS verification status bits into words an admin can act on. */
static char *
imap_tls_reason(unsigned status)
{
	struct buf b;

	buf_init(&b, 1024);
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		(void)buf_puts(&b, ", unknown issuer (not signed by a trusted CA)");
	if (status & GNUTLS_CERT_EXPIRED)
		(void)buf_puts(&b, ", expired");
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		(void)buf_puts(&b, ", not yet valid");
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		(void)buf_puts(&b, ", name mismatch");
	if (status & GNUTLS_CERT_REVOKED)
		(void)buf_puts(&b, ", revoked");
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		(void)buf_puts(&b, ", insecure algorithm");
	if (status & GNUTLS_CERT_SIGNER_NOT_CA)
		(void)buf_puts(&b, ", issuer is not a CA");
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		(void)buf_puts(&b, ", bad signature");
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		(void)buf_puts(&b, ", not meant for a server");
	if (b.len == 0)
		(void)buf_printf(&b, ", rejected (status 0x%x)", status);
	{
		char *all = buf_steal(&b, NULL);
		char *out = xstrdup(all + 2);

		free(all);
		return out;
	}
}

/*
 * Verifies the peer's certificate chain and host name.  0, or -1 with
 * *error_r (a bad certificate is not temporary).
 */
int
imap_verify_tls(struct imap_session *s, const char *ca_file, char **error_r,
		bool *temporary_r)
{
	gnutls_x509_crt_t certs[IMAP_CHAIN_MAX];
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_typed_vdata_st vdata;
	carray *chain;
	unsigned n = 0, i, status = 0;
	const char *trust = ca_file != NULL ? ca_file : IMAP_SYSTEM_CA;
	int ret, rc = -1;

	*temporary_r = false;
	chain = mailstream_get_certificate_chain(s->imap->imap_stream);
	if (chain == NULL || carray_count(chain) == 0) {
		*error_r = xasprintf("TLS to %s: the server sent no certificate",
				     s->host);
		goto out;
	}
	for (i = 0; i < carray_count(chain) && n < IMAP_CHAIN_MAX; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d;

		d.data = (unsigned char *)der->str;
		d.size = (unsigned)der->len;
		if (gnutls_x509_crt_init(&certs[n]) < 0)
			goto nomem;
		if (gnutls_x509_crt_import(certs[n], &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(certs[n]);
			*error_r = xasprintf("TLS to %s: cannot parse the server's "
					     "certificate %u", s->host, i);
			goto out;
		}
		n++;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		goto nomem;
	ret = gnutls_x509_trust_list_add_trust_file(tl, trust, NULL,
						    GNUTLS_X509_FMT_PEM, 0, 0);
	if (ret <= 0) {
		*error_r = xasprintf("TLS to %s: no CA certificate could be read "
				     "from %s%s", s->host, trust,
				     ret < 0 ? "" : " (empty?)");
		goto out;
	}
	memset(&vdata, 0, sizeof(vdata));
	vdata.type = GNUTLS_DT_DNS_HOSTNAME;
	vdata.data = (unsigned char *)s->host;
	vdata.size = 0;
	ret = gnutls_x509_trust_list_verify_crt2(tl, certs, n, &vdata, 1, 0,
						 &status, NULL);
	if (ret < 0) {
		*error_r = xasprintf("TLS to %s: certificate verification "
				     "failed: %s", s->host, gnutls_strerror(ret));
		goto out;
	}
	if (status != 0) {
		char *why = imap_tls_reason(status);

		*error_r = xasprintf("TLS to %s: certificate refused: %s "
				     "(trusted CAs from %s)", s->host, why, trust);
		free(why);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	*error_r = xstrdup("TLS: out of memory in GnuTLS");
	*temporary_r = true;
out:
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(certs[i]);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return rc;
}

