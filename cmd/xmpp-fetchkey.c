/*
 * xmpp-fetchkey: fetch a contact's XEP-0189 keys, revocations and
 * attestations, verify all of it, pin on first use, print the valid keys.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

#define MAX_SIGNERS	16

enum { O_DIRECT = XT_OPT_TOOL, O_FORMAT, O_SIGNER, O_ACCEPT, O_NOPIN };

static const struct option longopts[] = {
	XT_ACCOUNT_LONGOPTS,
	{ "direct",		required_argument,	NULL, O_DIRECT },
	{ "format",		required_argument,	NULL, O_FORMAT },
	{ "signer",		required_argument,	NULL, O_SIGNER },
	{ "accept-new",		no_argument,		NULL, O_ACCEPT },
	{ "no-pin",		no_argument,		NULL, O_NOPIN },
	XT_CLI_LONGOPTS
};

static const char usage[] =
    "usage: xmpp-fetchkey [-v] [-a jid] [-c file] [-r resource]\n"
    "                     [--password-file file] [--server host[:port]]\n"
    "                     [--direct-tls] "
    "[--cafile file | --pin sha256:base64]\n"
    "                     [--mechanisms list] [--timeout seconds] [--debug]\n"
    "                     [--direct fulljid] "
    "[--format xml|spki|pem|fingerprint]\n"
    "                     [--signer pubkey-file ...] "
    "[--accept-new | --no-pin] jid\n";

/* -h: a line on each of its own options, as in the man page. */
static const char options[] =
    "--direct fulljid\task fulljid by IQ instead of reading PEP\n"
    "--format xml|spki|pem|fingerprint\thow each valid key is printed "
    "(default: xml)\n"
    "--signer pubkey-file\tkeep only keys attested by this key\n"
    "--accept-new\treplace the pins with the keys valid now\n"
    "--no-pin\tneither read nor write the keyring\n";
/* -h: the exit statuses, as in the man page, shortened. */
static const char exits[] =
    "0\ta valid key was printed, and every one is pinned\n"
    "1\ta negative result: no valid key, or one not pinned; a local failure\n"
    "2\tusage or malformed input: option, jid, --direct, --signer, file\n"
    "3\tnetwork, DNS or TLS failure, a stream error\n"
    "4\tauthentication failure\n"
    "5\ta stanza error other than nothing to read\n"
    "6\ttimeout\n";

static struct xt_cli cli = {
	.tool = "xmpp-fetchkey",
	.usage = usage,
	.options = options,
	.exits = exits,
	.longopts = longopts,
	.login = 1,
	.note = warnx
};

static void __attribute__((noreturn))
die(int rc, const char *what)
{
	errx(xt_exit_status(rc), "%s", xt_cli_close(&cli, what));
}

static void
output(const struct xt_pubkey *pk, const char *format)
{
	struct xt_node *el;
	char *s;
	size_t len, i, klen = strlen(pk->key);

	if (strcmp(format, "fingerprint") == 0)
		printf("%s\n", pk->keyid);
	else if (strcmp(format, "spki") == 0)
		printf("%s\n", pk->key);
	else if (strcmp(format, "pem") == 0) {
		printf("-----BEGIN PUBLIC KEY-----\n");
		for (i = 0; i < klen; i += 64)
			printf("%.64s\n", pk->key + i);
		printf("-----END PUBLIC KEY-----\n");
	} else {
		if ((el = xt_pubkey_node(pk)) == NULL ||
		    xt_xml_serialize(el, NULL, &s, &len) < 0)
			die(XT_ENOMEM, "out of memory");
		printf("%s\n", s);
		free(s);
		xt_node_free(el);
	}
}

int
main(int argc, char *argv[])
{
	struct xt_error e = { 0, "" };
	struct xt_peerkey_opts o = { 0 };
	struct xt_peerkeys ks;
	struct xt_jid j;
	struct xt_pubkey signers[MAX_SIGNERS];
	const char *direct = NULL, *format = "xml", *jid;
	char *print;
	size_t i;
	int ch, rc, accept = 0, nopin = 0;

	while ((ch = xt_cli_next(&cli, &argc, &argv, &e)) > 0) {
		switch (ch) {
		case XT_OPT_SAY:	/* -h, -V */
			return fputs(cli.say, stdout) == EOF;
		case O_DIRECT:
			direct = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "xml") != 0 &&
			    strcmp(optarg, "spki") != 0 &&
			    strcmp(optarg, "pem") != 0 &&
			    strcmp(optarg, "fingerprint") != 0)
				errx(2, "--format: xml, spki, pem or "
				    "fingerprint");
			format = optarg;
			break;
		case O_SIGNER:
			if (o.nsigners == MAX_SIGNERS)
				errx(2, "--signer: at most %d", MAX_SIGNERS);
			if ((rc = xt_pubkey_read(optarg,
			    &signers[o.nsigners], &e)) < 0) {
				xt_error_option(&e, "--signer", optarg);
				errx(xt_exit_status(rc), "%s", e.msg);
			}
			o.nsigners++;
			break;
		case O_ACCEPT:
			accept = 1;
			break;
		case O_NOPIN:
			nopin = 1;
			break;
		}
	}
	if (ch < 0)
		errx(xt_exit_status(ch), "%s", e.msg);
	if (argc != 1)
		errx(2, argc ? "one JID only (see -h)" : "no JID (see -h)");
	if (accept && nopin)
		errx(2, "--accept-new and --no-pin do not go together");
	jid = argv[0];
	if (xt_jid_parse(jid, &j, &e) < 0)
		errx(2, "%s: %s", jid, e.msg);
	if (j.resource != NULL)
		errx(2, "%s: keys belong to a bare JID; use --direct for a "
		    "full one", jid);
	xt_jid_free(&j);
	if (direct != NULL) {
		if (xt_jid_parse(direct, &j, &e) < 0)
			errx(2, "--direct %s: %s", direct, e.msg);
		if (j.resource == NULL || xt_jid_streq(direct, jid, 1) != 1)
			errx(2, "--direct: a full JID of %s", jid);
		xt_jid_free(&j);
	}

	cli.max_input = XT_ONESHOT_INPUT;
	if ((rc = xt_cli_login(&cli, -1, &e)) < 0)
		die(rc, e.msg);
	o.direct = direct;
	o.signers = signers;
	o.cli = &cli;
	if ((rc = xt_peerkeys_fetch(cli.sess, jid, &o, &ks, &e)) < 0)
		die(rc, e.msg);
	if (xt_peerkeys_valid(&ks) == 0)
		die(xt_peerkeys_none(&ks, &e), e.msg);
	if (!nopin && (rc = xt_peerkeys_pin(&ks, NULL, accept, &cli,
	    &e)) < 0) {
		if (rc == XT_EBADSIG)
			die(rc, strcat(e.msg, " (use --accept-new if you trust "
			    "the new key)"));
		die(rc, e.msg);
	}
	for (i = 0; i < ks.n; i++) {
		if (ks.keys[i].v != XT_KEY_VALID)
			continue;
		/* Always the current print rule on output. */
		if ((print = malloc(65)) == NULL ||
		    xt_pubkey_print(&ks.keys[i].pk, XT_PRINT_CURRENT,
		    print) < 0)
			die(XT_ENOMEM, "out of memory");
		free(ks.keys[i].pk.print);
		ks.keys[i].pk.print = print;
		output(&ks.keys[i].pk, format);
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		die(XT_ESYS, "stdout: write error");
	xt_cli_close(&cli, NULL);
	xt_peerkeys_clear(&ks);
	for (i = 0; i < o.nsigners; i++)
		xt_pubkey_clear(&signers[i]);
	return 0;
}
