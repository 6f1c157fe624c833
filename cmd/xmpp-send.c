/*
 * xmpp-send: send standard input as XMPP messages.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xt.h"

#define STANZA_MAX	(256 * 1024)	/* Prosody's default stanza limit */
#define BODY_MAX	STANZA_MAX
#define KEEPALIVE_MS	60000
#define OUTBOX_MAX	(16 << 20)	/* bytes of text unacknowledged */
#define RELINK_MAX_MS	30000		/* the longest wait between logins */

enum { O_LINES = XT_OPT_TOOL, O_RAW, O_KEY, O_ENCRYPT, O_SESSION,
    O_PASSFILE, O_STRICT, O_LISTEN, O_INTERACTIVE, O_RECEIPT, O_MUC,
    O_NICK, O_ROOMPASS, O_FILE };

static const struct option longopts[] = {
	XT_ACCOUNT_LONGOPTS,
	{ "subject",		required_argument,	NULL, 's' },
	{ "type",		required_argument,	NULL, 't' },
	{ "lines",		no_argument,		NULL, O_LINES },
	{ "raw",		no_argument,		NULL, O_RAW },
	{ "key",		required_argument,	NULL, O_KEY },
	{ "encrypt",		no_argument,		NULL, O_ENCRYPT },
	{ "session",		no_argument,		NULL, O_SESSION },
	{ "passphrase-file",	required_argument,	NULL, O_PASSFILE },
	{ "strict",		no_argument,		NULL, O_STRICT },
	{ "receipt",		no_argument,		NULL, O_RECEIPT },
	{ "muc",		required_argument,	NULL, O_MUC },
	{ "nick",		required_argument,	NULL, O_NICK },
	{ "room-password-file",	required_argument,	NULL, O_ROOMPASS },
	{ "file",		required_argument,	NULL, O_FILE },
	/* go-sendxmpp's, answered with what to use here */
	{ "listen",		no_argument,		NULL, O_LISTEN },
	{ "interactive",	no_argument,		NULL, O_INTERACTIVE },
	XT_CLI_LONGOPTS
};

static const char usage[] =
    "usage: xmpp-send [-v] [-a jid] [-c file] [-r resource] [-s subject] "
    "[-t type]\n"
    "                 [--password-file file] [--server host[:port]] "
    "[--direct-tls]\n"
    "                 [--cafile file | --pin sha256:base64] "
    "[--mechanisms list]\n"
    "                 [--timeout seconds] [--debug] [--strict] [--receipt]\n"
    "                 [--lines | --key file | --file file] jid ...\n"
    "       xmpp-send [account options] --raw\n"
    "       xmpp-send [account options] [-t type] [--receipt] --encrypt\n"
    "                 [--passphrase-file file] [--lines [--session]] jid\n"
    "       xmpp-send [account options] [--lines] [--nick nick]\n"
    "                 [--room-password-file file] --muc room@service\n";

/* -h: a line on each of its own options, as in the man page. */
static const char options[] =
    "-s, --subject subject\tgive every message the subject\n"
    "-t, --type type\tthe message type: chat (default), normal, headline\n"
    "--lines\tsend each line as a message as soon as it is read\n"
    "--raw\tsend the stanzas read, to their own recipients\n"
    "--key file\tsend the <pubkey/> in file instead of stdin\n"
    "--strict\trefuse what XML cannot carry instead of replacing it\n"
    "--receipt\twait for each recipient's receipt (XEP-0184)\n"
    "--encrypt\tencrypt for jid with its offline ESession options\n"
    "--session\twith --encrypt --lines: all lines in one ESession\n"
    "--passphrase-file file\twith --encrypt: the key's passphrase from file\n"
    "--muc room@service\tsend to the chat room, joined only for the run\n"
    "--nick nick\twith --muc: the nick (default: the localpart)\n"
    "--room-password-file file\twith --muc: the room's password from file\n"
    "--file file\tupload file (XEP-0363) and send its URL\n";
/* -h: the exit statuses, as in the man page, shortened. */
static const char exits[] =
    "0\tsuccess: every message sent and none bounced; or empty input\n"
    "1\ta negative result (--key print, --encrypt keys, options), local "
    "failure\n"
    "2\tusage or malformed input: option, jid, text, stanza, file, password\n"
    "3\tnetwork, DNS or TLS failure, a stream error\n"
    "4\tauthentication failure, or a wrong passphrase for the account's key\n"
    "5\ta stanza error: a message not delivered, a request refused\n"
    "6\ttimeout; a --receipt or a room's echo that did not come in time\n";

static struct xt_cli cli = {
	.tool = "xmpp-send",
	.usage = usage,
	.options = options,
	.exits = exits,
	.shortopts = "s:t:il",
	.longopts = longopts,
	.login = 1,
	.muc = 1,
	.note = warnx
};
static int relinking;		/* --lines: a lost stream is logged in again */
static struct xt_outbox outbox;	/* what the server has not acknowledged */
static uint32_t asked;		/* the count last asked to be acknowledged */
static int bounced;		/* a recipient's error came back */
static int nbounced;		/* how many */
static char **rcpt;
static int nrcpt;
static const char *subject, *mtype = "chat";
static struct xt_node *pubkey;	/* --key: sent instead of a body */
static const char *oob;		/* --file: the URL, also as XEP-0066 data */
static int strict;		/* --strict: refuse what XML cannot carry */
static int receipt;		/* --receipt: wait for XEP-0184 receipts */
static struct pending {		/* a message whose receipt is awaited */
	char	*id, *to;
	int	 state;		/* WAITING, RECEIVED, BOUNCED */
} *pend;
static size_t npend;
enum { WAITING, RECEIVED, BOUNCED };
static size_t replaced;		/* characters replaced by U+FFFD */
/* --encrypt: the recipient's options and keys, ours, the ESession. */
static struct {
	int		 on, session;
	const char	*passfile;
	struct xt_node	*options;
	struct xt_peerkeys keys;
	struct xt_key	*key;
	struct xt_esession *es;
} enc;
/* --muc: the chat room (XEP-0045) the messages go to. */
static struct {
	const char	*room;		/* ROOM@SERVICE */
	const char	*nick;		/* --nick, else our localpart */
	const char	*passfile;	/* --room-password-file */
	char		*password;	/* from it, in secure memory */
	char		*occupant;	/* ROOM@SERVICE/NICK, once joined */
	int		 state;		/* OUT, JOINING, IN, REFUSED,
					   LEAVING */
	int		 created;	/* joining made the room (status 201) */
	char		*why;		/* REFUSED: the condition and text */
	size_t		 sent, echoed;	/* messages, and those reflected */
} muc;
enum { OUT, JOINING, IN, REFUSED, LEAVING };
#define NS_SID		"urn:xmpp:sid:0"	/* XEP-0359 origin-id */

static void __attribute__((noreturn))
die(int rc, const char *what)
{
	errx(xt_exit_status(rc), "%s", xt_cli_close(&cli, what));
}

/*
 * A go-sendxmpp option that means nothing here, or something else: say
 * what to use instead, send nothing.
 */
static void __attribute__((noreturn))
gosendxmpp(int ch)
{
	if (ch == 'l' || ch == O_LISTEN)
		errx(2, "%s is go-sendxmpp's listen mode: use xmpp-recv",
		    ch == 'l' ? "-l" : "--listen");
	errx(2, "%s is go-sendxmpp's interactive mode: use --lines",
	    ch == 'i' ? "-i" : "--interactive");
}

static int muc_join(void);

/* A stream that was lost, which a new login may mend. */
static int
lost(int rc)
{
	return rc == XT_ECLOSED || rc == XT_ENET || rc == XT_EPROTO ||
	    rc == XT_ETLS;
}

/* Stream Management, so that what the server did not take is known. */
static void
sm_start(void)
{
	int rc;

	if ((rc = xt_session_sm(cli.sess, 0)) < 0)
		die(rc, xt_session_errmsg(cli.sess));
	if (rc == 0)
		xt_cli_note(&cli, "the server has no Stream Management "
		    "(XEP-0198): if the connection is lost, the lines sent "
		    "just before may be lost");
	asked = 0;
}

/*
 * --lines: the stream was lost. Log in again after 1 s, then after twice
 * as long each time up to 30 s, for at most --timeout seconds (30 by
 * default, 0: for ever); then send again, in order, every message the
 * server had not acknowledged. Outside line mode, or for any other
 * failure, the run ends.
 */
static void
relink(int rc)
{
	char why[XT_ERRLEN];
	int64_t end = -1;
	long limit = cli.timeout < 0 ? 30 : cli.timeout;
	int delay = 1000;

	if (!relinking || !lost(rc))
		die(rc, xt_session_errmsg(cli.sess));
	/* What the old stream's server acknowledged is not sent again. */
	xt_outbox_prune(&outbox, cli.sess);
	snprintf(why, sizeof(why), "%s", xt_session_errmsg(cli.sess));
	warnx("%s; logging in again", why);
	if (limit > 0)
		end = xt_now_ms() + limit * 1000;
	for (;;) {
		if (end >= 0 && xt_now_ms() + delay > end) {
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
			    "; not logged in again within %ld s (--timeout)",
			    limit);
			die(rc, why);
		}
		poll(NULL, 0, delay);
		delay = delay * 2 > RELINK_MAX_MS ? RELINK_MAX_MS : delay * 2;
		if ((rc = xt_session_reconnect(cli.sess)) < 0) {
			if (!lost(rc))
				die(rc, xt_session_errmsg(cli.sess));
			continue;
		}
		xt_session_set_timeout(cli.sess, 0);
		sm_start();
		/* In the room again before what it did not take is resent. */
		if (muc.room != NULL && (rc = muc_join()) < 0) {
			if (!lost(rc))
				die(rc, xt_session_errmsg(cli.sess));
			continue;
		}
		if ((rc = xt_outbox_resend(&outbox, cli.sess)) == XT_OK)
			break;
	}
	warnx("logged in again as %s; %zu message%s sent again",
	    xt_session_jid(cli.sess), outbox.n, outbox.n == 1 ? "" : "s");
}

/*
 * Text that can be a message body: UTF-8, and no character XML 1.0 forbids
 * (controls other than tab, LF and CR; U+FFFE, U+FFFF).
 */
static const char *
body_problem(const char *s, size_t n)
{
	size_t i;

	if (!xt_utf8_valid(s, n))
		return "not valid UTF-8";
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    (c == 0xef && i + 2 < n && (unsigned char)s[i + 1] ==
		    0xbf && ((unsigned char)s[i + 2] & 0xfe) == 0xbe))
			return "a control character XML does not allow";
	}
	return NULL;
}

/*
 * Text XML cannot carry: refused with --strict (the reason), else made
 * fit, each offending byte or character becoming U+FFFD (*fixed, owned,
 * set only when something was replaced).
 */
static const char *
fit(const char *s, size_t *n, char **fixed)
{
	const char *bad;
	size_t len;

	*fixed = NULL;
	if ((bad = body_problem(s, *n)) == NULL || strict)
		return bad;
	replaced += xt_text_clean(s, *n, fixed, &len);
	if (*fixed == NULL)
		die(XT_ENOMEM, "out of memory");
	*n = len;
	return NULL;
}

/* Bytes s takes once escaped as XML character data. */
static size_t
escaped_len(const char *s, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += s[i] == '&' || s[i] == '\r' ? 5 : s[i] == '<' ||
		    s[i] == '>' ? 4 : s[i] == '\'' || s[i] == '"' ? 6 : 1;
	return len;
}

/*
 * Would the message stanza exceed the server's limit? Counted with the
 * longest recipient and room for the envelope, so the server never has to
 * end the stream over it.
 */
static int
too_big(const char *body, size_t n)
{
	size_t longest = 0, k;
	int i;

	for (i = 0; i < nrcpt; i++)
		if ((k = escaped_len(rcpt[i], strlen(rcpt[i]))) > longest)
			longest = k;
	k = escaped_len(body, n) + longest + 256;
	/* Encrypted: base64 of the escaped body, and the ESession's form. */
	if (enc.on)
		k = k / 3 * 4 + 8192;
	if (subject != NULL)
		k += escaped_len(subject, strlen(subject));
	return k > STANZA_MAX;
}

/*
 * The body, encrypted for the recipient (XEP-0187): a new ESession for
 * each message, or one for the whole run with --session.
 */
static void
seal(struct xt_node *m, const char *body, size_t n)
{
	struct xt_es_begin b = { 0 };
	struct xt_error e = { 0, "" };
	int rc = XT_ENOMEM;

	if (enc.es == NULL) {
		b.options = enc.options;
		b.to = rcpt[0];
		b.keys = &enc.keys;
		b.key = enc.key;
		b.now = (int64_t)time(NULL);
		b.session = enc.session;
		if ((rc = xt_es_begin(&b, &enc.es, &e)) < 0)
			die(rc, e.msg);
	}
	if (xt_node_set_attr(m, "to", xt_es_to(enc.es)) < 0)
		die(XT_ENOMEM, "out of memory");
	if ((rc = xt_es_seal(enc.es, body, n, m, &e)) < 0)
		die(rc, e.msg);
	if (!enc.session) {
		xt_es_free(enc.es);
		enc.es = NULL;
	}
}

/*
 * --encrypt: the recipient's options and keys, and ours, before the
 * first line is read; nothing goes in clear if any of it is missing.
 */
static void
encrypt_setup(void)
{
	struct xt_error e = { 0, "" };
	int rc;

	if ((rc = xt_peerkeys_trust(cli.sess, rcpt[0], &cli, &enc.keys,
	    &e)) < 0 || (rc = xt_es_options_fetch(cli.sess, rcpt[0],
	    &enc.options, &e)) < 0)
		die(rc, e.msg);
	xt_cli_note(&cli, "encrypting for %s with its offline ESession "
	    "options", rcpt[0]);
}

/* --receipt: the receipt of message id to to is awaited. */
static int
awaits(const char *to, const char *id)
{
	struct pending *np;

	if ((np = realloc(pend, (npend + 1) * sizeof(*pend))) == NULL)
		return -1;
	pend = np;
	if ((pend[npend].id = strdup(id)) == NULL)
		return -1;
	pend[npend].to = (char *)to;
	pend[npend++].state = WAITING;
	return 0;
}

/* A receipt counts from the recipient alone: its bare JID, or the full. */
static int
from_rcpt(const char *from, const char *to)
{
	return from != NULL && xt_jid_streq(from, to,
	    strchr(to, '/') == NULL) == 1;
}

/* An XEP-0184 receipt for one of our messages. */
static void
check_receipt(const struct xt_node *st)
{
	const struct xt_node *r;
	const char *from = xt_node_attr(st, "from"), *id;
	size_t i;

	if (npend == 0 || strcmp(st->name, "message") != 0 ||
	    (r = xt_node_child(st, "received", XT_NS_RECEIPTS)) == NULL)
		return;
	/* Version 1.0 put the id on the message only. */
	if ((id = xt_node_attr(r, "id")) == NULL &&
	    (id = xt_node_attr(st, "id")) == NULL)
		return;
	for (i = 0; i < npend; i++)
		if (pend[i].state == WAITING && strcmp(pend[i].id, id) == 0 &&
		    from_rcpt(from, pend[i].to)) {
			pend[i].state = RECEIVED;
			xt_cli_note(&cli, "%s: receipt", from);
		}
}

static struct xt_node *
make_message(const char *to, const char *body, size_t n)
{
	struct xt_node *m, *c;
	char *id;

	if ((m = xt_node_new("message", XT_NS_CLIENT)) == NULL ||
	    (id = xt_session_id(cli.sess)) == NULL)
		goto oom;
	if (xt_node_set_attr(m, "to", to) < 0 ||
	    xt_node_set_attr(m, "type", mtype) < 0 ||
	    xt_node_set_attr(m, "id", id) < 0) {
		free(id);
		goto oom;
	}
	/* XEP-0359: the room may give the message an id of its own. */
	if (muc.room != NULL && ((c = xt_node_add_elem(m, "origin-id",
	    NS_SID)) == NULL || xt_node_set_attr(c, "id", id) < 0 ||
	    awaits(to, id) < 0)) {
		free(id);
		goto oom;
	}
	muc.sent += muc.room != NULL;
	free(id);
	if (subject != NULL && ((c = xt_node_add_elem(m, "subject", NULL)) ==
	    NULL || xt_node_add_text(c, subject, strlen(subject)) < 0))
		goto oom;
	if (pubkey != NULL) {
		/* XEP-0189 section 8: the key itself, no body. */
		if (xt_node_add(m, xt_node_copy(pubkey)) == NULL)
			goto oom;
	} else if (enc.on) {
		seal(m, body, n);
	} else if ((c = xt_node_add_elem(m, "body", NULL)) == NULL ||
	    xt_node_add_text(c, body, n) < 0)
		goto oom;
	/* XEP-0066 section 3: clients show the file for the URL. */
	if (oob != NULL && ((c = xt_node_add_elem(m, "x", XT_NS_OOB)) ==
	    NULL || (c = xt_node_add_elem(c, "url", NULL)) == NULL ||
	    xt_node_add_text(c, oob, strlen(oob)) < 0))
		goto oom;
	if (receipt && (xt_node_add_elem(m, "request", XT_NS_RECEIPTS) ==
	    NULL || awaits(to, xt_node_attr(m, "id")) < 0))
		goto oom;
	return m;
oom:
	xt_node_free(m);
	die(XT_ENOMEM, "out of memory");
}

static void
send_node(const struct xt_node *st)
{
	int rc;

	if ((rc = xt_session_send(cli.sess, st)) < 0)
		relink(rc);
}

/* --session: the ESession ends with the input (XEP-0116 section 10). */
static void
end_session(void)
{
	struct xt_error e = { 0, "" };
	struct xt_node *m;
	char *id;
	int rc;

	if ((m = xt_node_new("message", XT_NS_CLIENT)) == NULL ||
	    (id = xt_session_id(cli.sess)) == NULL)
		die(XT_ENOMEM, "out of memory");
	if (xt_node_set_attr(m, "to", xt_es_to(enc.es)) < 0 ||
	    xt_node_set_attr(m, "type", mtype) < 0 ||
	    xt_node_set_attr(m, "id", id) < 0)
		die(XT_ENOMEM, "out of memory");
	free(id);
	if ((rc = xt_es_terminate(enc.es, m, &e)) < 0)
		die(rc, e.msg);
	send_node(m);
	xt_node_free(m);
	xt_es_free(enc.es);
	enc.es = NULL;
}

/* A bounce for one of our messages: the server could not deliver it. */
static int
check_bounce(struct xt_node *st)
{
	char *why;
	const char *from = xt_node_attr(st, "from");
	const char *type = xt_node_attr(st, "type");
	int i, ours = 0;

	if (type == NULL || strcmp(type, "error") != 0 || from == NULL)
		return 0;
	for (i = 0; i < nrcpt && !ours; i++)
		ours = xt_jid_streq(from, rcpt[i], 1) == 1;
	if (!ours)
		return 0;
	why = xt_stanza_error(st);
	warnx("%s: %s not delivered: %s", from, st->name, why ? why :
	    "error");
	free(why);
	nbounced++;
	/* No receipt comes for what bounced. */
	for (i = 0; i < (int)npend; i++)
		if (from_rcpt(from, pend[i].to) && pend[i].state == WAITING)
			pend[i].state = BOUNCED;
	return 1;
}

/* The defined condition of an error stanza, or "". */
static const char *
error_condition(const struct xt_node *st)
{
	const struct xt_node *err, *c;

	if (st == NULL || (err = xt_node_child(st, "error", NULL)) == NULL)
		return "";
	for (c = err->children; c != NULL; c = c->next)
		if (c->name != NULL && c->ns != NULL &&
		    strcmp(c->ns, XT_NS_STANZAS) == 0 &&
		    strcmp(c->name, "text") != 0)
			return c->name;
	return "";
}

/* Is from the room of --muc, or one of its occupants? */
static int
from_room(const char *from)
{
	return from != NULL && muc.room != NULL &&
	    xt_jid_streq(from, muc.room, 1) == 1;
}

/* Has x, a muc#user element, the status code? */
static int
has_status(const struct xt_node *x, const char *code)
{
	const struct xt_node *c;
	const char *v;

	for (c = xt_node_child(x, "status", NULL); c != NULL;
	    c = xt_node_next(c, "status", NULL))
		if ((v = xt_node_attr(c, "code")) != NULL &&
		    strcmp(v, code) == 0)
			return 1;
	return 0;
}

/* We were put out of the room (XEP-0045 9.2, 9.6, 10.9): stop there. */
static void __attribute__((noreturn))
removed(const struct xt_node *x)
{
	char msg[XT_ERRLEN];
	const char *how = "removed from the room";

	if (has_status(x, "301"))
		how = "banned from the room";
	else if (has_status(x, "307"))
		how = "kicked from the room";
	else if (has_status(x, "321") || has_status(x, "322"))
		how = "removed from the room: no longer a member";
	else if (has_status(x, "332"))
		how = "removed from the room: the service shut down";
	else if (xt_node_child(x, "destroy", NULL) != NULL)
		how = "the room was destroyed";
	snprintf(msg, sizeof(msg), "%s: %s; stopped", muc.room, how);
	die(XT_ESTANZA, msg);
}

/*
 * A stanza from the room: our own presence (status 110, XEP-0045 7.2.2)
 * ends the join and an error presence refuses it; the reflection of one
 * of our messages (by its id, or its XEP-0359 origin-id, from our occupant
 * JID) confirms that the room took it. 1 if it was the room's business,
 * 0 if not (an error message is left to check_bounce).
 */
static int
muc_stanza(const struct xt_node *st)
{
	const char *from = xt_node_attr(st, "from");
	const char *type = xt_node_attr(st, "type"), *id, *oid = NULL;
	const struct xt_node *x, *o;
	size_t i;

	if (!from_room(from))
		return 0;
	if (strcmp(st->name, "presence") == 0) {
		if (type != NULL && strcmp(type, "error") == 0) {
			if (muc.state == JOINING) {
				muc.state = REFUSED;
				muc.why = xt_stanza_error(st);
			}
			return 1;
		}
		if ((x = xt_node_child(st, "x", XT_NS_MUC_USER)) == NULL ||
		    !has_status(x, "110"))
			return 1;
		if (type != NULL && strcmp(type, "unavailable") == 0) {
			if (muc.state == IN)
				removed(x);
			muc.state = OUT;
		} else if (muc.state == JOINING) {
			free(muc.occupant);
			/* The service may have changed the nick (210). */
			if ((muc.occupant = strdup(from)) == NULL)
				die(XT_ENOMEM, "out of memory");
			muc.created = has_status(x, "201");
			muc.state = IN;
		}
		return 1;
	}
	if (strcmp(st->name, "message") != 0 ||
	    (type != NULL && strcmp(type, "error") == 0))
		return 0;
	if (muc.occupant == NULL || xt_jid_streq(from, muc.occupant, 0) != 1)
		return 1;
	id = xt_node_attr(st, "id");
	if ((o = xt_node_child(st, "origin-id", NS_SID)) != NULL)
		oid = xt_node_attr(o, "id");
	for (i = 0; i < npend; i++)
		if ((id != NULL && strcmp(pend[i].id, id) == 0) ||
		    (oid != NULL && strcmp(pend[i].id, oid) == 0)) {
			/* Forgotten once echoed: --lines may run for ever. */
			if (pend[i].state == WAITING)
				muc.echoed++;
			free(pend[i].id);
			pend[i] = pend[--npend];
			break;
		}
	return 1;
}

/*
 * Take one stanza, waiting up to ms: a bounce, a receipt or what the room
 * says is noted, a request answered. XT_ETIMEOUT when none came.
 */
static int
take_one(int ms)
{
	struct xt_node *st;
	int rc;

	if ((rc = xt_session_recv(cli.sess, &st, ms)) == XT_OK) {
		if (!muc_stanza(st))
			bounced |= check_bounce(st);
		check_receipt(st);
		rc = xt_session_answer_iq(cli.sess, st);
		xt_node_free(st);
		if (rc >= 0)
			rc = xt_session_handled(cli.sess);
	}
	return rc;
}

/* Look at what has arrived so far, without waiting. */
static void
drain(void)
{
	int rc;

	while ((rc = take_one(0)) >= 0)
		;
	/* Nothing more now is fine; a broken stream is not. */
	if (rc != XT_ETIMEOUT)
		relink(rc);
}

/*
 * The room said no to our joining: one line naming the room, the
 * condition and what to do next (XEP-0045 7.2.6 to 7.2.11). Exit 5.
 */
static void __attribute__((noreturn))
muc_refused(void)
{
	char msg[XT_ERRLEN], next[XT_ERRLEN] = "";
	const char *why = muc.why != NULL ? muc.why : "error";
	size_t n = strcspn(why, ":");

#define IS(c)	(n == strlen(c) && strncmp(why, c, n) == 0)
	if (IS("not-authorized"))
		snprintf(next, sizeof(next), "a password is needed, or the "
		    "one given is wrong (--room-password-file)");
	else if (IS("registration-required"))
		snprintf(next, sizeof(next), "the room is for members only: "
		    "ask its owner to make %s a member", cli.cfg.jid);
	else if (IS("forbidden"))
		snprintf(next, sizeof(next), "%s is banned from the room",
		    cli.cfg.jid);
	else if (IS("conflict"))
		snprintf(next, sizeof(next), "the nick %s is taken: choose "
		    "another with --nick", muc.nick);
	else if (IS("jid-malformed") || IS("not-acceptable"))
		snprintf(next, sizeof(next), "the room does not take the nick "
		    "%s: choose another with --nick", muc.nick);
	else if (IS("service-unavailable"))
		snprintf(next, sizeof(next), "the room is full: try again "
		    "later");
	else if (IS("item-not-found") || IS("not-allowed"))
		snprintf(next, sizeof(next), "no such room, and the service "
		    "does not let us make it: check the address");
	else if (IS("remote-server-not-found") ||
	    IS("remote-server-timeout"))
		snprintf(next, sizeof(next), "no chat service at %s: check "
		    "the address", strchr(muc.room, '@') + 1);
#undef IS
	if (next[0] != '\0')
		snprintf(msg, sizeof(msg), "%s: not joined: %.*s: %s",
		    muc.room, (int)n, why, next);
	else
		snprintf(msg, sizeof(msg), "%s: not joined: %s", muc.room,
		    why);
	die(XT_ESTANZA, msg);
}

/*
 * Leave the room (XEP-0045 7.14): unavailable presence to our occupant
 * JID, and a short wait for the room to say we are out.
 */
static void
muc_leave(void)
{
	struct xt_node *p;
	int64_t end = xt_now_ms() + 5000, ms;

	if (muc.state != IN || cli.sess == NULL)
		return;
	if ((p = xt_node_new("presence", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(p, "to", muc.occupant) < 0 ||
	    xt_node_set_attr(p, "type", "unavailable") < 0)
		die(XT_ENOMEM, "out of memory");
	muc.state = LEAVING;	/* until our unavailable presence comes */
	if (xt_session_send(cli.sess, p) < 0)
		muc.state = OUT;
	xt_node_free(p);
	while (muc.state == LEAVING && (ms = end - xt_now_ms()) > 0)
		if (take_one((int)ms) < 0)
			break;
	muc.state = OUT;
	xt_cli_note(&cli, "left %s", muc.room);
}

/*
 * Join the room (XEP-0045 7.2): presence to ROOM/NICK asking for no
 * history, with the password if there is one, then wait up to --timeout
 * (30 s without) for our own presence from the room. A room that joining
 * created did not exist: it is left at once (and so goes away). A
 * refusal ends the run; a broken stream is returned.
 */
static int
muc_join(void)
{
	struct xt_node *p, *x, *h, *pw = NULL;
	char msg[XT_ERRLEN], *to;
	long limit = cli.timeout < 0 ? 30 : cli.timeout;
	int64_t end = xt_now_ms() + limit * 1000, ms;
	size_t len = strlen(muc.room) + strlen(muc.nick) + 2;
	int rc;

	if ((to = malloc(len)) == NULL ||
	    (p = xt_node_new("presence", XT_NS_CLIENT)) == NULL)
		die(XT_ENOMEM, "out of memory");
	snprintf(to, len, "%s/%s", muc.room, muc.nick);
	if (xt_node_set_attr(p, "to", to) < 0 ||
	    (x = xt_node_add_elem(p, "x", XT_NS_MUC)) == NULL ||
	    (h = xt_node_add_elem(x, "history", NULL)) == NULL ||
	    xt_node_set_attr(h, "maxchars", "0") < 0 ||
	    (muc.password != NULL && ((pw = xt_node_add_elem(x, "password",
	    NULL)) == NULL || xt_node_add_text(pw, muc.password,
	    strlen(muc.password)) < 0)))
		die(XT_ENOMEM, "out of memory");
	free(to);
	free(muc.why);
	muc.why = NULL;
	muc.state = JOINING;
	rc = xt_session_send(cli.sess, p);
	if (pw != NULL && pw->children != NULL)
		xt_wipe(pw->children->text, strlen(pw->children->text));
	xt_node_free(p);
	if (rc < 0)
		return rc;
	while (muc.state == JOINING) {
		ms = limit > 0 ? end - xt_now_ms() : -1;
		if (limit > 0 && ms <= 0) {
			snprintf(msg, sizeof(msg), "%s: not joined within %ld "
			    "s (--timeout)", muc.room, limit);
			die(XT_ETIMEOUT, msg);
		}
		if ((rc = take_one((int)ms)) < 0 && rc != XT_ETIMEOUT)
			return rc;
	}
	if (muc.state == REFUSED)
		muc_refused();
	if (muc.created) {
		muc_leave();
		snprintf(msg, sizeof(msg), "%s: no such room (joining made "
		    "it, and it was left at once): check the address",
		    muc.room);
		die(XT_ESTANZA, msg);
	}
	xt_cli_note(&cli, "joined %s as %s", muc.room, muc.occupant);
	return XT_OK;
}

/*
 * Our server takes a message for another domain before it knows whether
 * it can reach it: ping each remote domain addressed. Its stanzas go out
 * in order, so the answer comes after the bounces of what we sent there;
 * an answer that the domain cannot be reached counts as one.
 */
static int
remote_domains(const char *own)
{
	struct xt_node *iq, *reply;
	struct xt_jid j, k;
	const char *cond;
	int i, l, rc, seen, before;

	for (i = 0; i < nrcpt; i++) {
		if (xt_jid_parse(rcpt[i], &j, NULL) < 0)
			continue;
		seen = xt_jid_streq(j.domain, own, 0) == 1;
		for (l = 0; l < i && !seen; l++)
			if (xt_jid_parse(rcpt[l], &k, NULL) == 0) {
				seen = xt_jid_streq(j.domain, k.domain, 0) == 1;
				xt_jid_free(&k);
			}
		if (seen) {
			xt_jid_free(&j);
			continue;
		}
		if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
		    xt_node_set_attr(iq, "type", "get") < 0 ||
		    xt_node_set_attr(iq, "to", j.domain) < 0 ||
		    xt_node_add_elem(iq, "ping", XT_NS_PING) == NULL)
			die(XT_ENOMEM, "out of memory");
		rc = xt_session_iq(cli.sess, iq, &reply, -1);
		xt_node_free(iq);
		if (rc < 0 && rc != XT_ESTANZA) {
			xt_jid_free(&j);
			return rc;
		}
		before = nbounced;
		drain();
		/* An error of its own (no ping there) proves it reachable. */
		cond = rc == XT_ESTANZA ? error_condition(reply) : "";
		if ((strcmp(cond, "remote-server-not-found") == 0 ||
		    strcmp(cond, "remote-server-timeout") == 0) &&
		    nbounced == before) {
			warnx("%s: domain not reachable: %s", j.domain, cond);
			bounced = 1;
		}
		xt_node_free(reply);
		xt_jid_free(&j);
	}
	return XT_OK;
}

/*
 * A ping round trip: every bounce for what we sent arrives before its
 * answer, since the server handles our stanzas in order.
 */
static void
round_trip(void)
{
	struct xt_node *iq, *ping;
	const char *bare = xt_session_jid(cli.sess);
	char *domain;
	int rc;

	domain = strchr(bare, '@') ? strdup(strchr(bare, '@') + 1) : NULL;
	if (domain == NULL)
		die(XT_ENOMEM, "out of memory");
	domain[strcspn(domain, "/")] = '\0';
	if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(iq, "type", "get") < 0 ||
	    xt_node_set_attr(iq, "to", domain) < 0 ||
	    (ping = xt_node_add_elem(iq, "ping", XT_NS_PING)) == NULL)
		die(XT_ENOMEM, "out of memory");
	/* A stream lost meanwhile (--lines): again, on the new one. */
	while ((rc = remote_domains(domain)) < 0 ||
	    ((rc = xt_session_iq(cli.sess, iq, NULL, -1)) < 0 &&
	    rc != XT_ESTANZA))
		relink(rc);
	/* Any answer, even an error, proves the server read all before. */
	xt_node_free(iq);
	free(domain);
	drain();
}

/*
 * --receipt: wait, up to --timeout (30 s without), for the receipt of
 * every message to a recipient that did not bounce. 6 if one is missing.
 */
static int
await_receipts(void)
{
	int64_t end = xt_now_ms() + (cli.timeout > 0 ? cli.timeout : 30) *
	    1000LL, ms;
	size_t i, n, left, missing = 0;
	int r, rc;

	for (;;) {
		for (i = left = 0; i < npend; i++)
			left += pend[i].state == WAITING;
		if (left == 0 || (ms = end - xt_now_ms()) <= 0)
			break;
		if ((rc = take_one((int)ms)) < 0 && rc != XT_ETIMEOUT)
			relink(rc);
	}
	for (i = left = 0; muc.room != NULL && i < npend; i++)
		left += pend[i].state == WAITING;
	if (left > 0)
		warnx("%s: no echo from the room within %lld s for %zu of %zu "
		    "message%s: delivery not confirmed", muc.room, (long long)(
		    cli.timeout > 0 ? cli.timeout : 30), left, muc.sent,
		    muc.sent == 1 ? "" : "s");
	missing += left;
	for (r = 0; muc.room == NULL && r < nrcpt; r++) {
		for (i = n = left = 0; i < npend; i++)
			if (pend[i].to == rcpt[r]) {
				n++;
				left += pend[i].state == WAITING;
			}
		if (left > 0)
			warnx("%s: no receipt within %lld s for %zu of %zu "
			    "message%s: stored for later, or no client there "
			    "sends receipts (XEP-0184)", rcpt[r], (long long)(
			    cli.timeout > 0 ? cli.timeout : 30), left, n,
			    n == 1 ? "" : "s");
		missing += left;
	}
	for (i = 0; i < npend; i++)
		free(pend[i].id);
	free(pend);
	return missing > 0;
}

/* A bad line in --lines mode: what came before is confirmed, then exit 2. */
static void __attribute__((noreturn))
stop(int lineno, const char *why)
{
	if (enc.es != NULL)
		end_session();
	round_trip();
	muc_leave();
	xt_cli_close(&cli, NULL);
	errx(bounced ? 5 : 2, "stdin: line %d: %s; stopped there", lineno,
	    why);
}

static void
send_body(const char *body, size_t n)
{
	struct xt_node *m;
	int i, rc;

	for (i = 0; i < nrcpt; i++) {
		m = make_message(rcpt[i], body, n);
		if (!relinking) {
			send_node(m);
			xt_node_free(m);
		} else if ((rc = xt_outbox_send(&outbox, cli.sess, m, n)) < 0)
			relink(rc);	/* m is sent again from the outbox */
	}
}

/*
 * --lines, after each read: drop what the server has acknowledged, ask
 * for the rest, and while too much is unacknowledged, wait for it.
 */
static void
settle(void)
{
	uint32_t sent, acked;
	int rc;

	for (;;) {
		drain();
		xt_session_sm_count(cli.sess, &sent, &acked);
		if (xt_outbox_prune(&outbox, cli.sess) > 0 && sent != asked) {
			asked = sent;
			if ((rc = xt_session_sm_request(cli.sess)) < 0) {
				relink(rc);
				continue;
			}
		}
		if (outbox.bytes <= OUTBOX_MAX)
			return;
		/* The server is behind: wait for its answer. */
		if ((rc = take_one(1000)) < 0 && rc != XT_ETIMEOUT)
			relink(rc);
	}
}

/*
 * Line mode: every complete line is sent as soon as it is read; lines
 * that arrive together go out in one write.
 */
static void
send_lines(void)
{
	static char buf[BODY_MAX + 1];
	struct pollfd in = { 0, POLLIN, 0 };
	size_t have = 0, start, i, len;
	ssize_t r;
	const char *bad, *line, *env = getenv("XMPP_KEEPALIVE");
	char *fixed;
	char *end;
	long v;
	int lineno = 0, rc, keepalive_ms = KEEPALIVE_MS;

	/* For tests: the idle time in seconds before a keepalive. */
	if (env != NULL) {
		v = strtol(env, &end, 10);
		if (*end != '\0' || end == env || v < 1 || v > 86400)
			die(XT_EINVAL, "XMPP_KEEPALIVE: seconds from 1 to "
			    "86400");
		keepalive_ms = (int)v * 1000;
	}
	for (;;) {
		struct pollfd p[2] = { in, { xt_session_fd(cli.sess), POLLIN,
		    0 } };

		/* Idle for a while: answer the server, keep the link up. */
		if ((rc = poll(p, 2, keepalive_ms)) == 0) {
			drain();
			if ((rc = xt_session_keepalive(cli.sess)) < 0)
				relink(rc);
			continue;
		}
		if (rc < 0)
			continue;	/* EINTR */
		/* The server first: a lost stream is mended before a line. */
		if (p[1].revents != 0) {
			drain();
			if (p[0].revents == 0)
				continue;
		}
		r = read(0, buf + have, sizeof(buf) - 1 - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			warn("stdin");
			round_trip();
			die(XT_ESYS, "stopped");
		}
		if (r == 0 && have > 0)
			buf[have + r++] = '\n';	/* a last line without \n */
		if (r == 0)
			break;
		have += r;
		for (start = 0, i = 0; i < have; i++) {
			if (buf[i] != '\n')
				continue;
			lineno++;
			len = i - start;
			if (len > 0 && buf[i - 1] == '\r')
				len--;
			if ((bad = fit(buf + start, &len, &fixed)) != NULL)
				stop(lineno, bad);
			line = fixed ? fixed : buf + start;
			if (too_big(line, len))
				stop(lineno, "over the stanza limit");
			if (len > 0)
				send_body(line, len);
			free(fixed);
			start = i + 1;
		}
		if (start == 0 && have == sizeof(buf) - 1)
			stop(lineno + 1, "over the stanza limit");
		memmove(buf, buf + start, have - start);
		have -= start;
		settle();
	}
	if (enc.es != NULL)
		end_session();
	round_trip();
}

/*
 * --muc: what does not go with it, checked before anything is read. The
 * room alone is addressed, as groupchat whatever -t says.
 */
static void
muc_check(int argc, char *argv[], int rawmode, const char *keyfile)
{
	struct xt_error e = { 0, "" };
	struct xt_jid j;
	int ok;

	if (enc.on || rawmode || keyfile != NULL || receipt)
		errx(2, "--muc does not go with --encrypt, --raw, --key or "
		    "--receipt");
	if (subject != NULL)
		errx(2, "--muc does not go with -s (in a room a subject is "
		    "the room's topic)");
	if (argc > 0)
		errx(2, "--muc sends to the room alone: %s is a recipient "
		    "too many", argv[0]);
	if (xt_jid_parse(muc.room, &j, &e) < 0)
		errx(2, "--muc %s: %s", muc.room, e.msg);
	ok = j.local != NULL && j.resource == NULL;
	xt_jid_free(&j);
	if (!ok)
		errx(2, "--muc %s: a room's address is ROOM@SERVICE, without "
		    "a nick (--nick gives it)", muc.room);
	mtype = "groupchat";
}

/*
 * --muc, before the network: the nick (our localpart unless --nick) and
 * the room password, read into secure memory.
 */
static void
muc_setup(void)
{
	struct xt_error e = { 0, "" };
	struct xt_jid j;
	char *occ;
	size_t len;
	int rc;

	if ((rc = xt_cli_account(&cli, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	if (muc.nick == NULL) {
		if (xt_jid_parse(cli.cfg.jid, &j, &e) < 0)
			errx(2, "%s: %s", cli.cfg.jid, e.msg);
		if (j.local == NULL || (muc.nick = strdup(j.local)) == NULL)
			errx(2, "--muc: no nick: give one with --nick");
		xt_jid_free(&j);
	}
	len = strlen(muc.room) + strlen(muc.nick) + 2;
	if ((occ = malloc(len)) == NULL)
		die(XT_ENOMEM, "out of memory");
	snprintf(occ, len, "%s/%s", muc.room, muc.nick);
	if (xt_jid_parse(occ, &j, &e) < 0)
		errx(2, "--nick %s: not a nick this room can take", muc.nick);
	xt_jid_free(&j);
	free(occ);
	if (muc.passfile != NULL && (rc = xt_passphrase_read(muc.passfile,
	    NULL, 0, &muc.password, &e)) < 0) {
		xt_error_option(&e, "--room-password-file", muc.passfile);
		errx(xt_exit_status(rc), "%s", e.msg);
	}
}

/* --raw: stdin holds stanzas; all are checked before the first is sent. */
static struct xt_node **
read_raw(const char *in, size_t n, size_t *count)
{
	struct xt_parser *p;
	struct xt_error e = { 0, "" };
	struct xt_node **v = NULL, **nv, *st;
	size_t k = 0;

	if ((p = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_CLIENT, NULL)) == NULL)
		die(XT_ENOMEM, "out of memory");
	if (xt_parser_feed(p, in, n, &e) < 0 || xt_parser_finish(p, &e) < 0)
		errx(2, "stdin: %s", e.msg);
	while ((st = xt_parser_next(p)) != NULL) {
		if (st->ns == NULL || strcmp(st->ns, XT_NS_CLIENT) != 0 ||
		    (strcmp(st->name, "message") != 0 &&
		    strcmp(st->name, "presence") != 0 &&
		    strcmp(st->name, "iq") != 0))
			errx(2, "stdin: <%s/> is not a jabber:client stanza",
			    st->name);
		if ((nv = realloc(v, (k + 1) * sizeof(*v))) == NULL)
			die(XT_ENOMEM, "out of memory");
		v = nv;
		v[k++] = st;
	}
	xt_parser_free(p);
	if (k == 0)
		errx(2, "stdin: no stanza");
	*count = k;
	return v;
}

static char *
read_all(size_t *n)
{
	char *buf = malloc(BODY_MAX + 1);
	size_t have = 0;
	ssize_t r;

	if (buf == NULL)
		die(XT_ENOMEM, "out of memory");
	while ((r = read(0, buf + have, BODY_MAX + 1 - have)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err(1, "stdin");
		have += r;
		if (have > BODY_MAX)
			errx(2, "stdin: over %d bytes, the server's stanza "
			    "limit", BODY_MAX);
	}
	buf[have] = '\0';
	*n = have;
	return buf;
}

/* --file: the file to upload, checked before the network. */
static struct {
	const char	*path, *name, *type;
	int		 fd;
	uint64_t	 size;
	int64_t		 shown;		/* when progress was last shown */
	int		 progress;	/* a progress line is on the terminal */
} up = { .fd = -1 };

/* --file refused: status 2, the path made one line. */
static void __attribute__((noreturn))
file_refused(const char *why)
{
	struct xt_error e;

	xt_error_set(&e, XT_EINVAL, "--file: %s: %s", up.path, why);
	errx(2, "%s", e.msg);
}

static void
file_open(const char *path)
{
	struct stat st;
	char why[64];
	const char *bad;

	up.path = path;
	/* "-" is stdin elsewhere: here it would need a name and a size. */
	if (strcmp(path, "-") == 0)
		file_refused("standard input cannot be uploaded (a slot is "
		    "asked for a name and a size): name a file");
	if ((up.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(up.fd, &st) < 0)
		file_refused(strerror(errno));
	/* The slot is for a size known beforehand. */
	if (!S_ISREG(st.st_mode))
		file_refused("not a regular file");
	up.size = (uint64_t)st.st_size;
	up.name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (*up.name == '\0')
		file_refused("no file name");
	if ((bad = body_problem(up.name, strlen(up.name))) != NULL) {
		snprintf(why, sizeof(why), "the name has %s", bad);
		file_refused(why);
	}
	up.type = xt_upload_type(up.name);
}

/* "12.3 MiB" */
static const char *
human(uint64_t n, char *buf, size_t len)
{
	if (n < 1024)
		snprintf(buf, len, "%" PRIu64 " B", n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", n / 1024.0);
	else if (n < 1024ULL * 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", n / 1048576.0);
	else
		snprintf(buf, len, "%.2f GiB", n / 1073741824.0);
	return buf;
}

/* -v on a terminal: one line, redrawn at most once a second. */
static void
progress(void *arg, uint64_t done, uint64_t total)
{
	char a[32], b[32], name[256], line[400];
	int64_t now = xt_now_ms();
	int n;

	if (arg == NULL && now - up.shown < 1000)
		return;
	up.shown = now;
	snprintf(name, sizeof(name), "%s", up.name);
	xt_oneline(name);
	n = snprintf(line, sizeof(line), "\rxmpp-send: %s: %s of %s (%d%%)"
	    "\033[K", name, human(done, a, sizeof(a)),
	    human(total, b, sizeof(b)), total > 0 ? (int)(done * 100 /
	    total) : 100);
	/* Our own CR and erase-line: past stderr's filter, to the terminal. */
	fflush(stderr);
	if (n > 0 && write(STDERR_FILENO, line, (size_t)n < sizeof(line) ?
	    (size_t)n : sizeof(line) - 1) < 0)
		return;
	up.progress = 1;
}

/*
 * --file: ask the account's upload service for a slot and PUT the file
 * there (XEP-0363); the URL then goes out as the body and as XEP-0066
 * out-of-band data.
 */
static void
upload(struct xt_upload_slot *slot)
{
	struct xt_upload_service svc;
	struct xt_upload_opts o = { 0 };
	struct xt_error e = { 0, "" };
	char a[32];
	int rc;

	if ((rc = xt_upload_find(cli.sess, &svc, &e)) < 0)
		die(rc, e.msg);
	xt_cli_note(&cli, "upload service %s, max-file-size %s", svc.jid,
	    svc.max > 0 ? human(svc.max, a, sizeof(a)) : "not said");
	/* Said before asking: no slot (and no quota) spent on it. */
	if (svc.max > 0 && up.size > svc.max) {
		xt_error_set(&e, XT_ETOOBIG, "--file: %s: %" PRIu64 " bytes, "
		    "over the %" PRIu64 " bytes %s takes", up.path, up.size,
		    svc.max, svc.jid);
		xt_upload_service_clear(&svc);
		die(XT_ETOOBIG, e.msg);
	}
	rc = xt_upload_request(cli.sess, &svc, up.name, up.size, up.type,
	    slot, &e);
	xt_upload_service_clear(&svc);
	if (rc < 0)
		die(rc, e.msg);
	if (slot->ignored > 0)
		xt_cli_note(&cli, "%zu header%s of the slot not sent (only "
		    "Authorization, Cookie and Expires are)", slot->ignored,
		    slot->ignored == 1 ? "" : "s");
	o.cafile = cli.cfg.cafile;
	o.pin = cli.cfg.pin;
	o.timeout = cli.timeout < 0 ? 30 : cli.timeout;
	if (cli.verbose && isatty(2)) {
		o.progress = progress;
		up.shown = xt_now_ms();
	}
	rc = xt_upload_put(slot, up.fd, up.size, up.type, &o, &e);
	if (up.progress) {
		if (rc == XT_OK)
			progress(&up, up.size, up.size);
		fputc('\n', stderr);
	}
	close(up.fd);
	up.fd = -1;
	if (rc < 0) {
		xt_upload_slot_clear(slot);
		die(rc, e.msg);
	}
	xt_error_set(&e, XT_OK, "%s: %s uploaded as %s", up.path,
	    human(up.size, a, sizeof(a)), up.type);
	xt_cli_note(&cli, "%s", e.msg);
	/* A long upload does not eat the time the message has. */
	xt_session_set_timeout(cli.sess, cli.timeout < 0 ? 30000 :
	    (int)cli.timeout * 1000);
	oob = slot->get;
}

int
main(int argc, char *argv[])
{
	struct xt_error e = { 0, "" };
	struct xt_node **raw = NULL;
	struct xt_upload_slot slot = { 0 };
	const char *bad, *keyfile = NULL, *file = NULL;
	char *body = NULL, *fixed;
	size_t n = 0, nraw = 0, i;
	int ch, rc, lines = 0, rawmode = 0, tflag = 0, tgroup = 0, missing;

	while ((ch = xt_cli_next(&cli, &argc, &argv, &e)) > 0) {
		switch (ch) {
		case XT_OPT_SAY:	/* -h, -V */
			return fputs(cli.say, stdout) == EOF;
		case O_KEY:
			keyfile = optarg;
			break;
		case 's':
			subject = optarg;
			break;
		case 'l':
		case 'i':
		case O_LISTEN:
		case O_INTERACTIVE:
			gosendxmpp(ch);
		case 't':
			/* go-sendxmpp's -t (direct TLS) takes no argument. */
			if (strpbrk(optarg, "@.") != NULL)
				errx(2, "-t %s: -t is the message type here "
				    "(chat, normal or headline); for "
				    "go-sendxmpp's -t (direct TLS) use "
				    "--direct-tls", optarg);
			if (strcmp(optarg, "groupchat") == 0) {
				tgroup = 1;
				break;
			}
			if (strcmp(optarg, "chat") != 0 &&
			    strcmp(optarg, "normal") != 0 &&
			    strcmp(optarg, "headline") != 0)
				errx(2, "-t: type is chat, normal or headline");
			mtype = optarg;
			tflag = 1;
			break;
		case O_LINES:
			lines = 1;
			break;
		case O_RAW:
			rawmode = 1;
			break;
		case O_ENCRYPT:
			enc.on = 1;
			break;
		case O_SESSION:
			enc.session = 1;
			break;
		case O_PASSFILE:
			enc.passfile = optarg;
			break;
		case O_STRICT:
			strict = 1;
			break;
		case O_RECEIPT:
			receipt = 1;
			break;
		case O_MUC:
			if (muc.room != NULL)
				errx(2, "--muc: one room at a time");
			muc.room = optarg;
			break;
		case O_NICK:
			muc.nick = optarg;
			break;
		case O_ROOMPASS:
			muc.passfile = optarg;
			break;
		case O_FILE:
			file = optarg;
			break;
		}
	}
	if (ch < 0)
		errx(xt_exit_status(ch), "%s", e.msg);
	if (lines + rawmode + (keyfile != NULL) > 1)
		errx(2, "--lines, --raw and --key do not go together");
	if (file != NULL && (lines || rawmode || keyfile != NULL || enc.on ||
	    muc.room != NULL))
		errx(2, "--file does not go with --lines, --raw, --key, "
		    "--encrypt or --muc");
	if (tgroup && muc.room == NULL)
		errx(2, "-t groupchat is for chat rooms: use --muc "
		    "ROOM@SERVICE");
	if ((muc.nick != NULL || muc.passfile != NULL) && muc.room == NULL)
		errx(2, "--nick and --room-password-file go with --muc");
	if (muc.room != NULL)
		muc_check(argc, argv, rawmode, keyfile);
	if (argc == 0 && !rawmode && muc.room == NULL)
		errx(2, "no recipient (see -h)");
	if (enc.session && (!enc.on || !lines))
		errx(2, "--session goes with --encrypt and --lines");
	if (enc.on && (rawmode || keyfile != NULL || subject != NULL))
		errx(2, "--encrypt does not go with --raw, --key or -s (a "
		    "subject would go in clear)");
	if (enc.on && argc != 1)
		errx(2, "--encrypt: one recipient");
	if (enc.on && strchr(argv[0], '/') != NULL)
		errx(2, "--encrypt: %s: a bare JID (her options say which "
		    "resource, if any)", argv[0]);
	if (rawmode && receipt)
		errx(2, "--receipt does not go with --raw (put <request "
		    "xmlns='urn:xmpp:receipts'/> in the stanzas)");
	if (rawmode && (argc > 0 || subject != NULL || tflag))
		errx(2, "--raw takes its recipients, subject and type from "
		    "the stanzas");
	if (subject != NULL && (bad = body_problem(subject,
	    strlen(subject))) != NULL)
		errx(2, "subject: %s", bad);
	/* Everything the user gave is checked before the network. */
	for (i = 0; i < (size_t)argc; i++) {
		struct xt_jid j;

		if ((rc = xt_jid_parse(argv[i], &j, &e)) < 0)
			errx(2, "%s: %s", argv[i], e.msg);
		xt_jid_free(&j);
	}
	rcpt = argv;
	nrcpt = argc;
	if (muc.room != NULL) {
		rcpt = (char **)&muc.room;
		nrcpt = 1;
	}
	if (keyfile != NULL) {
		struct xt_pubkey pk = { 0 };

		/* Only a key whose print verifies is sent. */
		if ((rc = xt_pubkey_read(keyfile, &pk, &e)) < 0) {
			xt_error_option(&e, "--key", keyfile);
			errx(xt_exit_status(rc), "%s", e.msg);
		}
		if ((pubkey = xt_pubkey_node(&pk)) == NULL)
			errx(1, "out of memory");
		xt_pubkey_clear(&pk);
	} else if (file != NULL) {
		/* The URL is the message: stdin is not read. */
		file_open(file);
	} else if (!lines) {
		body = read_all(&n);
		if (rawmode) {
			raw = read_raw(body, n, &nraw);
			/* Bounces are recognised by who they come from. */
			if ((rcpt = calloc(nraw, sizeof(*rcpt))) == NULL)
				errx(1, "out of memory");
			for (i = 0; i < nraw; i++)
				if (xt_node_attr(raw[i], "to") != NULL)
					rcpt[nrcpt++] = (char *)xt_node_attr(
					    raw[i], "to");
		}
		else {
			if ((bad = fit(body, &n, &fixed)) != NULL)
				errx(2, "stdin: %s (--strict)", bad);
			if (fixed != NULL) {
				free(body);
				body = fixed;
			}
			if (too_big(body, n))
				errx(2, "stdin: the message would be over the "
				    "server's stanza limit of %d bytes",
				    STANZA_MAX);
			while (n > 0 && (body[n - 1] == '\n' ||
			    body[n - 1] == '\r'))
				body[--n] = '\0';
			if (n == 0) {
				if (cli.verbose)
					warnx("stdin is empty: nothing sent");
				free(body);
				xt_cli_close(&cli, NULL);
				return 0;
			}
		}
	}
	if (enc.passfile != NULL && !enc.on)
		errx(2, "--passphrase-file goes with --encrypt");
	/* Our key, its passphrase asked for before the network. */
	if (enc.on && ((rc = xt_cli_account(&cli, &e)) < 0 ||
	    (rc = xt_key_open_own(NULL, cli.cfg.jid, enc.passfile, &enc.key,
	    NULL, &e)) < 0))
		errx(xt_exit_status(rc), "%s", rc == XT_ENOTFOUND ? "--encrypt: "
		    "no key of ours in the key store to sign with (xmpp-keygen "
		    "makes one)" : e.msg);
	if (muc.room != NULL)
		muc_setup();
	cli.reconnect = lines;	/* the password kept to log in again */
	cli.max_input = lines ? 0 : XT_ONESHOT_INPUT;
	if ((rc = xt_cli_login(&cli, -1, &e)) < 0)
		die(rc, e.msg);
	if (enc.on)
		encrypt_setup();
	if (lines) {
		/* A line may come at any time: no overall deadline now. */
		xt_session_set_timeout(cli.sess, 0);
		sm_start();
		relinking = 1;
		if (muc.room != NULL && (rc = muc_join()) < 0)
			relink(rc);	/* which joins again */
		send_lines();
		xt_outbox_clear(&outbox);
	} else if (rawmode) {
		for (i = 0; i < nraw; i++) {
			if (xt_node_attr(raw[i], "id") == NULL) {
				char *id = xt_session_id(cli.sess);

				if (id == NULL || xt_node_set_attr(raw[i], "id",
				    id) < 0)
					die(XT_ENOMEM, "out of memory");
				free(id);
			}
			send_node(raw[i]);
		}
		round_trip();
		for (i = 0; i < nraw; i++)
			xt_node_free(raw[i]);
		free(raw);
	} else if (file != NULL) {
		upload(&slot);
		send_body(oob, strlen(oob));
		round_trip();
	} else {
		if (muc.room != NULL && (rc = muc_join()) < 0)
			die(rc, xt_session_errmsg(cli.sess));
		send_body(body, n);
		round_trip();
	}
	free(body);
	missing = (receipt || muc.room != NULL) && await_receipts();
	muc_leave();
	if (replaced > 0)
		xt_cli_note(&cli, "%zu byte%s or character%s replaced by U+FFFD "
		    "(not UTF-8, or not allowed in XML; --strict refuses them)",
		    replaced, replaced == 1 ? "" : "s", replaced == 1 ? "" :
		    "s");
	xt_cli_close(&cli, NULL);
	xt_es_free(enc.es);
	xt_node_free(enc.options);
	xt_peerkeys_clear(&enc.keys);
	xt_key_free(enc.key);
	xt_free_secret(muc.password);
	free(muc.occupant);
	free(muc.why);
	xt_upload_slot_clear(&slot);
	if (bounced)
		return 5;
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return missing ? 6 : 0;
}
