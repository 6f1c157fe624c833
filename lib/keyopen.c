/*
 * keyopen.c: open one of our own private keys the way every signing tool
 * names it (-k): a file, a keyid or a JID; ask for its passphrase only
 * when it has one.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

#define KEYFILE_MAX	16384	/* secure memory is scarce; RSA-4096 PEM is 3.3 KB */

static int
is_keyid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isdigit((unsigned char)s[i]) &&
		    (s[i] < 'a' || s[i] > 'f'))
			return 0;
	return i == 64;
}

int
xt_key_open(const char *spec, const char *passfile, struct xt_key **kp,
    char **keypath, struct xt_error *e)
{
	struct stat st;
	char *path = NULL, *pem = NULL, *pass = NULL, prompt[XT_ERRLEN];
	size_t len;
	int rc;

	*kp = NULL;
	if (keypath != NULL)
		*keypath = NULL;
	/*
	 * An existing file wins; then a keyid; then a JID (with an '@', so
	 * that a mistyped file name is reported as a missing file).
	 */
	if (strchr(spec, '/') != NULL || lstat(spec, &st) == 0 ||
	    (!is_keyid(spec) && strchr(spec, '@') == NULL)) {
		if ((path = strdup(spec)) == NULL)
			return xt_error_set(e, XT_ENOMEM, "out of memory");
	} else if ((rc = xt_keystore_find(is_keyid(spec) ? spec : NULL,
	    is_keyid(spec) ? NULL : spec, &path, e)) < 0)
		return rc;
	/* A replacement killed half way is settled before the key is read. */
	if ((rc = xt_keystore_recover(path, e)) < 0)
		goto out;
	if ((rc = xt_file_read(path, KEYFILE_MAX, XT_FILE_SECRET, &pem, &len,
	    e)) < 0)
		goto out;
	if (xt_key_pem_encrypted(pem, len)) {
		snprintf(prompt, sizeof(prompt), "passphrase for %s: ", path);
		if ((rc = xt_passphrase_read(passfile, prompt, 0, &pass,
		    e)) < 0) {
			xt_error_option(e, "--passphrase-file", passfile);
			goto out;
		}
	}
	if ((rc = xt_key_import(kp, pem, len, pass, e)) < 0) {
		char msg[XT_ERRLEN];

		snprintf(msg, sizeof(msg), "%s", e != NULL ? e->msg : "");
		xt_error_set(e, rc, "%s: %s", path, msg);
		goto out;
	}
	if (keypath != NULL) {
		*keypath = path;
		path = NULL;
	}
out:
	xt_free_secret(pem);
	xt_free_secret(pass);
	free(path);
	return rc;
}

int
xt_key_open_own(const char *spec, const char *jid, const char *passfile,
    struct xt_key **kp, char **keypath, struct xt_error *e)
{
	char *path;
	int rc;

	if (spec != NULL)
		return xt_key_open(spec, passfile, kp, keypath, e);
	/* By the account, in the key store only: never a file of that name. */
	*kp = NULL;
	if (keypath != NULL)
		*keypath = NULL;
	if ((rc = xt_keystore_find(NULL, jid, &path, e)) < 0)
		return rc;
	rc = xt_key_open(path, passfile, kp, keypath, e);
	free(path);
	return rc;
}

int
xt_keystore_create(const struct xt_keygen *g, struct xt_pubkey *pk,
    char **keypath, struct xt_error *e)
{
	struct xt_key *key = NULL;
	struct xt_revocation rev = { 0 };
	struct xt_node *pubnode = NULL, *revnode = NULL;
	unsigned char *spki = NULL;
	char *pem = NULL;
	size_t spkilen, pemlen;
	int rc;

	memset(pk, 0, sizeof(*pk));
	if ((rc = xt_key_generate(&key, g->bits, e)) < 0)
		goto out;
	if ((rc = xt_key_spki(key, &spki, &spkilen)) < 0 ||
	    (rc = xt_key_export(key, g->passphrase, &pem, &pemlen, e)) < 0) {
		xt_error_set(e, rc, "cannot export the new key");
		goto out;
	}
	/* The ready revocation is signed now, while the key is at hand. */
	if ((rc = xt_pubkey_make(pk, spki, spkilen, g->jid, g->begin, g->end,
	    g->uri, e)) < 0 ||
	    (rc = xt_revocation_make(&rev, pk, pk, key, g->now, e)) < 0)
		goto out;
	if ((pubnode = xt_pubkey_node(pk)) == NULL ||
	    (revnode = xt_revocation_node(&rev)) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	rc = xt_keystore_save(g->path, pem, pemlen, pubnode, revnode,
	    g->force, keypath, e);
out:
	if (rc < 0)
		xt_pubkey_clear(pk);
	xt_free_secret(pem);
	free(spki);
	xt_key_free(key);
	xt_revocation_clear(&rev);
	xt_node_free(pubnode);
	xt_node_free(revnode);
	return rc;
}
