/*
 * tls.c: a GnuTLS client that always verifies (SECURITY.md 3, RFC 6120
 * 13.7.2, RFC 6125 6): the JID domain is the reference identity, checked as
 * DNS-ID by GnuTLS and, failing that, as XmppAddr or SRV-ID; key purpose TLS
 * server; TLS 1.2 at least. A pin (SHA-256 of the SPKI) replaces the CA.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <idn2.h>

#include "xt.h"

#define XT_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/*
 * End to end, TLS 1.2 only with forward secrecy and AEAD (TLS 1.3 has
 * nothing else).
 */
#define XT_PRIORITY_PEER "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
	"-KX-ALL:+ECDHE-RSA:+DHE-RSA:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:" \
	"+CHACHA20-POLY1305"
/* SRP exists for TLS 1.2 only (RFC 5054); no certificates with it. */
#define XT_PRIORITY_SRP	"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+SRP"
#define OID_XMPPADDR	"1.3.6.1.5.5.7.8.5"
#define OID_SRVNAME	"1.3.6.1.5.5.7.8.7"

struct xt_tls {
	gnutls_session_t		 session;
	gnutls_certificate_credentials_t cred;
	gnutls_srp_client_credentials_t	 srpc;
	gnutls_srp_server_credentials_t	 srps;
	struct xt_tls_peer		 peer;		/* peer mode */
	char				*srpuser, *srppass;
	int				 fd;
	struct xt_tls_io		 io;
	char				*domain;	/* A-label form */
	char				*udomain;	/* as given */
	unsigned char			 pin[32];
	int				 pinned;
	int				 up;		/* handshake done */
	char				 why[XT_ERRLEN];
};

static ssize_t
io_push(gnutls_transport_ptr_t p, const void *buf, size_t n)
{
	struct xt_tls *t = p;
	ssize_t r = t->io.push(t->io.arg, buf, n);

	if (r < 0)
		gnutls_transport_set_errno(t->session, errno);
	return r;
}

static ssize_t
io_pull(gnutls_transport_ptr_t p, void *buf, size_t n)
{
	struct xt_tls *t = p;
	ssize_t r = t->io.pull(t->io.arg, buf, n);

	if (r < 0)
		gnutls_transport_set_errno(t->session, errno);
	return r;
}

/*
 * Does an otherName SAN of the leaf name our domain? XmppAddr is a
 * UTF8String JID equal to the domain; SRV-ID an IA5String
 * "_xmpp-client.<domain>" (RFC 6120 13.7.1.2.1, RFC 6125 6.5.1).
 */
static int
othername_match(gnutls_x509_crt_t crt, const char *adomain,
    const char *udomain)
{
	char oid[128], val[1100], *p;
	size_t oidlen, vallen, dlen;
	unsigned i;
	int r;

	for (i = 0;; i++) {
		oidlen = sizeof(oid);
		r = gnutls_x509_crt_get_subject_alt_othername_oid(crt, i, oid,
		    &oidlen);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return 0;
		if (r < 0)
			continue;
		vallen = sizeof(val) - 1;
		if (gnutls_x509_crt_get_subject_alt_name(crt, i, val, &vallen,
		    NULL) < 0)
			continue;
		val[vallen] = '\0';
		if (strcmp(oid, OID_XMPPADDR) == 0) {
			/* GnuTLS has already decoded the UTF8String. */
			if (r == GNUTLS_SAN_OTHERNAME_XMPP &&
			    strlen(val) == vallen &&
			    xt_jid_streq(val, udomain, 0) == 1)
				return 1;
			continue;
		}
		if (strcmp(oid, OID_SRVNAME) != 0)
			continue;
		/* Older GnuTLS hands over the DER IA5String, newer its text. */
		p = val;
		if (vallen >= 2 && (unsigned char)val[0] == 0x16 &&
		    (unsigned char)val[1] == vallen - 2) {
			p += 2;
			vallen -= 2;
		}
		dlen = strlen(adomain);
		if (vallen == dlen + 13 &&
		    strncasecmp(p, "_xmpp-client.", 13) == 0 &&
		    strncasecmp(p + 13, adomain, dlen) == 0)
			return 1;
	}
}

static int
verify_pin(struct xt_tls *t)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = { NULL, 0 };
	unsigned char digest[32];
	unsigned n;
	int ok = 0;

	certs = gnutls_certificate_get_peers(t->session, &n);
	if (certs == NULL || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_pubkey_init(&pub) < 0 ||
	    gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) < 0)
		goto out;
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, spki.data, spki.size);
	ok = xt_ct_memcmp(digest, t->pin, sizeof(digest)) == 0;
out:
	if (!ok)
		snprintf(t->why, sizeof(t->why),
		    "the server key does not match the pin");
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return ok;
}

/*
 * What to do next, after a refusal: the server key's pin, for a user who
 * has checked it with the server's administrator (as ssh shows a key).
 */
static void
pin_hint(struct xt_tls *t)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = { NULL, 0 };
	unsigned char digest[32];
	char *b64 = NULL;
	size_t len = strlen(t->why);
	unsigned n;

	if (len > 0 && t->why[len - 1] == '.')
		t->why[--len] = '\0';
	certs = gnutls_certificate_get_peers(t->session, &n);
	if (certs == NULL || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_pubkey_init(&pub) >= 0 &&
	    gnutls_pubkey_import_x509(pub, crt, 0) >= 0 &&
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) >= 0) {
		gcry_md_hash_buffer(GCRY_MD_SHA256, digest, spki.data,
		    spki.size);
		if (xt_b64_encode(digest, sizeof(digest), &b64) == XT_OK)
			snprintf(t->why + len, sizeof(t->why) - len, "; trust "
			    "its CA with --cafile, or its key with --pin "
			    "sha256:%s once checked", b64);
		free(b64);
	}
	gnutls_free(spki.data);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
}

static int
verify_cb(gnutls_session_t session)
{
	struct xt_tls *t = gnutls_session_get_ptr(session);
	gnutls_typed_vdata_st data[2];
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	gnutls_datum_t out;
	unsigned status, n;
	int match = 0;

	if (t->pinned)
		return verify_pin(t) ? 0 : -1;
	memset(data, 0, sizeof(data));
	data[0].type = GNUTLS_DT_DNS_HOSTNAME;
	data[0].data = (unsigned char *)t->domain;
	data[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	data[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	if (gnutls_certificate_verify_peers(session, data, 2, &status) < 0) {
		snprintf(t->why, sizeof(t->why), "no certificate to verify");
		return -1;
	}
	if (status == (GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER)) {
		/* The chain is good; the name may be an XMPP one. */
		certs = gnutls_certificate_get_peers(session, &n);
		if (certs != NULL && n > 0 && gnutls_x509_crt_init(&crt) >= 0) {
			if (gnutls_x509_crt_import(crt, &certs[0],
			    GNUTLS_X509_FMT_DER) >= 0)
				match = othername_match(crt, t->domain,
				    t->udomain);
			gnutls_x509_crt_deinit(crt);
		}
		if (match)
			return 0;
	}
	if (status == 0)
		return 0;
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) >= 0) {
		snprintf(t->why, sizeof(t->why), "certificate for %s: %.*s",
		    t->udomain, (int)strcspn((char *)out.data, "\n") -
		    (out.size > 0 && out.data[out.size - 1] == ' '),
		    out.data);
		gnutls_free(out.data);
	} else
		snprintf(t->why, sizeof(t->why), "certificate for %s refused",
		    t->udomain);
	pin_hint(t);
	return -1;
}

static int
parse_pin(struct xt_tls *t, const char *pin, struct xt_error *e)
{
	unsigned char *raw = NULL;
	size_t n = 0;

	if (strncmp(pin, "sha256:", 7) != 0 ||
	    xt_b64_decode(pin + 7, strlen(pin + 7), &raw, &n) < 0 ||
	    n != sizeof(t->pin)) {
		free(raw);
		return xt_error_set(e, XT_EINVAL,
		    "pin must be sha256: and the base64 of 32 bytes");
	}
	memcpy(t->pin, raw, n);
	free(raw);
	t->pinned = 1;
	return XT_OK;
}

int
xt_tls_client(struct xt_tls **tp, const struct xt_tls_opts *o, int fd,
    const struct xt_tls_io *io, struct xt_error *e)
{
	struct xt_tls *t;
	gnutls_datum_t alpn;
	int rc, r;

	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	t->fd = fd;
	if (io != NULL)
		t->io = *io;
	if ((t->udomain = strdup(o->domain)) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto fail;
	}
	/* A prepared ASCII domain is its own A-label form. */
	if (strspn(o->domain, "abcdefghijklmnopqrstuvwxyz0123456789-.") ==
	    strlen(o->domain)) {
		if ((t->domain = strdup(o->domain)) == NULL) {
			rc = xt_error_set(e, XT_ENOMEM, "out of memory");
			goto fail;
		}
	} else if (idn2_to_ascii_8z(o->domain, &t->domain, IDN2_NFC_INPUT |
	    IDN2_NONTRANSITIONAL) != IDN2_OK) {
		rc = xt_error_set(e, XT_EINVAL, "%s: not a domain name",
		    o->domain);
		goto fail;
	}
	if (o->pin != NULL && (rc = parse_pin(t, o->pin, e)) < 0)
		goto fail;
	/* A file the user named and we cannot read is a usage error. */
	if (o->pin == NULL && o->cafile != NULL && access(o->cafile, R_OK) < 0) {
		rc = xt_error_set(e, XT_EINVAL, "%s: %s", o->cafile,
		    strerror(errno));
		goto fail;
	}
	if (gnutls_certificate_allocate_credentials(&t->cred) < 0) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto fail;
	}
	if (t->pinned)
		r = 0;
	else if (o->cafile != NULL)
		r = gnutls_certificate_set_x509_trust_file(t->cred, o->cafile,
		    GNUTLS_X509_FMT_PEM);
	else
		r = gnutls_certificate_set_x509_system_trust(t->cred);
	if (r < 0 || (r == 0 && !t->pinned)) {
		rc = xt_error_set(e, XT_ETLS, "%s: no trusted certificates%s%s",
		    o->cafile ? o->cafile : "system trust store",
		    r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
		goto fail;
	}
	gnutls_certificate_set_verify_function(t->cred, verify_cb);
	if ((r = gnutls_init(&t->session, GNUTLS_CLIENT)) < 0 ||
	    (r = gnutls_priority_set_direct(t->session, XT_PRIORITY,
	    NULL)) < 0 ||
	    (r = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
	    t->cred)) < 0 ||
	    (r = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS,
	    t->domain, strlen(t->domain))) < 0) {
		rc = xt_error_set(e, XT_ETLS, "tls setup: %s",
		    gnutls_strerror(r));
		goto fail;
	}
	if (o->alpn != NULL) {
		alpn.data = (unsigned char *)o->alpn;
		alpn.size = strlen(o->alpn);
		gnutls_alpn_set_protocols(t->session, &alpn, 1, 0);
	}
	gnutls_session_set_ptr(t->session, t);
	if (fd >= 0)
		gnutls_transport_set_int(t->session, fd);
	else {
		gnutls_transport_set_ptr(t->session, t);
		gnutls_transport_set_push_function(t->session, io_push);
		gnutls_transport_set_pull_function(t->session, io_pull);
	}
	*tp = t;
	return XT_OK;
fail:
	xt_tls_free(t);
	return rc;
}

/* Wait until the socket is ready in the direction GnuTLS last wanted. */
static int
wait_fd(struct xt_tls *t, int64_t deadline)
{
	struct pollfd pfd;
	int r, one = 1;

	/* A custom transport's pull waits itself: EAGAIN means time is up. */
	if (t->fd < 0)
		return XT_ETIMEOUT;
	pfd.fd = t->fd;
	pfd.events = gnutls_record_get_direction(t->session) ? POLLOUT :
	    POLLIN;
	/*
	 * Servers often answer in two small writes and Nagle holds the
	 * second until our ACK: do not delay it (Linux resets this flag).
	 */
	if (pfd.events == POLLIN)
		setsockopt(t->fd, IPPROTO_TCP, TCP_QUICKACK, &one,
		    sizeof(one));
	do
		r = poll(&pfd, 1, xt_ms_left(deadline));
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return XT_ETIMEOUT;
	return r < 0 ? XT_ENET : XT_OK;
}

/* GnuTLS's words for r, with the alert the peer sent if that was it. */
static const char *
why(struct xt_tls *t, int r)
{
	const char *name;

	if (r != GNUTLS_E_FATAL_ALERT_RECEIVED || (name =
	    gnutls_alert_get_name(gnutls_alert_get(t->session))) == NULL)
		return gnutls_strerror(r);
	snprintf(t->why, sizeof(t->why), "the peer sent the alert \"%s\"",
	    name);
	return t->why;
}

int
xt_tls_handshake(struct xt_tls *t, int64_t deadline, struct xt_error *e)
{
	int r, rc;

	for (;;) {
		r = gnutls_handshake(t->session);
		if (r == GNUTLS_E_SUCCESS) {
			t->up = 1;
			return XT_OK;
		}
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal(r))
			break;
		if ((rc = wait_fd(t, deadline)) < 0)
			return xt_error_set(e, rc, "tls handshake with %s: %s",
			    t->udomain, rc == XT_ETIMEOUT ? "timed out" :
			    strerror(errno));
	}
	/* A peer (not a server) is told why, so that it fails at once. */
	if (t->peer.method != 0)
		gnutls_alert_send_appropriate(t->session, r);
	if (t->why[0] != '\0')
		return xt_error_set(e, XT_ETLS, "tls: %s", t->why);
	return xt_error_set(e, XT_ETLS, "tls handshake with %s: %s",
	    t->udomain, why(t, r));
}

ssize_t
xt_tls_read(struct xt_tls *t, void *buf, size_t n, int64_t deadline,
    struct xt_error *e)
{
	ssize_t r;
	int rc;

	for (;;) {
		r = gnutls_record_recv(t->session, buf, n);
		if (r >= 0)
			return r;
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			if ((rc = wait_fd(t, deadline)) < 0)
				return rc == XT_ETIMEOUT ? rc :
				    xt_error_set(e, rc, "tls read: %s",
				    strerror(errno));
			continue;
		}
		if (r == GNUTLS_E_REHANDSHAKE || !gnutls_error_is_fatal(r))
			continue;
		return xt_error_set(e, XT_ENET, "tls read: %s",
		    why(t, (int)r));
	}
}

int
xt_tls_write(struct xt_tls *t, const void *buf, size_t n, int64_t deadline,
    struct xt_error *e)
{
	const char *p = buf;
	ssize_t r;
	int rc;

	while (n > 0) {
		r = gnutls_record_send(t->session, p, n);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			if ((rc = wait_fd(t, deadline)) < 0)
				return xt_error_set(e, rc, "tls write: %s",
				    rc == XT_ETIMEOUT ? "timed out" :
				    strerror(errno));
			continue;
		}
		if (r < 0)
			return xt_error_set(e, XT_ENET, "tls write: %s",
			    gnutls_strerror((int)r));
		p += r;
		n -= r;
	}
	return XT_OK;
}

int
xt_tls_pending(struct xt_tls *t)
{
	return gnutls_record_check_pending(t->session) > 0;
}

/* x509 peers: the peer's key must be the one the caller expects. */
static int
verify_peer_cb(gnutls_session_t session)
{
	struct xt_tls *t = gnutls_session_get_ptr(session);
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = { NULL, 0 };
	unsigned n;
	int ok = 0;

	certs = gnutls_certificate_get_peers(session, &n);
	if (certs == NULL || n == 0) {
		snprintf(t->why, sizeof(t->why), "the peer presented no "
		    "certificate");
		return -1;
	}
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_pubkey_init(&pub) < 0 ||
	    gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) < 0)
		snprintf(t->why, sizeof(t->why), "the peer's certificate "
		    "cannot be read");
	else if (!(ok = t->peer.accept(t->peer.arg, spki.data, spki.size)))
		snprintf(t->why, sizeof(t->why), "the peer's key is not the "
		    "one expected");
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return ok ? 0 : -1;
}

/*
 * srp servers: the verifier for the one user we expect, made afresh from
 * the password. Another name gets GnuTLS's fake entry (return 1), so the
 * handshake fails as for a wrong password.
 */
static int
srp_server_cb(gnutls_session_t session, const char *user,
    gnutls_datum_t *salt, gnutls_datum_t *verifier, gnutls_datum_t *g,
    gnutls_datum_t *n)
{
	struct xt_tls *t = gnutls_session_get_ptr(session);

	if (strcmp(user, t->srpuser) != 0)
		return 1;
	salt->size = 16;
	if ((salt->data = gnutls_malloc(salt->size)) == NULL)
		return -1;
	gnutls_rnd(GNUTLS_RND_NONCE, salt->data, salt->size);
	g->size = gnutls_srp_3072_group_generator.size;
	n->size = gnutls_srp_3072_group_prime.size;
	g->data = gnutls_malloc(g->size);
	n->data = gnutls_malloc(n->size);
	if (g->data == NULL || n->data == NULL)
		goto fail;
	memcpy(g->data, gnutls_srp_3072_group_generator.data, g->size);
	memcpy(n->data, gnutls_srp_3072_group_prime.data, n->size);
	if (gnutls_srp_verifier(user, t->srppass, salt, g, n, verifier) < 0)
		goto fail;
	return 0;
fail:
	gnutls_free(salt->data);
	gnutls_free(g->data);
	gnutls_free(n->data);
	salt->data = g->data = n->data = NULL;
	return -1;
}

/* The credentials of one method, set on t->session. */
static int
peer_credentials(struct xt_tls *t, const struct xt_tls_peer *o,
    struct xt_error *e)
{
	gnutls_datum_t crt, key;
	int r;

	if (o->method == XT_TLS_SRP) {
		if ((t->srpuser = strdup(o->user)) == NULL ||
		    (t->srppass = gcry_malloc_secure(strlen(o->password) +
		    1)) == NULL)
			return xt_error_set(e, XT_ENOMEM, "out of memory");
		strcpy(t->srppass, o->password);
		if (o->server) {
			if ((r = gnutls_srp_allocate_server_credentials(
			    &t->srps)) < 0)
				goto fail;
			gnutls_srp_set_server_credentials_function(t->srps,
			    srp_server_cb);
			r = gnutls_credentials_set(t->session, GNUTLS_CRD_SRP,
			    t->srps);
		} else if ((r = gnutls_srp_allocate_client_credentials(
		    &t->srpc)) >= 0 &&
		    (r = gnutls_srp_set_client_credentials(t->srpc, o->user,
		    o->password)) >= 0)
			r = gnutls_credentials_set(t->session, GNUTLS_CRD_SRP,
			    t->srpc);
		if (r < 0)
			goto fail;
		return gnutls_priority_set_direct(t->session, XT_PRIORITY_SRP,
		    NULL) < 0 ? xt_error_set(e, XT_ETLS, "tls setup: srp is "
		    "not available") : XT_OK;
	}
	crt.data = (unsigned char *)o->cert;
	crt.size = strlen(o->cert);
	key.data = (unsigned char *)o->key;
	key.size = strlen(o->key);
	if ((r = gnutls_certificate_allocate_credentials(&t->cred)) < 0 ||
	    (r = gnutls_certificate_set_x509_key_mem2(t->cred, &crt, &key,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0 ||
	    (r = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
	    t->cred)) < 0 ||
	    (r = gnutls_priority_set_direct(t->session, XT_PRIORITY_PEER,
	    NULL)) < 0)
		goto fail;
	gnutls_certificate_set_verify_function(t->cred, verify_peer_cb);
	/* Mutual: the client proves its key as the server does. */
	if (o->server)
		gnutls_certificate_server_set_request(t->session,
		    GNUTLS_CERT_REQUIRE);
	return XT_OK;
fail:
	return xt_error_set(e, r == GNUTLS_E_MEMORY_ERROR ? XT_ENOMEM :
	    XT_ETLS, "tls setup: %s", gnutls_strerror(r));
}

/*
 * Is anything waiting in the transport? For GnuTLS's non-blocking reads:
 * a pull of 0 bytes fails with EAGAIN when there is nothing.
 */
static int
io_pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct xt_tls *t = p;
	char c;
	ssize_t r = t->io.pull(t->io.arg, &c, 0);

	return r < 0 ? 0 : 1;
}

int
xt_tls_peer_new(struct xt_tls **tp, const struct xt_tls_peer *o,
    const struct xt_tls_io *io, struct xt_error *e)
{
	struct xt_tls *t;
	int rc, r;

	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	t->fd = -1;
	t->io = *io;
	t->peer = *o;
	t->peer.key = t->peer.password = NULL;	/* not kept */
	if ((t->udomain = strdup("the peer")) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = gnutls_init(&t->session, (o->server ? GNUTLS_SERVER :
	    GNUTLS_CLIENT) | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS)) < 0) {
		rc = xt_error_set(e, XT_ETLS, "tls setup: %s",
		    gnutls_strerror(r));
		goto fail;
	}
	gnutls_session_set_ptr(t->session, t);
	if ((rc = peer_credentials(t, o, e)) < 0)
		goto fail;
	gnutls_transport_set_ptr(t->session, t);
	gnutls_transport_set_push_function(t->session, io_push);
	gnutls_transport_set_pull_function(t->session, io_pull);
	gnutls_transport_set_pull_timeout_function(t->session,
	    io_pull_timeout);
	*tp = t;
	return XT_OK;
fail:
	xt_tls_free(t);
	return rc;
}

int
xt_tls_shutdown(struct xt_tls *t, struct xt_error *e)
{
	int r;

	do
		r = gnutls_bye(t->session, GNUTLS_SHUT_WR);
	while (r == GNUTLS_E_INTERRUPTED);
	/* With a non-blocking transport the alert is queued already. */
	if (r < 0 && r != GNUTLS_E_AGAIN)
		return xt_error_set(e, XT_ENET, "tls close: %s",
		    gnutls_strerror(r));
	return XT_OK;
}

const char *
xt_tls_describe(struct xt_tls *t, char *buf, size_t len)
{
	const char *v = gnutls_protocol_get_name(
	    gnutls_protocol_get_version(t->session));
	const char *c = gnutls_cipher_get_name(gnutls_cipher_get(t->session));
	const char *k = gnutls_kx_get_name(gnutls_kx_get(t->session));

	snprintf(buf, len, "%s %s%s", v ? v : "?", c ? c : "?",
	    k != NULL && strncmp(k, "SRP", 3) == 0 ? " SRP" : "");
	return buf;
}

int
xt_tls_cbdata(struct xt_tls *t, const char *type, unsigned char **out,
    size_t *outlen)
{
	gnutls_channel_binding_t cb;
	gnutls_datum_t d;

	*out = NULL;
	*outlen = 0;
	if (strcmp(type, "tls-unique") == 0) {
		/* RFC 9266: never tls-unique under TLS 1.3. */
		if (xt_tls_version(t) != 12)
			return XT_ENOTFOUND;
		cb = GNUTLS_CB_TLS_UNIQUE;
	} else if (strcmp(type, "tls-exporter") == 0) {
		cb = GNUTLS_CB_TLS_EXPORTER;
	} else
		return XT_ENOTFOUND;
	if (gnutls_session_channel_binding(t->session, cb, &d) < 0)
		return XT_ENOTFOUND;
	if ((*out = malloc(d.size)) == NULL) {
		gnutls_free(d.data);
		return XT_ENOMEM;
	}
	memcpy(*out, d.data, d.size);
	*outlen = d.size;
	gnutls_free(d.data);
	return XT_OK;
}

int
xt_tls_version(struct xt_tls *t)
{
	switch (gnutls_protocol_get_version(t->session)) {
	case GNUTLS_TLS1_3:
		return 13;
	case GNUTLS_TLS1_2:
		return 12;
	default:
		return 0;
	}
}

void
xt_tls_free(struct xt_tls *t)
{
	if (t == NULL)
		return;
	if (t->session != NULL) {
		/* One try at close_notify: a vanished peer must not hold us. */
		if (t->up && t->fd >= 0)
			gnutls_bye(t->session, GNUTLS_SHUT_WR);
		gnutls_deinit(t->session);
	}
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	if (t->srpc != NULL)
		gnutls_srp_free_client_credentials(t->srpc);
	if (t->srps != NULL)
		gnutls_srp_free_server_credentials(t->srps);
	free(t->srpuser);
	xt_free_secret(t->srppass);
	free(t->domain);
	free(t->udomain);
	xt_wipe(t->pin, sizeof(t->pin));
	free(t);
}
