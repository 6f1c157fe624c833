/*
 * xmpp-revoke: sign an XEP-0189 revocation of a key, or check one.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xt.h"

enum { O_TIME = 256, O_PASSFILE, O_VERIFY, O_SIGNER };

static const struct option longopts[] = {
	{ "key",		required_argument,	NULL, 'k' },
	{ "time",		required_argument,	NULL, O_TIME },
	{ "passphrase-file",	required_argument,	NULL, O_PASSFILE },
	{ "verify",		no_argument,		NULL, O_VERIFY },
	{ "signer",		required_argument,	NULL, O_SIGNER },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

static int verbose;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: xmpp-revoke [-v] [-k key] [--time time] "
	    "[--passphrase-file file] [pubkey-file]\n"
	    "       xmpp-revoke --verify [-v] [--signer pubkey-file] "
	    "[revocation-file]\n");
	exit(status);
}

/* A <pubkey/> whose print verifies, or exit. */
static void
read_pubkey(const char *path, struct xt_pubkey *pk)
{
	struct xt_error e = { 0, "" };
	int rc;

	if ((rc = xt_pubkey_read(path, pk, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	if (verbose)
		warnx("%s: key %.16s of %s, print ok (%s rule)", path ? path :
		    "stdin", pk->keyid, pk->jid, xt_print_rule_name(pk->rule));
}

static int
verify(const char *path, const char *signerfile)
{
	struct xt_error e = { 0, "" };
	struct xt_revocation r = { 0 };
	struct xt_pubkey signer = { 0 };
	struct xt_node *el;
	int rc;

	if (signerfile != NULL)
		read_pubkey(signerfile, &signer);
	if ((rc = xt_input_one(path, XT_NS_REVOKE, "revocation", "revoke",
	    &el, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	if ((rc = xt_revocation_parse(el, &r, &e)) < 0)
		errx(xt_exit_status(rc), "%s: %s", path ? path : "stdin",
		    e.msg);
	if ((rc = xt_revocation_verify(&r, signerfile ? &signer : NULL,
	    &e)) < 0)
		errx(xt_exit_status(rc), "revocation of key %.16s: %s",
		    r.keyid, e.msg);
	if (verbose)
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

	read_pubkey(path, &pk);
	/* By default the key revokes itself: find it by its id. */
	if ((rc = xt_key_open(keyspec ? keyspec : pk.keyid, passfile, &key,
	    &keypath, &e)) < 0) {
		if (rc == XT_ENOTFOUND && keyspec == NULL)
			errx(1, "no private key %s in the key store; name the "
			    "signing key with -k", pk.keyid);
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
	if (verbose)
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
	const char *keyspec = NULL, *passfile = NULL, *signer = NULL;
	const char *when = NULL, *path;
	char msg[XT_ERRLEN];
	int64_t t = (int64_t)time(NULL);
	int ch, li, rc, check = 0;

	if ((rc = xt_init(&e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	opterr = 0;
	while ((li = -1, ch = getopt_long(argc, argv, ":k:vhV", longopts,
	    &li)) != -1) {
		if (li >= 0 && xt_opt_exact(argv, optind, optarg,
		    longopts[li].name, msg, sizeof(msg)) != NULL)
			errx(2, "%s", msg);
		switch (ch) {
		case 'k':
			keyspec = optarg;
			break;
		case O_TIME:
			when = optarg;
			if (xt_time_arg(optarg, &t) < 0)
				errx(2, "--time: not \"now\" or an XEP-0082 "
				    "time: %s", optarg);
			break;
		case O_PASSFILE:
			passfile = optarg;
			break;
		case O_VERIFY:
			check = 1;
			break;
		case O_SIGNER:
			signer = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("xmpp-revoke %s\n", XT_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			errx(2, "%s", xt_opt_error(ch, optopt,
			    argv[optind - 1], msg, sizeof(msg)));
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		errx(2, "one input file at most (see -h)");
	path = argc == 1 && strcmp(argv[0], "-") != 0 ? argv[0] : NULL;
	if (check && (keyspec || passfile || when))
		errx(2, "--verify takes no -k, --time or --passphrase-file");
	if (!check && signer != NULL)
		errx(2, "--signer goes with --verify");
	return check ? verify(path, signer) : sign(path, keyspec, passfile,
	    t);
}
