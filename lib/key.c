/*
 * key.c: the RSA keys of XEP-0189 (PROTOCOLS.md 2) through GnuTLS: made,
 * stored as PKCS#8 PEM (optionally passphrase-encrypted), used to sign
 * with RSASSA-PKCS1-v1_5 and SHA-256; public halves travel as DER
 * SubjectPublicKeyInfo and are checked before any use.
 */
#define _GNU_SOURCE		/* memmem */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gcrypt.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "xt.h"

/*
 * A key file's size limit. The PEM of a XT_KEY_BITS_MAX key is under
 * 13 KB, encrypted or not; the file is read into libgcrypt's secure
 * memory, whose pool (xt_init) is 64 KiB for everything secret.
 */
#define KEYFILE_MAX	16384

struct xt_key {
	gnutls_x509_privkey_t	 x509;	/* for export */
	gnutls_privkey_t	 priv;	/* for signing; refers to x509 */
};

static int
crypto_error(struct xt_error *e, const char *what, int grc)
{
	return xt_error_set(e, grc == GNUTLS_E_MEMORY_ERROR ? XT_ENOMEM :
	    XT_ECRYPTO, "%s: %s", what, gnutls_strerror(grc));
}

static int
key_new(struct xt_key **kp, struct xt_error *e)
{
	struct xt_key *k;
	int grc;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if ((grc = gnutls_x509_privkey_init(&k->x509)) < 0) {
		free(k);
		return crypto_error(e, "private key", grc);
	}
	*kp = k;
	return XT_OK;
}

/* Refuse what is not an RSA key of an accepted size, then set up signing. */
static int
key_ready(struct xt_key *k, struct xt_error *e)
{
	unsigned bits = 0;
	int alg, grc;

	alg = gnutls_x509_privkey_get_pk_algorithm2(k->x509, &bits);
	if (alg != GNUTLS_PK_RSA)
		return xt_error_set(e, XT_EINVAL, "not an rsa key (%s)",
		    alg < 0 ? "unknown" : gnutls_pk_get_name(alg));
	if (bits < XT_KEY_BITS_MIN || bits > XT_KEY_BITS_MAX)
		return xt_error_set(e, XT_EINVAL, "rsa key of %u bits: "
		    "%d to %d are accepted", bits, XT_KEY_BITS_MIN,
		    XT_KEY_BITS_MAX);
	if ((grc = gnutls_privkey_init(&k->priv)) < 0 ||
	    (grc = gnutls_privkey_import_x509(k->priv, k->x509, 0)) < 0)
		return crypto_error(e, "private key", grc);
	return XT_OK;
}

void
xt_key_free(struct xt_key *k)
{
	if (k == NULL)
		return;
	/* The privkey only refers to x509, which wipes itself on deinit. */
	if (k->priv != NULL)
		gnutls_privkey_deinit(k->priv);
	gnutls_x509_privkey_deinit(k->x509);
	free(k);
}

int
xt_key_bits(const char *s, unsigned *bits, struct xt_error *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || end == s || (v != 2048 && v != 3072 &&
	    v != 4096))
		return xt_error_set(e, XT_EINVAL, "-b: key size must be 2048, "
		    "3072 or 4096");
	*bits = (unsigned)v;
	return XT_OK;
}

int
xt_key_generate(struct xt_key **kp, unsigned bits, struct xt_error *e)
{
	struct xt_key *k;
	int grc, rc;

	*kp = NULL;
	if (bits != 2048 && bits != 3072 && bits != 4096)
		return xt_error_set(e, XT_EINVAL, "key size must be 2048, "
		    "3072 or 4096");
	if ((rc = key_new(&k, e)) < 0)
		return rc;
	if ((grc = gnutls_x509_privkey_generate(k->x509, GNUTLS_PK_RSA,
	    bits, 0)) < 0)
		rc = crypto_error(e, "key generation", grc);
	else
		rc = key_ready(k, e);
	if (rc < 0) {
		xt_key_free(k);
		return rc;
	}
	*kp = k;
	return XT_OK;
}

/*
 * GnuTLS 3.7.9 writes PBES2 with PBKDF2-HMAC-SHA256 at 600000 iterations,
 * a 14-byte random salt and AES-256-CBC (as certtool --key-info shows for
 * such a key): about 0.1 s of one core per export or import.
 */
int
xt_key_export(const struct xt_key *k, const char *passphrase, char **pem,
    size_t *len, struct xt_error *e)
{
	gnutls_datum_t out = { NULL, 0 };
	char *p;
	int grc;

	*pem = NULL;
	*len = 0;
	if (passphrase != NULL && *passphrase == '\0')
		return xt_error_set(e, XT_EINVAL, "empty passphrase");
	if ((grc = gnutls_x509_privkey_export2_pkcs8(k->x509,
	    GNUTLS_X509_FMT_PEM, passphrase, passphrase ?
	    GNUTLS_PKCS_PBES2_AES_256 : GNUTLS_PKCS_PLAIN, &out)) < 0)
		return crypto_error(e, "key export", grc);
	/*
	 * Secure memory if the pool has room, else the heap: both are wiped
	 * by xt_free_secret, and an export must not fail for want of it.
	 */
	if ((p = gcry_malloc_secure(out.size + 1)) == NULL)
		p = malloc(out.size + 1);
	if (p != NULL) {
		memcpy(p, out.data, out.size);
		p[out.size] = '\0';
		*pem = p;
		*len = out.size;
	}
	xt_wipe(out.data, out.size);
	gnutls_free(out.data);
	return p != NULL ? XT_OK : xt_error_set(e, XT_ENOMEM, "out of memory");
}

int
xt_key_pem_encrypted(const char *pem, size_t len)
{
	static const char tag[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

	return memmem(pem, len, tag, sizeof(tag) - 1) != NULL;
}

int
xt_key_import(struct xt_key **kp, const char *pem, size_t len,
    const char *passphrase, struct xt_error *e)
{
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned int)len };
	struct xt_key *k;
	int enc, grc, rc;

	*kp = NULL;
	if (len > KEYFILE_MAX)
		return xt_error_set(e, XT_EINVAL, "private key over %d bytes",
		    KEYFILE_MAX);
	if ((enc = xt_key_pem_encrypted(pem, len)) && passphrase == NULL)
		return xt_error_set(e, XT_EAUTH, "passphrase needed");
	if ((rc = key_new(&k, e)) < 0)
		return rc;
	/* A passphrase given for a plain key is not needed: no error. */
	grc = gnutls_x509_privkey_import_pkcs8(k->x509, &d,
	    GNUTLS_X509_FMT_PEM, enc ? passphrase : NULL,
	    enc ? 0 : GNUTLS_PKCS_PLAIN);
	/*
	 * GnuTLS 3.7.9 gives GNUTLS_E_DECRYPTION_FAILED for a wrong
	 * passphrase, also when the CBC padding happens to look right and
	 * it is the decrypted DER that does not parse.
	 */
	if (grc == GNUTLS_E_DECRYPTION_FAILED && enc)
		rc = xt_error_set(e, XT_EAUTH, "wrong passphrase");
	else if (grc == GNUTLS_E_MEMORY_ERROR)
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
	else if (grc < 0)
		rc = xt_error_set(e, XT_EINVAL, "not a pkcs#8 private key: "
		    "%s", gnutls_strerror(grc));
	else
		rc = key_ready(k, e);
	if (rc < 0) {
		xt_key_free(k);
		return rc;
	}
	*kp = k;
	return XT_OK;
}

int
xt_key_load(struct xt_key **kp, const char *path, const char *passphrase,
    struct xt_error *e)
{
	struct xt_error why = { 0, "" };
	char *pem;
	size_t len;
	int rc;

	*kp = NULL;
	/* Refuses mode & 077, naming the file and the mode. */
	if ((rc = xt_file_read(path, KEYFILE_MAX, XT_FILE_SECRET, &pem, &len,
	    e)) < 0)
		return rc;
	if ((rc = xt_key_import(kp, pem, len, passphrase, &why)) < 0)
		xt_error_set(e, rc, "%s: %s", path, why.msg);
	xt_free_secret(pem);
	return rc;
}

/* Copy a GnuTLS buffer to one of ours (malloc) and free it. */
static int
take(gnutls_datum_t *d, unsigned char **out, size_t *len)
{
	if ((*out = malloc(d->size ? d->size : 1)) == NULL) {
		gnutls_free(d->data);
		return XT_ENOMEM;
	}
	memcpy(*out, d->data, d->size);
	*len = d->size;
	gnutls_free(d->data);
	return XT_OK;
}

int
xt_key_spki(const struct xt_key *k, unsigned char **der, size_t *len)
{
	gnutls_pubkey_t pub;
	gnutls_datum_t d;
	int grc;

	*der = NULL;
	*len = 0;
	if (gnutls_pubkey_init(&pub) < 0)
		return XT_ENOMEM;
	grc = gnutls_pubkey_import_privkey(pub, k->priv, 0, 0);
	if (grc >= 0)
		grc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &d);
	gnutls_pubkey_deinit(pub);
	if (grc < 0)
		return grc == GNUTLS_E_MEMORY_ERROR ? XT_ENOMEM : XT_ECRYPTO;
	return take(&d, der, len);
}

int
xt_key_certificate(const struct xt_key *k, const char *cn, int64_t now,
    char **pem, size_t *len, struct xt_error *e)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t out = { NULL, 0 };
	unsigned char serial[16];
	int grc, rc;

	*pem = NULL;
	*len = 0;
	if ((grc = gnutls_x509_crt_init(&crt)) < 0)
		return crypto_error(e, "certificate", grc);
	gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;	/* a positive INTEGER */
	if ((grc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (grc = gnutls_x509_crt_set_serial(crt, serial,
	    sizeof(serial))) < 0 ||
	    (grc = gnutls_x509_crt_set_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn))) < 0 ||
	    (grc = gnutls_x509_crt_set_issuer_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn))) < 0 ||
	    (grc = gnutls_x509_crt_set_activation_time(crt,
	    (time_t)(now - 3600))) < 0 ||
	    (grc = gnutls_x509_crt_set_expiration_time(crt,
	    (time_t)(now + 86400))) < 0 ||
	    (grc = gnutls_x509_crt_set_key(crt, k->x509)) < 0 ||
	    (grc = gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT)) < 0 ||
	    (grc = gnutls_x509_crt_privkey_sign(crt, crt, k->priv,
	    GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (grc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM,
	    &out)) < 0) {
		rc = crypto_error(e, "self-signed certificate", grc);
		goto out;
	}
	if ((*pem = malloc(out.size + 1)) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*pem, out.data, out.size);
	(*pem)[out.size] = '\0';
	*len = out.size;
	rc = XT_OK;
out:
	gnutls_free(out.data);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int
xt_key_sign(const struct xt_key *k, const void *data, size_t n,
    unsigned char **sig, size_t *siglen, struct xt_error *e)
{
	gnutls_datum_t d = { (unsigned char *)data, (unsigned int)n }, s;
	int grc;

	*sig = NULL;
	*siglen = 0;
	if (n > 0x7fffffff)
		return xt_error_set(e, XT_ETOOBIG, "data to sign over 2 GiB");
	/* The algorithm named, so that no default can choose PSS. */
	if ((grc = gnutls_privkey_sign_data2(k->priv, GNUTLS_SIGN_RSA_SHA256,
	    0, &d, &s)) < 0)
		return crypto_error(e, "signing", grc);
	if (take(&s, sig, siglen) < 0)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	return XT_OK;
}

/*
 * Import der as an acceptable RSA SubjectPublicKeyInfo (see xt_spki_check).
 * The re-encoding compared with der is what refuses trailing bytes and
 * any encoding other than the one DER allows.
 */
static int
spki_import(const unsigned char *der, size_t len, gnutls_pubkey_t *pubp,
    unsigned *bits, struct xt_error *e)
{
	gnutls_datum_t d = { (unsigned char *)der, (unsigned int)len }, re;
	gnutls_pubkey_t pub;
	unsigned b = 0;
	int alg, grc, rc = XT_OK;

	if (len > XT_SPKI_MAX)
		return xt_error_set(e, XT_EINVAL, "public key over %d bytes",
		    XT_SPKI_MAX);
	if ((grc = gnutls_pubkey_init(&pub)) < 0)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if ((grc = gnutls_pubkey_import(pub, &d, GNUTLS_X509_FMT_DER)) < 0) {
		rc = xt_error_set(e, grc == GNUTLS_E_MEMORY_ERROR ?
		    XT_ENOMEM : XT_EINVAL, "not a subjectpublickeyinfo: %s",
		    gnutls_strerror(grc));
		goto out;
	}
	if ((alg = gnutls_pubkey_get_pk_algorithm(pub, &b)) != GNUTLS_PK_RSA) {
		rc = xt_error_set(e, XT_EINVAL, "not an rsa key (%s)",
		    alg < 0 ? "unknown" : gnutls_pk_get_name(alg));
		goto out;
	}
	if (b < XT_KEY_BITS_MIN || b > XT_KEY_BITS_MAX) {
		rc = xt_error_set(e, XT_EINVAL, "rsa key of %u bits: %d to %d "
		    "are accepted", b, XT_KEY_BITS_MIN, XT_KEY_BITS_MAX);
		goto out;
	}
	if ((grc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &re)) < 0) {
		rc = crypto_error(e, "public key", grc);
		goto out;
	}
	if (re.size != len || memcmp(re.data, der, len) != 0)
		rc = xt_error_set(e, XT_EINVAL, "public key not in canonical "
		    "der");
	gnutls_free(re.data);
out:
	if (rc < 0)
		gnutls_pubkey_deinit(pub);
	else {
		*pubp = pub;
		if (bits != NULL)
			*bits = b;
	}
	return rc;
}

int
xt_spki_check(const unsigned char *der, size_t len, unsigned *bits,
    struct xt_error *e)
{
	gnutls_pubkey_t pub;
	int rc;

	if ((rc = spki_import(der, len, &pub, bits, e)) == XT_OK)
		gnutls_pubkey_deinit(pub);
	return rc;
}

int
xt_spki_verify(const unsigned char *der, size_t len, const void *data,
    size_t n, const unsigned char *sig, size_t siglen, struct xt_error *e)
{
	gnutls_datum_t d = { (unsigned char *)data, (unsigned int)n };
	gnutls_datum_t s = { (unsigned char *)sig, (unsigned int)siglen };
	gnutls_pubkey_t pub;
	int grc, rc;

	if ((rc = spki_import(der, len, &pub, NULL, e)) < 0)
		return rc;
	/* Lengths that do not fit a datum cannot be a valid pair anyway. */
	if (n > 0x7fffffff || siglen > XT_SPKI_MAX)
		grc = GNUTLS_E_PK_SIG_VERIFY_FAILED;
	else
		grc = gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_RSA_SHA256,
		    0, &d, &s);
	gnutls_pubkey_deinit(pub);
	if (grc == GNUTLS_E_MEMORY_ERROR)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	/* A signature of the wrong size is as false as a wrong one. */
	if (grc < 0)
		return xt_error_set(e, XT_EBADSIG, "signature does not verify");
	return XT_OK;
}

int
xt_spki_rsa(const unsigned char *der, size_t len, unsigned char **n,
    size_t *nlen, unsigned char **ex, size_t *exlen, struct xt_error *e)
{
	gnutls_pubkey_t pub;
	gnutls_datum_t m = { NULL, 0 }, x = { NULL, 0 };
	int grc, rc;

	*n = *ex = NULL;
	*nlen = *exlen = 0;
	if ((rc = spki_import(der, len, &pub, NULL, e)) < 0)
		return rc;
	grc = gnutls_pubkey_export_rsa_raw2(pub, &m, &x, GNUTLS_EXPORT_FLAG_NO_LZ);
	gnutls_pubkey_deinit(pub);
	if (grc < 0)
		return crypto_error(e, "rsa public key", grc);
	rc = XT_OK;
	if ((*n = malloc(m.size)) == NULL || (*ex = malloc(x.size)) == NULL) {
		free(*n);
		*n = NULL;
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
	} else {
		memcpy(*n, m.data, *nlen = m.size);
		memcpy(*ex, x.data, *exlen = x.size);
	}
	gnutls_free(m.data);
	gnutls_free(x.data);
	return rc;
}

int
xt_spki_from_rsa(const unsigned char *n, size_t nlen, const unsigned char *ex,
    size_t exlen, unsigned char **der, size_t *len, struct xt_error *e)
{
	gnutls_datum_t m = { (unsigned char *)n, (unsigned int)nlen };
	gnutls_datum_t x = { (unsigned char *)ex, (unsigned int)exlen };
	gnutls_datum_t d = { NULL, 0 };
	gnutls_pubkey_t pub;
	int grc, rc;

	*der = NULL;
	*len = 0;
	if (nlen > XT_SPKI_MAX || exlen > XT_SPKI_MAX)
		return xt_error_set(e, XT_EINVAL, "rsa key too large");
	if ((grc = gnutls_pubkey_init(&pub)) < 0)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if ((grc = gnutls_pubkey_import_rsa_raw(pub, &m, &x)) < 0 ||
	    (grc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &d)) < 0) {
		gnutls_pubkey_deinit(pub);
		return xt_error_set(e, XT_EINVAL, "not an rsa key: %s",
		    gnutls_strerror(grc));
	}
	gnutls_pubkey_deinit(pub);
	if ((rc = take(&d, der, len)) < 0)
		return xt_error_set(e, rc, "out of memory");
	/* The size rules of every other key here. */
	if ((rc = xt_spki_check(*der, *len, NULL, e)) < 0) {
		free(*der);
		*der = NULL;
	}
	return rc;
}

void
xt_sha256_hex(const void *data, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	int i;

	gcry_md_hash_buffer(GCRY_MD_SHA256, md, data, n);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}
