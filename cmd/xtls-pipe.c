/*
 * xtls-pipe: an end-to-end TLS tunnel to another XMPP entity (XTLS),
 * like nc: standard input goes to the peer, the peer's data comes out on
 * standard output. The peer is authenticated by its XEP-0189 key (or a
 * shared SRP password) before a byte reaches standard output.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xt.h"

#define WINDOW_DEFAULT	16
#define BLOCK_DEFAULT	4096
#define KEEPALIVE_MS	60000
#define WINDOW_MAX	256

enum { O_LISTEN = XT_OPT_TOOL, O_FROM, O_PEERKEY, O_KEY, O_PASSFILE,
    O_SRP, O_WINDOW, O_BLOCK };

static const struct option longopts[] = {
	XT_ACCOUNT_LONGOPTS,
	{ "listen",		no_argument,		NULL, O_LISTEN },
	{ "keep-listening",	no_argument,		NULL, 'k' },
	{ "from",		required_argument,	NULL, O_FROM },
	{ "peer-key",		required_argument,	NULL, O_PEERKEY },
	{ "key",		required_argument,	NULL, O_KEY },
	{ "passphrase-file",	required_argument,	NULL, O_PASSFILE },
	{ "srp-password-file",	required_argument,	NULL, O_SRP },
	{ "window",		required_argument,	NULL, O_WINDOW },
	{ "block",		required_argument,	NULL, O_BLOCK },
	XT_CLI_LONGOPTS
};

static const char usage[] =
    "usage: xtls-pipe [-v] [account options] [--key key "
    "[--passphrase-file file]]\n"
    "                 [--peer-key pubkey-file | --srp-password-file file]\n"
    "                 [--window n] [--block bytes] fulljid\n"
    "       xtls-pipe --listen [-k] [--from jid] [the same options]\n"
    "account options: [-a jid] [-c file] [-r resource] "
    "[--password-file file]\n"
    "                 [--server host[:port]] [--direct-tls]\n"
    "                 [--cafile file | --pin sha256:base64] "
    "[--mechanisms list]\n"
    "                 [--timeout seconds] [--debug]\n";

/* -h: a line on each of its own options, as in the man page. */
static const char options[] =
    "--listen\twait for a tunnel instead of starting one\n"
    "-k, --keep-listening\twith --listen: wait for the next tunnel\n"
    "--from jid\twith --listen: accept a tunnel only from jid\n"
    "--key key\tpresent key, one's own private key, to the peer\n"
    "--passphrase-file file\tthe --key's passphrase from file\n"
    "--peer-key pubkey-file\ttrust this key of the peer instead of fetching\n"
    "--srp-password-file file\tauthenticate by the password in file (SRP)\n"
    "--window n\tdata IQs unacknowledged at most (default 16)\n"
    "--block bytes\tTLS bytes in one data IQ at most (default 4096)\n";
/* -h: the exit statuses, as in the man page, shortened. */
static const char exits[] =
    "0\tthe tunnel closed cleanly: the data of both sides arrived whole\n"
    "1\tthe peer could not be authenticated; no key of ours; a local failure\n"
    "2\tusage or malformed input: option, fulljid, --peer-key, file, "
    "password\n"
    "3\tnetwork, DNS or TLS failure; the peer went or broke the protocol\n"
    "4\tauthentication failure at our server, or a wrong passphrase\n"
    "5\tthe peer cannot be reached or refused; a stanza error\n"
    "6\ttimeout\n";

static struct xt_cli cli = {
	.tool = "xtls-pipe",
	.usage = usage,
	.options = options,
	.exits = exits,
	.shortopts = "k",
	.longopts = longopts,
	.login = 1,
	.note = warnx
};

/* How a peer is trusted: its published keys, a given key, or SRP. */
static struct {
	const char	*from;		/* --from */
	const char	*peerkeyfile;	/* --peer-key */
	struct xt_pubkey given;
	struct xt_peerkeys keys;	/* fetched and weighed */
	const char	*matched;	/* keyid of the key it presented */
	char		*srp;		/* the SRP password */
	struct xt_key	*key;		/* ours */
} trust;

static int stdin_tty, stderr_tty;

static void __attribute__((noreturn))
die(int rc, const char *what)
{
	errx(xt_exit_status(rc), "%s", xt_cli_close(&cli, what));
}

static long
number(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || end == s || v < min || v > max)
		errx(2, "%s: a number from %ld to %ld", opt, min, max);
	return v;
}

/* x509: is the key the peer presented one we trust for it? */
static int
accept_spki(void *arg, const unsigned char *spki, size_t len)
{
	int i;

	if (trust.peerkeyfile != NULL) {
		if (len != trust.given.spkilen ||
		    memcmp(spki, trust.given.spki, len) != 0)
			return 0;
		trust.matched = trust.given.keyid;
		return 1;
	}
	if ((i = xt_peerkeys_find(&trust.keys, spki, len)) < 0)
		return 0;
	trust.matched = trust.keys.keys[i].pk.keyid;
	return 1;
}

/*
 * The keys we accept from peer (a full JID), weighed as xmpp-fetchkey
 * does and compared with the pins; or the --peer-key, which must name
 * the peer and be valid now. Fills e and returns < 0 if there is none.
 */
static int
peer_keys(const char *peer, struct xt_error *e, int bounded)
{
	int when, rc;

	if (trust.srp != NULL)
		return XT_OK;
	if (trust.peerkeyfile != NULL) {
		if (xt_jid_streq(trust.given.jid, peer, 1) != 1)
			return xt_error_set(e, XT_EBADSIG, "%s: the key is of "
			    "%s, not of %s", trust.peerkeyfile,
			    trust.given.jid, peer);
		if ((when = xt_pubkey_when(&trust.given, time(NULL))) != 0)
			return xt_error_set(e, XT_EBADSIG, "%s: the key %s",
			    trust.peerkeyfile, when < 0 ? "is not valid yet" :
			    "has expired");
		return XT_OK;
	}
	xt_peerkeys_clear(&trust.keys);
	/* Looking the keys up is a wait like any other: --timeout bounds it. */
	if (bounded && cli.timeout > 0)
		xt_session_set_timeout(cli.sess, (int)(cli.timeout * 1000));
	rc = xt_peerkeys_trust(cli.sess, peer, &cli, &trust.keys, e);
	if (bounded)
		xt_session_set_timeout(cli.sess, 0);
	return rc;
}

static struct xt_xtls *
tunnel(const char *peer, int window, size_t block)
{
	struct xt_xtls_opts o = { 0 };
	struct xt_xtls *x;
	struct xt_error e = { 0, "" };
	int rc;

	o.sess = cli.sess;
	o.peer = peer;
	o.method = trust.srp != NULL ? XT_TLS_SRP : XT_TLS_X509;
	o.key = trust.key;
	o.accept = accept_spki;
	o.srp_password = trust.srp;
	o.window = window;
	o.block = block;
	if ((rc = xt_xtls_new(&x, &o, &e)) < 0)
		die(rc, e.msg);
	return x;
}

/* Is the peer online and does it speak XTLS (XTLS section 6)? */
static void
check_peer(const char *peer)
{
	struct xt_node *iq, *res = NULL, *q, *f;
	struct xt_error e;
	const char *var;
	int rc, found = 0;

	if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(iq, "type", "get") < 0 ||
	    xt_node_set_attr(iq, "to", peer) < 0 ||
	    xt_node_add_elem(iq, "query", XT_NS_DISCO_INFO) == NULL)
		die(XT_ENOMEM, "out of memory");
	rc = xt_session_iq(cli.sess, iq, &res, -1);
	xt_node_free(iq);
	if (rc == XT_ESTANZA) {
		char *why = xt_stanza_error(res);

		snprintf(e.msg, sizeof(e.msg), "%s cannot be reached (%s): is "
		    "xtls-pipe --listen running there?", peer, why ? why :
		    "error");
		free(why);
		xt_node_free(res);
		die(rc, e.msg);
	}
	if (rc < 0)
		die(rc, xt_session_errmsg(cli.sess));
	q = xt_node_child(res, "query", XT_NS_DISCO_INFO);
	for (f = q ? xt_node_child(q, "feature", NULL) : NULL; f != NULL;
	    f = xt_node_next(f, "feature", NULL))
		if ((var = xt_node_attr(f, "var")) != NULL &&
		    strcmp(var, XT_NS_XTLS) == 0)
			found = 1;
	xt_node_free(res);
	if (!found)
		die(XT_ESTANZA, "the peer does not offer XTLS (no "
		    XT_NS_XTLS " in its disco#info)");
}

/* A human size for -v. */
static const char *
size(uint64_t n, char *buf, size_t len)
{
	if (n < 10 * 1024)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else if (n < 10 * 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", n / 1024.0);
	else
		snprintf(buf, len, "%.1f MiB", n / 1048576.0);
	return buf;
}

/* -v: bytes each way and the rate; on a terminal, refreshed in place. */
static void
progress(const struct xt_xtls *x, int64_t since, int last)
{
	static int64_t shown;
	uint64_t in, out;
	int64_t now = xt_now_ms(), ms;
	char a[32], b[32], r[32];

	if (!cli.verbose || (!last && (!stderr_tty || now - shown < 1000)))
		return;
	shown = now;
	xt_xtls_counts(x, &in, &out);
	ms = now - since > 0 ? now - since : 1;
	size((in + out) * 1000 / (uint64_t)ms, r, sizeof(r));
	fprintf(stderr, "%s%s: %s in, %s out, %s/s%s", stderr_tty ? "\r" : "",
	    cli.tool, size(in, a, sizeof(a)), size(out, b, sizeof(b)), r,
	    last || !stderr_tty ? "\n" : "  ");
}

static void
announce(const struct xt_xtls *x)
{
	char buf[128];
	struct xt_tls *t = xt_xtls_tls(x);

	if (!cli.verbose || t == NULL)
		return;
	warnx("peer %s, %s%s, %s", xt_xtls_peer(x), trust.srp ? "srp" :
	    "x509 key ",
	    trust.srp ? "" : trust.matched ? trust.matched : "?",
	    xt_tls_describe(t, buf, sizeof(buf)));
}

/* The tunnel failed: say why, after what went through, and exit. */
static void __attribute__((noreturn))
end(struct xt_xtls *x, int64_t since)
{
	char msg[XT_ERRLEN];
	int rc;

	snprintf(msg, sizeof(msg), "%s", xt_xtls_errmsg(x, &rc));
	if (since > 0)
		progress(x, since, 1);
	xt_xtls_free(x);
	die(rc, msg);
}

/* Write all of buf to standard output. */
static int
put(const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(1, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * A stanza that is not the tunnel's: a <start/> (taken when listening
 * and idle), anything XTLS for a tunnel we do not have, and the IQs any
 * entity answers. Returns the new tunnel, if one was accepted.
 */
static struct xt_xtls *
other(struct xt_node *st, struct xt_xtls *x, int listening, int keep,
    int window, size_t block)
{
	struct xt_error e = { 0, "" };
	const char *from = xt_node_attr(st, "from");
	int rc;

	if (xt_xtls_is(st, "start") && from != NULL) {
		if (!listening || x != NULL)
			rc = xt_xtls_refuse(cli.sess, st, !listening ?
			    "service-unavailable" : "not-acceptable");
		else if (trust.from != NULL && xt_jid_streq(from, trust.from,
		    strchr(trust.from, '/') == NULL) != 1) {
			xt_cli_note(&cli, "%s: refused (not --from)", from);
			rc = xt_xtls_refuse(cli.sess, st, "not-acceptable");
		} else if ((rc = peer_keys(from, &e, 1)) < 0) {
			if (xt_xtls_refuse(cli.sess, st, "not-acceptable") < 0 ||
			    !keep)
				die(rc, e.msg);
			warnx("%s", e.msg);
			rc = XT_OK;
		} else {
			xt_cli_note(&cli, "tunnel from %s", from);
			x = tunnel(from, window, block);
			if (xt_xtls_accept(x, st) < 0)
				end(x, 0);
		}
	} else if (xt_xtls_is(st, "data") || xt_xtls_is(st, "close"))
		rc = xt_xtls_refuse(cli.sess, st, "item-not-found");
	else
		rc = xt_session_answer_iq(cli.sess, st);
	if (rc < 0)
		die(rc, xt_session_errmsg(cli.sess));
	return x;
}

int
main(int argc, char *argv[])
{
	static const char *const features[] = { XT_NS_XTLS, NULL };
	static char buf[XT_XTLS_BLOCK_MAX];
	struct xt_error e = { 0, "" };
	struct xt_xtls *x = NULL, *nx;
	struct xt_node *st, *p;
	struct pollfd pfd[2];
	const char *peer = NULL, *keyspec = NULL, *passfile = NULL;
	const char *srpfile = NULL;
	int64_t since = 0, active, last, now;
	size_t block = BLOCK_DEFAULT, room;
	ssize_t n;
	int ch, rc, listening = 0, keep = 0, window = WINDOW_DEFAULT;
	int in_eof = 0, wait_ms;

	while ((ch = xt_cli_next(&cli, &argc, &argv, &e)) > 0) {
		switch (ch) {
		case XT_OPT_SAY:	/* -h, -V */
			return fputs(cli.say, stdout) == EOF;
		case O_LISTEN:
			listening = 1;
			break;
		case 'k':
			keep = 1;
			break;
		case O_FROM:
			if (xt_jid_streq(optarg, optarg, 0) != 1)
				errx(2, "--from: not a JID: %s", optarg);
			trust.from = optarg;
			break;
		case O_PEERKEY:
			if (strcmp(optarg, "-") == 0)
				errx(2, "--peer-key: a file (standard input is "
				    "the tunnel's)");
			trust.peerkeyfile = optarg;
			break;
		case O_KEY:
			keyspec = optarg;
			break;
		case O_PASSFILE:
			passfile = optarg;
			break;
		case O_SRP:
			srpfile = optarg;
			break;
		case O_WINDOW:
			window = (int)number("--window", optarg, 1,
			    WINDOW_MAX);
			break;
		case O_BLOCK:
			block = (size_t)number("--block", optarg, 512,
			    XT_XTLS_BLOCK_MAX);
			break;
		}
	}
	if (ch < 0)
		errx(xt_exit_status(ch), "%s", e.msg);
	if (listening ? argc != 0 : argc != 1)
		errx(2, listening ? "--listen takes no JID (see -h)" :
		    argc ? "one peer only (see -h)" : "no peer: a full JID, or "
		    "--listen (see -h)");
	if (keep && !listening)
		errx(2, "-k goes with --listen");
	if (trust.from != NULL && !listening)
		errx(2, "--from goes with --listen");
	if (srpfile != NULL && (trust.peerkeyfile || keyspec || passfile))
		errx(2, "--srp-password-file does not go with --peer-key, "
		    "--key or --passphrase-file");
	if (!listening) {
		struct xt_jid j;

		peer = argv[0];
		if ((rc = xt_jid_parse(peer, &j, &e)) < 0)
			errx(2, "%s: %s", peer, e.msg);
		rc = j.resource == NULL;
		xt_jid_free(&j);
		if (rc)
			errx(2, "%s: a tunnel goes to a full JID (with its "
			    "resource)", peer);
	}
	/* Everything named is read before the network. */
	if (srpfile != NULL) {
		if ((rc = xt_passphrase_read(srpfile, NULL, 0, &trust.srp,
		    &e)) < 0)
			errx(xt_exit_status(rc), "--srp-password-file: %s",
			    e.msg);
	} else {
		if (trust.peerkeyfile != NULL && (rc = xt_pubkey_read(
		    trust.peerkeyfile, &trust.given, &e)) < 0) {
			xt_error_option(&e, "--peer-key", trust.peerkeyfile);
			errx(xt_exit_status(rc), "%s", e.msg);
		}
		if (peer != NULL && trust.peerkeyfile != NULL &&
		    (rc = peer_keys(peer, &e, 0)) < 0)
			errx(xt_exit_status(rc), "%s", e.msg);
		if ((rc = xt_cli_account(&cli, &e)) < 0)
			errx(xt_exit_status(rc), "%s", e.msg);
		if ((rc = xt_key_open_own(keyspec, cli.cfg.jid, passfile,
		    &trust.key, NULL, &e)) < 0 &&
		    xt_error_option(&e, "--key", keyspec) < 0)
			errx(xt_exit_status(rc), "%s%s", e.msg, rc ==
			    XT_ENOTFOUND && keyspec == NULL ? "; make one "
			    "with xmpp-keygen and publish it" : "");
	}
	stdin_tty = isatty(0);
	stderr_tty = isatty(2);
	signal(SIGPIPE, SIG_IGN);

	cli.quiet = listening;	/* it names the JID listened on instead */
	if ((rc = xt_cli_login(&cli, -1, &e)) < 0)
		die(rc, e.msg);
	xt_session_disco(cli.sess, cli.tool, features);
	/*
	 * Asking the peer and looking up its keys are bounded as the login
	 * was; then only --timeout bounds a wait in which nothing moves.
	 */
	if (cli.timeout < 0)
		xt_session_set_timeout(cli.sess, 30000);
	if (listening) {
		/* Negative priority: messages stay for the user's clients. */
		if ((p = xt_node_new("presence", XT_NS_CLIENT)) == NULL ||
		    (st = xt_node_add_elem(p, "priority", NULL)) == NULL ||
		    xt_node_add_text(st, "-1", 2) < 0)
			die(XT_ENOMEM, "out of memory");
		if ((rc = xt_session_send(cli.sess, p)) < 0)
			die(rc, xt_session_errmsg(cli.sess));
		xt_node_free(p);
		xt_cli_note(&cli, "listening as %s", xt_session_jid(cli.sess));
	} else {
		check_peer(peer);
		if ((rc = peer_keys(peer, &e, 0)) < 0)
			die(rc, e.msg);
		x = tunnel(peer, window, block);
		if (xt_xtls_start(x) < 0)
			end(x, 0);
	}
	xt_session_set_timeout(cli.sess, 0);

	active = last = xt_now_ms();
	for (;;) {
		/* Everything the server has sent so far. */
		while (x == NULL || xt_xtls_state(x) != XT_XTLS_FAILED) {
			if ((rc = xt_session_recv(cli.sess, &st, 0)) ==
			    XT_ETIMEOUT)
				break;
			if (rc < 0)
				die(rc, xt_session_errmsg(cli.sess));
			/* What moves: the tunnel's stanzas, a new tunnel. */
			if (x != NULL && xt_xtls_stanza(x, st) != 0)
				active = xt_now_ms();
			else if ((nx = other(st, x, listening, keep, window,
			    block)) != x) {
				x = nx;
				active = xt_now_ms();
			}
			xt_node_free(st);
			/* The peer's plaintext out before its IQ is acked. */
			while (x != NULL && (n = xt_xtls_read(x, buf,
			    sizeof(buf))) > 0)
				if (put(buf, (size_t)n) < 0) {
					warn("stdout");
					xt_xtls_free(x);
					xt_cli_close(&cli, NULL);
					exit(1);
				}
		}
		if (x != NULL && since == 0 &&
		    xt_xtls_state(x) != XT_XTLS_STARTING &&
		    xt_xtls_state(x) != XT_XTLS_FAILED) {
			since = xt_now_ms();
			announce(x);
		}
		/* A terminal has no end of its own: the peer's end is it. */
		if (x != NULL && stdin_tty &&
		    xt_xtls_state(x) == XT_XTLS_PEER_ENDED)
			in_eof = 1;
		if (x != NULL && in_eof)
			xt_xtls_shutdown(x);
		if (x != NULL)
			xt_xtls_step(x);
		if (x != NULL && xt_xtls_state(x) == XT_XTLS_FAILED) {
			if (!keep)
				end(x, since);
			/* -k: this tunnel failed, the next may come. */
			warnx("%s", xt_xtls_errmsg(x, NULL));
			xt_xtls_free(x);
			x = NULL;
			since = 0;
			continue;
		}
		if (x != NULL && xt_xtls_state(x) == XT_XTLS_CLOSED) {
			progress(x, since, 1);
			xt_xtls_free(x);
			x = NULL;
			since = 0;
			if (!keep)
				break;
			continue;
		}
		if (x != NULL)
			progress(x, since, 0);

		/* Wait for the server, or for stdin when the window has room. */
		room = x != NULL && !in_eof ? xt_xtls_room(x) : 0;
		pfd[0].fd = xt_session_fd(cli.sess);
		pfd[0].events = POLLIN;
		pfd[1].fd = room > 0 ? 0 : -1;
		pfd[1].events = POLLIN;
		now = xt_now_ms();
		wait_ms = (int)(last + KEEPALIVE_MS - now);
		if (cli.timeout > 0 && active + cli.timeout * 1000 - now <
		    wait_ms)
			wait_ms = (int)(active + cli.timeout * 1000 - now);
		if (cli.verbose && stderr_tty && x != NULL && wait_ms > 1000)
			wait_ms = 1000;
		if (poll(pfd, 2, wait_ms > 0 ? wait_ms : 0) < 0 &&
		    errno != EINTR)
			die(XT_ESYS, "poll failed");
		now = xt_now_ms();
		if (cli.timeout > 0 && now - active >= cli.timeout * 1000)
			die(XT_ETIMEOUT, "nothing moved for the --timeout");
		if (now - last >= KEEPALIVE_MS) {
			if ((rc = xt_session_keepalive(cli.sess)) < 0)
				die(rc, xt_session_errmsg(cli.sess));
			last = now;
		}
		if (room > 0 && (pfd[1].revents & (POLLIN | POLLHUP))) {
			n = read(0, buf, room);
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				die(XT_ESYS, "stdin: read error");
			if (n == 0)
				in_eof = 1;
			if (n > 0)
				xt_xtls_write(x, buf, (size_t)n);
			active = last = xt_now_ms();
		}
	}
	xt_cli_close(&cli, NULL);
	xt_key_free(trust.key);
	xt_free_secret(trust.srp);
	xt_pubkey_clear(&trust.given);
	xt_peerkeys_clear(&trust.keys);
	return 0;
}
