/*
 * err.c: error codes and messages, the exit status mapping, and the small
 * byte helpers every module needs (wiping, constant-time comparison,
 * base64 through GnuTLS, UTF-8 validation).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <gnutls/gnutls.h>

#include "xt.h"

int
xt_error_set(struct xt_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	xt_oneline(e->msg);
	return code;
}

int
xt_error_option(struct xt_error *e, const char *opt, const char *path)
{
	char msg[XT_ERRLEN];
	size_t n;

	if (e == NULL || opt == NULL || path == NULL)
		return e != NULL ? e->code : XT_OK;
	n = strlen(path);
	if (strncmp(e->msg, path, n) != 0 || strncmp(e->msg + n, ": ", 2) != 0)
		return e->code;
	snprintf(msg, sizeof(msg), "%s", e->msg);
	return xt_error_set(e, e->code, "%s: %s", opt, msg);
}

const char *
xt_strerror(int code)
{
	switch (code) {
	case XT_OK:		return "success";
	case XT_ENOMEM:		return "out of memory";
	case XT_EINVAL:		return "invalid input";
	case XT_ETOOBIG:	return "input too large";
	case XT_ESYS:		return "system error";
	case XT_ECRYPTO:	return "cryptographic library failure";
	case XT_EBADSIG:	return "signature or fingerprint invalid";
	case XT_ETLS:		return "tls failure";
	case XT_EAUTH:		return "authentication failed";
	case XT_ESTANZA:	return "error answer";
	case XT_ETIMEOUT:	return "timed out";
	case XT_ENET:		return "network failure";
	case XT_EPROTO:		return "protocol violation";
	case XT_ENOTFOUND:	return "not found";
	case XT_ECLOSED:	return "stream closed";
	case XT_EPERM:		return "unsafe permissions";
	case XT_EEXIST:		return "already exists";
	}
	return "unknown error";
}

int
xt_exit_status(int code)
{
	switch (code) {
	case XT_OK:
		return 0;
	case XT_EBADSIG:
	case XT_ENOTFOUND:
		return 1;
	case XT_EINVAL:
	case XT_ETOOBIG:
	case XT_EPERM:
	case XT_EEXIST:
		return 2;
	case XT_ETLS:
	case XT_ENET:
	case XT_EPROTO:
	case XT_ECLOSED:
		return 3;
	case XT_EAUTH:
		return 4;
	case XT_ESTANZA:
		return 5;
	case XT_ETIMEOUT:
		return 6;
	}
	/* ENOMEM, ESYS, ECRYPTO: local failures, reported as "negative". */
	return 1;
}

void
xt_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

int
xt_ct_memcmp(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d != 0;
}

void
xt_free_secret(char *s)
{
	if (s == NULL)
		return;
	xt_wipe(s, strlen(s));
	if (gcry_is_secure(s))
		gcry_free(s);
	else
		free(s);
}

int
xt_b64_encode(const void *in, size_t n, char **out)
{
	gnutls_datum_t d = { (unsigned char *)in, (unsigned int)n }, r;

	*out = NULL;
	if (n == 0) {
		*out = strdup("");
		return *out ? XT_OK : XT_ENOMEM;
	}
	if (gnutls_base64_encode2(&d, &r) < 0)
		return XT_ENOMEM;
	*out = malloc(r.size + 1);
	if (*out == NULL) {
		gnutls_free(r.data);
		return XT_ENOMEM;
	}
	memcpy(*out, r.data, r.size);
	(*out)[r.size] = '\0';
	/* It may be a SASL response: leave no copy behind. */
	xt_wipe(r.data, r.size);
	gnutls_free(r.data);
	return XT_OK;
}

int
xt_b64_decode(const char *in, size_t n, unsigned char **out, size_t *outlen)
{
	gnutls_datum_t d = { (unsigned char *)in, (unsigned int)n }, r;
	size_t i;

	*out = NULL;
	*outlen = 0;
	/* GnuTLS skips line breaks; the protocols here allow none. */
	for (i = 0; i < n; i++)
		if (in[i] == '\n' || in[i] == '\r' || in[i] == ' ' ||
		    in[i] == '\t')
			return XT_EINVAL;
	if (n == 0) {
		*out = malloc(1);
		return *out ? XT_OK : XT_ENOMEM;
	}
	if (gnutls_base64_decode2(&d, &r) < 0)
		return XT_EINVAL;
	*out = malloc(r.size + 1);
	if (*out == NULL) {
		xt_wipe(r.data, r.size);
		gnutls_free(r.data);
		return XT_ENOMEM;
	}
	memcpy(*out, r.data, r.size);
	(*out)[r.size] = '\0';
	*outlen = r.size;
	xt_wipe(r.data, r.size);
	gnutls_free(r.data);
	return XT_OK;
}

/*
 * The length of the valid UTF-8 character (RFC 3629: no overlong form, no
 * surrogate, nothing above U+10FFFF) that starts at s, with n bytes left,
 * and its code point in *cp; 0 if none starts there.
 */
static size_t
utf8_char(const unsigned char *s, size_t n, unsigned long *cp)
{
	unsigned long c = s[0], min;
	size_t k, len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; c &= 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; c &= 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; c &= 0x07; min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
xt_utf8_valid(const char *buf, size_t n)
{
	const unsigned char *s = (const unsigned char *)buf;
	unsigned long c;
	size_t i = 0, len;

	while (i < n) {
		if ((len = utf8_char(s + i, n - i, &c)) == 0)
			return 0;
		i += len;
	}
	return 1;
}

size_t
xt_text_clean(const char *buf, size_t n, char **out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)buf;
	unsigned long c;
	size_t i = 0, o = 0, len, count = 0;
	char *d;

	/* At worst every byte becomes the three of U+FFFD. */
	if ((d = malloc(3 * n + 1)) == NULL) {
		*out = NULL;
		return 0;
	}
	while (i < n) {
		len = utf8_char(s + i, n - i, &c);
		if (len == 0 || (c < 0x20 && c != '\t' && c != '\n' &&
		    c != '\r') || c == 0xfffe || c == 0xffff) {
			memcpy(d + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			count++;
			i += len > 0 ? len : 1;
			continue;
		}
		memcpy(d + o, s + i, len);
		o += len;
		i += len;
	}
	d[o] = '\0';
	*out = d;
	*outlen = o;
	return count;
}
