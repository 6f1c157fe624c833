/*
 * xmpp-attest: sign an XEP-0189 attestation of someone's key, or check
 * attestations against the signer's key.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xt.h"

enum { O_SIGNERJID = 256, O_TIME, O_PASSFILE, O_VERIFY, O_SIGNER, O_KEY };

static const struct option longopts[] = {
	{ "signer-jid",		required_argument,	NULL, O_SIGNERJID },
	{ "time",		required_argument,	NULL, O_TIME },
	{ "passphrase-file",	required_argument,	NULL, O_PASSFILE },
	{ "verify",		no_argument,		NULL, O_VERIFY },
	{ "signer",		required_argument,	NULL, O_SIGNER },
	{ "key",		required_argument,	NULL, O_KEY },
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
	    "usage: xmpp-attest [-v] -k key [--signer-jid jid] [--time time] "
	    "[--passphrase-file file]\n"
	    "                   [pubkey-file]\n"
	    "       xmpp-attest --verify [-v] --signer pubkey-file "
	    "--key pubkey-file [attest-file]\n");
	exit(status);
}

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

/* Every <attest/> read must verify; one line for each that does not. */
static int
verify(const char *path, const char *signerfile, const char *keyfile)
{
	struct xt_error e = { 0, "" };
	struct xt_pubkey signer = { 0 }, subject = { 0 };
	struct xt_attest a;
	struct xt_node **v;
	const char *name = path ? path : "stdin";
	size_t n, i, bad = 0;
	int rc;

	read_pubkey(signerfile, &signer);
	read_pubkey(keyfile, &subject);
	if ((rc = xt_input_elements(path, XT_INPUT_MAX, &v, &n, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		if (v[i]->ns == NULL || strcmp(v[i]->ns, XT_NS_ATTEST) != 0 ||
		    strcmp(v[i]->name, "attest") != 0)
			errx(2, "%s: element %zu is <%s/>, not <attest "
			    "xmlns='%s'/>", name, i + 1, v[i]->name,
			    XT_NS_ATTEST);
		if ((rc = xt_attest_parse(v[i], &a, &e)) < 0)
			errx(xt_exit_status(rc), "%s: attestation %zu: %s",
			    name, i + 1, e.msg);
		if ((rc = xt_attest_verify(&a, &subject, &signer, &e)) < 0) {
			warnx("%s: attestation %zu: %s", name, i + 1, e.msg);
			bad++;
		} else if (verbose)
			warnx("valid: %s attested key %.16s of %s at %s",
			    a.signerjid, subject.keyid, subject.jid, a.time);
		xt_attest_clear(&a);
	}
	xt_nodes_free(v, n);
	xt_pubkey_clear(&signer);
	xt_pubkey_clear(&subject);
	return bad > 0;
}

static int
sign(const char *path, const char *keyspec, const char *signerjid,
    const char *passfile, int64_t t)
{
	struct xt_error e = { 0, "" };
	struct xt_pubkey subject = { 0 }, signer = { 0 };
	struct xt_attest a = { 0 };
	struct xt_key *key;
	struct xt_node *el;
	char *keypath, *s;
	size_t len;
	int rc, when;

	read_pubkey(path, &subject);
	if ((when = xt_pubkey_when(&subject, (int64_t)time(NULL))) != 0)
		errx(1, "%s: the key of %s %s %s", path ? path : "stdin",
		    subject.jid, when < 0 ? "is valid only from" :
		    "expired on", when < 0 ? subject.begin : subject.end);
	if ((rc = xt_key_open(keyspec, passfile, &key, &keypath, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	if ((rc = xt_keystore_pub(keypath, &signer, &e)) < 0)
		errx(xt_exit_status(rc), "%s", rc == XT_ENOTFOUND ? "the "
		    "signer's <pubkey/> must be stored next to its key" :
		    e.msg);
	if (signerjid != NULL && xt_jid_streq(signerjid, signer.jid, 1) != 1)
		errx(2, "--signer-jid %s: the key %s belongs to %s", signerjid,
		    keypath, signer.jid);
	if ((rc = xt_attest_make(&a, &subject, &signer, key, t, &e)) < 0)
		errx(xt_exit_status(rc), "%s: %s", keypath, e.msg);
	if (verbose)
		warnx("%s attests key %s of %s", signer.jid, subject.keyid,
		    subject.jid);
	if ((el = xt_attest_node(&a)) == NULL ||
	    xt_xml_serialize(el, NULL, &s, &len) < 0)
		errx(1, "out of memory");
	if (printf("%s\n", s) < 0 || fflush(stdout) == EOF)
		err(1, "stdout");
	free(s);
	free(keypath);
	xt_node_free(el);
	xt_key_free(key);
	xt_attest_clear(&a);
	xt_pubkey_clear(&subject);
	xt_pubkey_clear(&signer);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct xt_error e = { 0, "" };
	const char *keyspec = NULL, *passfile = NULL, *signer = NULL;
	const char *signerjid = NULL, *keyfile = NULL, *when = NULL, *path;
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
		case O_SIGNERJID:
			signerjid = optarg;
			if (xt_jid_streq(optarg, optarg, 1) != 1)
				errx(2, "--signer-jid: not a JID: %s", optarg);
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
		case O_KEY:
			keyfile = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("xmpp-attest %s\n", XT_VERSION);
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
	if (check) {
		if (keyspec || signerjid || passfile || when)
			errx(2, "--verify takes no -k, --signer-jid, --time or "
			    "--passphrase-file");
		if (signer == NULL || keyfile == NULL)
			errx(2, "--verify needs --signer and --key");
		return verify(path, signer, keyfile);
	}
	if (signer != NULL || keyfile != NULL)
		errx(2, "--signer and --key go with --verify");
	if (keyspec == NULL)
		errx(2, "no signing key: -k key (see -h)");
	return sign(path, keyspec, signerjid, passfile, t);
}
