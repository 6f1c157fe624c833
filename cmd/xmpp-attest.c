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

enum { O_SIGNERJID = XT_OPT_TOOL, O_KEY };

static const struct option longopts[] = {
	{ "signer-jid",		required_argument,	NULL, O_SIGNERJID },
	{ "key",		required_argument,	NULL, O_KEY },
	XT_SIGN_LONGOPTS,
	XT_CLI_LONGOPTS
};

static const char usage[] =
    "usage: xmpp-attest [-v] -k key [--signer-jid jid] [--time time]\n"
    "                   [--passphrase-file file] [pubkey-file]\n"
    "       xmpp-attest --verify [-v] --signer signer-pubkey-file\n"
    "                   --key pubkey-file [attest-file]\n";

/* -h: a line on each of its own options, as in the man page. */
static const char options[] =
    "-k key\tsign with key (a file or a JID in the key store)\n"
    "--signer-jid jid\trefuse to sign unless the key is jid's\n"
    "--verify\tcheck attestations instead of making one\n"
    "--signer signer-pubkey-file\twith --verify: the signer's key\n"
    "--key pubkey-file\twith --verify: the attested key\n";
/* -h: the exit statuses, as in the man page, shortened. */
static const char exits[] =
    "0\tthe attestation was printed; with --verify, every one is valid\n"
    "1\ta negative result: a print, key or attestation not valid, no key\n"
    "2\tusage or malformed input: option, time, element, -k, file\n"
    "4\ta wrong passphrase\n";

static struct xt_cli cli = {
	.tool = "xmpp-attest",
	.usage = usage,
	.options = options,
	.exits = exits,
	.sign = 1,
	.longopts = longopts,
	.note = warnx
};

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

	if ((rc = xt_cli_pubkey(&cli, signerfile, &signer, &e)) < 0)
		xt_error_option(&e, "--signer", signerfile);
	else if ((rc = xt_cli_pubkey(&cli, keyfile, &subject, &e)) < 0)
		xt_error_option(&e, "--key", keyfile);
	else
		rc = xt_input_elements(path, XT_INPUT_MAX, &v, &n, &e);
	if (rc < 0)
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
		} else if (cli.verbose)
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

	if ((rc = xt_cli_pubkey(&cli, path, &subject, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	if ((when = xt_pubkey_when(&subject, (int64_t)time(NULL))) != 0)
		errx(1, "%s: the key of %s %s %s", path ? path : "stdin",
		    subject.jid, when < 0 ? "is valid only from" :
		    "expired on", when < 0 ? subject.begin : subject.end);
	if ((rc = xt_key_open(keyspec, passfile, &key, &keypath, &e)) < 0 &&
	    xt_error_option(&e, "-k", keyspec) < 0)
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
	if (cli.verbose)
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
	const char *signerjid = NULL, *keyfile = NULL;
	int ch;

	while ((ch = xt_cli_next(&cli, &argc, &argv, &e)) > 0) {
		switch (ch) {
		case XT_OPT_SAY:	/* -h, -V */
			return fputs(cli.say, stdout) == EOF;
		case O_SIGNERJID:
			signerjid = optarg;
			if (xt_jid_streq(optarg, optarg, 1) != 1)
				errx(2, "--signer-jid: not a JID: %s", optarg);
			break;
		case O_KEY:
			keyfile = optarg;
			break;
		}
	}
	if (ch < 0)
		errx(xt_exit_status(ch), "%s", e.msg);
	if (cli.verify) {
		if (cli.keyspec || signerjid || cli.passfile || cli.when)
			errx(2, "--verify takes no -k, --signer-jid, --time or "
			    "--passphrase-file");
		if (cli.signer == NULL || keyfile == NULL)
			errx(2, "--verify needs --signer and --key");
		return verify(cli.path, cli.signer, keyfile);
	}
	if (cli.signer != NULL || keyfile != NULL)
		errx(2, "--signer and --key go with --verify");
	if (cli.keyspec == NULL)
		errx(2, "no signing key: -k key (see -h)");
	return sign(cli.path, cli.keyspec, signerjid, cli.passfile, cli.t);
}
