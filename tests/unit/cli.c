/*
 * cli.c: the command line every tool shares. Each case parses a fresh
 * argv with a fresh struct xt_cli (getopt_long is reset between them).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"
#include "tap.h"

enum { O_FLAG = XT_OPT_TOOL, O_VALUE };

static const struct option login_opts[] = {
	XT_ACCOUNT_LONGOPTS,
	{ "flag",		no_argument,		NULL, O_FLAG },
	{ "value",		required_argument,	NULL, O_VALUE },
	{ "passphrase",		no_argument,		NULL, 'P' },
	XT_CLI_LONGOPTS
};

static const struct option sign_opts[] = {
	XT_SIGN_LONGOPTS,
	XT_CLI_LONGOPTS
};

static char *av[16], **rest;

/* Split words into av; returns argc. */
static int
words(const char *s)
{
	static char buf[512];
	int n = 0;
	char *w;

	snprintf(buf, sizeof(buf), "%s", s);
	av[n++] = (char *)"tool";
	for (w = strtok(buf, " "); w != NULL && n < 15; w = strtok(NULL, " "))
		av[n++] = w;
	av[n] = NULL;
	return n;
}

/*
 * Parse s as the command line of a tool logging in (login) or signing;
 * returns the first non-option result (0 end, XT_OPT_SAY, < 0 refusal),
 * counting the tool's own options in *own and leaving operands in *argc.
 */
static int
parse(struct xt_cli *c, int login, const char *s, int *own, int *argc,
    struct xt_error *e)
{
	char **argv;
	int ch;

	memset(c, 0, sizeof(*c));
	c->tool = "tool";
	c->usage = "usage: tool\n";
	c->login = login;
	c->sign = !login;
	c->shortopts = login ? "xP" : NULL;
	c->longopts = login ? login_opts : sign_opts;
	optind = 0;
	*argc = words(s);
	argv = av;
	*own = 0;
	while ((ch = xt_cli_next(c, argc, &argv, e)) > 0 && ch != XT_OPT_SAY)
		(*own)++;
	rest = argv;
	return ch;
}

static void
test_refusals(void)
{
	static const struct { const char *args, *msg; } t[] = {
		{ "-q", "unknown option -q (see -h)" },
		{ "--nope=secret", "unknown option --nope (see -h)" },
		{ "--value", "--value needs an argument (see -h)" },
		{ "-a", "-a needs an argument (see -h)" },
		{ "--debu", "unknown option --debu (see -h; long options are "
		    "not abbreviated)" },
		{ "--acc=alice@example.org", "unknown option --acc (see -h; "
		    "long options are not abbreviated)" },
		{ "-pSECRET", "passwords are not taken on the command line; "
		    "use --password-file or password_command" },
		{ "--password=SECRET", "passwords are not taken on the command "
		    "line; use --password-file or password_command" },
		{ "--timeout x", "--timeout: not a number of seconds: x" },
		{ "--timeout -1", "--timeout: not a number of seconds: -1" },
		{ "--timeout 2000001", "--timeout: not a number of seconds: "
		    "2000001" },
	};
	struct xt_cli c;
	struct xt_error e;
	size_t i;
	int argc, own, rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&e, 0, sizeof(e));
		rc = parse(&c, 1, t[i].args, &own, &argc, &e);
		is_int(rc, XT_EINVAL, t[i].args);
		is_str(e.msg, t[i].msg, "  its message");
		ok(strstr(e.msg, "SECRET") == NULL, "  no secret echoed");
		xt_cli_close(&c, NULL);
	}
}

static void
test_options(void)
{
	struct xt_cli c;
	struct xt_error e = { 0, "" };
	int argc, own, rc;
	char **argv;

	rc = parse(&c, 1, "-v -x --flag --value 3 -a a@example.org "
	    "--timeout 7 --debug -r res one two", &own, &argc, &e);
	is_int(rc, 0, "options end");
	is_int(own, 3, "the tool's own options come back, the rest not");
	ok(c.verbose && c.debug, "-v and --debug taken");
	is_int(c.timeout, 7, "--timeout");
	is_str(c.account, "a@example.org", "-a");
	is_str(c.cfg.resource, "res", "-r is the resource setting");
	is_int(argc, 2, "two operands left");
	ok(argc == 2 && strcmp(rest[0], "one") == 0 && strcmp(rest[1],
	    "two") == 0, "  they are the operands");
	xt_cli_close(&c, NULL);

	rc = parse(&c, 1, "--server 127.0.0.1:5 --direct-tls --cafile /dev/null",
	    &own, &argc, &e);
	is_str(c.cfg.server, "127.0.0.1:5", "--server is a config setting");
	ok(c.cfg.direct_tls, "--direct-tls");
	is_str(c.cfg.cafile, "/dev/null", "--cafile");
	is_int(c.timeout, -1, "no --timeout: -1");
	xt_cli_close(&c, NULL);

	rc = parse(&c, 1, "-h --flag", &own, &argc, &e);
	is_int(rc, XT_OPT_SAY, "-h gives XT_OPT_SAY");
	ok(strncmp(c.say, "usage: tool\n\noptions:\n", 22) == 0,
	    "  with the usage, then the options");
	ok(strstr(c.say, "\n  -h, --help  ") != NULL, "  -h among them");
	ok(strstr(c.say, "\naccount options:\n  -a, --account jid  ") != NULL,
	    "  then the account options, aligned");
	ok(strstr(c.say, "exit status") == NULL, "  no exit status untold");
	xt_cli_close(&c, NULL);
	rc = parse(&c, 1, "-h upload.png bob@example.org", &own, &argc, &e);
	is_int(rc, XT_EINVAL, "-h with operands is a usage error");
	is_str(e.msg, "-h takes no operand, and upload.png is one: nothing "
	    "done", "  its message");
	memset(&c, 0, sizeof(c));
	c.tool = "tool";
	c.usage = "usage: tool\n";
	c.options = "-x\tan x\n--a-very-long-option-name value\ttoo wide\n";
	c.exits = "0\tsuccess\n2\tusage";
	optind = 0;
	argc = words("-h");
	argv = av;
	rc = xt_cli_next(&c, &argc, &argv, &e);
	is_int(rc, XT_OPT_SAY, "-h of a tool with options and exit statuses");
	is_str(c.say, "usage: tool\n"
	    "\noptions:\n"
	    "  -x             an x\n"
	    "  --a-very-long-option-name value\n"
	    "                 too wide\n"
	    "  -v, --verbose  explain on stderr\n"
	    "  -h, --help     print this help and exit\n"
	    "  -V, --version  print the version and exit\n"
	    "\nexit status:\n"
	    "  0  success\n"
	    "  2  usage\n", "  each aligned, a line too wide for the column "
	    "above its text");
	xt_cli_close(&c, NULL);
	rc = parse(&c, 1, "-h --flag", &own, &argc, &e);
	ok(strncmp(c.say, "usage: tool\n", 12) == 0, "  with the usage");
	xt_cli_close(&c, NULL);
	rc = parse(&c, 1, "--version", &own, &argc, &e);
	is_int(rc, XT_OPT_SAY, "--version gives XT_OPT_SAY");
	is_str(c.say, "tool " XT_VERSION "\n", "  with the version");
	xt_cli_close(&c, NULL);

	/* Without login, the account options are unknown. */
	rc = parse(&c, 0, "-a x@example.org", &own, &argc, &e);
	is_int(rc, XT_EINVAL, "no account options for an offline tool");
	is_str(e.msg, "unknown option -a (see -h)", "  its message");
}

static void
test_signing(void)
{
	struct xt_cli c;
	struct xt_error e = { 0, "" };
	int argc, own, rc;

	rc = parse(&c, 0, "-k KEY --time 2020-01-02T03:04:05Z "
	    "--passphrase-file pf --signer s.pub in.xml", &own, &argc, &e);
	is_int(rc, 0, "signing options end");
	is_str(c.keyspec, "KEY", "-k");
	is_str(c.when, "2020-01-02T03:04:05Z", "--time as given");
	is_int(c.t, 1577934245, "--time as seconds");
	is_str(c.passfile, "pf", "--passphrase-file");
	is_str(c.signer, "s.pub", "--signer");
	is_str(c.path, "in.xml", "the input file");
	rc = parse(&c, 0, "--verify -", &own, &argc, &e);
	ok(rc == 0 && c.verify && c.path == NULL, "--verify, '-' is stdin");
	rc = parse(&c, 0, "a b", &own, &argc, &e);
	is_int(rc, XT_EINVAL, "two input files");
	is_str(e.msg, "one input file at most (see -h)", "  its message");
	rc = parse(&c, 0, "--time yesterday", &own, &argc, &e);
	is_int(rc, XT_EINVAL, "a bad --time");
	is_str(e.msg, "--time: not \"now\" or an XEP-0082 time: yesterday",
	    "  its message");
}

int
main(void)
{
	test_refusals();
	test_options();
	test_signing();
	return done();
}
