/*
 * xmpp-recv: print the messages that arrive for an account, stored
 * offline messages first.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xt.h"


enum { O_COUNT = XT_OPT_TOOL, O_FROM, O_FORMAT };

static const struct option longopts[] = {
	XT_ACCOUNT_LONGOPTS,
	{ "count",		required_argument,	NULL, O_COUNT },
	{ "from",		required_argument,	NULL, O_FROM },
	{ "format",		required_argument,	NULL, O_FORMAT },
	XT_CLI_LONGOPTS
};

static const char usage[] =
    "usage: xmpp-recv [-v] [-a jid] [-c file] [-r resource] "
    "[--password-file file]\n"
    "                 [--server host[:port]] [--direct-tls] "
    "[--cafile file | --pin sha256:base64]\n"
    "                 [--mechanisms list] [--timeout seconds] "
    "[--debug] [--count n]\n"
    "                 [--from jid] [--format text|xml]\n";

static struct xt_cli cli = {
	.tool = "xmpp-recv",
	.usage = usage,
	.longopts = longopts,
	.login = 1,
	.note = warnx,
	.quiet = 1	/* it says more once online */
};

static void __attribute__((noreturn))
die(int rc, const char *what)
{
	errx(xt_exit_status(rc), "%s", xt_cli_close(&cli, what));
}

static long
number(const char *opt, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 2000000)
		errx(2, "%s: not a non-negative number: %s", opt, s);
	return v;
}

/* The body on one line: backslash, newline, CR and controls escaped. */
static void
put_escaped(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = *s;

		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\r')
			fputs("\\r", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else if (c == 0xc2 && (unsigned char)s[1] >= 0x80 &&
		    (unsigned char)s[1] <= 0x9f)
			printf("\\u%04x", (unsigned char)*++s);	/* C1 */
		else
			putchar(c);
	}
}

/*
 * When it was sent: the XEP-0203 delay our own server added when it
 * stored the message, else now. A delay from anyone else is not believed;
 * since a sender can also write one claiming to be the server (Prosody
 * keeps it), the last one wins: the server appends its own.
 */
static void
stamp(const struct xt_node *m, const char *domain, char *buf, size_t len)
{
	const struct xt_node *d;
	const char *s, *from;
	int64_t t = time(NULL), v;

	for (d = xt_node_child(m, "delay", XT_NS_DELAY); d != NULL;
	    d = xt_node_next(d, "delay", XT_NS_DELAY)) {
		from = xt_node_attr(d, "from");
		s = xt_node_attr(d, "stamp");
		if (from != NULL && s != NULL && xt_jid_streq(from, domain,
		    0) == 1 && xt_time_parse(s, &v) == XT_OK)
			t = v;
	}
	xt_time_format(t, buf, len);
}

static int
print_message(const struct xt_node *m, const char *from, const char *domain,
    int xml)
{
	struct xt_node *b;
	char ts[32], *text, *bare;
	size_t len;
	struct xt_jid j;

	if (xml) {
		if (xt_xml_serialize(m, XT_NS_CLIENT, &text, &len) < 0)
			return 0;
		printf("%s\n", text);
		free(text);
		return 1;
	}
	if ((b = xt_node_child(m, "body", XT_NS_CLIENT)) == NULL ||
	    (text = xt_node_text(b)) == NULL)
		return 0;
	if (xt_jid_parse(from, &j, NULL) < 0) {
		free(text);
		return 0;
	}
	bare = xt_jid_bare(&j);
	stamp(m, domain, ts, sizeof(ts));
	printf("%s %s: ", ts, bare ? bare : from);
	put_escaped(text);
	putchar('\n');
	xt_jid_free(&j);
	free(bare);
	free(text);
	return 1;
}

int
main(int argc, char *argv[])
{
	struct xt_error e = { 0, "" };
	struct xt_node *st, *pres;
	struct xt_jid fj;
	const char *from, *type, *filter = NULL;
	long timeout, count = 0, got = 0;
	int64_t start = xt_now_ms(), left;
	int ch, rc = XT_OK, xml = 0;

	while ((ch = xt_cli_next(&cli, &argc, &argv, &e)) > 0) {
		switch (ch) {
		case XT_OPT_SAY:	/* -h, -V */
			return fputs(cli.say, stdout) == EOF;
		case O_COUNT:
			count = number("--count", optarg);
			break;
		case O_FROM:
			filter = optarg;
			if ((rc = xt_jid_parse(filter, &fj, &e)) < 0)
				errx(2, "--from: %s: %s", filter, e.msg);
			xt_jid_free(&fj);
			break;
		case O_FORMAT:
			if (strcmp(optarg, "xml") == 0)
				xml = 1;
			else if (strcmp(optarg, "text") != 0)
				errx(2, "--format: text or xml");
			break;
		}
	}
	if (ch < 0)
		errx(xt_exit_status(ch), "%s", e.msg);
	if (argc > 0)
		errx(2, "%s: xmpp-recv takes no arguments (see -h)", argv[0]);
	/* Without --timeout the login alone is bounded, by 30 s. */
	timeout = cli.timeout;
	if ((rc = xt_cli_login(&cli, (int)((timeout > 0 ? timeout : 30) *
	    1000), &e)) < 0)
		die(rc, e.msg);
	/* Once connected, only an explicit --timeout bounds the wait. */
	if (timeout > 0) {
		left = start + timeout * 1000 - xt_now_ms();
		xt_session_set_timeout(cli.sess, left > 0 ? (int)left : 1);
	} else
		xt_session_set_timeout(cli.sess, 0);
	/* Initial presence: the server then hands over stored messages. */
	if ((pres = xt_node_new("presence", XT_NS_CLIENT)) == NULL)
		die(XT_ENOMEM, "out of memory");
	if ((rc = xt_session_send(cli.sess, pres)) < 0)
		die(rc, xt_session_errmsg(cli.sess));
	xt_node_free(pres);
	xt_cli_note(&cli, "logged in as %s with %s; waiting",
	    xt_session_jid(cli.sess), xt_session_mech(cli.sess));
	while (count == 0 || got < count) {
		if ((rc = xt_session_recv(cli.sess, &st, -1)) < 0)
			break;
		/* RFC 6120 8.1.2.1: no 'from' means our own account. */
		if ((from = xt_node_attr(st, "from")) == NULL)
			from = cli.cfg.jid;
		type = xt_node_attr(st, "type");
		if (strcmp(st->name, "iq") == 0) {
			if ((rc = xt_session_answer_iq(cli.sess, st)) < 0) {
				xt_node_free(st);
				break;
			}
		}
		else if (strcmp(st->name, "message") == 0 &&
		    (type == NULL || strcmp(type, "error") != 0) &&
		    (filter == NULL || xt_jid_streq(from, filter,
		    strchr(filter, '/') == NULL) == 1) &&
		    print_message(st, from, strchr(cli.cfg.jid, '@') + 1, xml)) {
			got++;
			if (fflush(stdout) == EOF || ferror(stdout)) {
				xt_node_free(st);
				xt_cli_close(&cli, NULL);
				err(1, "stdout");
			}
		}
		xt_node_free(st);
	}
	if (rc == XT_ETIMEOUT && count == 0)
		rc = XT_OK;
	if (rc < 0)
		die(rc, rc == XT_ETIMEOUT ? "timed out before enough messages "
		    "came" : xt_session_errmsg(cli.sess));
	xt_cli_close(&cli, NULL);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}
