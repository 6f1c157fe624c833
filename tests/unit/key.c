/*
 * key.c: RSA keys through GnuTLS: generation, PKCS#8 export and import
 * (plain and encrypted), loading with the mode check, SPKI, signing and
 * verification, each verification with forged twins that must fail.
 * Expected values come from the openssl command line on the committed
 * fixtures in tests/data/ (run from the repository root).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xt.h"
#include "tap.h"

/* openssl pkey -in tests/data/alice.key -pubout -outform DER | sha256sum */
#define ALICE_SPKI_SHA256 \
	"7191654d82d1f332e1e3fde5255fb70a1df30b78da6408a9f1cb96f1dbafd1f0"
/* printf %s "$MSG" | openssl dgst -sha256 -sign tests/data/alice.key | sha256sum */
#define MSG		"xmpp-tools: signed by alice"
#define ALICE_SIG_SHA256 \
	"65266cc2ae4f6727ff0b36ca3899c7b6493395c615b1ceeb9f08109ee50efcd1"
/* openssl pkey -in tests/data/ec256.key -pubout -outform DER | base64 */
#define EC256_SPKI	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEw58EK613Hwmf5re5CRul" \
	"Qf0wZcyvf0DVYMvpORsbRwv09EqQ7zSDp6nUkf6pLXJcMXTPE2xMsJG2Mooy06LY9g=="
/* the same for tests/data/small1024.key */
#define RSA1024_SPKI	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1WmMmAm5A20fsd6L5" \
	"F/lEVQL3CC/UvL1MISPtQCr/iBxUwqbDlFnIoYsr3HFtBtLZ92Ob6BRnd0te+hKh3Q4p" \
	"ZVLbJ2ZZgQrYyj7WoDLRho6sEd5AZ2qJGyABNZxC093Om4GoPMUd695F4lkFyP+S3CHM" \
	"EUj0uNtcWWs1fTpFfQIDAQAB"

static char tmp[] = "/tmp/xt-key-XXXXXX";

static int
has(const struct xt_error *e, const char *s)
{
	return strstr(e->msg, s) != NULL;
}

/* A copy of tests/data/NAME.key in tmp with mode; its path. */
static const char *
fixture(const char *name, mode_t mode)
{
	static char path[512];
	char src[256], buf[65536];
	size_t n;
	FILE *f;
	int fd;

	snprintf(src, sizeof(src), "tests/data/%s.key", name);
	snprintf(path, sizeof(path), "%s/%s.key", tmp, name);
	if ((f = fopen(src, "rb")) == NULL) {
		printf("Bail out! %s: run from the repository root\n", src);
		exit(1);
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, buf, n) != (ssize_t)n || fchmod(fd, mode) < 0)
		abort();
	close(fd);
	return path;
}

static struct xt_key *
load(const char *name)
{
	struct xt_error e = { 0, "" };
	struct xt_key *k;

	if (xt_key_load(&k, fixture(name, 0600), NULL, &e) < 0) {
		printf("Bail out! %s: %s\n", name, e.msg);
		exit(1);
	}
	return k;
}

static unsigned char *
b64(const char *s, size_t *n)
{
	unsigned char *out;

	if (xt_b64_decode(s, strlen(s), &out, n) < 0)
		abort();
	return out;
}

static void
test_sha256(void)
{
	char hex[65];

	xt_sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "sha256 of \"abc\" (FIPS 180-2)");
	xt_sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855", "sha256 of \"\"");
}

static void
test_load(void)
{
	struct xt_error e = { 0, "" };
	struct xt_key *k = NULL;
	const char *p;
	char none[512];

	p = fixture("alice", 0644);
	is_int(xt_key_load(&k, p, NULL, &e), XT_EPERM, "0644 key refused");
	ok(has(&e, p) && has(&e, "readable by others") && has(&e, "644"),
	    "the message names the file and why (%s)", e.msg);
	ok(k == NULL, "no key on failure");
	p = fixture("alice", 0640);
	is_int(xt_key_load(&k, p, NULL, &e), XT_EPERM, "0640 key refused");

	p = fixture("small1024", 0600);
	is_int(xt_key_load(&k, p, NULL, &e), XT_EINVAL, "1024-bit key refused");
	ok(has(&e, p) && has(&e, "1024 bits"), "says so (%s)", e.msg);
	p = fixture("ec256", 0600);
	is_int(xt_key_load(&k, p, NULL, &e), XT_EINVAL, "ec key refused");
	ok(has(&e, "not an rsa key"), "says so (%s)", e.msg);

	p = fixture("alice", 0600);
	is_int(xt_key_load(&k, p, "unused", &e), XT_OK,
	    "a plain key loads with a passphrase given");
	xt_key_free(k);
	snprintf(none, sizeof(none), "%s/none.key", tmp);
	is_int(xt_key_load(&k, none, NULL, &e), XT_EINVAL, "missing file");

	is_int(xt_key_import(&k, "junk", 4, NULL, &e), XT_EINVAL,
	    "junk is no key");
	is_int(xt_key_pem_encrypted("junk", 4), 0, "junk is not encrypted");
}

static void
test_spki_sign(void)
{
	struct xt_error e = { 0, "" };
	struct xt_key *alice = load("alice"), *carol = load("carol");
	unsigned char *spki, *cspki, *s1, *s2, *bad, *ec, *small;
	size_t n, cn, l1, l2, ecn, smalln;
	unsigned bits = 0;
	char hex[65];

	is_int(xt_key_spki(alice, &spki, &n), XT_OK, "spki of alice");
	xt_sha256_hex(spki, n, hex);
	is_str(hex, ALICE_SPKI_SHA256, "it is openssl's DER SPKI");
	is_int(xt_spki_check(spki, n, &bits, &e), XT_OK, "it passes the check");
	is_int(bits, 2048, "2048 bits");
	xt_key_spki(carol, &cspki, &cn);

	is_int(xt_key_sign(alice, MSG, strlen(MSG), &s1, &l1, &e), XT_OK,
	    "alice signs");
	is_int(l1, 256, "a 256-byte signature");
	xt_sha256_hex(s1, l1, hex);
	is_str(hex, ALICE_SIG_SHA256, "the same as openssl dgst -sha256 -sign");
	xt_key_sign(alice, MSG, strlen(MSG), &s2, &l2, &e);
	ok(l1 == l2 && memcmp(s1, s2, l1) == 0, "signing is deterministic");

	is_int(xt_spki_verify(spki, n, MSG, strlen(MSG), s1, l1, &e), XT_OK,
	    "it verifies");
	s2[100] ^= 0x08;
	is_int(xt_spki_verify(spki, n, MSG, strlen(MSG), s2, l2, &e),
	    XT_EBADSIG, "one bit flipped in the signature: refused");
	is_str(e.msg, "signature does not verify", "message");
	is_int(xt_spki_verify(spki, n, "xmpp-tools: signed by alicE",
	    strlen(MSG), s1, l1, &e), XT_EBADSIG,
	    "one bit flipped in the data: refused");
	is_int(xt_spki_verify(cspki, cn, MSG, strlen(MSG), s1, l1, &e),
	    XT_EBADSIG, "carol's key: refused");
	is_int(xt_spki_verify(spki, n, MSG, strlen(MSG), s1, l1 - 1, &e),
	    XT_EBADSIG, "a truncated signature: refused");
	is_int(xt_spki_verify(spki, n, MSG, strlen(MSG), s1, 0, &e),
	    XT_EBADSIG, "an empty signature: refused");
	is_int(xt_spki_verify(spki, n, MSG, strlen(MSG) - 1, s1, l1, &e),
	    XT_EBADSIG, "a truncated message: refused");

	/* xt_spki_check's refusals, each also refused by verify. */
	is_int(xt_spki_check(spki, n - 1, NULL, &e), XT_EINVAL,
	    "truncated DER refused");
	is_int(xt_spki_verify(spki, n - 1, MSG, strlen(MSG), s1, l1, &e),
	    XT_EINVAL, "and verify refuses the key");
	bad = malloc(n + 2);
	memcpy(bad, spki, n);
	bad[n] = 0;
	is_int(xt_spki_check(bad, n + 1, NULL, &e), XT_EINVAL,
	    "DER with a trailing byte refused");
	is_int(xt_spki_verify(bad, n + 1, MSG, strlen(MSG), s1, l1, &e),
	    XT_EINVAL, "and verify refuses the key");
	/* The outer length in long form with a needless leading zero. */
	ok(spki[0] == 0x30 && spki[1] == 0x82, "the SPKI starts 30 82");
	bad[0] = 0x30;
	bad[1] = 0x83;
	bad[2] = 0;
	memcpy(bad + 3, spki + 2, n - 2);
	is_int(xt_spki_check(bad, n + 1, NULL, &e), XT_EINVAL,
	    "a non-minimal length (BER, not DER) refused");
	is_int(xt_spki_verify(bad, n + 1, MSG, strlen(MSG), s1, l1, &e),
	    XT_EINVAL, "and verify refuses the key");
	free(bad);
	ec = b64(EC256_SPKI, &ecn);
	is_int(xt_spki_check(ec, ecn, NULL, &e), XT_EINVAL,
	    "an ec SPKI refused");
	ok(has(&e, "not an rsa key"), "says so (%s)", e.msg);
	small = b64(RSA1024_SPKI, &smalln);
	is_int(xt_spki_check(small, smalln, &bits, &e), XT_EINVAL,
	    "a 1024-bit SPKI refused");
	ok(has(&e, "1024 bits"), "says so (%s)", e.msg);
	is_int(xt_spki_verify(small, smalln, MSG, strlen(MSG), s1, l1, &e),
	    XT_EINVAL, "and verify refuses it");
	bad = calloc(1, XT_SPKI_MAX + 1);
	memcpy(bad, spki, n);
	is_int(xt_spki_check(bad, XT_SPKI_MAX + 1, NULL, &e), XT_EINVAL,
	    "over XT_SPKI_MAX refused");
	free(bad);

	free(ec);
	free(small);
	free(s1);
	free(s2);
	free(spki);
	free(cspki);
	xt_key_free(alice);
	xt_key_free(carol);
}

static int
same_spki(const struct xt_key *a, const struct xt_key *b)
{
	unsigned char *x, *y;
	size_t xn, yn;
	int same;

	if (a == NULL || b == NULL || xt_key_spki(a, &x, &xn) < 0)
		return 0;
	if (xt_key_spki(b, &y, &yn) < 0) {
		free(x);
		return 0;
	}
	same = xn == yn && memcmp(x, y, xn) == 0;
	free(x);
	free(y);
	return same;
}

static void
test_generate(void)
{
	struct xt_error e = { 0, "" };
	struct xt_key *k = NULL, *k2 = NULL;
	char *plain, *enc, path[512];
	unsigned char *spki, *sig;
	size_t pn, en, n, sn;
	unsigned bits = 0;

	is_int(xt_key_generate(&k, 1024, &e), XT_EINVAL, "1024 bits refused");
	is_str(e.msg, "key size must be 2048, 3072 or 4096", "message");
	is_int(xt_key_generate(&k, 3000, &e), XT_EINVAL, "3000 bits refused");
	ok(k == NULL, "no key");
	if (!is_int(xt_key_generate(&k, 2048, &e), XT_OK, "generate 2048")) {
		printf("Bail out! %s\n", e.msg);
		exit(1);
	}
	xt_key_spki(k, &spki, &n);
	is_int(xt_spki_check(spki, n, &bits, &e), XT_OK,
	    "its SPKI passes the check");
	is_int(bits, 2048, "of 2048 bits");
	xt_key_sign(k, "x", 1, &sig, &sn, &e);
	is_int(xt_spki_verify(spki, n, "x", 1, sig, sn, &e), XT_OK,
	    "its signature verifies");
	is_int(xt_spki_verify(spki, n, "y", 1, sig, sn, &e), XT_EBADSIG,
	    "not for other data");

	is_int(xt_key_export(k, NULL, &plain, &pn, &e), XT_OK, "export plain");
	ok(pn == strlen(plain) && strncmp(plain,
	    "-----BEGIN PRIVATE KEY-----\n", 28) == 0, "PKCS#8 PEM");
	is_int(xt_key_pem_encrypted(plain, pn), 0, "not encrypted");
	is_int(xt_key_export(k, "", &enc, &en, &e), XT_EINVAL,
	    "an empty passphrase refused");
	is_int(xt_key_export(k, "correct horse", &enc, &en, &e), XT_OK,
	    "export encrypted");
	ok(strncmp(enc, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 38) == 0,
	    "encrypted PKCS#8 PEM");
	is_int(xt_key_pem_encrypted(enc, en), 1, "encrypted");
	ok(strstr(enc, "-----BEGIN PRIVATE KEY") == NULL, "no plain key in it");

	is_int(xt_key_import(&k2, plain, pn, NULL, &e), XT_OK,
	    "plain re-imported");
	ok(same_spki(k, k2), "the same key");
	xt_key_free(k2);
	is_int(xt_key_import(&k2, enc, en, "correct horse", &e), XT_OK,
	    "encrypted re-imported");
	ok(same_spki(k, k2), "the same key");
	xt_key_free(k2);
	k2 = NULL;
	is_int(xt_key_import(&k2, enc, en, "correct horsf", &e), XT_EAUTH,
	    "a wrong passphrase: XT_EAUTH");
	is_str(e.msg, "wrong passphrase", "says so");
	ok(k2 == NULL, "no key");
	is_int(xt_key_import(&k2, enc, en, NULL, &e), XT_EAUTH,
	    "no passphrase for an encrypted key: XT_EAUTH");
	is_str(e.msg, "passphrase needed", "says so");

	/* Through a file, as the tools read it. */
	snprintf(path, sizeof(path), "%s/gen.key", tmp);
	is_int(xt_file_write(path, enc, en, 0, &e), XT_OK, "written");
	is_int(xt_key_load(&k2, path, "nope", &e), XT_EAUTH,
	    "load with a wrong passphrase");
	ok(has(&e, path) && has(&e, "wrong passphrase"), "names the file (%s)",
	    e.msg);
	is_int(xt_key_load(&k2, path, "correct horse", &e), XT_OK,
	    "load with the passphrase");
	ok(same_spki(k, k2), "the same key");
	xt_key_free(k2);
	unlink(path);

	xt_free_secret(plain);
	xt_free_secret(enc);
	free(spki);
	free(sig);
	xt_key_free(k);
}

int
main(void)
{
	struct xt_error e = { 0, "" };
	char cmd[600];

	if (xt_init(&e) < 0 || mkdtemp(tmp) == NULL) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	test_sha256();
	test_load();
	test_spki_sign();
	test_generate();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		ok(0, "cleanup");
	return done();
}
