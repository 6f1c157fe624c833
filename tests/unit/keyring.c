/* keyring.c: pins for other people's keys and the store of our own keys. */
#define _XOPEN_SOURCE 700	/* nftw */
#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xt.h"
#include "tap.h"

#define ID_A	"00000000000000000000000000000000" \
		"00000000000000000000000000000001"
#define ID_B	"abcdef0123456789abcdef0123456789" \
		"abcdef0123456789abcdef0123456789"
#define ID_C	"ffffffffffffffffffffffffffffffff" \
		"ffffffffffffffffffffffffffffffff"

static char tmp[] = "/tmp/xt-keyring-XXXXXX";
static time_t now;

/* A formatted string, owned. */
static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n < 0 || (p = malloc(n + 1)) == NULL)
		abort();
	va_start(ap, f);
	vsnprintf(p, n + 1, f, ap);
	va_end(ap);
	return p;
}

/* tmp "/" name, owned. */
static char *
tpath(const char *name)
{
	return fmt("%s/%s", tmp, name);
}

static void
put_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	fchmod(fd, mode);
	close(fd);
}

/* The whole file, NUL-terminated, or NULL if it cannot be read. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	buf = malloc(1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static unsigned
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}

static void
test_pins(void)
{
	struct xt_error e = { 0, "" };
	char *two[] = { ID_B, ID_A }, *one[] = { ID_C }, *bad[] = { ID_A,
	    "ABCDEF0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789" };
	char **ids = NULL, *p, *dir;
	size_t n = 99;

	is_int(xt_keyring_get(NULL, "alice@example.org", &ids, &n, &e), XT_OK,
	    "pins: get with no keyring at all");
	is_int(n, 0, "pins: none");
	xt_keyring_free(ids, n);

	is_int(xt_keyring_set(NULL, "alice@example.org", two, 2, &e), XT_OK,
	    "pins: set two");
	is_int(xt_keyring_get(NULL, "alice@example.org", &ids, &n, &e), XT_OK,
	    "pins: get them");
	ok(n == 2 && strcmp(ids[0], ID_B) == 0 && strcmp(ids[1], ID_A) == 0,
	    "pins: both back, in order");
	xt_keyring_free(ids, n);
	p = tpath("data/xmpp-tools/keyring/alice@example.org");
	is_int(mode_of(p), 0600, "pins: the file is 0600");
	dir = slurp(p, NULL);
	is_str(dir, ID_B "\n" ID_A "\n", "pins: one keyid a line");
	free(dir);

	is_int(xt_keyring_set(NULL, "alice@example.org", one, 1, &e), XT_OK,
	    "pins: set again");
	is_int(xt_keyring_get(NULL, "alice@example.org", &ids, &n, &e), XT_OK,
	    "pins: get");
	ok(n == 1 && strcmp(ids[0], ID_C) == 0, "pins: set replaces");
	xt_keyring_free(ids, n);

	is_int(xt_keyring_set(NULL, "ALICE@Example.ORG", two, 2, &e), XT_OK,
	    "pins: set for the unprepared jid");
	is_int(xt_keyring_get(NULL, "alice@example.org", &ids, &n, &e), XT_OK,
	    "pins: get for the prepared jid");
	is_int(n, 2, "pins: the same file");
	xt_keyring_free(ids, n);
	free(p);
	p = tpath("data/xmpp-tools/keyring/ALICE@Example.ORG");
	ok(!exists(p), "pins: no file under the unprepared name");
	free(p);

	is_int(xt_keyring_get(NULL, "bob@example.org", &ids, &n, &e), XT_OK,
	    "pins: another jid");
	is_int(n, 0, "pins: has none");
	xt_keyring_free(ids, n);

	is_int(xt_keyring_set(NULL, "alice@example.org/phone", one, 1, &e),
	    XT_EINVAL, "pins: set for a full jid refused");
	is_int(xt_keyring_get(NULL, "alice@example.org/phone", &ids, &n, &e),
	    XT_EINVAL, "pins: get for a full jid refused");
	is_int(xt_keyring_get(NULL, "@example.org", &ids, &n, &e),
	    XT_EINVAL, "pins: a malformed jid refused");

	is_int(xt_keyring_set(NULL, "alice@example.org", bad, 2, &e),
	    XT_EINVAL, "pins: an uppercase keyid refused");
	is_int(xt_keyring_get(NULL, "alice@example.org", &ids, &n, &e), XT_OK,
	    "pins: get after the refused set");
	ok(n == 2 && strcmp(ids[0], ID_B) == 0, "pins: left as they were");
	xt_keyring_free(ids, n);

	/* An explicit directory, made on the first set. */
	dir = tpath("pins/sub");
	is_int(xt_keyring_set(dir, "carol@example.net", one, 1, &e), XT_OK,
	    "pins: set in a new directory");
	is_int(xt_keyring_get(dir, "carol@example.net", &ids, &n, &e), XT_OK,
	    "pins: get from it");
	ok(n == 1 && strcmp(ids[0], ID_C) == 0, "pins: the id is there");
	xt_keyring_free(ids, n);
	is_int(xt_keyring_set(dir, "carol@example.net", NULL, 0, &e), XT_OK,
	    "pins: set none");
	is_int(xt_keyring_get(dir, "carol@example.net", &ids, &n, &e), XT_OK,
	    "pins: get none");
	is_int(n, 0, "pins: none left");
	xt_keyring_free(ids, n);

	p = tpath("pins/sub/mallory@example.net");
	put_file(p, ID_A "\nnot a keyid\n", 0600);
	is_int(xt_keyring_get(dir, "mallory@example.net", &ids, &n, &e),
	    XT_EINVAL, "pins: malformed file refused");
	ok(strstr(e.msg, "mallory@example.net") != NULL &&
	    strstr(e.msg, "line 2") != NULL, "naming file and line: %s", e.msg);
	put_file(p, ID_A "\n\n" ID_B "\n", 0600);
	is_int(xt_keyring_get(dir, "mallory@example.net", &ids, &n, &e),
	    XT_EINVAL, "pins: an empty line refused");
	put_file(p, ID_A "\n" ID_C " \n", 0600);
	is_int(xt_keyring_get(dir, "mallory@example.net", &ids, &n, &e),
	    XT_EINVAL, "pins: trailing space refused");
	put_file(p, ID_A "\n" ID_A "0\n", 0600);
	is_int(xt_keyring_get(dir, "mallory@example.net", &ids, &n, &e),
	    XT_EINVAL, "pins: 65 digits refused");
	put_file(p, ID_A "\n" ID_C, 0600);
	is_int(xt_keyring_get(dir, "mallory@example.net", &ids, &n, &e), XT_OK,
	    "pins: a last line without newline");
	ok(n == 2 && strcmp(ids[1], ID_C) == 0, "pins: read all the same");
	xt_keyring_free(ids, n);
	chmod(p, 0620);
	is_int(xt_keyring_get(dir, "mallory@example.net", &ids, &n, &e),
	    XT_EPERM, "pins: a file others may write refused");
	free(p);
	free(dir);
}

/* A key of ours as the key store holds it. */
struct fixture {
	struct xt_key		*key;
	struct xt_pubkey	 pk;
	struct xt_revocation	 rev;
	struct xt_node		*pub, *revn;
	char			*pem;
	size_t			 pemlen;
};

/* Load tests/data/NAME.key (copied 0600: git keeps no modes). */
static void
fixture(struct fixture *f, const char *name, const char *jid,
    int64_t begin, int64_t end)
{
	struct xt_error e = { 0, "" };
	unsigned char *spki;
	size_t len;
	char src[256], *dst, *pem;

	memset(f, 0, sizeof(*f));
	snprintf(src, sizeof(src), "tests/data/%s.key", name);
	if ((pem = slurp(src, NULL)) == NULL) {
		printf("Bail out! %s: cannot read\n", src);
		exit(1);
	}
	dst = fmt("%s/%s.key", tmp, name);
	put_file(dst, pem, 0600);
	free(pem);
	if (xt_key_load(&f->key, dst, NULL, &e) < 0 ||
	    xt_file_read(dst, 4096, XT_FILE_SECRET, &f->pem, &f->pemlen,
	    &e) < 0 ||
	    xt_key_spki(f->key, &spki, &len) < 0 ||
	    xt_pubkey_make(&f->pk, spki, len, jid, begin, end, NULL, &e) < 0 ||
	    xt_revocation_make(&f->rev, &f->pk, &f->pk, f->key, now, &e) < 0 ||
	    (f->pub = xt_pubkey_node(&f->pk)) == NULL ||
	    (f->revn = xt_revocation_node(&f->rev)) == NULL) {
		printf("Bail out! %s: %s\n", dst, e.msg);
		exit(1);
	}
	free(spki);
	free(dst);
}

static void
fixture_free(struct fixture *f)
{
	xt_key_free(f->key);
	xt_pubkey_clear(&f->pk);
	xt_revocation_clear(&f->rev);
	xt_node_free(f->pub);
	xt_node_free(f->revn);
	xt_free_secret(f->pem);
}

/* The serialized element plus a newline, as stored. */
static char *
stored_text(const struct xt_node *n)
{
	char *s, *t;
	size_t len;

	if (xt_xml_serialize(n, NULL, &s, &len) < 0)
		abort();
	t = fmt("%s\n", s);
	free(s);
	return t;
}

static void
test_companion(void)
{
	char *p = NULL;

	is_int(xt_keystore_companion("tmp/dir/my.key", ".pub", &p), XT_OK,
	    "companion of my.key");
	is_str(p, "tmp/dir/my.pub", "companion: .key replaced by .pub");
	free(p);
	xt_keystore_companion("tmp/dir/my.key", ".rev", &p);
	is_str(p, "tmp/dir/my.rev", "companion: .key replaced by .rev");
	free(p);
	xt_keystore_companion("tmp/dir/mykey", ".pub", &p);
	is_str(p, "tmp/dir/mykey.pub", "companion: no .key suffix, appended");
	free(p);
	xt_keystore_companion("tmp/dir/my.pem", ".rev", &p);
	is_str(p, "tmp/dir/my.pem.rev", "companion: another suffix stays");
	free(p);
	xt_keystore_companion("tmp/dir/.key", ".pub", &p);
	is_str(p, "tmp/dir/.key.pub", "companion: a file named .key");
	free(p);
	is_int(xt_keystore_companion("my.key", ".txt", &p), XT_EINVAL,
	    "companion: only .pub and .rev");
}

/*
 * Save and check the three files: named from keypath, 0600, holding what
 * was given.
 */
static void
check_saved(const struct fixture *f, const char *keypath, const char *what)
{
	char *pub = NULL, *rev = NULL, *text, *want;
	size_t len = 0;
	int same;

	xt_keystore_companion(keypath, ".pub", &pub);
	xt_keystore_companion(keypath, ".rev", &rev);
	ok(mode_of(keypath) == 0600 && mode_of(pub) == 0600 &&
	    mode_of(rev) == 0600, "%s: three files, 0600", what);
	text = slurp(keypath, &len);
	same = text != NULL && len == f->pemlen &&
	    memcmp(text, f->pem, len) == 0;
	ok(same, "%s: the key file holds the pem", what);
	free(text);
	text = slurp(pub, NULL);
	want = stored_text(f->pub);
	is_str(text, want, "the .pub holds the <pubkey/> and a newline");
	free(text);
	free(want);
	text = slurp(rev, NULL);
	want = stored_text(f->revn);
	is_str(text, want, "the .rev holds the revocation and a newline");
	free(text);
	free(want);
	free(pub);
	free(rev);
}

/* Make the .key write fail after the .pub and .rev writes succeeded. */
static void
put_old(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF)
		abort();
	chmod(path, 0600);
}

static int
same_text(const char *path, const char *text)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, text) == 0;
}

/* Only k.key, k.pub and k.rev in the key's directory. */
static int
no_new_files(const char *keypath)
{
	char dir[1024], *slash;
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s", keypath);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	*slash = '\0';
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n == 3;
}

static void
test_cleanup(const struct fixture *f)
{
	struct xt_error e = { 0, "" };
	struct rlimit old, rl;
	char *rt, *pt, *kp, *pp, *rp;
	size_t big;

	rt = stored_text(f->revn);
	pt = stored_text(f->pub);
	big = strlen(rt) > strlen(pt) ? strlen(rt) : strlen(pt);
	if (big + 16 >= f->pemlen) {
		ok(1, "# SKIP the pem is not larger than the elements");
		goto out;
	}
	kp = tpath("limited/k.key");
	xt_keystore_companion(kp, ".pub", &pp);
	xt_keystore_companion(kp, ".rev", &rp);
	/* Files over the limit fail with EFBIG, not by a signal. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	rl = old;
	rl.rlim_cur = big + 8;
	setrlimit(RLIMIT_FSIZE, &rl);
	ok(xt_keystore_save(kp, f->pem, f->pemlen, f->pub, f->revn, 0, NULL,
	    &e) < 0, "save: the key write fails (%s)", e.msg);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	ok(!exists(kp) && !exists(pp) && !exists(rp),
	    "save: what was written before the failure is removed");

	/* With force, the old three survive a failed replacement whole. */
	put_old(kp, "old key\n");
	put_old(pp, "old pub\n");
	put_old(rp, "old rev\n");
	getrlimit(RLIMIT_FSIZE, &old);
	setrlimit(RLIMIT_FSIZE, &rl);
	signal(SIGXFSZ, SIG_IGN);
	ok(xt_keystore_save(kp, f->pem, f->pemlen, f->pub, f->revn, 1, NULL,
	    &e) < 0, "forced save: the key write fails (%s)", e.msg);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	ok(same_text(kp, "old key\n") && same_text(pp, "old pub\n") &&
	    same_text(rp, "old rev\n"),
	    "forced save that failed: the old key, .pub and .rev unchanged");
	ok(no_new_files(kp), "and nothing else left beside them");
	free(kp);
	free(pp);
	free(rp);
out:
	free(rt);
	free(pt);
}

static void
test_save(struct fixture *alice, struct fixture *carol)
{
	struct xt_error e = { 0, "" };
	struct stat st1, st2;
	unsigned char *spki;
	size_t len;
	char keyid[65], *kp = NULL, *kp2 = NULL, *want, *pub, *rev, *target,
	    *before, *after, *text;
	struct xt_node *forged, *b;

	/* The key store names the files by the hex SHA-256 of the SPKI. */
	if (xt_key_spki(alice->key, &spki, &len) < 0)
		abort();
	xt_sha256_hex(spki, len, keyid);
	free(spki);
	is_str(alice->pk.keyid, keyid, "keyid is the SHA-256 of the SPKI");
	is_int(xt_keystore_save(NULL, alice->pem, alice->pemlen, alice->pub,
	    alice->revn, 0, &kp, &e), XT_OK, "save to the key store");
	want = fmt("%s/data/xmpp-tools/keys/%s.key", tmp, keyid);
	is_str(kp, want, "named KEYID.key in the key store");
	free(want);
	check_saved(alice, kp, "key store");
	xt_keystore_companion(kp, ".pub", &pub);
	xt_keystore_companion(kp, ".rev", &rev);

	before = slurp(pub, NULL);
	lstat(kp, &st1);
	is_int(xt_keystore_save(NULL, carol->pem, carol->pemlen, alice->pub,
	    alice->revn, 0, &kp2, &e), XT_EEXIST, "save again: refused");
	ok(strstr(e.msg, keyid) != NULL, "naming the file: %s", e.msg);
	ok(kp2 == NULL, "no key path on failure");
	lstat(kp, &st2);
	after = slurp(pub, NULL);
	ok(st1.st_ino == st2.st_ino && before != NULL && after != NULL &&
	    strcmp(before, after) == 0, "save again: files unchanged");
	check_saved(alice, kp, "after the refused save");
	free(before);
	free(after);
	is_int(xt_keystore_save(NULL, alice->pem, alice->pemlen, alice->pub,
	    alice->revn, 1, &kp2, &e), XT_OK, "save again with force");
	is_str(kp2, kp, "the same name");
	check_saved(alice, kp, "forced");
	free(kp2);
	kp2 = NULL;

	/* A symlink at the .rev name: refused, nothing written. */
	kp2 = tpath("out/sym.key");
	target = tpath("out/target");
	text = tpath("out");
	mkdir(text, 0700);
	free(text);
	free(pub);
	free(rev);
	xt_keystore_companion(kp2, ".pub", &pub);
	xt_keystore_companion(kp2, ".rev", &rev);
	if (symlink(target, rev) < 0)
		abort();
	is_int(xt_keystore_save(kp2, alice->pem, alice->pemlen, alice->pub,
	    alice->revn, 0, NULL, &e), XT_EEXIST, "a symlink at .rev: refused");
	is_int(xt_keystore_save(kp2, alice->pem, alice->pemlen, alice->pub,
	    alice->revn, 1, NULL, &e), XT_EEXIST,
	    "a symlink at .rev: refused under force too");
	ok(!exists(kp2) && !exists(pub) && !exists(target),
	    "nothing written, the target untouched");
	unlink(rev);
	free(kp2);
	free(pub);
	free(rev);
	free(target);

	/* -o style: any path, parents made, companions beside it. */
	kp2 = tpath("o/dir/my.key");
	is_int(xt_keystore_save(kp2, alice->pem, alice->pemlen, alice->pub,
	    alice->revn, 0, &want, &e), XT_OK, "save to a named file");
	is_str(want, kp2, "its key path");
	free(want);
	check_saved(alice, kp2, "my.key");
	want = tpath("o/dir/my.pub");
	ok(exists(want), "my.pub beside my.key");
	free(want);
	free(kp2);
	kp2 = tpath("o/dir/mykey");
	is_int(xt_keystore_save(kp2, alice->pem, alice->pemlen, alice->pub,
	    alice->revn, 0, NULL, &e), XT_OK, "save to a name without .key");
	want = tpath("o/dir/mykey.pub");
	ok(exists(want), "mykey.pub beside mykey");
	free(want);
	want = tpath("o/dir/mykey.rev");
	ok(exists(want), "mykey.rev beside mykey");
	free(want);

	/* Only the key file is there: the companions are not written. */
	free(kp2);
	kp2 = tpath("o/dir/pre.key");
	put_file(kp2, "old\n", 0600);
	is_int(xt_keystore_save(kp2, alice->pem, alice->pemlen, alice->pub,
	    alice->revn, 0, NULL, &e), XT_EEXIST,
	    "an existing key file: refused");
	text = slurp(kp2, NULL);
	is_str(text, "old\n", "the key file unchanged");
	free(text);
	want = tpath("o/dir/pre.pub");
	text = tpath("o/dir/pre.rev");
	ok(!exists(want) && !exists(text), "no companions left");
	free(want);
	free(text);

	/* What is stored together must belong together. */
	free(kp2);
	kp2 = tpath("o/mixed.key");
	is_int(xt_keystore_save(kp2, alice->pem, alice->pemlen, alice->pub,
	    carol->revn, 0, NULL, &e), XT_EINVAL,
	    "a revocation of another key refused");
	ok(!exists(kp2), "and nothing written");
	forged = xt_node_copy(alice->pub);
	b = xt_node_child(forged, "begin", NULL);
	while (b->children != NULL)
		xt_node_free(b->children);
	xt_node_add_text(b, "2001-01-01T00:00:00Z", 20);
	is_int(xt_keystore_save(kp2, alice->pem, alice->pemlen, forged,
	    alice->revn, 0, NULL, &e), XT_EBADSIG,
	    "a <pubkey/> whose print does not match refused");
	ok(!exists(kp2), "and nothing written");
	xt_node_free(forged);
	free(kp2);
	free(kp);
}

/* Store key f and return its key path. */
static char *
store(struct fixture *f)
{
	struct xt_error e = { 0, "" };
	char *kp;

	if (xt_keystore_save(NULL, f->pem, f->pemlen, f->pub, f->revn, 0, &kp,
	    &e) < 0) {
		printf("Bail out! save: %s\n", e.msg);
		exit(1);
	}
	return kp;
}

static void
test_find(struct fixture *alice)
{
	struct xt_error e = { 0, "" };
	struct fixture early, late, newer;
	struct xt_pubkey pk;
	char *kp = NULL, *alicep, *earlyp, *latep, *newerp, *moved, *pub,
	    *text, upper[65];
	int64_t day = 86400;
	size_t i;

	alicep = fmt("%s/data/xmpp-tools/keys/%s.key", tmp, alice->pk.keyid);
	is_int(xt_keystore_find(alice->pk.keyid, NULL, &kp, &e), XT_OK,
	    "find by keyid");
	is_str(kp, alicep, "the key file");
	free(kp);
	snprintf(upper, sizeof(upper), "%s", alice->pk.keyid);
	for (i = 0; upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] -= 'a' - 'A';
	is_int(xt_keystore_find(upper, NULL, &kp, &e), XT_EINVAL,
	    "find by an uppercase keyid: refused");
	is_int(xt_keystore_find("abc", NULL, &kp, &e), XT_EINVAL,
	    "find by a short keyid: refused");
	is_int(xt_keystore_find(ID_A, NULL, &kp, &e), XT_ENOTFOUND,
	    "find by an unknown keyid");
	ok(strstr(e.msg, ID_A) != NULL, "naming it: %s", e.msg);
	is_int(xt_keystore_find(NULL, NULL, &kp, &e), XT_EINVAL,
	    "find by nothing: refused");
	is_int(xt_keystore_find(ID_A, "alice@example.org", &kp, &e), XT_EINVAL,
	    "find by both: refused");

	is_int(xt_keystore_find(NULL, "alice@example.org", &kp, &e), XT_OK,
	    "find by jid");
	is_str(kp, alicep, "alice's key");
	free(kp);
	is_int(xt_keystore_find(NULL, "Alice@EXAMPLE.org", &kp, &e), XT_OK,
	    "find by the unprepared jid");
	is_str(kp, alicep, "alice's key again");
	free(kp);
	is_int(xt_keystore_find(NULL, "bob@example.org", &kp, &e),
	    XT_ENOTFOUND, "find for a jid without keys");
	is_int(xt_keystore_find(NULL, "alice@example.org/x", &kp, &e),
	    XT_EINVAL, "find for a full jid: refused");

	/* Later begins than alice's key, but not valid now. */
	fixture(&early, "carol", "alice@example.org", now + day,
	    now + 2 * day);
	fixture(&late, "mallory", "alice@example.org", now - 10 * day,
	    now - day);
	earlyp = store(&early);
	latep = store(&late);
	/* Junk in the store is skipped, not fatal. */
	text = tpath("data/xmpp-tools/keys/junk.pub");
	put_file(text, "<pubkey xmlns='urn:xmpp:pubkey:1'>", 0600);
	free(text);
	text = tpath("data/xmpp-tools/keys/junk.key");
	put_file(text, "junk", 0600);
	free(text);
	is_int(xt_keystore_find(NULL, "alice@example.org", &kp, &e), XT_OK,
	    "find by jid with keys not yet valid and expired");
	is_str(kp, alicep, "neither is chosen");
	free(kp);

	/* A valid key with a later begin wins. */
	unlink(latep);
	xt_keystore_companion(latep, ".pub", &pub);
	unlink(pub);
	free(pub);
	xt_keystore_companion(latep, ".rev", &pub);
	unlink(pub);
	free(pub);
	fixture(&newer, "mallory", "alice@example.org", now - 60,
	    now + 30 * day);
	newerp = store(&newer);
	is_int(xt_keystore_find(NULL, "alice@example.org", &kp, &e), XT_OK,
	    "find by jid with two valid keys");
	is_str(kp, newerp, "the later begin wins");
	free(kp);

	/* A .pub whose key file is gone is no candidate. */
	moved = fmt("%s.moved", newerp);
	if (rename(newerp, moved) < 0)
		abort();
	is_int(xt_keystore_find(NULL, "alice@example.org", &kp, &e), XT_OK,
	    "find by jid, the newer key file moved away");
	is_str(kp, alicep, "back to the older key");
	free(kp);
	rename(moved, newerp);
	free(moved);

	/* A forged .pub (begin changed, print kept) is skipped. */
	xt_keystore_companion(newerp, ".pub", &pub);
	text = slurp(pub, NULL);
	{
		char tbuf[32], *at;

		xt_time_format(newer.pk.begin_t, tbuf, sizeof(tbuf));
		at = strstr(text, tbuf);
		if (at == NULL)
			abort();
		/* One second later: still valid, the later begin. */
		xt_time_format(newer.pk.begin_t + 1, tbuf, sizeof(tbuf));
		memcpy(at, tbuf, strlen(tbuf));
	}
	put_file(pub, text, 0600);
	free(text);
	is_int(xt_keystore_find(NULL, "alice@example.org", &kp, &e), XT_OK,
	    "find by jid with a forged .pub");
	is_str(kp, alicep, "the forged one is skipped");
	free(kp);

	/* The stored <pubkey/> beside a key file. */
	is_int(xt_keystore_pub(alicep, &pk, &e), XT_OK, "read alice's .pub");
	is_str(pk.keyid, alice->pk.keyid, "its keyid");
	is_str(pk.jid, "alice@example.org", "its jid");
	is_int(pk.rule, XT_PRINT_CURRENT, "its print checked");
	xt_pubkey_clear(&pk);
	is_int(xt_keystore_pub(newerp, &pk, &e), XT_EBADSIG,
	    "the forged .pub: bad print");
	text = tpath("nowhere.key");
	is_int(xt_keystore_pub(text, &pk, &e), XT_ENOTFOUND,
	    "no .pub: not found");
	ok(strstr(e.msg, "nowhere.pub") != NULL, "naming it: %s", e.msg);
	free(text);

	free(pub);
	free(alicep);
	free(earlyp);
	free(latep);
	free(newerp);
	fixture_free(&early);
	fixture_free(&late);
	fixture_free(&newer);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* The records of xmpp-publish and the list of xmpp-keygen --list. */
static void
test_marks(struct fixture *alice)
{
	struct xt_error e = { 0, "" };
	struct xt_ownkeys ks;
	char *pubp, *rec, *text, *link;
	size_t i, len;
	int found = 0;

	pubp = fmt("%s/data/xmpp-tools/keys/%s.published", tmp,
	    alice->pk.keyid);
	is_int(xt_keystore_mark(ID_A, XT_MARK_PUBLISHED, now, &e),
	    XT_ENOTFOUND, "mark: a key not in the store is not recorded");
	is_int(xt_keystore_mark("abc", XT_MARK_PUBLISHED, now, &e), XT_EINVAL,
	    "mark: not a keyid");
	is_int(xt_keystore_mark(alice->pk.keyid, XT_MARK_PUBLISHED,
	    1767225600, &e), XT_OK, "mark: published");
	rec = slurp(pubp, &len);
	is_str(rec, "2026-01-01T00:00:00Z\n", "the record holds the time");
	free(rec);
	is_int(mode_of(pubp), 0600, "the record is 0600");
	is_int(xt_keystore_mark(alice->pk.keyid, XT_MARK_PUBLISHED,
	    1767225601, &e), XT_OK, "mark again: replaced");
	rec = slurp(pubp, &len);
	is_str(rec, "2026-01-01T00:00:01Z\n", "with the new time");
	free(rec);
	is_int(xt_keystore_list(&ks, &e), XT_OK, "list");
	for (i = 0; i < ks.n; i++)
		if (strcmp(ks.keys[i].pk.keyid, alice->pk.keyid) == 0)
			found = ks.keys[i].published && !ks.keys[i].revoked;
	ok(found, "list: alice's key published, not revoked");
	for (i = 1; i < ks.n; i++)
		ok(strcmp(ks.keys[i - 1].pk.jid, ks.keys[i].pk.jid) < 0 ||
		    (strcmp(ks.keys[i - 1].pk.jid, ks.keys[i].pk.jid) == 0 &&
		    ks.keys[i - 1].pk.begin_t <= ks.keys[i].pk.begin_t),
		    "list: sorted, %zu before %zu", i - 1, i);
	xt_ownkeys_clear(&ks);
	is_int(xt_keystore_unmark(alice->pk.keyid, XT_MARK_PUBLISHED, &e),
	    XT_OK, "unmark");
	ok(!exists(pubp), "the record is gone");
	is_int(xt_keystore_unmark(alice->pk.keyid, XT_MARK_PUBLISHED, &e),
	    XT_OK, "unmark with no record: fine");
	/* A planted link: refused, its target untouched. */
	text = tpath("target");
	put_file(text, "precious\n", 0644);
	link = fmt("%s/data/xmpp-tools/keys/%s.revoked", tmp,
	    alice->pk.keyid);
	if (symlink(text, link) < 0)
		abort();
	is_int(xt_keystore_mark(alice->pk.keyid, XT_MARK_REVOKED, now, &e),
	    XT_EEXIST, "mark through a symbolic link: refused");
	rec = slurp(text, &len);
	is_str(rec, "precious\n", "its target untouched");
	free(rec);
	is_int(xt_keystore_list(&ks, &e), XT_OK, "list");
	for (i = 0; i < ks.n; i++)
		if (strcmp(ks.keys[i].pk.keyid, alice->pk.keyid) == 0)
			ok(!ks.keys[i].revoked, "list: a link is no record");
	xt_ownkeys_clear(&ks);
	unlink(link);
	free(link);
	free(text);
	free(pubp);
}

int
main(void)
{
	struct xt_error e = { 0, "" };
	struct fixture alice, carol;
	char *data;

	if (xt_init(&e) < 0 || mkdtemp(tmp) == NULL) {
		printf("Bail out! init: %s\n", e.msg);
		return 1;
	}
	data = tpath("data");
	setenv("XDG_DATA_HOME", data, 1);
	free(data);
	now = time(NULL);

	test_pins();
	test_companion();
	fixture(&alice, "alice", "alice@example.org", now - 30 * 86400,
	    now + 365 * 86400);
	fixture(&carol, "carol", "carol@example.net", now - 86400,
	    now + 365 * 86400);
	test_save(&alice, &carol);
	test_cleanup(&alice);
	test_find(&alice);
	test_marks(&alice);
	fixture_free(&alice);
	fixture_free(&carol);
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done();
}
