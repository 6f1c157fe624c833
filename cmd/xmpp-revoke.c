/*
 * xmpp-revoke: sign an XEP-0189 revocation of a key, or check one.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xt.h"

static const struct option longopts[] = {
	{ "key",		required_argument,	NULL, 'k' },
	XT_SIGN_LONGOPTS,
	XT_CLI_LONGOPTS
};

static const char usage[] =
    "usage: xmpp-revoke [-v] [-k key] [--time time] "
    "[--passphrase-file file]\n"
    "                   [pubkey-file]\n"
    "       xmpp-revoke --verify [-v] [--signer pubkey-file] "
    "[revocation-file]\n";

/* -h: a line on each of its own options, as in the man page. */
static const char options[] =
    "-k, --key key\tsign with key (a file or a JID in the key store)\n"
    "--verify\tcheck a revocation instead of making one\n"
    "--signer pubkey-file\twith --verify: the key that signed it\n";
/* -h: the exit statuses, as in the man page, shortened. */
static const char exits[] =
    "0\tthe revocation was printed; with --verify, it is valid\n"
    "1\ta negative result: a print or revocation that does not verify, no "
    "key\n"
    "2\tusage or malformed input: option, time, element, key or file\n"
    "4\ta wrong passphrase\n";

static struct xt_cli cli = {
	.tool = "xmpp-revoke",
	.usage = usage,
	.options = options,
	.exits = exits,
	.sign = 1,
	.longopts = longopts,
	.note = warnx
};

static int
verify(const char *path, const char *signerfile)
{
	struct xt_error e = { 0, "" };
	struct xt_revocation r = { 0 };
	struct xt_pubkey signer = { 0 };
	struct xt_node *el;
	int rc;

	if ((signerfile != NULL && (rc = xt_cli_pubkey(&cli, signerfile,
	    &signer, &e)) < 0 && xt_error_option(&e, "--signer",
	    signerfile) < 0) || (rc = xt_input_one(path, XT_NS_REVOKE, "revocation", "revoke",
	    &el, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	if ((rc = xt_revocation_parse(el, &r, &e)) < 0)
		errx(xt_exit_status(rc), "%s: %s", path ? path : "stdin",
		    e.msg);
	if ((rc = xt_revocation_verify(&r, signerfile ? &signer : NULL,
	    &e)) < 0)
		errx(xt_exit_status(rc), "revocation of key %.16s: %s",
		    r.keyid, e.msg);
	if (cli.verbose)
		warnx("valid: key %s revoked at %s, signed by %s", r.keyid,
		    r.time, signerfile == NULL ? "the key itself" :
		    signer.jid);
	xt_node_free(el);
	xt_revocation_clear(&r);
	xt_pubkey_clear(&signer);
	return 0;
}

static int
sign(const char *path, const char *keyspec, const char *passfile,
    int64_t t)
{
	struct xt_error e = { 0, "" };
	struct xt_pubkey pk = { 0 }, other = { 0 }, *signer = &pk;
	struct xt_revocation r = { 0 };
	struct xt_key *key;
	struct xt_node *el;
	unsigned char *spki;
	char *keypath, *s;
	size_t spkilen, len;
	int rc;

	/*
	 * Nothing given and a terminal on stdin: with -k, the stored key
	 * revokes itself; without, say what to give rather than wait.
	 */
	if (path == NULL && isatty(STDIN_FILENO)) {
		if (keyspec == NULL)
			errx(2, "stdin is a terminal: give the <pubkey/> to "
			    "revoke as a file, or -k KEYID for a key of the "
			    "key store");
		if ((rc = xt_key_open(keyspec, passfile, &key, &keypath,
		    &e)) < 0 && xt_error_option(&e, "-k", keyspec) < 0)
			errx(xt_exit_status(rc), "%s", e.msg);
		if ((rc = xt_keystore_pub(keypath, &pk, &e)) < 0)
			errx(xt_exit_status(rc), "%s", e.msg);
	} else if ((rc = xt_cli_pubkey(&cli, path, &pk, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	/* By default the key revokes itself: find it by its id. */
	else if ((rc = xt_key_open(keyspec ? keyspec : pk.keyid, passfile,
	    &key, &keypath, &e)) < 0) {
		if (rc == XT_ENOTFOUND && keyspec == NULL)
			errx(1, "no private key %s in the key store; name the "
			    "signing key with -k", pk.keyid);
		xt_error_option(&e, "-k", keyspec);
		errx(xt_exit_status(rc), "%s", e.msg);
	}
	if (xt_key_spki(key, &spki, &spkilen) < 0)
		errx(1, "out of memory");
	if (spkilen != pk.spkilen || memcmp(spki, pk.spki, spkilen) != 0) {
		/* Another key of the account: its <pubkey/> sits next to it. */
		if ((rc = xt_keystore_pub(keypath, &other, &e)) < 0)
			errx(xt_exit_status(rc), "%s", e.msg);
		if (xt_jid_streq(other.jid, pk.jid, 1) != 1)
			errx(2, "%s is a key of %s, not of %s", keypath,
			    other.jid, pk.jid);
		signer = &other;
	}
	if ((rc = xt_revocation_make(&r, &pk, signer, key, t, &e)) < 0)
		errx(xt_exit_status(rc), "%s: %s", keypath, e.msg);
	if (cli.verbose)
		warnx("key %s revoked at %s, signed with %s", pk.keyid, r.time,
		    keypath);
	if ((el = xt_revocation_node(&r)) == NULL ||
	    xt_xml_serialize(el, NULL, &s, &len) < 0)
		errx(1, "out of memory");
	if (printf("%s\n", s) < 0 || fflush(stdout) == EOF)
		err(1, "stdout");
	free(s);
	free(spki);
	free(keypath);
	xt_node_free(el);
	xt_key_free(key);
	xt_revocation_clear(&r);
	xt_pubkey_clear(&pk);
	xt_pubkey_clear(&other);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct xt_error e = { 0, "" };
	int ch;

	while ((ch = xt_cli_next(&cli, &argc, &argv, &e)) > 0)
		if (ch == XT_OPT_SAY)	/* -h, -V */
			return fputs(cli.say, stdout) == EOF;
	if (ch < 0)
		errx(xt_exit_status(ch), "%s", e.msg);
	if (cli.verify && (cli.keyspec || cli.passfile || cli.when))
		errx(2, "--verify takes no -k, --time or --passphrase-file");
	if (!cli.verify && cli.signer != NULL)
		errx(2, "--signer goes with --verify");
	return cli.verify ? verify(cli.path, cli.signer) : sign(cli.path,
	    cli.keyspec, cli.passfile, cli.t);
}
