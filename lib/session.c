/*
 * session.c: one client stream (RFC 6120): connect, STARTTLS or direct TLS
 * (XEP-0368), SASL, stream restarts, resource binding, then stanzas in and
 * out with IQ matching and deadlines. It knows nothing of config files or
 * the environment; the tool hands everything in through xt_session_opts.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>
#include <gnutls/crypto.h>

#include "xt.h"

#define QUEUE_MAX	4096
#define QUEUE_BYTES	(8 * 1024 * 1024)	/* of xt_node_size */
#define SM_RING		8192	/* stanzas tracked past the acknowledged */
#define SM_ACK_EVERY	256	/* lazy acks still go at least this often:
				   servers end a stream whose unacknowledged
				   queue grows too long (ejabberd: 5000) */

struct qitem {
	struct xt_node	*st;
	uint32_t	 seq;		/* Stream Management count, 0: none */
	size_t		 size;		/* xt_node_size(st) */
	struct qitem	*next;
};

struct xt_session {
	struct xt_session_opts	 o;
	char			*password;	/* secure memory */
	struct xt_jid		 jid;
	char			*bare;
	char			*full;		/* bound */
	const char		*mech;
	int			 fd;
	struct xt_tls		*tls;
	struct xt_parser	*parser;
	struct xt_node		*features;
	struct qitem		*qhead, *qtail;
	int			 qlen;
	size_t			 qbytes;	/* the sum of their sizes */
	int64_t			 deadline;
	int64_t			 window;	/* ms without progress allowed,
						   0: no deadline */
	int			 outq;		/* bytes unsent in the socket
						   when last looked, -1: none */
	uint32_t		 wnd;		/* the peer's window then */
	unsigned		 idseq;
	char			 idprefix[9];
	int			 open;		/* our stream header sent */
	char			 where[300];	/* "host port N", once connected */
	const char		*stage;		/* what we wait for, for errors */
	char			 stagebuf[160];
	int			 dead;		/* no more I/O */
	const char		*disco_name;	/* xt_session_disco */
	const char *const	*disco_features;
	/*
	 * XEP-0198, inbound only: sm_in counts the stanzas received since
	 * <enabled/>, sm_h is how many of them, from the first on without a
	 * gap, the tool has handled, sm_acked the h last sent. A stanza
	 * handled out of order waits in sm_done until the gap closes.
	 */
	int			 sm;
	int			 sm_lazy;	/* <r/> answered by xt_session_ack */
	int			 sm_owed;	/* an <r/> not answered yet */
	int			 closing;	/* our </stream:stream> sent */
	uint32_t		 sm_in, sm_h, sm_acked;
	uint32_t		 sm_out, sm_peer;	/* sent, server's h */
	uint32_t		 wire_seq;	/* of what wire_next gave */
	uint32_t		 last_seq;	/* of what recv gave */
	unsigned char		 sm_done[SM_RING / 8];
	struct xt_error		 err;
};

static char *
xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct xt_session *
xt_session_new(const struct xt_session_opts *o)
{
	struct xt_session *s;
	unsigned char rnd[4];

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->o = *o;
	s->fd = -1;
	s->o.jid = xstrdup(o->jid);
	s->o.resource = xstrdup(o->resource);
	s->o.server = xstrdup(o->server);
	s->o.cafile = xstrdup(o->cafile);
	s->o.pin = xstrdup(o->pin);
	s->o.mechanisms = xstrdup(o->mechanisms);
	s->o.tool = xstrdup(o->tool);
	s->o.password = NULL;
	if (o->password != NULL) {
		s->password = gcry_malloc_secure(strlen(o->password) + 1);
		if (s->password != NULL)
			strcpy(s->password, o->password);
	}
	if ((o->jid && !s->o.jid) || (o->resource && !s->o.resource) ||
	    (o->server && !s->o.server) || (o->cafile && !s->o.cafile) ||
	    (o->pin && !s->o.pin) || (o->tool && !s->o.tool) || (o->mechanisms && !s->o.mechanisms) ||
	    (o->password && !s->password)) {
		xt_session_free(s);
		return NULL;
	}
	gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd));
	snprintf(s->idprefix, sizeof(s->idprefix), "%02x%02x%02x%02x",
	    rnd[0], rnd[1], rnd[2], rnd[3]);
	s->window = o->timeout_ms > 0 ? o->timeout_ms : 0;
	s->deadline = s->window > 0 ? xt_now_ms() + s->window : -1;
	s->outq = -1;
	s->stage = "the server";
	return s;
}

static int
fail(struct xt_session *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct xt_session *s, int code, const char *fmt, ...)
{
	va_list ap;

	s->err.code = code;
	va_start(ap, fmt);
	vsnprintf(s->err.msg, sizeof(s->err.msg), fmt, ap);
	xt_oneline(s->err.msg);
	va_end(ap);
	return code;
}

const char *
xt_session_errmsg(const struct xt_session *s)
{
	return s->err.msg[0] ? s->err.msg : xt_strerror(s->err.code);
}

const char *
xt_session_jid(const struct xt_session *s)
{
	return s->full;
}

const char *
xt_session_mech(const struct xt_session *s)
{
	return s->mech;
}

void
xt_session_set_timeout(struct xt_session *s, int timeout_ms)
{
	s->window = timeout_ms > 0 ? timeout_ms : 0;
	s->deadline = s->window > 0 ? xt_now_ms() + s->window : -1;
}

/* The earlier of the session deadline and now + timeout_ms (< 0: none). */
static int64_t
deadline_for(const struct xt_session *s, int timeout_ms)
{
	int64_t d = timeout_ms < 0 ? -1 : xt_now_ms() + timeout_ms;

	if (s->deadline >= 0 && (d < 0 || s->deadline < d))
		d = s->deadline;
	return d;
}

/* ------------------------------------------------------------ transport */

/*
 * The deadline bounds waiting, not a transfer that moves: bytes read or
 * written, or our bytes leaving the socket while the server paces its
 * reading (a shaper), give the window again.
 */
static void
moved(struct xt_session *s)
{
	if (s->window > 0)
		s->deadline = xt_now_ms() + s->window;
}

static int
unsent(const struct xt_session *s)
{
	int q;

	return ioctl(s->fd, TIOCOUTQ, &q) == 0 ? q : -1;
}

/*
 * Has the server taken some of what we sent since last time? Bytes left
 * our socket, or its window opened: the server read from its socket what
 * its kernel held for it.
 */
static int
draining(struct xt_session *s)
{
	int q = unsent(s), was = s->outq, opened = 0;
	uint32_t w;

	if (xt_net_peer_window(s->fd, &w) == 0) {
		opened = s->wnd > 0 && w > s->wnd;
		s->wnd = w;
	}
	s->outq = q;
	return (q >= 0 && was > 0 && q < was) || opened;
}

#define WRITE_PIECE	16384	/* progress is counted a piece at a time */

static int
raw_write(struct xt_session *s, const char *buf, size_t n)
{
	struct pollfd pfd;
	ssize_t w;
	size_t k;
	int r;

	if (s->dead)
		return fail(s, XT_ECLOSED, "the stream is closed");
	while (s->tls != NULL && n > 0) {
		k = n < WRITE_PIECE ? n : WRITE_PIECE;
		if ((r = xt_tls_write(s->tls, buf, k, s->deadline,
		    &s->err)) < 0) {
			s->dead = 1;
			return r;
		}
		moved(s);
		buf += k;
		n -= k;
	}
	while (n > 0) {
		w = write(s->fd, buf, n);
		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			pfd.fd = s->fd;
			pfd.events = POLLOUT;
			r = poll(&pfd, 1, xt_ms_left(s->deadline));
			if (r == 0)
				return fail(s, XT_ETIMEOUT, "%s: timed out "
				    "writing (%s)", s->where, s->stage);
			continue;
		}
		if (w < 0) {
			s->dead = 1;
			return fail(s, XT_ENET, "write: %s", strerror(errno));
		}
		moved(s);
		buf += w;
		n -= w;
	}
	s->outq = unsent(s);
	xt_net_peer_window(s->fd, &s->wnd);
	return XT_OK;
}

static ssize_t
raw_read(struct xt_session *s, char *buf, size_t n, int64_t deadline)
{
	struct pollfd pfd;
	ssize_t r;
	int p, follow;

	if (s->dead)
		return fail(s, XT_ECLOSED, "the stream is closed");
	/* Only the session's own deadline follows progress. */
	follow = deadline >= 0 && deadline == s->deadline;
	for (;;) {
		if (s->tls != NULL) {
			r = xt_tls_read(s->tls, buf, n, deadline, &s->err);
			if (r != XT_ETIMEOUT) {
				if (r > 0)
					moved(s);
				return r;
			}
		} else if ((r = read(s->fd, buf, n)) >= 0) {
			if (r > 0)
				moved(s);
			return r;
		} else if (errno != EAGAIN && errno != EINTR)
			return fail(s, XT_ENET, "read: %s", strerror(errno));
		else {
			pfd.fd = s->fd;
			pfd.events = POLLIN;
			if ((p = poll(&pfd, 1, xt_ms_left(deadline))) != 0)
				continue;
		}
		/* Timed out: unless what we sent is still leaving. */
		if (follow && draining(s)) {
			moved(s);
			deadline = s->deadline;
			continue;
		}
		return fail(s, XT_ETIMEOUT, "%s: timed out waiting for %s",
		    s->where, s->stage);
	}
}

static void
debug(struct xt_session *s, char dir, const char *text, size_t len)
{
	if (s->o.debug != NULL)
		s->o.debug(s->o.debug_arg, dir, text, len);
}

/* The room password of a join (XEP-0045 7.2.6) in st, or NULL. */
static struct xt_node *
room_password(const struct xt_node *st)
{
	const struct xt_node *x;

	if (st->name == NULL || strcmp(st->name, "presence") != 0 ||
	    (x = xt_node_child(st, "x", XT_NS_MUC)) == NULL)
		return NULL;
	return xt_node_child(x, "password", NULL);
}

/*
 * Debug text of a stanza, SASL payloads and room passwords replaced by a
 * marker.
 */
static void
debug_node(struct xt_session *s, char dir, const struct xt_node *st)
{
	struct xt_node *c = NULL, *pw, *t;
	char *text, **a;
	size_t len;

	if (s->o.debug == NULL)
		return;
	if (st->ns != NULL && strcmp(st->ns, XT_NS_SASL) == 0 &&
	    st->children != NULL) {
		/* A new element, so the payload is never copied. */
		if ((c = xt_node_new(st->name, st->ns)) == NULL)
			return;
		for (a = st->attrs; a != NULL && *a != NULL; a += 2)
			xt_node_set_attr(c, a[0], a[1]);
		xt_node_add_text(c, "[redacted]", 10);
	} else if (room_password(st) != NULL) {
		/* A copy, its password wiped and replaced. */
		if ((c = xt_node_copy(st)) == NULL)
			return;
		pw = room_password(c);
		while ((t = pw->children) != NULL) {
			pw->children = t->next;
			if (t->text != NULL)
				xt_wipe(t->text, strlen(t->text));
			t->next = NULL;
			xt_node_free(t);
		}
		pw->last = NULL;
		xt_node_add_text(pw, "[redacted]", 10);
	}
	if (xt_xml_serialize(c != NULL ? c : st, XT_NS_CLIENT, &text,
	    &len) == XT_OK) {
		debug(s, dir, text, len);
		free(text);
	}
	xt_node_free(c);
}

int
xt_session_send(struct xt_session *s, const struct xt_node *st)
{
	char *text;
	size_t len;
	int rc;

	if ((rc = xt_xml_serialize(st, XT_NS_CLIENT, &text, &len)) < 0)
		return fail(s, rc, "cannot serialize a stanza");
	debug_node(s, '>', st);
	rc = raw_write(s, text, len);
	/* XEP-0198 counts stanzas, whether or not the write went through. */
	if (s->sm && st->ns != NULL && strcmp(st->ns, XT_NS_CLIENT) == 0 &&
	    (strcmp(st->name, "message") == 0 ||
	    strcmp(st->name, "presence") == 0 || strcmp(st->name, "iq") == 0))
		s->sm_out++;
	if (st->ns != NULL && strcmp(st->ns, XT_NS_SASL) == 0)
		xt_wipe(text, len);
	free(text);
	return rc;
}

/* End the stream because the server broke the rules. */
static int
stream_error(struct xt_session *s, const char *cond, int code,
    const char *msg)
{
	char buf[256];
	int n;

	if (!s->dead && s->open) {
		n = snprintf(buf, sizeof(buf), "<stream:error><%s xmlns='%s'/>"
		    "</stream:error></stream:stream>", cond, XT_NS_STREAMS);
		debug(s, '>', buf, n);
		raw_write(s, buf, n);
	}
	s->dead = 1;
	return fail(s, code, "server: %s", msg);
}

static int
queue_push(struct xt_session *s, struct xt_node *st)
{
	struct qitem *q;
	size_t size = xt_node_size(st);

	/* Others' stanzas must not fill memory while we wait for an answer. */
	if (s->qlen >= QUEUE_MAX) {
		xt_node_free(st);
		return fail(s, XT_EPROTO, "server: over %d stanzas arrived "
		    "while waiting for an answer", QUEUE_MAX);
	}
	if (size > QUEUE_BYTES - s->qbytes) {
		xt_node_free(st);
		return fail(s, XT_EPROTO, "server: over %d MiB of stanzas "
		    "arrived while waiting for an answer", QUEUE_BYTES >> 20);
	}
	if ((q = malloc(sizeof(*q))) == NULL) {
		xt_node_free(st);
		return fail(s, XT_ENOMEM, "out of memory");
	}
	s->qlen++;
	s->qbytes += size;
	q->st = st;
	q->size = size;
	q->seq = s->wire_seq;
	q->next = NULL;
	if (s->qtail != NULL)
		s->qtail->next = q;
	else
		s->qhead = q;
	s->qtail = q;
	return XT_OK;
}

static struct xt_node *
queue_pop(struct xt_session *s)
{
	struct qitem *q = s->qhead;
	struct xt_node *st;

	if (q == NULL)
		return NULL;
	s->qhead = q->next;
	if (s->qhead == NULL)
		s->qtail = NULL;
	s->qlen--;
	s->qbytes -= q->size;
	st = q->st;
	s->last_seq = q->seq;
	free(q);
	return st;
}

/* ------------------------------------------------ stream management */

static int	 wire_next(struct xt_session *, struct xt_node **, int64_t);

static int
sm_ack(struct xt_session *s)
{
	char buf[96];
	int n;

	if (!s->sm || s->closing || s->dead ||
	    (s->sm_h == s->sm_acked && !s->sm_owed))
		return XT_OK;
	n = snprintf(buf, sizeof(buf), "<a xmlns='%s' h='%" PRIu32 "'/>",
	    XT_NS_SM, s->sm_h);
	debug(s, '>', buf, n);
	s->sm_acked = s->sm_h;
	s->sm_owed = 0;
	return raw_write(s, buf, n);
}

/* The stanza numbered seq is handled; the acknowledged prefix grows. */
static void
sm_handled(struct xt_session *s, uint32_t seq)
{
	uint32_t i;

	/* Out of reach of the ring: it stays unacknowledged. */
	if (!s->sm || seq == 0 || seq <= s->sm_h || seq - s->sm_h > SM_RING)
		return;
	i = seq % SM_RING;
	s->sm_done[i / 8] |= 1u << (i % 8);
	for (;;) {
		i = (s->sm_h + 1) % SM_RING;
		if ((s->sm_done[i / 8] & (1u << (i % 8))) == 0)
			break;
		s->sm_done[i / 8] &= ~(1u << (i % 8));
		s->sm_h++;
	}
}

int
xt_session_sm(struct xt_session *s, int lazy)
{
	static const char enable[] = "<enable xmlns='" XT_NS_SM "'/>";
	struct xt_node *st;
	int rc;

	s->sm_lazy = lazy;
	if (s->sm)
		return 1;
	if (s->features == NULL ||
	    xt_node_child(s->features, "sm", XT_NS_SM) == NULL)
		return 0;
	debug(s, '>', enable, sizeof(enable) - 1);
	if ((rc = raw_write(s, enable, sizeof(enable) - 1)) < 0)
		return rc;
	s->stage = "the answer to <enable/> (Stream Management)";
	/* What comes before the answer is not counted (XEP-0198 4). */
	for (;;) {
		if ((rc = wire_next(s, &st, s->deadline)) < 0)
			return rc;
		if (st->ns != NULL && strcmp(st->ns, XT_NS_SM) == 0 &&
		    (strcmp(st->name, "enabled") == 0 ||
		    strcmp(st->name, "failed") == 0)) {
			s->sm = strcmp(st->name, "enabled") == 0;
			xt_node_free(st);
			return s->sm;
		}
		if ((rc = queue_push(s, st)) < 0)
			return rc;
	}
}

int
xt_session_handled(struct xt_session *s)
{
	sm_handled(s, s->last_seq);
	s->last_seq = 0;
	if (s->sm_lazy && s->sm_h - s->sm_acked >= SM_ACK_EVERY)
		return sm_ack(s);
	return XT_OK;
}

int
xt_session_ack(struct xt_session *s)
{
	return sm_ack(s);
}

/*
 * A Stream Management element from the server, or not: 1 if it was one
 * (and dealt with), 0 if not, <0 on a write error.
 */
static int
sm_element(struct xt_session *s, const struct xt_node *st)
{
	const char *h;
	char *end;
	unsigned long v;
	int rc;

	if (!s->sm || st->ns == NULL || strcmp(st->ns, XT_NS_SM) != 0)
		return 0;
	if (strcmp(st->name, "r") == 0) {
		/*
		 * Answered by xt_session_ack, before the tool waits: one
		 * answer for a burst, with the h of then. However often a
		 * server asks, that must not hold back the answers
		 * xt_session_handled gives every SM_ACK_EVERY stanzas within
		 * a burst, or a long burst fills the server's queue of
		 * unacknowledged stanzas and it drops the stream.
		 */
		s->sm_owed = 1;
		if (!s->sm_lazy && (rc = sm_ack(s)) < 0)
			return rc;
	} else if (strcmp(st->name, "a") == 0 &&
	    (h = xt_node_attr(st, "h")) != NULL) {
		errno = 0;
		v = strtoul(h, &end, 10);
		/* More than we sent, or not a number: not believed. */
		if (errno == 0 && *h != '\0' && *end == '\0' &&
		    v <= UINT32_MAX && (uint32_t)v - s->sm_peer <=
		    s->sm_out - s->sm_peer)
			s->sm_peer = (uint32_t)v;
	}
	return 1;
}

void
xt_session_sm_count(const struct xt_session *s, uint32_t *sent,
    uint32_t *acked)
{
	*sent = s->sm ? s->sm_out : 0;
	*acked = s->sm ? s->sm_peer : 0;
}

int
xt_session_sm_request(struct xt_session *s)
{
	static const char r[] = "<r xmlns='" XT_NS_SM "'/>";

	if (!s->sm || s->dead || s->closing)
		return XT_OK;
	debug(s, '>', r, sizeof(r) - 1);
	return raw_write(s, r, sizeof(r) - 1);
}

/*
 * The next stanza from the wire (not the queue). A stream error from the
 * server ends the session with XT_EPROTO and its condition.
 */
static int
wire_next(struct xt_session *s, struct xt_node **out, int64_t deadline)
{
	char buf[16384];
	struct xt_error e;
	struct xt_node *st, *c;
	ssize_t n;
	int rc, follow = deadline >= 0 && deadline == s->deadline;
	char cond[64];

	*out = NULL;
	for (;;) {
		if ((st = xt_parser_next(s->parser)) != NULL) {
			debug_node(s, '<', st);
			if (strcmp(st->name, "error") == 0 && st->ns != NULL &&
			    strcmp(st->ns, XT_NS_STREAM) == 0) {
				c = xt_node_child(st, NULL, XT_NS_STREAMS);
				snprintf(cond, sizeof(cond), "%s",
				    c ? c->name : "undefined-condition");
				xt_node_free(st);
				s->dead = 1;
				return fail(s, XT_EPROTO,
				    "server: stream error %s", cond);
			}
			if ((rc = sm_element(s, st)) != 0) {
				xt_node_free(st);
				if (rc < 0)
					return rc;
				continue;
			}
			s->wire_seq = 0;
			if (s->sm && st->ns != NULL &&
			    strcmp(st->ns, XT_NS_CLIENT) == 0 &&
			    (strcmp(st->name, "message") == 0 ||
			    strcmp(st->name, "presence") == 0 ||
			    strcmp(st->name, "iq") == 0))
				s->wire_seq = ++s->sm_in;
			*out = st;
			return XT_OK;
		}
		if (xt_parser_closed(s->parser)) {
			s->dead = 1;
			return fail(s, XT_ECLOSED, "server closed the stream");
		}
		n = raw_read(s, buf, sizeof(buf), deadline);
		if (n < 0)
			return (int)n;
		if (follow)
			deadline = s->deadline;	/* moved on with progress */
		if (n == 0) {
			s->dead = 1;
			return fail(s, XT_ECLOSED, "server closed the "
			    "connection");
		}
		e.code = 0;
		e.msg[0] = '\0';
		rc = xt_parser_feed(s->parser, buf, n, &e);
		xt_wipe(buf, n);
		if (rc < 0) {
			snprintf(cond, sizeof(cond), "%.*s",
			    (int)strcspn(e.msg, ":"), e.msg);
			if (cond[0] == '\0')
				strcpy(cond, "not-well-formed");
			return stream_error(s, cond, XT_EPROTO, e.msg);
		}
	}
}

int
xt_session_recv(struct xt_session *s, struct xt_node **st, int timeout_ms)
{
	int64_t d;

	int rc;

	if ((*st = queue_pop(s)) != NULL)
		return XT_OK;
	if (timeout_ms == 0) {
		/* Only what is already decrypted or buffered in the parser. */
		if (!xt_parser_ready(s->parser) &&
		    (s->tls == NULL || !xt_tls_pending(s->tls))) {
			struct pollfd pfd = { s->fd, POLLIN, 0 };

			if (s->dead || poll(&pfd, 1, 0) <= 0)
				return XT_ETIMEOUT;
		}
		d = xt_now_ms();	/* a stanza half here waits for poll */
	} else
		d = deadline_for(s, timeout_ms);
	s->stage = "the server";
	rc = wire_next(s, st, d);
	s->last_seq = rc == XT_OK ? s->wire_seq : 0;
	return rc;
}

void
xt_session_disco(struct xt_session *s, const char *name,
    const char *const *features)
{
	s->disco_name = name;
	s->disco_features = features;
}

static int
add_feature(struct xt_node *q, const char *var)
{
	struct xt_node *f;

	return (f = xt_node_add_elem(q, "feature", NULL)) == NULL ||
	    xt_node_set_attr(f, "var", var) < 0 ? XT_ENOMEM : XT_OK;
}

/* The disco#info answer's <query/> (XEP-0030 section 3.1). */
static int
disco_info(struct xt_session *s, struct xt_node *r)
{
	struct xt_node *q, *id;
	const char *const *f;

	if ((q = xt_node_add_elem(r, "query", XT_NS_DISCO_INFO)) == NULL ||
	    (id = xt_node_add_elem(q, "identity", NULL)) == NULL ||
	    xt_node_set_attr(id, "category", "client") < 0 ||
	    xt_node_set_attr(id, "type", "bot") < 0 ||
	    xt_node_set_attr(id, "name", s->disco_name) < 0 ||
	    add_feature(q, XT_NS_DISCO_INFO) < 0 ||
	    add_feature(q, XT_NS_PING) < 0)
		return XT_ENOMEM;
	for (f = s->disco_features; f != NULL && *f != NULL; f++)
		if (add_feature(q, *f) < 0)
			return XT_ENOMEM;
	return XT_OK;
}

/* A request xt_session_answer_iq answers with a result: ping, disco#info. */
static int
is_simple(const struct xt_session *s, const struct xt_node *iq)
{
	const char *type = xt_node_attr(iq, "type");
	const struct xt_node *q;

	if (strcmp(iq->name, "iq") != 0 || type == NULL ||
	    strcmp(type, "get") != 0 || xt_node_attr(iq, "id") == NULL)
		return 0;
	if (xt_node_child(iq, "ping", XT_NS_PING) != NULL)
		return 1;
	q = xt_node_child(iq, "query", XT_NS_DISCO_INFO);
	return s->disco_name != NULL && q != NULL &&
	    xt_node_attr(q, "node") == NULL;
}

int
xt_session_answer_iq(struct xt_session *s, const struct xt_node *iq)
{
	struct xt_node *r, *e, *q;
	const char *type = xt_node_attr(iq, "type"), *id, *from;
	int ok, rc;

	if (strcmp(iq->name, "iq") != 0 || type == NULL ||
	    (strcmp(type, "get") != 0 && strcmp(type, "set") != 0) ||
	    (id = xt_node_attr(iq, "id")) == NULL)
		return 0;
	q = xt_node_child(iq, "query", XT_NS_DISCO_INFO);
	ok = is_simple(s, iq);
	from = xt_node_attr(iq, "from");
	if ((r = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(r, "type", ok ? "result" : "error") < 0 ||
	    xt_node_set_attr(r, "id", id) < 0 ||
	    (from != NULL && xt_node_set_attr(r, "to", from) < 0) ||
	    (ok && q != NULL && disco_info(s, r) < 0) ||
	    (!ok && ((e = xt_node_add_elem(r, "error", NULL)) == NULL ||
	    xt_node_set_attr(e, "type", "cancel") < 0 ||
	    xt_node_add_elem(e, "service-unavailable", XT_NS_STANZAS) ==
	    NULL))) {
		xt_node_free(r);
		return fail(s, XT_ENOMEM, "out of memory");
	}
	rc = xt_session_send(s, r);
	xt_node_free(r);
	return rc < 0 ? rc : 1;
}

int
xt_session_fd(const struct xt_session *s)
{
	int one = 1;

	/*
	 * Servers hold small writes (Nagle) until our ACK, which Linux delays:
	 * ask for the next one at once (the flag does not last).
	 */
	setsockopt(s->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	return s->fd;
}

int
xt_session_keepalive(struct xt_session *s)
{
	debug(s, '>', " ", 1);
	return raw_write(s, " ", 1);
}

char *
xt_session_id(struct xt_session *s)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%s-%u", s->idprefix, ++s->idseq);
	return strdup(buf);
}

char *
xt_stanza_error(const struct xt_node *st)
{
	const struct xt_node *err, *c;
	char *text = NULL, *out;
	const char *cond = "undefined-condition";
	size_t len;

	if ((err = xt_node_child(st, "error", NULL)) != NULL) {
		for (c = err->children; c != NULL; c = c->next) {
			if (c->name == NULL || c->ns == NULL ||
			    strcmp(c->ns, XT_NS_STANZAS) != 0)
				continue;
			if (strcmp(c->name, "text") == 0)
				text = xt_node_text(c);
			else
				cond = c->name;
		}
	}
	len = strlen(cond) + (text ? strlen(text) + 2 : 0) + 1;
	out = malloc(len);
	if (out != NULL) {
		snprintf(out, len, "%s%s%s", cond, text && *text ? ": " : "",
		    text && *text ? text : "");
		xt_oneline(out);
	}
	free(text);
	return out;
}

/* Is an answer from 'from' acceptable for an IQ we sent to 'to'? */
static int
origin_ok(const struct xt_session *s, const char *to, const char *from)
{
	if (to == NULL || xt_jid_streq(to, s->bare, 0) == 1) {
		/* RFC 6120 8.1.2.1: the server answers for the account. */
		if (from == NULL)
			return 1;
		return xt_jid_streq(from, s->bare, 0) == 1 ||
		    (s->full != NULL && xt_jid_streq(from, s->full, 0) == 1) ||
		    (to == NULL && xt_jid_streq(from, s->jid.domain, 0) == 1);
	}
	return from != NULL && xt_jid_streq(from, to, 0) == 1;
}

int
xt_session_iq(struct xt_session *s, struct xt_node *iq,
    struct xt_node **result, int timeout_ms)
{
	struct xt_node *st;
	const char *id, *type, *to;
	char *nid, *cond;
	int64_t d = deadline_for(s, timeout_ms);
	int rc;

	if (result != NULL)
		*result = NULL;
	if ((id = xt_node_attr(iq, "id")) == NULL) {
		if ((nid = xt_session_id(s)) == NULL)
			return fail(s, XT_ENOMEM, "out of memory");
		rc = xt_node_set_attr(iq, "id", nid);
		free(nid);
		if (rc < 0)
			return fail(s, rc, "out of memory");
		id = xt_node_attr(iq, "id");
	}
	to = xt_node_attr(iq, "to");
	if ((rc = xt_session_send(s, iq)) < 0)
		return rc;
	snprintf(s->stagebuf, sizeof(s->stagebuf), "the answer of %s to "
	    "our %s", to ? to : s->jid.domain, iq->children &&
	    iq->children->name ? iq->children->name : "iq");
	s->stage = s->stagebuf;
	for (;;) {
		if ((rc = wire_next(s, &st, d)) < 0)
			return rc;
		type = xt_node_attr(st, "type");
		if (strcmp(st->name, "iq") != 0 || st->ns == NULL ||
		    strcmp(st->ns, XT_NS_CLIENT) != 0 ||
		    xt_node_attr(st, "id") == NULL ||
		    strcmp(xt_node_attr(st, "id"), id) != 0 || type == NULL ||
		    (strcmp(type, "result") != 0 &&
		    strcmp(type, "error") != 0)) {
			/*
			 * A ping or disco#info is answered now: the one who
			 * asks may be waiting for us as we wait for it.
			 */
			if (is_simple(s, st)) {
				rc = xt_session_answer_iq(s, st);
				xt_node_free(st);
				sm_handled(s, s->wire_seq);
				if (rc < 0)
					return rc;
				continue;
			}
			if ((rc = queue_push(s, st)) < 0)
				return rc;
			continue;
		}
		sm_handled(s, s->wire_seq);
		if (!origin_ok(s, to, xt_node_attr(st, "from"))) {
			/* A forged answer: drop it and keep waiting. */
			xt_node_free(st);
			continue;
		}
		break;
	}
	if (strcmp(type, "error") == 0) {
		cond = xt_stanza_error(st);
		rc = fail(s, XT_ESTANZA, "%s answered %s: %s",
		    to ? to : s->jid.domain, iq->children &&
		    iq->children->name ? iq->children->name : "iq",
		    cond ? cond : "error");
		free(cond);
	} else
		rc = XT_OK;
	if (result != NULL)
		*result = st;
	else
		xt_node_free(st);
	return rc;
}

/* ------------------------------------------------------------ login */

/* Send our stream header and read the server's header and features. */
static int
stream_open(struct xt_session *s)
{
	char buf[512];
	const struct xt_node *h;
	const char *v;
	struct xt_node *st;
	int n, rc;

	xt_parser_free(s->parser);
	s->parser = xt_parser_new(XT_PARSE_STREAM, NULL, &s->o.limits);
	if (s->parser == NULL)
		return fail(s, XT_ENOMEM, "out of memory");
	xt_node_free(s->features);
	s->features = NULL;
	/* 'from' only once TLS protects the stream (RFC 6120 4.7.1). */
	n = snprintf(buf, sizeof(buf), "<?xml version='1.0'?><stream:stream "
	    "xmlns='jabber:client' xmlns:stream='%s' to='%s'%s%s%s "
	    "version='1.0' xml:lang='en'>", XT_NS_STREAM, s->jid.domain,
	    s->tls ? " from='" : "", s->tls ? s->bare : "",
	    s->tls ? "'" : "");
	if (n >= (int)sizeof(buf))
		return fail(s, XT_EINVAL, "jid too long");
	debug(s, '>', buf, n);
	if ((rc = raw_write(s, buf, n)) < 0)
		return rc;
	s->open = 1;
	if ((rc = wire_next(s, &st, s->deadline)) < 0)
		return rc;
	h = xt_parser_header(s->parser);
	if (h == NULL || (v = xt_node_attr(h, "version")) == NULL ||
	    strncmp(v, "1.", 2) != 0) {
		xt_node_free(st);
		return stream_error(s, "unsupported-version", XT_EPROTO,
		    "not an xmpp 1.0 stream");
	}
	if (strcmp(st->name, "features") != 0 || st->ns == NULL ||
	    strcmp(st->ns, XT_NS_STREAM) != 0) {
		xt_node_free(st);
		return stream_error(s, "invalid-xml", XT_EPROTO,
		    "expected stream features");
	}
	s->features = st;
	return XT_OK;
}

static int
tls_start(struct xt_session *s, int direct)
{
	struct xt_tls_opts to;
	int rc;

	memset(&to, 0, sizeof(to));
	to.domain = s->jid.domain;
	to.cafile = s->o.cafile;
	to.pin = s->o.pin;
	to.alpn = direct ? "xmpp-client" : NULL;
	if ((rc = xt_tls_client(&s->tls, &to, s->fd, NULL, &s->err)) < 0) {
		s->dead = 1;
		return rc;
	}
	if ((rc = xt_tls_handshake(s->tls, s->deadline, &s->err)) < 0) {
		xt_tls_free(s->tls);
		s->tls = NULL;
		s->dead = 1;
		return rc;
	}
	return XT_OK;
}

static int
starttls(struct xt_session *s)
{
	static const char req[] = "<starttls xmlns='" XT_NS_TLS "'/>";
	struct xt_node *st;
	int rc;

	if (xt_node_child(s->features, "starttls", XT_NS_TLS) == NULL) {
		s->dead = 1;
		return fail(s, XT_ETLS, "server does not offer STARTTLS; "
		    "refusing to continue without TLS");
	}
	debug(s, '>', req, sizeof(req) - 1);
	if ((rc = raw_write(s, req, sizeof(req) - 1)) < 0)
		return rc;
	if ((rc = wire_next(s, &st, s->deadline)) < 0)
		return rc;
	if (st->ns == NULL || strcmp(st->ns, XT_NS_TLS) != 0 ||
	    strcmp(st->name, "proceed") != 0) {
		rc = strcmp(st->name, "failure") == 0 ?
		    fail(s, XT_ETLS, "server refused STARTTLS") :
		    fail(s, XT_ETLS, "server answered STARTTLS with <%s/>",
		    st->name);
		xt_node_free(st);
		s->dead = 1;
		return rc;
	}
	xt_node_free(st);
	st = NULL;
	/* Bytes after <proceed/> came in plaintext: an injection. */
	if (xt_parser_pending(s->parser) > 0 ||
	    (st = xt_parser_next(s->parser)) != NULL) {
		xt_node_free(st);
		s->dead = 1;
		return fail(s, XT_ETLS, "server sent data after <proceed/>; "
		    "refusing it");
	}
	return tls_start(s, 0);
}

/* Can this TLS session produce any channel binding at all? */
static int
can_bind(struct xt_session *s)
{
	unsigned char *d;
	size_t n;

	if (xt_tls_cbdata(s->tls, "tls-exporter", &d, &n) == XT_OK ||
	    xt_tls_cbdata(s->tls, "tls-unique", &d, &n) == XT_OK) {
		xt_wipe(d, n);
		free(d);
		return 1;
	}
	return 0;
}

/* Channel binding type both sides can do (XEP-0440, RFC 9266). */
static const char *
cb_type(struct xt_session *s)
{
	struct xt_node *cb, *c;
	const char *t;
	int have_exporter = 0, have_unique = 0, listed = 0;
	unsigned char *d;
	size_t n;

	cb = xt_node_child(s->features, "sasl-channel-binding", XT_NS_SASLCB);
	if (cb != NULL) {
		listed = 1;
		for (c = xt_node_child(cb, "channel-binding", NULL); c != NULL;
		    c = xt_node_next(c, "channel-binding", NULL)) {
			if ((t = xt_node_attr(c, "type")) == NULL)
				continue;
			if (strcmp(t, "tls-exporter") == 0)
				have_exporter = 1;
			else if (strcmp(t, "tls-unique") == 0)
				have_unique = 1;
		}
	} else if (xt_tls_version(s->tls) == 12)
		have_unique = 1;	/* the only type before XEP-0440 */
	if (have_exporter && xt_tls_cbdata(s->tls, "tls-exporter", &d,
	    &n) == XT_OK) {
		xt_wipe(d, n);
		free(d);
		return "tls-exporter";
	}
	if ((have_unique || !listed) && xt_tls_version(s->tls) == 12 &&
	    xt_tls_cbdata(s->tls, "tls-unique", &d, &n) == XT_OK) {
		xt_wipe(d, n);
		free(d);
		return "tls-unique";
	}
	return NULL;
}

/* Send a SASL element whose content is base64 of raw (or '=' if empty). */
static int
sasl_send(struct xt_session *s, const char *name, const char *mech,
    const char *raw, size_t n)
{
	struct xt_node *el;
	char *b64 = NULL;
	int rc;

	if ((el = xt_node_new(name, XT_NS_SASL)) == NULL)
		return fail(s, XT_ENOMEM, "out of memory");
	if (mech != NULL && (rc = xt_node_set_attr(el, "mechanism", mech)) < 0)
		goto out;
	if (n == 0)
		rc = xt_node_add_text(el, "=", 1);
	else if ((rc = xt_b64_encode(raw, n, &b64)) == XT_OK)
		rc = xt_node_add_text(el, b64, strlen(b64));
	if (rc < 0)
		goto out;
	rc = xt_session_send(s, el);
out:
	if (rc == XT_ENOMEM)
		fail(s, rc, "out of memory");
	if (b64 != NULL)
		xt_free_secret(b64);
	if (el->children != NULL && el->children->text != NULL)
		xt_wipe(el->children->text, strlen(el->children->text));
	xt_node_free(el);
	return rc;
}

/* Decode the base64 text of a SASL element ('=' or empty is empty). */
static int
sasl_payload(struct xt_session *s, const struct xt_node *st,
    unsigned char **raw, size_t *n)
{
	char *t;
	int rc;

	if ((t = xt_node_text(st)) == NULL)
		return fail(s, XT_ENOMEM, "out of memory");
	if (t[0] == '\0' || strcmp(t, "=") == 0) {
		free(t);
		*raw = (unsigned char *)strdup("");
		*n = 0;
		return *raw ? XT_OK : fail(s, XT_ENOMEM, "out of memory");
	}
	rc = xt_b64_decode(t, strlen(t), raw, n);
	free(t);
	if (rc < 0)
		return fail(s, XT_EAUTH, "server sent bad base64 in <%s/>",
		    st->name);
	return XT_OK;
}

static int
sasl_login(struct xt_session *s)
{
	struct xt_node *mechs, *c, *st = NULL;
	const char *offered[32];
	struct xt_sasl_opts so;
	struct xt_sasl *sasl = NULL;
	enum xt_sasl_mech m;
	unsigned char *cbd = NULL, *in = NULL;
	char *out = NULL;
	const char *cbt;
	size_t n = 0, cbn = 0, inlen = 0, outlen = 0, i;
	int rc, plus = 0;

	mechs = xt_node_child(s->features, "mechanisms", XT_NS_SASL);
	if (mechs == NULL)
		return fail(s, XT_EAUTH, "server offers no SASL mechanisms");
	for (c = xt_node_child(mechs, "mechanism", NULL); c != NULL &&
	    n < 32; c = xt_node_next(c, "mechanism", NULL)) {
		offered[n] = xt_node_text(c);
		if (offered[n] == NULL)
			break;
		if (strstr(offered[n], "-PLUS") != NULL)
			plus = 1;
		n++;
	}
	cbt = cb_type(s);
	m = xt_sasl_choose(offered, n, s->o.mechanisms, cbt, 1);
	if (m == XT_SASL_NONE) {
		rc = fail(s, XT_EAUTH, "no usable SASL mechanism offered");
		goto out;
	}
	memset(&so, 0, sizeof(so));
	so.mech = m;
	so.user = s->jid.local;
	so.password = s->password ? s->password : "";
	so.server_plus = plus;
	so.client_cb = can_bind(s);	/* gs2 'y' only if we really could */
	if (xt_sasl_mech_plus(m)) {
		so.cbtype = cbt;
		if ((rc = xt_tls_cbdata(s->tls, cbt, &cbd, &cbn)) < 0) {
			rc = fail(s, XT_ETLS, "no channel binding data");
			goto out;
		}
		so.cbdata = cbd;
		so.cblen = cbn;
	}
	if ((rc = xt_sasl_new(&sasl, &so, &s->err)) < 0)
		goto out;
	s->mech = xt_sasl_mech_name(m);
	if ((rc = xt_sasl_initial(sasl, &out, &outlen, &s->err)) < 0 ||
	    (rc = sasl_send(s, "auth", s->mech, out, outlen)) < 0)
		goto out;
	for (;;) {
		xt_wipe(out, outlen);
		free(out);
		out = NULL;
		xt_node_free(st);
		if ((rc = wire_next(s, &st, s->deadline)) < 0)
			goto out;
		if (st->ns == NULL || strcmp(st->ns, XT_NS_SASL) != 0) {
			rc = stream_error(s, "invalid-namespace", XT_EPROTO,
			    "unexpected element during authentication");
			goto out;
		}
		if (strcmp(st->name, "failure") == 0) {
			c = st->children;
			while (c != NULL && c->name == NULL)
				c = c->next;
			rc = fail(s, XT_EAUTH, "authentication failed for %s: "
			    "%s", s->o.jid, c ? c->name : "not-authorized");
			goto out;
		}
		if (in != NULL) {
			xt_wipe(in, inlen);
			free(in);
			in = NULL;
		}
		if ((rc = sasl_payload(s, st, &in, &inlen)) < 0)
			goto out;
		if (strcmp(st->name, "success") == 0) {
			rc = xt_sasl_finish(sasl, (char *)in, inlen, &s->err);
			if (rc < 0)
				s->dead = 1;	/* never trust that stream */
			goto out;
		}
		if (strcmp(st->name, "challenge") != 0) {
			rc = stream_error(s, "invalid-xml", XT_EPROTO,
			    "unexpected SASL element");
			goto out;
		}
		if ((rc = xt_sasl_step(sasl, (char *)in, inlen, &out, &outlen,
		    &s->err)) < 0 ||
		    (rc = sasl_send(s, "response", NULL, out, outlen)) < 0)
			goto out;
	}
out:
	xt_node_free(st);
	for (i = 0; i < n; i++)
		free((char *)offered[i]);
	if (out != NULL) {
		xt_wipe(out, outlen);
		free(out);
	}
	if (in != NULL) {
		xt_wipe(in, inlen);
		free(in);
	}
	if (cbd != NULL) {
		xt_wipe(cbd, cbn);
		free(cbd);
	}
	xt_sasl_free(sasl);
	if (rc == XT_EAUTH && s->err.msg[0] == '\0')
		fail(s, rc, "authentication failed");
	return rc;
}

static int
bind_resource(struct xt_session *s)
{
	struct xt_node *iq, *b, *res = NULL, *j;
	const char *r = s->o.resource;
	char rbuf[64];
	unsigned char rnd[4];
	struct xt_jid bound;
	int rc;

	if (xt_node_child(s->features, "bind", XT_NS_BIND) == NULL)
		return fail(s, XT_EPROTO, "server offers no resource binding");
	if (r == NULL) {
		gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd));
		snprintf(rbuf, sizeof(rbuf), "%s.%02x%02x%02x%02x",
		    s->o.tool ? s->o.tool : "xmpp-tools", rnd[0], rnd[1], rnd[2],
		    rnd[3]);
		r = rbuf;
	}
	if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(iq, "type", "set") < 0 ||
	    (b = xt_node_add_elem(iq, "bind", XT_NS_BIND)) == NULL ||
	    (j = xt_node_add_elem(b, "resource", NULL)) == NULL ||
	    xt_node_add_text(j, r, strlen(r)) < 0) {
		xt_node_free(iq);
		return fail(s, XT_ENOMEM, "out of memory");
	}
	rc = xt_session_iq(s, iq, &res, -1);
	xt_node_free(iq);
	/*
	 * ejabberd answers bad-request to a resource its stringprep cannot
	 * take (one later than Unicode 3.2, which RFC 7622 allows); Prosody
	 * binds one of its own instead. A resource the user chose is not
	 * swapped for another behind their back: say to choose again.
	 */
	if (rc == XT_ESTANZA && s->o.resource != NULL) {
		char m[sizeof(s->err.msg)];

		snprintf(m, sizeof(m), "%s", s->err.msg);
		rc = fail(s, XT_ESTANZA, "server refused the resource %s, "
		    "choose another with -r: %s", r, m);
	}
	if (rc < 0)
		goto out;
	if ((b = xt_node_child(res, "bind", XT_NS_BIND)) == NULL ||
	    (j = xt_node_child(b, "jid", NULL)) == NULL ||
	    (s->full = xt_node_text(j)) == NULL ||
	    xt_jid_parse(s->full, &bound, NULL) < 0) {
		rc = fail(s, XT_EPROTO, "server bound no valid jid");
		free(s->full);
		s->full = NULL;
		goto out;
	}
	/*
	 * A server preparing JIDs with the stringprep of RFC 3920 binds
	 * "fussball" for a login as "fußball", which RFC 7622 keeps apart:
	 * the account is the one the server names, so say to use that.
	 */
	if (bound.resource == NULL)
		rc = fail(s, XT_EPROTO, "server bound no resource: %s",
		    s->full);
	else if (xt_jid_streq(s->full, s->bare, 1) != 1) {
		char *bare = xt_jid_bare(&bound);

		rc = fail(s, XT_EPROTO, "server bound a jid of another "
		    "account: %s; if the server spells this account so, "
		    "use -a %s", s->full, bare != NULL ? bare : "");
		free(bare);
	}
	xt_jid_free(&bound);
	if (rc < 0) {
		free(s->full);
		s->full = NULL;
		goto out;
	}
	/* RFC 3921 session establishment, only where still required. */
	if ((b = xt_node_child(s->features, "session", XT_NS_SESSION)) !=
	    NULL && xt_node_child(b, "optional", NULL) == NULL) {
		xt_node_free(res);
		res = NULL;
		if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
		    xt_node_set_attr(iq, "type", "set") < 0 ||
		    xt_node_add_elem(iq, "session", XT_NS_SESSION) == NULL) {
			xt_node_free(iq);
			return fail(s, XT_ENOMEM, "out of memory");
		}
		rc = xt_session_iq(s, iq, NULL, -1);
		xt_node_free(iq);
	}
out:
	xt_node_free(res);
	return rc;
}

/* Connect to one of the server's addresses; sets s->fd, *direct. */
static int
connect_any(struct xt_session *s, int *direct)
{
	struct xt_srv *list = NULL;
	size_t n = 0, i;
	char *host = NULL;
	unsigned port;
	int rc;

	if (s->o.server != NULL) {
		if (xt_net_hostport(s->o.server, &host, &port) < 0)
			return fail(s, XT_EINVAL, "%s: not host[:port]",
			    s->o.server);
		*direct = s->o.direct_tls;
		port = port ? port : *direct ? 5223 : 5222;
		rc = xt_net_connect(host, port, s->deadline, &s->fd, &s->err);
		snprintf(s->where, sizeof(s->where), "%s port %u", host, port);
		free(host);
		return rc;
	}
	if ((rc = xt_net_resolve(s->jid.domain, &list, &n, &s->err)) < 0)
		return rc;
	rc = XT_ENET;
	/* Direct TLS asked for but no _xmpps-client: the domain on 5223. */
	if (s->o.direct_tls && n == 1 && !list[0].direct_tls &&
	    list[0].port == 5222 && strcmp(list[0].host, s->jid.domain) == 0) {
		list[0].port = 5223;
		list[0].direct_tls = 1;
	}
	for (i = 0; i < n; i++) {
		if (s->o.direct_tls && !list[i].direct_tls)
			continue;
		rc = xt_net_connect(list[i].host, list[i].port, s->deadline,
		    &s->fd, &s->err);
		if (rc == XT_OK) {
			snprintf(s->where, sizeof(s->where), "%s port %u",
			    list[i].host, list[i].port);
			*direct = list[i].direct_tls;
			break;
		}
		if (rc == XT_ETIMEOUT)
			break;
	}
	if (rc == XT_ENET && s->err.msg[0] == '\0')
		fail(s, rc, "%s: no server to connect to", s->jid.domain);
	xt_srv_free(list, n);
	return rc;
}

int
xt_session_connect(struct xt_session *s)
{
	int rc, direct = 0;

	if (s->o.jid == NULL)
		return fail(s, XT_EINVAL, "no account");
	if ((rc = xt_jid_parse(s->o.jid, &s->jid, &s->err)) < 0)
		return rc;
	if (s->jid.local == NULL || s->jid.resource != NULL)
		return fail(s, XT_EINVAL, "%s: the account must be a bare "
		    "jid user@domain", s->o.jid);
	if ((s->bare = xt_jid_bare(&s->jid)) == NULL)
		return fail(s, XT_ENOMEM, "out of memory");
	snprintf(s->where, sizeof(s->where), "%s", s->jid.domain);
	if ((rc = connect_any(s, &direct)) < 0)
		return rc;
	s->stage = "the TLS handshake";
	if (direct && (rc = tls_start(s, 1)) < 0)
		return rc;
	s->stage = "the stream header";
	if ((rc = stream_open(s)) < 0)
		return rc;
	s->stage = "STARTTLS";
	if (!direct && ((rc = starttls(s)) < 0 || (rc = stream_open(s)) < 0))
		return rc;
	s->stage = "the SASL authentication";
	rc = sasl_login(s);
	/* The password has done its work, whatever the outcome. */
	if (s->password != NULL && !s->o.reconnect) {
		xt_wipe(s->password, strlen(s->password));
		gcry_free(s->password);
		s->password = NULL;
	}
	if (rc < 0)
		return rc;
	s->stage = "the stream header after authentication";
	if ((rc = stream_open(s)) < 0)
		return rc;
	s->stage = "the resource binding";
	rc = bind_resource(s);
	s->stage = "the server";
	return rc;
}

int
xt_session_reconnect(struct xt_session *s)
{
	struct xt_node *st;

	if (!s->o.reconnect || s->password == NULL)
		return fail(s, XT_EINVAL, "cannot log in again");
	while ((st = queue_pop(s)) != NULL)
		xt_node_free(st);
	xt_tls_free(s->tls);
	s->tls = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	xt_parser_free(s->parser);
	s->parser = NULL;
	xt_node_free(s->features);
	s->features = NULL;
	xt_jid_free(&s->jid);
	free(s->bare);
	free(s->full);
	s->bare = s->full = NULL;
	s->open = s->dead = s->closing = 0;
	s->sm = 0;
	s->sm_in = s->sm_h = s->sm_acked = s->sm_out = s->sm_peer = 0;
	s->sm_owed = 0;
	s->wire_seq = s->last_seq = 0;
	memset(s->sm_done, 0, sizeof(s->sm_done));
	s->window = s->o.timeout_ms > 0 ? s->o.timeout_ms : 0;
	s->deadline = s->window > 0 ? xt_now_ms() + s->window : -1;
	s->outq = -1;
	return xt_session_connect(s);
}

void
xt_session_free(struct xt_session *s)
{
	static const char close_tag[] = "</stream:stream>";
	struct xt_node *st;
	int64_t d;

	if (s == NULL)
		return;
	if (s->open && !s->dead) {
		/* What was handled, then nothing more: the rest is the server's. */
		(void)sm_ack(s);
		s->closing = 1;
		debug(s, '>', close_tag, sizeof(close_tag) - 1);
		if (raw_write(s, close_tag, sizeof(close_tag) - 1) == XT_OK) {
			/* Let the server finish what we sent; bounded. */
			d = xt_now_ms() + 2000;
			if (s->deadline >= 0 && s->deadline < d)
				d = s->deadline;
			while (wire_next(s, &st, d) == XT_OK)
				xt_node_free(st);
		}
	}
	while ((st = queue_pop(s)) != NULL)
		xt_node_free(st);
	xt_tls_free(s->tls);
	if (s->fd >= 0)
		close(s->fd);
	xt_parser_free(s->parser);
	xt_node_free(s->features);
	xt_jid_free(&s->jid);
	free(s->bare);
	free(s->full);
	free((char *)s->o.jid);
	free((char *)s->o.resource);
	free((char *)s->o.server);
	free((char *)s->o.cafile);
	free((char *)s->o.pin);
	free((char *)s->o.mechanisms);
	free((char *)s->o.tool);
	if (s->password != NULL) {
		xt_wipe(s->password, strlen(s->password));
		gcry_free(s->password);
	}
	free(s);
}
