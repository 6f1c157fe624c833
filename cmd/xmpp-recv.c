/*
 * xmpp-recv: print the messages that arrive for an account, stored
 * offline messages first.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xt.h"

enum { O_COUNT = XT_OPT_TOOL, O_FROM, O_FORMAT, O_KEEP };
enum { FMT_TEXT, FMT_XML, FMT_NUL };

static const struct option longopts[] = {
	XT_ACCOUNT_LONGOPTS,
	{ "count",		required_argument,	NULL, O_COUNT },
	{ "from",		required_argument,	NULL, O_FROM },
	{ "format",		required_argument,	NULL, O_FORMAT },
	{ "keep-options",	no_argument,		NULL, O_KEEP },
	{ "null",		no_argument,		NULL, '0' },
	XT_CLI_LONGOPTS
};

static const char usage[] =
    "usage: xmpp-recv [-v] [-a jid] [-c file] [-r resource] "
    "[--password-file file]\n"
    "                 [--server host[:port]] [--direct-tls]\n"
    "                 [--cafile file | --pin sha256:base64] "
    "[--mechanisms list]\n"
    "                 [--timeout seconds] [--debug] [--count n] "
    "[--from jid ...]\n"
    "                 [--format text|xml | -0] [--keep-options]\n";

/* -h: a line on each of its own options, as in the man page. */
static const char options[] =
    "-0, --null\tend records with NUL, the text as it came\n"
    "--count n\texit once n messages are printed (0: no limit)\n"
    "--from jid\tprint only the messages from jid (repeatable)\n"
    "--format text|xml\tprint messages as text (default) or as XML\n"
    "--keep-options\tleave the offline ESession options published\n"
    "--timeout seconds\tend the run after seconds (default: no limit)\n";
/* -h: the exit statuses, as in the man page, shortened. */
static const char exits[] =
    "0\tsuccess: --count messages printed, or with --count 0 the --timeout\n"
    "1\ta local failure: memory, standard output, the ESession secrets\n"
    "2\tusage or malformed input: option, --from jid, pin, file, password\n"
    "3\tnetwork, DNS or TLS failure, a stream error; the server ended the "
    "run\n"
    "4\tauthentication failure\n"
    "5\ta stanza error in answer to a request of the login\n"
    "6\ttimeout: the login, or --timeout before --count messages\n";

static struct xt_cli cli = {
	.tool = "xmpp-recv",
	.usage = usage,
	.options = options,
	.exits = exits,
	.shortopts = "0l",
	.longopts = longopts,
	.login = 1,
	.note = warnx,
	.quiet = 1	/* it says more once online */
};

/* Offline ESessions addressed to us, and the senders' keys we trust. */
static struct xt_es_inbox inbox;
static struct trusted {
	struct xt_peerkeys ks;
	int		 rc;		/* why none, if none */
	struct xt_error	 e;
	struct trusted	*next;
} *trusted;

/* The bare JIDs that may see our presence: they get receipts. */
static char **roster;
static size_t nroster;

static int64_t deadline = -1;	/* --timeout, once connected */
static int pipe_out;		/* stdout is a pipe: wait for its reader */
static int tty_out;		/* stdout is a terminal: always escaped */

static void __attribute__((noreturn))
die(int rc, const char *what)
{
	errx(xt_exit_status(rc), "%s", xt_cli_close(&cli, what));
}

/* The reader of stdout has gone, or writing failed: what is left stays. */
static void __attribute__((noreturn))
out_failed(int error, int sm)
{
	char what[160];

	if (error == EPIPE || error == 0)
		snprintf(what, sizeof(what), "stdout: the reader has gone; %s",
		    sm ? "messages not printed stay on the server for the "
		    "next run" : "a message taken from the server may be lost "
		    "(no Stream Management)");
	else
		snprintf(what, sizeof(what), "stdout: %s; %s", strerror(error),
		    sm ? "messages not printed stay on the server" :
		    "a message taken from the server may be lost");
	errx(1, "%s", xt_cli_close(&cli, what));
}

static int
reader_gone(int ms)
{
	struct pollfd p = { STDOUT_FILENO, 0, 0 };

	return poll(&p, 1, ms) > 0 && (p.revents & (POLLERR | POLLHUP));
}

/*
 * On a pipe, wait until the reader has taken all we wrote: then a
 * message acknowledged to the server is one the reader has, and one a
 * reader leaves (head -n 1) is still the server's. 0 when drained, 1 if
 * the reader has gone, XT_ETIMEOUT at the --timeout.
 */
static int
drain(void)
{
	int n, ms = 0;

	while (pipe_out) {
		if (ioctl(STDOUT_FILENO, FIONREAD, &n) < 0 || n == 0)
			break;
		if (deadline >= 0 && xt_now_ms() >= deadline)
			return XT_ETIMEOUT;
		/* What came before is the reader's: say so while it reads. */
		if (ms == 1)
			(void)xt_session_ack(cli.sess);
		/* The reader is usually about to run: yield, then sleep. */
		if (ms == 0)
			sched_yield();
		/* Gone, perhaps with all it needed (head -n 1): taken is taken. */
		if (reader_gone(ms))
			return ioctl(STDOUT_FILENO, FIONREAD, &n) < 0 || n > 0;
		ms = ms < 50 ? ms + 1 : 50;
	}
	return 0;
}

/*
 * A sender's key must be one xmpp-fetchkey would print for it, and the
 * pinned one: fetched once per sender and run.
 */
static int
trust(void *arg, const char *bare, const unsigned char *spki, size_t len,
    struct xt_error *e)
{
	struct trusted *t;

	for (t = trusted; t != NULL; t = t->next)
		if (strcmp(t->ks.jid, bare) == 0)
			break;
	if (t == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			return xt_error_set(e, XT_ENOMEM, "out of memory");
		t->rc = xt_peerkeys_trust(cli.sess, bare, &cli, &t->ks, &t->e);
		if (t->ks.jid == NULL && (t->ks.jid = strdup(bare)) == NULL) {
			free(t);
			return xt_error_set(e, XT_ENOMEM, "out of memory");
		}
		t->next = trusted;
		trusted = t;
	}
	if (t->rc < 0)
		return xt_error_set(e, XT_EBADSIG, "%s", t->e.msg);
	if (xt_peerkeys_find(&t->ks, spki, len) < 0)
		return xt_error_set(e, XT_EBADSIG, "signed by a key that is not "
		    "%s's published key", bare);
	return XT_OK;
}

/*
 * An encrypted message, decrypted in place; with --format xml it says so
 * (XEP-0380). NULL, with one line on stderr, if it does not pass.
 */
static struct xt_node *
decrypt(const struct xt_node *st, const char *from)
{
	struct xt_error e = { 0, "" };
	struct xt_node *out, *eme;
	char keyid[65], name[128];

	inbox.now = (int64_t)time(NULL);
	if (xt_es_open(&inbox, st, &out, keyid, &e) < 0) {
		warnx("%s: encrypted message refused: %s", from, e.msg);
		return NULL;
	}
	if (out == NULL) {
		xt_cli_note(&cli, "%s: offline ESession ended", from);
		return NULL;
	}
	snprintf(name, sizeof(name), "offline ESession, key %s", keyid);
	if ((eme = xt_node_add_elem(out, "encryption", "urn:xmpp:eme:0")) ==
	    NULL || xt_node_set_attr(eme, "namespace", XT_NS_ES_INIT) < 0 ||
	    xt_node_set_attr(eme, "name", name) < 0)
		die(XT_ENOMEM, "out of memory");
	xt_cli_note(&cli, "%s: decrypted (offline ESession, key %.16s)", from,
	    keyid);
	return out;
}

/*
 * Back online, if offline ESession options were published from here:
 * expired secrets destroyed, and (unless kept) the options retracted so
 * that no new sender uses them. An account that never published any is
 * left as it was.
 */
static void
esession_start(int keep)
{
	struct xt_error e = { 0, "" };
	struct stat st;
	char *dir;
	int rc, n;

	inbox.trust = trust;
	if (xt_data_dir("esession", 0, &dir, &e) < 0 || stat(dir, &st) < 0) {
		xt_cli_note(&cli, "no offline ESession secrets here");
		inbox.dir = dir;
		return;
	}
	inbox.dir = dir;
	if ((rc = xt_es_purge(dir, (int64_t)time(NULL), &n, &e)) < 0)
		warnx("%s", e.msg);
	else if (n > 0)
		xt_cli_note(&cli, "%d expired offline ESession secret%s "
		    "destroyed", n, n == 1 ? "" : "s");
	if (keep)
		return;
	if ((rc = xt_es_retract(cli.sess, &n, &e)) < 0)
		warnx("offline ESession options not retracted: %s", e.msg);
	else if (n > 0)
		xt_cli_note(&cli, "offline ESession options retracted");
}

/*
 * The roster's JIDs subscribed to our presence (RFC 6121 2.1.2.5: from,
 * both), as they are when the run starts. Without a roster, none.
 */
static void
roster_load(void)
{
	struct xt_node *iq, *res = NULL;
	const struct xt_node *q, *it;
	const char *sub, *jid;
	char **nr;
	int rc;

	if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(iq, "type", "get") < 0 ||
	    xt_node_add_elem(iq, "query", XT_NS_ROSTER) == NULL)
		die(XT_ENOMEM, "out of memory");
	rc = xt_session_iq(cli.sess, iq, &res, -1);
	xt_node_free(iq);
	if (rc < 0 && rc != XT_ESTANZA)
		die(rc, xt_session_errmsg(cli.sess));
	q = res != NULL ? xt_node_child(res, "query", XT_NS_ROSTER) : NULL;
	for (it = q != NULL ? xt_node_child(q, "item", XT_NS_ROSTER) : NULL;
	    it != NULL; it = xt_node_next(it, "item", XT_NS_ROSTER)) {
		sub = xt_node_attr(it, "subscription");
		jid = xt_node_attr(it, "jid");
		if (sub == NULL || jid == NULL || (strcmp(sub, "from") != 0 &&
		    strcmp(sub, "both") != 0))
			continue;
		if ((nr = realloc(roster, (nroster + 1) *
		    sizeof(*roster))) == NULL ||
		    (nr[nroster] = strdup(jid)) == NULL)
			die(XT_ENOMEM, "out of memory");
		roster = nr;
		nroster++;
	}
	xt_node_free(res);
}

/*
 * XEP-0184: a message printed that asked for a receipt gets one, if its
 * sender may see our presence (section 8) or is our own account.
 */
static int
receipt(const struct xt_node *m, const char *from)
{
	struct xt_node *r, *rec;
	const char *id = xt_node_attr(m, "id"), *type = xt_node_attr(m, "type");
	char *myid;
	size_t i;
	int ok, rc;

	if (xt_node_child(m, "request", XT_NS_RECEIPTS) == NULL || id == NULL ||
	    (type != NULL && strcmp(type, "groupchat") == 0))
		return XT_OK;
	ok = xt_jid_streq(from, cli.cfg.jid, 1) == 1;
	for (i = 0; i < nroster && !ok; i++)
		ok = xt_jid_streq(from, roster[i], 1) == 1;
	if (!ok) {
		xt_cli_note(&cli, "%s asked for a receipt: none sent, it may "
		    "not see our presence (XEP-0184 section 8)", from);
		return XT_OK;
	}
	if ((r = xt_node_new("message", XT_NS_CLIENT)) == NULL ||
	    (myid = xt_session_id(cli.sess)) == NULL)
		die(XT_ENOMEM, "out of memory");
	if (xt_node_set_attr(r, "to", from) < 0 ||
	    xt_node_set_attr(r, "id", myid) < 0 ||
	    (rec = xt_node_add_elem(r, "received", XT_NS_RECEIPTS)) == NULL ||
	    xt_node_set_attr(rec, "id", id) < 0)
		die(XT_ENOMEM, "out of memory");
	free(myid);
	rc = xt_session_send(cli.sess, r);
	xt_node_free(r);
	return rc;
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

/*
 * Peer-controlled text, escaped (text format, or a terminal): backslash,
 * CR, tab and controls as C escapes; a newline as a newline and a tab, so
 * that a continuation line never starts a record. With sp, a space too (a
 * JID stays one field).
 */
static void
put_escaped(const char *s, int sp)
{
	for (; *s != '\0'; s++) {
		unsigned char c = *s;

		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c == '\n')
			fputs("\n\t", stdout);
		else if (c == '\r')
			fputs("\\r", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f || (c == ' ' && sp))
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

/* a b c, in one new string (NULL when out of memory). */
static char *
cat3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s;

	if ((s = malloc(n)) != NULL)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* What a key sent as a message (xmpp-send --key) shows in text. */
static char *
key_line(const struct xt_node *n)
{
	struct xt_pubkey pk = { 0 };
	char tail[80], *s;

	if (xt_pubkey_parse(n, &pk, NULL) < 0)
		s = strdup("[a <pubkey/> that cannot be read]");
	else {
		snprintf(tail, sizeof(tail), ", KEYID %.16s; --format xml "
		    "prints it whole]", pk.keyid);
		s = cat3("[the <pubkey/> of ", pk.jid, tail);
	}
	xt_pubkey_clear(&pk);
	return s;
}

/* RFC 6120 5.2.2: an absent or unknown type is "normal". */
static const char *
message_type(const struct xt_node *m)
{
	static const char *const types[] = { "chat", "groupchat",
	    "headline", NULL };
	const char *t = xt_node_attr(m, "type");
	int i;

	for (i = 0; t != NULL && types[i] != NULL; i++)
		if (strcmp(t, types[i]) == 0)
			return types[i];
	return "normal";
}

/*
 * A record: "TIME TYPE FROM: TEXT", TEXT being the subject line
 * ("Subject: ..."), the body, and a line for a key, each present one on
 * its own line; ended by a newline, or a NUL with -0. 0 if the message
 * holds nothing to show (a chat state, a receipt).
 */
static int
print_message(const struct xt_node *m, const char *from, const char *domain,
    int fmt)
{
	const struct xt_node *n;
	char ts[32], *part[3] = { NULL, NULL, NULL }, *text, *full;
	size_t len;
	struct xt_jid j;
	int i, k, esc = fmt != FMT_NUL || tty_out;

	if (fmt == FMT_XML) {
		if (xt_xml_serialize(m, XT_NS_CLIENT, &text, &len) < 0)
			return 0;
		printf("%s\n", text);
		free(text);
		return 1;
	}
	if ((n = xt_node_child(m, "subject", XT_NS_CLIENT)) != NULL &&
	    (text = xt_node_text(n)) != NULL) {
		part[0] = cat3("Subject: ", text, "");
		free(text);
	}
	if ((n = xt_node_child(m, "body", XT_NS_CLIENT)) != NULL)
		part[1] = xt_node_text(n);
	if ((n = xt_node_child(m, "pubkey", XT_NS_PUBKEY)) != NULL)
		part[2] = key_line(n);
	if ((part[0] == NULL && part[1] == NULL && part[2] == NULL) ||
	    xt_jid_parse(from, &j, NULL) < 0) {
		for (i = 0; i < 3; i++)
			free(part[i]);
		return 0;
	}
	full = xt_jid_full(&j);
	stamp(m, domain, ts, sizeof(ts));
	printf("%s %s ", ts, message_type(m));
	put_escaped(full != NULL ? full : from, 1);
	fputs(": ", stdout);
	for (i = k = 0; i < 3; i++) {
		if (part[i] == NULL)
			continue;
		if (k++ > 0)
			fputs(esc ? "\n\t" : "\n", stdout);
		if (esc)
			put_escaped(part[i], 0);
		else
			fputs(part[i], stdout);
		free(part[i]);
	}
	putchar(fmt == FMT_NUL ? '\0' : '\n');
	xt_jid_free(&j);
	free(full);
	return 1;
}

int
main(int argc, char *argv[])
{
	static const char *const features[] = { XT_NS_RECEIPTS, NULL };
	struct xt_error e = { 0, "" };
	struct xt_node *st, *pres, *show;
	struct xt_jid fj;
	struct stat sb;
	const char *from, *type, **filter;
	long timeout, count = 0, got = 0;
	int64_t start = xt_now_ms();
	int ch, rc = XT_OK, fmt = -1, keep = 0, sm, nfilter = 0, i, pick;
	int fd;

	if ((filter = calloc(argc, sizeof(*filter))) == NULL)
		errx(1, "out of memory");

	while ((ch = xt_cli_next(&cli, &argc, &argv, &e)) > 0) {
		switch (ch) {
		case XT_OPT_SAY:	/* -h, -V */
			free(filter);
			return fputs(cli.say, stdout) == EOF;
		case 'l':
			errx(2, "-l is go-sendxmpp's listen mode: xmpp-recv "
			    "listens without it (--from JID for its JIDs)");
		case O_COUNT:
			count = number("--count", optarg);
			break;
		case O_FROM:
			if ((rc = xt_jid_parse(optarg, &fj, &e)) < 0)
				errx(2, "--from: %s: %s", optarg, e.msg);
			xt_jid_free(&fj);
			filter[nfilter++] = optarg;
			break;
		case O_FORMAT:
		case '0':
			i = ch == '0' ? FMT_NUL : strcmp(optarg, "xml") == 0 ?
			    FMT_XML : strcmp(optarg, "text") == 0 ? FMT_TEXT :
			    -1;
			if (i < 0)
				errx(2, "--format: text or xml");
			if (fmt >= 0 && fmt != i)
				errx(2, "--format and -0 choose one format: "
				    "give one");
			fmt = i;
			break;
		case O_KEEP:
			keep = 1;
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
	if (timeout > 0)
		deadline = start + timeout * 1000;
	xt_session_set_timeout(cli.sess, 0);
	pipe_out = fstat(STDOUT_FILENO, &sb) == 0 && S_ISFIFO(sb.st_mode);
	tty_out = isatty(STDOUT_FILENO);
	/* Before presence, so that the stored messages are counted. */
	if ((sm = xt_session_sm(cli.sess, 1)) < 0)
		die(sm, xt_session_errmsg(cli.sess));
	if (!sm)
		xt_cli_note(&cli, "the server has no Stream Management "
		    "(XEP-0198): a message taken and not printed is lost");
	esession_start(keep);
	xt_session_disco(cli.sess, cli.tool, features);
	roster_load();
	/* Initial presence: the server then hands over stored messages. */
	if ((pres = xt_node_new("presence", XT_NS_CLIENT)) == NULL)
		die(XT_ENOMEM, "out of memory");
	if ((rc = xt_session_send(cli.sess, pres)) < 0)
		die(rc, xt_session_errmsg(cli.sess));
	xt_node_free(pres);
	xt_cli_note(&cli, "logged in as %s with %s; waiting",
	    xt_session_jid(cli.sess), xt_session_mech(cli.sess));
	while (count == 0 || got < count) {
		if ((rc = xt_session_recv(cli.sess, &st, 0)) == XT_ETIMEOUT) {
			struct pollfd p[2] = {
				{ xt_session_fd(cli.sess), POLLIN, 0 },
				{ STDOUT_FILENO, 0, 0 }
			};
			int64_t ms = -1;

			if (deadline >= 0 && (ms = deadline - xt_now_ms()) <= 0)
				break;
			/* A burst is over: one acknowledgement for all of it. */
			if ((rc = xt_session_ack(cli.sess)) < 0)
				break;
			if (poll(p, 2, ms > INT_MAX ? INT_MAX : (int)ms) < 0 &&
			    errno != EINTR)
				die(XT_ESYS, "poll");
			if (p[1].revents & (POLLERR | POLLHUP))
				out_failed(EPIPE, sm);
			continue;
		}
		if (rc < 0)
			break;
		/* RFC 6120 8.1.2.1: no 'from' means our own account. */
		if ((from = xt_node_attr(st, "from")) == NULL)
			from = cli.cfg.jid;
		type = xt_node_attr(st, "type");
		for (pick = nfilter == 0, i = 0; i < nfilter && !pick; i++)
			pick = xt_jid_streq(from, filter[i],
			    strchr(filter[i], '/') == NULL) == 1;
		if (strcmp(st->name, "iq") == 0) {
			if ((rc = xt_session_answer_iq(cli.sess, st)) < 0) {
				xt_node_free(st);
				break;
			}
		}
		else if (strcmp(st->name, "message") == 0 &&
		    (type == NULL || strcmp(type, "error") != 0)) {
			/* Not ours to take: it stays on the server. */
			if (!pick) {
				xt_node_free(st);
				continue;
			}
			show = xt_es_is(st) ? decrypt(st, from) : st;
			if (show != NULL && print_message(show, from,
			    strchr(cli.cfg.jid, '@') + 1, fmt < 0 ? FMT_TEXT :
			    fmt)) {
				got++;
				if (fflush(stdout) == EOF || ferror(stdout))
					out_failed(errno, sm);
				if ((fd = drain()) != 0) {
					if (show != st)
						xt_node_free(show);
					xt_node_free(st);
					if (fd == 1)
						out_failed(EPIPE, sm);
					rc = XT_ETIMEOUT;
					break;
				}
				if ((rc = receipt(st, from)) < 0) {
					if (show != st)
						xt_node_free(show);
					xt_node_free(st);
					break;
				}
			}
			if (show != st)
				xt_node_free(show);
		}
		xt_node_free(st);
		if ((rc = xt_session_handled(cli.sess)) < 0)
			break;
	}
	if (rc == XT_ETIMEOUT && count == 0)
		rc = XT_OK;
	if (rc < 0)
		die(rc, rc == XT_ETIMEOUT ? "timed out before enough messages "
		    "came" : xt_session_errmsg(cli.sess));
	xt_cli_close(&cli, NULL);
	xt_es_inbox_clear(&inbox);
	free((char *)inbox.dir);
	free(filter);
	while (nroster > 0)
		free(roster[--nroster]);
	free(roster);
	while (trusted != NULL) {
		struct trusted *t = trusted;

		trusted = t->next;
		xt_peerkeys_clear(&t->ks);
		free(t);
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}
