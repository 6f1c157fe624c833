/*
 * keyring.c: where keys live on disk (DESIGN.md 4). The key store holds
 * our own keys, each as KEYID.key (PKCS#8 PEM) with KEYID.pub (its
 * <pubkey/>), KEYID.rev (a revocation made in advance) and the records of
 * what xmpp-publish saw a server accept, KEYID.published and
 * KEYID.revoked; the keyring holds pins, the keyids we accept for other people's JIDs, one file per
 * bare JID. Every file is written whole or not at all (xt_file_write).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xt.h"

#define PUB_MAX		65536		/* bytes of a stored <pubkey/> */
#define PINS_MAX	(1024 * 1024)	/* bytes of one pin file */

/* Is s 64 lowercase hex digits, as a keyid? */
static int
is_keyid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f'))
			return 0;
	return i == 64;
}

/* dir "/" name, owned; NULL on ENOMEM. */
static char *
path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p;

	if ((p = malloc(dl + nl + 2)) == NULL)
		return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	return p;
}

int
xt_keystore_companion(const char *keypath, const char *suffix, char **out)
{
	size_t len, keep;
	char *p;

	*out = NULL;
	if (keypath == NULL || suffix == NULL || (strcmp(suffix, ".pub") != 0 &&
	    strcmp(suffix, ".rev") != 0))
		return XT_EINVAL;
	len = keep = strlen(keypath);
	/* "dir/.key" is a hidden file named ".key", not an empty stem. */
	if (len > 4 && strcmp(keypath + len - 4, ".key") == 0 &&
	    keypath[len - 5] != '/')
		keep = len - 4;
	if ((p = malloc(keep + 5)) == NULL)
		return XT_ENOMEM;
	memcpy(p, keypath, keep);
	memcpy(p + keep, suffix, 5);
	*out = p;
	return XT_OK;
}

/* ------------------------------------------------------------ key store */

/*
 * Serialize n as a file's content: the element and a newline. *out owned.
 */
static int
element_text(const struct xt_node *n, char **out, size_t *outlen)
{
	char *s, *t;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = xt_xml_serialize(n, NULL, &s, &len)) < 0)
		return rc;
	if ((t = realloc(s, len + 2)) == NULL) {
		free(s);
		return XT_ENOMEM;
	}
	t[len] = '\n';
	t[len + 1] = '\0';
	*out = t;
	*outlen = len + 1;
	return XT_OK;
}

/*
 * The keyid of the <pubkey/> pub, after checking that it is one with a
 * good print and that rev is a revocation of that same key: a mismatched
 * pair stored together would mislead whoever uses them later.
 */
static int
check_pair(const struct xt_node *pub, const struct xt_node *rev,
    char keyid[65], struct xt_error *e)
{
	struct xt_pubkey pk;
	struct xt_revocation r;
	int rc;

	memset(&pk, 0, sizeof(pk));
	memset(&r, 0, sizeof(r));
	if ((rc = xt_pubkey_parse(pub, &pk, e)) < 0 ||
	    (rc = xt_pubkey_verify(&pk, e)) < 0 ||
	    (rc = xt_revocation_parse(rev, &r, e)) < 0)
		goto out;
	if (strcmp(r.keyid, pk.keyid) != 0)
		rc = xt_error_set(e, XT_EINVAL, "the revocation is for "
		    "another key than the <pubkey/>");
	else
		memcpy(keyid, pk.keyid, 65);
out:
	xt_pubkey_clear(&pk);
	xt_revocation_clear(&r);
	return rc;
}

/*
 * May path be written? A symlink is refused even with force: its target
 * is never written.
 */
static int
check_free(const char *path, int force, struct xt_error *e)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return XT_OK;
		return xt_error_set(e, XT_ESYS, "%s: %s", path,
		    strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return xt_error_set(e, XT_EEXIST, "%s: a symbolic link; "
		    "refusing to write through it", path);
	if (!force)
		return xt_error_set(e, XT_EEXIST, "%s: file exists", path);
	if (!S_ISREG(st.st_mode))
		return xt_error_set(e, XT_EEXIST, "%s: not a regular file",
		    path);
	return XT_OK;
}

/* The key file's name: path, or KEYID.key in the key store. */
static int
key_path(const char *path, const char *keyid, char **out,
    struct xt_error *e)
{
	char name[70], *dir;
	int rc;

	*out = NULL;
	if (path != NULL) {
		if (*path == '\0')
			return xt_error_set(e, XT_EINVAL,
			    "empty key file name");
		*out = strdup(path);
	} else {
		if ((rc = xt_data_dir("keys", 1, &dir, e)) < 0)
			return rc;
		snprintf(name, sizeof(name), "%s.key", keyid);
		*out = path_join(dir, name);
		free(dir);
	}
	return *out != NULL ? XT_OK : xt_error_set(e, XT_ENOMEM,
	    "out of memory");
}

/*
 * Replacing a set (--force) leaves, while it runs, FILE.xt-old (the old
 * key, moved aside, never a copy) and FILE.pub.xt-new, FILE.rev.xt-new
 * (the new public halves). The new key is written unnamed and linked to
 * FILE only: that link is the commit. A run killed on the way is finished
 * or undone by the next one that touches the set, here.
 */
#define OLD_SUFFIX	".xt-old"
#define NEW_SUFFIX	".xt-new"

static char *
suffixed(const char *path, const char *suffix)
{
	size_t n = strlen(path) + strlen(suffix) + 1;
	char *p;

	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s%s", path, suffix);
	return p;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int
xt_keystore_recover(const char *keypath, struct xt_error *e)
{
	char *old = NULL, *pub = NULL, *rev = NULL, *np = NULL, *nr = NULL;
	char *dir, *slash;
	int rc = XT_OK, forward;

	if ((old = suffixed(keypath, OLD_SUFFIX)) == NULL ||
	    xt_keystore_companion(keypath, ".pub", &pub) < 0 ||
	    xt_keystore_companion(keypath, ".rev", &rev) < 0 ||
	    (np = suffixed(pub, NEW_SUFFIX)) == NULL ||
	    (nr = suffixed(rev, NEW_SUFFIX)) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	if (!exists(old) && !exists(np) && !exists(nr))
		goto out;
	/* Committed: the new key has its name. Else the old one goes back. */
	forward = exists(old) && exists(keypath);
	if (forward) {
		if ((exists(np) && rename(np, pub) < 0) ||
		    (exists(nr) && rename(nr, rev) < 0) || unlink(old) < 0)
			rc = xt_error_set(e, XT_ESYS, "%s: finishing an "
			    "interrupted replacement: %s", keypath,
			    strerror(errno));
	} else {
		if ((exists(old) && rename(old, keypath) < 0) ||
		    (exists(np) && unlink(np) < 0) ||
		    (exists(nr) && unlink(nr) < 0))
			rc = xt_error_set(e, XT_ESYS, "%s: undoing an "
			    "interrupted replacement: %s", keypath,
			    strerror(errno));
	}
	if ((dir = strdup(keypath)) != NULL) {
		slash = strrchr(dir, '/');
		if (slash != NULL)
			slash[slash == dir] = '\0';
		xt_file_sync_dir(slash != NULL ? dir : ".");
		free(dir);
	}
out:
	free(old);
	free(pub);
	free(rev);
	free(np);
	free(nr);
	return rc;
}

int
xt_keystore_save(const char *path, const char *pem, size_t pemlen,
    const struct xt_node *pub, const struct xt_node *rev, int force,
    char **keypath, struct xt_error *e)
{
	/* In the order written: revocation, public element, key last. */
	char *p[3] = { NULL, NULL, NULL }, *text[2] = { NULL, NULL };
	char *dst[3] = { NULL, NULL, NULL }, *old = NULL;
	size_t len[2];
	char keyid[65];
	int written[2] = { 0, 0 }, rc, i, held = 0, aside = 0, replace;
	sigset_t hold, saved;

	if (keypath != NULL)
		*keypath = NULL;
	if (pem == NULL || pemlen == 0 || pub == NULL || rev == NULL)
		return xt_error_set(e, XT_EINVAL, "nothing to store");
	if ((rc = check_pair(pub, rev, keyid, e)) < 0)
		return rc;
	if ((rc = key_path(path, keyid, &p[2], e)) < 0)
		goto out;
	if (xt_keystore_companion(p[2], ".rev", &p[0]) < 0 ||
	    xt_keystore_companion(p[2], ".pub", &p[1]) < 0 ||
	    element_text(rev, &text[0], &len[0]) < 0 ||
	    element_text(pub, &text[1], &len[1]) < 0 ||
	    (old = suffixed(p[2], OLD_SUFFIX)) == NULL ||
	    (dst[0] = suffixed(p[0], NEW_SUFFIX)) == NULL ||
	    (dst[1] = suffixed(p[1], NEW_SUFFIX)) == NULL ||
	    (dst[2] = strdup(p[2])) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	/* What an earlier run left half done is settled first. */
	if (force && (rc = xt_keystore_recover(p[2], e)) < 0)
		goto out;
	/* All three names are checked before anything is written. */
	for (i = 0; i < 3; i++)
		if ((rc = check_free(p[i], force, e)) < 0)
			goto out;
	/* Without a key file, the halves left are replaced one by one. */
	replace = force && exists(p[2]);
	if (!replace)
		for (i = 0; i < 2; i++) {
			free(dst[i]);
			if ((dst[i] = strdup(p[i])) == NULL) {
				rc = xt_error_set(e, XT_ENOMEM, "out of "
				    "memory");
				goto out;
			}
		}
	/*
	 * The three go together: a signal that would end the process waits
	 * until all are written (or all removed). SIGKILL can stop a new set
	 * half written, which the next run removes, or a replacement half
	 * done, which the next run finishes or undoes (xt_keystore_recover).
	 */
	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGQUIT);
	sigprocmask(SIG_BLOCK, &hold, &saved);
	held = 1;
	for (i = 0; i < 2; i++) {
		if ((rc = xt_file_write(dst[i], text[i], len[i], XT_WRITE_MKDIR |
		    (force && !replace ? XT_WRITE_FORCE : 0), e)) < 0)
			goto out;
		written[i] = 1;
	}
	/* The old key aside, then the new one, unnamed until its name. */
	if (replace && exists(p[2])) {
		if (rename(p[2], old) < 0) {
			rc = xt_error_set(e, XT_ESYS, "%s: %s", p[2],
			    strerror(errno));
			goto out;
		}
		aside = 1;
	}
	if ((rc = xt_file_write(dst[2], pem, pemlen, XT_WRITE_MKDIR, e)) < 0)
		goto out;
	/* Committed: from here the set is finished, now or by the next run. */
	written[0] = written[1] = aside = 0;
	if (replace && (rc = xt_keystore_recover(p[2], e)) < 0)
		goto out;
	if (keypath != NULL) {
		*keypath = p[2];
		p[2] = NULL;
	}
out:
	/*
	 * A half-stored key is worse than none: remove what this call wrote
	 * and put the old key back. A file that existed is never touched.
	 */
	for (i = 0; rc < 0 && i < 2; i++)
		if (written[i])
			unlink(dst[i]);
	if (rc < 0 && aside)
		rename(old, p[2]);
	if (held)
		sigprocmask(SIG_SETMASK, &saved, NULL);
	for (i = 0; i < 3; i++) {
		free(p[i]);
		free(dst[i]);
	}
	free(old);
	free(text[0]);
	free(text[1]);
	return rc;
}

/*
 * Read a stored <pubkey/> file: exactly one element, parsed and its print
 * verified. pk is filled only on success.
 */
static int
read_pub(const char *path, struct xt_pubkey *pk, struct xt_error *e)
{
	struct xt_xml_limits lim = { 0 };
	struct xt_parser *p = NULL;
	struct xt_node *el = NULL, *more = NULL;
	struct xt_error pe = { 0, "" };
	char *buf = NULL;
	size_t len;
	int rc;

	memset(pk, 0, sizeof(*pk));
	if ((rc = xt_file_read(path, PUB_MAX, 0, &buf, &len, e)) < 0)
		return rc;
	lim.max_stanza = PUB_MAX;
	lim.max_total = PUB_MAX;
	if ((p = xt_parser_new(XT_PARSE_FRAGMENT, NULL, &lim)) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	/* A file is no peer: its bad XML is malformed input, as in input.c. */
	if ((rc = xt_parser_feed(p, buf, len, &pe)) < 0 ||
	    (rc = xt_parser_finish(p, &pe)) < 0) {
		rc = xt_error_set(e, rc == XT_ETOOBIG ? XT_ETOOBIG : XT_EINVAL,
		    "%s: %s", path, pe.msg[0] ?
		    pe.msg : xt_strerror(rc));
		goto out;
	}
	el = xt_parser_next(p);
	more = xt_parser_next(p);
	if (el == NULL || more != NULL) {
		rc = xt_error_set(e, XT_EINVAL, "%s: not one <pubkey/> "
		    "element", path);
		goto out;
	}
	if ((rc = xt_pubkey_parse(el, pk, &pe)) < 0 ||
	    (rc = xt_pubkey_verify(pk, &pe)) < 0) {
		xt_pubkey_clear(pk);
		rc = xt_error_set(e, rc, "%s: %s", path, pe.msg[0] ?
		    pe.msg : xt_strerror(rc));
	}
out:
	xt_node_free(el);
	xt_node_free(more);
	xt_parser_free(p);
	free(buf);
	return rc;
}

/* Is path a regular file (not followed if a symlink)? */
static int
is_file(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
find_by_keyid(const char *dir, const char *keyid, char **keypath,
    struct xt_error *e)
{
	char name[70], *p;

	if (!is_keyid(keyid))
		return xt_error_set(e, XT_EINVAL, "%s: not a keyid (64 "
		    "lowercase hex digits)", keyid);
	snprintf(name, sizeof(name), "%s.key", keyid);
	if ((p = path_join(dir, name)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if (!is_file(p)) {
		free(p);
		return xt_error_set(e, XT_ENOTFOUND, "no key %s in the key "
		    "store", keyid);
	}
	*keypath = p;
	return XT_OK;
}

/* Is the stored key named by the .pub file name a candidate for jid? */
static int
candidate(const char *dir, const char *name, const char *jid, time_t now,
    struct xt_pubkey *pk, char **keypath)
{
	size_t len = strlen(name);
	char *pubp, *keyp = NULL;
	int ok = 0;

	*keypath = NULL;
	if (len <= 4 || strcmp(name + len - 4, ".pub") != 0)
		return 0;
	if ((pubp = path_join(dir, name)) == NULL)
		return XT_ENOMEM;
	/* NAME.pub becomes NAME.key in place. */
	if ((keyp = strdup(pubp)) == NULL) {
		free(pubp);
		return XT_ENOMEM;
	}
	memcpy(keyp + strlen(keyp) - 4, ".key", 4);
	/* A file that does not parse is someone else's business: skip it. */
	if (is_file(pubp) && is_file(keyp) && read_pub(pubp, pk, NULL) == 0) {
		ok = xt_jid_streq(pk->jid, jid, 1) == 1 &&
		    xt_pubkey_when(pk, now) == 0;
		if (!ok)
			xt_pubkey_clear(pk);
	}
	free(pubp);
	if (ok)
		*keypath = keyp;
	else
		free(keyp);
	return ok;
}

/*
 * The newest valid key of jid: the latest begin, then the latest end,
 * then (for a result that does not depend on directory order) the
 * smallest file name.
 */
static int
find_by_jid(const char *dir, const char *jid, char **keypath,
    struct xt_error *e)
{
	struct xt_jid j;
	struct xt_pubkey pk, best;
	struct dirent *d;
	DIR *dp;
	char *p, *bestp = NULL;
	time_t now = time(NULL);
	int rc;

	if ((rc = xt_jid_parse(jid, &j, e)) < 0)
		return rc;
	rc = j.resource != NULL ? XT_EINVAL : XT_OK;
	xt_jid_free(&j);
	if (rc < 0)
		return xt_error_set(e, rc, "%s: not a bare jid", jid);
	memset(&best, 0, sizeof(best));
	if ((dp = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return xt_error_set(e, XT_ENOTFOUND, "no valid key for "
			    "%s in the key store", jid);
		return xt_error_set(e, XT_ESYS, "%s: %s", dir,
		    strerror(errno));
	}
	while ((d = readdir(dp)) != NULL) {
		if ((rc = candidate(dir, d->d_name, jid, now, &pk, &p)) < 0)
			break;
		if (rc == 0)
			continue;
		if (bestp == NULL || pk.begin_t > best.begin_t ||
		    (pk.begin_t == best.begin_t && (pk.end_t > best.end_t ||
		    (pk.end_t == best.end_t && strcmp(p, bestp) < 0)))) {
			xt_pubkey_clear(&best);
			free(bestp);
			best = pk;
			bestp = p;
		} else {
			xt_pubkey_clear(&pk);
			free(p);
		}
	}
	closedir(dp);
	xt_pubkey_clear(&best);
	if (rc < 0) {
		free(bestp);
		return xt_error_set(e, rc, "out of memory");
	}
	if (bestp == NULL)
		return xt_error_set(e, XT_ENOTFOUND, "no valid key for %s in "
		    "the key store", jid);
	*keypath = bestp;
	return XT_OK;
}

int
xt_keystore_find(const char *keyid, const char *jid, char **keypath,
    struct xt_error *e)
{
	char *dir;
	int rc;

	*keypath = NULL;
	if ((keyid == NULL) == (jid == NULL))
		return xt_error_set(e, XT_EINVAL, "find a key by keyid or by "
		    "jid, one of them");
	if ((rc = xt_data_dir("keys", 0, &dir, e)) < 0)
		return rc;
	if (keyid != NULL)
		rc = find_by_keyid(dir, keyid, keypath, e);
	else
		rc = find_by_jid(dir, jid, keypath, e);
	free(dir);
	return rc;
}

/*
 * The .pub beside a key file. That it belongs to the key cannot be told
 * without the private key (which may want a passphrase): a caller that
 * has the key open compares its SPKI with pk->spki.
 */
int
xt_keystore_pub(const char *keypath, struct xt_pubkey *pk,
    struct xt_error *e)
{
	struct stat st;
	char *p;
	int rc;

	memset(pk, 0, sizeof(*pk));
	if ((rc = xt_keystore_recover(keypath, e)) < 0)
		return rc;
	if (xt_keystore_companion(keypath, ".pub", &p) < 0)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if (lstat(p, &st) < 0 && errno == ENOENT)
		rc = xt_error_set(e, XT_ENOTFOUND, "%s: no such file; the "
		    "<pubkey/> of %s is not stored", p, keypath);
	else
		rc = read_pub(p, pk, e);
	free(p);
	return rc;
}

/* ------------------------------------------------------------ records */

/*
 * What xmpp-publish saw the server accept is recorded beside the key:
 * KEYID.published once a <pubkey/> of the key was published, KEYID.revoked
 * once a revocation of it was. Each holds the time, one line; the name is
 * the fact, the time is for people.
 */
static const char *
mark_suffix(enum xt_mark m)
{
	return m == XT_MARK_PUBLISHED ? ".published" : ".revoked";
}

/* dir/KEYID followed by suffix, owned; NULL on ENOMEM. */
static char *
store_path(const char *dir, const char *keyid, const char *suffix)
{
	char name[80];

	snprintf(name, sizeof(name), "%s%s", keyid, suffix);
	return path_join(dir, name);
}

int
xt_keystore_mark(const char *keyid, enum xt_mark m, int64_t t,
    struct xt_error *e)
{
	char *dir, *pub = NULL, *path = NULL, line[32];
	int rc;

	if (keyid == NULL || !is_keyid(keyid))
		return xt_error_set(e, XT_EINVAL, "not a keyid");
	if ((rc = xt_data_dir("keys", 0, &dir, e)) < 0)
		return rc;
	if ((pub = store_path(dir, keyid, ".pub")) == NULL ||
	    (path = store_path(dir, keyid, mark_suffix(m))) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	if (!is_file(pub)) {
		rc = xt_error_set(e, XT_ENOTFOUND, "no key %s in the key "
		    "store", keyid);
		goto out;
	}
	xt_time_format(t, line, sizeof(line) - 1);
	strcat(line, "\n");
	rc = xt_file_write(path, line, strlen(line), XT_WRITE_FORCE, e);
out:
	free(pub);
	free(path);
	free(dir);
	return rc;
}

int
xt_keystore_unmark(const char *keyid, enum xt_mark m, struct xt_error *e)
{
	char *dir, *path;
	int rc = XT_OK;

	if (keyid == NULL || !is_keyid(keyid))
		return xt_error_set(e, XT_EINVAL, "not a keyid");
	if ((rc = xt_data_dir("keys", 0, &dir, e)) < 0)
		return rc;
	if ((path = store_path(dir, keyid, mark_suffix(m))) == NULL)
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
	else if (unlink(path) < 0 && errno != ENOENT)
		rc = xt_error_set(e, XT_ESYS, "%s: %s", path,
		    strerror(errno));
	free(path);
	free(dir);
	return rc;
}

/* ------------------------------------------------------------ the list */

/* Is name "KEYID.pub"? */
static int
is_pub_name(const char *name)
{
	char id[65];

	if (strlen(name) != 68 || strcmp(name + 64, ".pub") != 0)
		return 0;
	memcpy(id, name, 64);
	id[64] = '\0';
	return is_keyid(id);
}

static int
add_bad(struct xt_ownkeys *ks, const struct xt_error *bad)
{
	struct xt_error *v;

	if ((v = reallocarray(ks->bad, ks->nbad + 1, sizeof(*v))) == NULL)
		return XT_ENOMEM;
	ks->bad = v;
	ks->bad[ks->nbad++] = *bad;
	return XT_OK;
}

/*
 * One KEYID.pub of the store: added to the keys, or to the bad files if
 * it cannot be read, is no <pubkey/> with a good print, or holds another
 * key than its name says.
 */
static int
list_one(struct xt_ownkeys *ks, const char *name)
{
	struct xt_error fe = { 0, "" };
	struct xt_ownkey *v, k;
	char *path, *mark;
	int rc;

	memset(&k, 0, sizeof(k));
	if ((path = path_join(ks->dir, name)) == NULL)
		return XT_ENOMEM;
	if ((rc = read_pub(path, &k.pk, &fe)) == XT_OK &&
	    strncmp(k.pk.keyid, name, 64) != 0)
		rc = xt_error_set(&fe, XT_EINVAL, "%s: holds the <pubkey/> of "
		    "another key, %s", path, k.pk.keyid);
	free(path);
	if (rc < 0) {
		xt_pubkey_clear(&k.pk);
		return add_bad(ks, &fe);
	}
	if ((mark = store_path(ks->dir, k.pk.keyid, ".published")) != NULL) {
		k.published = is_file(mark);
		free(mark);
		mark = store_path(ks->dir, k.pk.keyid, ".revoked");
	}
	if (mark == NULL || (v = reallocarray(ks->keys, ks->n + 1,
	    sizeof(*v))) == NULL) {
		free(mark);
		xt_pubkey_clear(&k.pk);
		return XT_ENOMEM;
	}
	k.revoked = is_file(mark);
	free(mark);
	ks->keys = v;
	ks->keys[ks->n++] = k;
	return XT_OK;
}

static int
cmp_key(const void *a, const void *b)
{
	const struct xt_pubkey *x = &((const struct xt_ownkey *)a)->pk;
	const struct xt_pubkey *y = &((const struct xt_ownkey *)b)->pk;
	int c;

	if ((c = strcmp(x->jid, y->jid)) != 0)
		return c;
	if (x->begin_t != y->begin_t)
		return x->begin_t < y->begin_t ? -1 : 1;
	if (x->end_t != y->end_t)
		return x->end_t < y->end_t ? -1 : 1;
	return strcmp(x->keyid, y->keyid);
}

static int
cmp_bad(const void *a, const void *b)
{
	return strcmp(((const struct xt_error *)a)->msg,
	    ((const struct xt_error *)b)->msg);
}

int
xt_keystore_list(struct xt_ownkeys *ks, struct xt_error *e)
{
	struct dirent *d;
	DIR *dp;
	int rc = XT_OK;

	memset(ks, 0, sizeof(*ks));
	if ((rc = xt_data_dir("keys", 0, &ks->dir, e)) < 0)
		return rc;
	if ((dp = opendir(ks->dir)) == NULL)
		return errno == ENOENT ? XT_OK : xt_error_set(e, XT_ESYS,
		    "%s: %s", ks->dir, strerror(errno));
	while (rc == XT_OK && (d = readdir(dp)) != NULL)
		if (is_pub_name(d->d_name))
			rc = list_one(ks, d->d_name);
	closedir(dp);
	if (rc < 0)
		return xt_error_set(e, rc, "out of memory");
	if (ks->n > 0)
		qsort(ks->keys, ks->n, sizeof(*ks->keys), cmp_key);
	if (ks->nbad > 0)
		qsort(ks->bad, ks->nbad, sizeof(*ks->bad), cmp_bad);
	return XT_OK;
}

void
xt_ownkeys_clear(struct xt_ownkeys *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		xt_pubkey_clear(&ks->keys[i].pk);
	free(ks->keys);
	free(ks->bad);
	free(ks->dir);
	memset(ks, 0, sizeof(*ks));
}

/* ------------------------------------------------------------ pins */

/*
 * The pin file of jid: dir (or the keyring directory) / the prepared bare
 * JID. Preparation makes ALICE@Example.ORG and alice@example.org one file.
 */
static int
pin_path(const char *dir, const char *jid, int create, char **out,
    struct xt_error *e)
{
	struct xt_jid j;
	char *bare, *d = NULL;
	int rc;

	*out = NULL;
	if (jid == NULL)
		return xt_error_set(e, XT_EINVAL, "no jid");
	if ((rc = xt_jid_parse(jid, &j, e)) < 0)
		return rc;
	if (j.resource != NULL) {
		xt_jid_free(&j);
		return xt_error_set(e, XT_EINVAL, "%s: pins are for a bare "
		    "jid", jid);
	}
	bare = xt_jid_bare(&j);
	xt_jid_free(&j);
	if (bare == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	/* Preparation excludes these; the file name must not depend on it. */
	if (*bare == '\0' || strcmp(bare, ".") == 0 ||
	    strcmp(bare, "..") == 0 || strchr(bare, '/') != NULL) {
		rc = xt_error_set(e, XT_EINVAL, "%s: not usable as a file "
		    "name", jid);
		goto out;
	}
	if (dir == NULL && (rc = xt_data_dir("keyring", create, &d, e)) < 0)
		goto out;
	if ((*out = path_join(dir != NULL ? dir : d, bare)) == NULL)
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
out:
	free(bare);
	free(d);
	return rc;
}

void
xt_keyring_free(char **ids, size_t n)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Split a pin file into keyids; any line that is not one is an error. */
static int
parse_pins(const char *path, char *buf, size_t len, char ***ids, size_t *n,
    struct xt_error *e)
{
	char **v, *line, *nl;
	size_t cnt = 0, i, k = 0;

	for (i = 0; i < len; i++)
		if (buf[i] == '\n')
			cnt++;
	if (len > 0 && buf[len - 1] != '\n')
		cnt++;		/* a last line without its newline */
	if ((v = calloc(cnt + 1, sizeof(*v))) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	for (line = buf; line < buf + len; line = nl + 1) {
		if ((nl = memchr(line, '\n', buf + len - line)) == NULL)
			nl = buf + len;
		*nl = '\0';
		/* strlen stops early at a NUL byte inside the line. */
		if (strlen(line) != (size_t)(nl - line) || !is_keyid(line)) {
			xt_keyring_free(v, k);
			return xt_error_set(e, XT_EINVAL, "%s: line %zu: not a "
			    "keyid (64 lowercase hex digits)", path, k + 1);
		}
		if ((v[k++] = strdup(line)) == NULL) {
			xt_keyring_free(v, k - 1);
			return xt_error_set(e, XT_ENOMEM, "out of memory");
		}
	}
	*ids = v;
	*n = k;
	return XT_OK;
}

int
xt_keyring_get(const char *dir, const char *jid, char ***ids, size_t *n,
    struct xt_error *e)
{
	struct stat st;
	char *path, *buf = NULL;
	size_t len;
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = pin_path(dir, jid, 0, &path, e)) < 0)
		return rc;
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		free(path);
		return XT_OK;
	}
	/* Whoever may write a pin file decides whose keys we trust. */
	if ((rc = xt_file_read(path, PINS_MAX, XT_FILE_TRUSTED, &buf, &len,
	    e)) == XT_OK)
		rc = parse_pins(path, buf, len, ids, n, e);
	free(buf);
	free(path);
	return rc;
}

int
xt_keyring_set(const char *dir, const char *jid, char *const *ids,
    size_t n, struct xt_error *e)
{
	char *path = NULL, *buf = NULL;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if (ids[i] == NULL || !is_keyid(ids[i]))
			return xt_error_set(e, XT_EINVAL, "%.80s: not a keyid "
			    "(64 lowercase hex digits)",
			    ids[i] != NULL ? ids[i] : "(null)");
	if (n > PINS_MAX / 65)
		return xt_error_set(e, XT_ETOOBIG, "over %d pins for one jid",
		    PINS_MAX / 65);
	if ((rc = pin_path(dir, jid, 1, &path, e)) < 0)
		return rc;
	if ((buf = malloc(n * 65 + 1)) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		memcpy(buf + i * 65, ids[i], 64);
		buf[i * 65 + 64] = '\n';
	}
	rc = xt_file_write(path, buf, n * 65, XT_WRITE_FORCE | XT_WRITE_MKDIR,
	    e);
out:
	free(buf);
	free(path);
	return rc;
}
