/*
 * xtls.c: one XTLS tunnel (the XTLS proto-XEP, urn:xmpp:tmp:xtls, with
 * the decisions of DESIGN.md 3 and PROTOCOLS.md 6): <start/> and
 * <proceed/>, TLS records as base64 in <data/> IQs, each acknowledged,
 * at most a window of them unacknowledged, <close/> and <closed/>. The
 * initiator is the TLS client, the responder the TLS server; the TLS runs
 * on lib/tls over two memory buffers. Nothing here reads or writes a file
 * descriptor: the tool moves the bytes, this moves the stanzas.
 *
 * The end of a tunnel: a side whose input has ended sends close_notify;
 * once the initiator has sent its own, had every data IQ acknowledged and
 * received the peer's, it sends <close/>, and the responder, in the same
 * state, answers <closed/>. A data IQ is acknowledged only after its bytes
 * went through TLS and the plaintext they completed was taken by the tool,
 * so an acknowledged byte is a delivered byte.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xt.h"

#define IN_MAX		(16 * 1024 * 1024)	/* ciphertext not yet read */
#define ACKS_MAX	1024			/* data IQs not yet acked */

enum state { STARTING, HANDSHAKE, OPEN, CLOSING, CLOSED, FAILED };

struct buf {
	unsigned char	*p;
	size_t		 off, len, cap;	/* data is p[off .. off+len) */
};

struct xt_xtls {
	struct xt_xtls_opts	 o;
	char			*peer;		/* its full JID, as bound */
	char			*self;		/* ours */
	int			 initiator;
	enum state		 state;
	struct xt_tls		*tls;
	struct buf		 in, out;	/* ciphertext */
	char			*start_id, *close_id;
	int			 lost_start;	/* ours lost a simultaneous
						   start: its conflict comes */
	char			**sent;		/* our unacknowledged data IQs */
	int			 nsent;
	char			**acks;		/* theirs, to acknowledge */
	int			 nacks;
	int			 method_sent;
	int			 wr_closed;	/* our close_notify queued */
	int			 rd_closed;	/* theirs received */
	int			 shut_wanted;	/* ours, once theirs came */
	int			 mismatch;	/* refused the peer's key */
	uint64_t		 bytes_in, bytes_out;
	struct xt_error		 err;
};

static int
fail(struct xt_xtls *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct xt_xtls *x, int code, const char *fmt, ...)
{
	va_list ap;

	if (x->state == FAILED)
		return x->err.code;
	x->state = FAILED;
	x->err.code = code;
	va_start(ap, fmt);
	vsnprintf(x->err.msg, sizeof(x->err.msg), fmt, ap);
	va_end(ap);
	xt_oneline(x->err.msg);
	return code;
}

/* ---------------------------------------------------------------- bytes */

static int
buf_add(struct buf *b, const void *p, size_t n)
{
	unsigned char *np;
	size_t cap;

	if (b->off > 0 && b->off + b->len + n > b->cap) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 16384;
		while (cap < b->len + n)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return XT_ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->off + b->len, p, n);
	b->len += n;
	return XT_OK;
}

static void
buf_take(struct buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

static ssize_t
tls_push(void *arg, const void *p, size_t n)
{
	struct xt_xtls *x = arg;

	if (buf_add(&x->out, p, n) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return (ssize_t)n;
}

static ssize_t
tls_pull(void *arg, void *p, size_t n)
{
	struct xt_xtls *x = arg;

	if (x->in.len == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (n > x->in.len)
		n = x->in.len;
	memcpy(p, x->in.p + x->in.off, n);
	buf_take(&x->in, n);
	return (ssize_t)n;
}

/* ---------------------------------------------------------------- stanzas */

static struct xt_node *
iq_new(struct xt_xtls *x, const char *type, const char *id)
{
	struct xt_node *iq;
	char *nid = NULL;

	if (id == NULL && (id = nid = xt_session_id(x->o.sess)) == NULL)
		return NULL;
	if ((iq = xt_node_new("iq", XT_NS_CLIENT)) != NULL &&
	    (xt_node_set_attr(iq, "type", type) < 0 ||
	    xt_node_set_attr(iq, "to", x->peer) < 0 ||
	    xt_node_set_attr(iq, "id", id) < 0)) {
		xt_node_free(iq);
		iq = NULL;
	}
	free(nid);
	return iq;
}

/* Send iq (freed here); its id is kept in *idp if idp is not NULL. */
static int
iq_send(struct xt_xtls *x, struct xt_node *iq, char **idp)
{
	int rc;

	if (iq == NULL)
		return fail(x, XT_ENOMEM, "out of memory");
	if (idp != NULL && (*idp = strdup(xt_node_attr(iq, "id"))) == NULL)
		rc = fail(x, XT_ENOMEM, "out of memory");
	else if ((rc = xt_session_send(x->o.sess, iq)) < 0)
		fail(x, rc, "%s", xt_session_errmsg(x->o.sess));
	xt_node_free(iq);
	return rc;
}

/* An empty result (or one holding <name/>) for the peer's IQ id. */
static int
answer(struct xt_xtls *x, const char *id, const char *name)
{
	struct xt_node *iq = iq_new(x, "result", id);

	if (iq != NULL && name != NULL &&
	    xt_node_add_elem(iq, name, XT_NS_XTLS) == NULL) {
		xt_node_free(iq);
		iq = NULL;
	}
	return iq_send(x, iq, NULL);
}

int
xt_xtls_refuse(struct xt_session *s, const struct xt_node *iq,
    const char *cond)
{
	struct xt_node *r, *e;
	const char *id = xt_node_attr(iq, "id"), *from = xt_node_attr(iq, "from");
	int rc;

	if ((r = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(r, "type", "error") < 0 ||
	    (id != NULL && xt_node_set_attr(r, "id", id) < 0) ||
	    (from != NULL && xt_node_set_attr(r, "to", from) < 0) ||
	    (e = xt_node_add_elem(r, "error", NULL)) == NULL ||
	    xt_node_set_attr(e, "type", strcmp(cond, "service-unavailable") ==
	    0 || strcmp(cond, "item-not-found") == 0 || strcmp(cond,
	    "conflict") == 0 || strcmp(cond, "not-acceptable") == 0 ?
	    "cancel" : "modify") < 0 ||
	    xt_node_add_elem(e, cond, XT_NS_STANZAS) == NULL) {
		xt_node_free(r);
		return XT_ENOMEM;
	}
	rc = xt_session_send(s, r);
	xt_node_free(r);
	return rc;
}

/* Directed presence: the server tells the peer when we go (RFC 6121 4.6). */
static int
presence(struct xt_xtls *x, int available)
{
	struct xt_node *p;
	int rc;

	if ((p = xt_node_new("presence", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(p, "to", x->peer) < 0 ||
	    (!available && xt_node_set_attr(p, "type", "unavailable") < 0)) {
		xt_node_free(p);
		return fail(x, XT_ENOMEM, "out of memory");
	}
	if ((rc = xt_session_send(x->o.sess, p)) < 0)
		fail(x, rc, "%s", xt_session_errmsg(x->o.sess));
	xt_node_free(p);
	return rc;
}

/* Send what TLS produced, in data IQs, as far as the window allows. */
static int
flush(struct xt_xtls *x)
{
	struct xt_node *iq, *d;
	char *b64, **ns;
	size_t n;
	int rc;

	while (x->out.len > 0 && x->nsent < x->o.window) {
		n = x->out.len < x->o.block ? x->out.len : x->o.block;
		if (xt_b64_encode(x->out.p + x->out.off, n, &b64) < 0)
			return fail(x, XT_ENOMEM, "out of memory");
		iq = iq_new(x, "set", NULL);
		if (iq == NULL || (d = xt_node_add_elem(iq, "data",
		    XT_NS_XTLS)) == NULL || (!x->method_sent &&
		    xt_node_set_attr(d, "method", x->o.method ==
		    XT_TLS_SRP ? "srp" : "x509") < 0) ||
		    xt_node_add_text(d, b64, strlen(b64)) < 0) {
			free(b64);
			xt_node_free(iq);
			return fail(x, XT_ENOMEM, "out of memory");
		}
		free(b64);
		if ((ns = realloc(x->sent, (x->nsent + 1) *
		    sizeof(*ns))) == NULL) {
			xt_node_free(iq);
			return fail(x, XT_ENOMEM, "out of memory");
		}
		x->sent = ns;
		if ((rc = iq_send(x, iq, &x->sent[x->nsent])) < 0)
			return rc;
		x->nsent++;
		x->method_sent = 1;
		buf_take(&x->out, n);
	}
	return XT_OK;
}

/* Every data IQ whose bytes TLS has taken, and whose plaintext is out. */
static int
send_acks(struct xt_xtls *x)
{
	int i, rc = XT_OK;

	for (i = 0; i < x->nacks; i++) {
		if (rc == XT_OK && x->state != FAILED)
			rc = answer(x, x->acks[i], NULL);
		free(x->acks[i]);
	}
	x->nacks = 0;
	return rc;
}

/* ---------------------------------------------------------------- TLS */

static int
accept_key(void *arg, const unsigned char *spki, size_t len)
{
	struct xt_xtls *x = arg;

	if (x->o.accept(x->o.arg, spki, len))
		return 1;
	x->mismatch = 1;
	return 0;
}

static int
tls_begin(struct xt_xtls *x)
{
	struct xt_tls_peer p;
	struct xt_tls_io io = { x, tls_push, tls_pull };
	struct xt_error e = { 0, "" };
	char *cert = NULL, *key = NULL, *user = NULL, *bare;
	size_t len;
	int rc;

	memset(&p, 0, sizeof(p));
	p.server = !x->initiator;
	p.method = x->o.method;
	if (p.method == XT_TLS_X509) {
		bare = strdup(x->self);
		if (bare == NULL)
			return fail(x, XT_ENOMEM, "out of memory");
		bare[strcspn(bare, "/")] = '\0';
		rc = xt_key_certificate(x->o.key, bare, (int64_t)time(NULL),
		    &cert, &len, &e);
		free(bare);
		if (rc < 0 || (rc = xt_key_export(x->o.key, NULL, &key, &len,
		    &e)) < 0) {
			free(cert);
			return fail(x, rc, "%s", e.msg);
		}
		p.cert = cert;
		p.key = key;
		p.accept = accept_key;
		p.arg = x;
	} else {
		/* XEP-0250: the SRP username is the initiator's bare JID. */
		if ((user = strdup(x->initiator ? x->self : x->peer)) == NULL)
			return fail(x, XT_ENOMEM, "out of memory");
		user[strcspn(user, "/")] = '\0';
		p.user = user;
		p.password = x->o.srp_password;
	}
	rc = xt_tls_peer_new(&x->tls, &p, &io, &e);
	free(cert);
	xt_free_secret(key);
	free(user);
	if (rc < 0)
		return fail(x, rc, "%s", e.msg);
	x->state = HANDSHAKE;
	return XT_OK;
}

/* Move the handshake on with what has arrived. */
static int
handshake(struct xt_xtls *x)
{
	struct xt_error e = { 0, "" };
	int rc;

	rc = xt_tls_handshake(x->tls, -1, &e);
	if (rc == XT_OK)
		x->state = OPEN;
	else if (rc == XT_ETIMEOUT)
		rc = XT_OK;	/* it needs more from the peer */
	else if (x->mismatch)
		return fail(x, XT_EBADSIG, "%s: the key it presented is not "
		    "the one we hold for it", x->peer);
	else if (x->o.method == XT_TLS_SRP)
		return fail(x, XT_EBADSIG, "%s: srp handshake failed: the "
		    "passwords differ, or the data was altered (%s)", x->peer,
		    e.msg);
	else
		return fail(x, XT_ETLS, "%s: %s", x->peer, e.msg);
	return rc;
}

/* ---------------------------------------------------------------- API */

int
xt_xtls_new(struct xt_xtls **xp, const struct xt_xtls_opts *o,
    struct xt_error *e)
{
	struct xt_xtls *x;

	*xp = NULL;
	if (o->window < 1 || o->block < 1 || o->block > XT_XTLS_BLOCK_MAX ||
	    (o->method == XT_TLS_X509 && (o->key == NULL ||
	    o->accept == NULL)) || (o->method == XT_TLS_SRP &&
	    o->srp_password == NULL) || xt_session_jid(o->sess) == NULL)
		return xt_error_set(e, XT_EINVAL, "xtls: bad options");
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	x->o = *o;
	if ((x->peer = strdup(o->peer)) == NULL ||
	    (x->self = strdup(xt_session_jid(o->sess))) == NULL) {
		xt_xtls_free(x);
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	*xp = x;
	return XT_OK;
}

int
xt_xtls_start(struct xt_xtls *x)
{
	struct xt_node *iq;

	x->initiator = 1;
	x->state = STARTING;
	if (presence(x, 1) < 0)
		return x->err.code;
	iq = iq_new(x, "set", NULL);
	if (iq != NULL && xt_node_add_elem(iq, "start", XT_NS_XTLS) == NULL) {
		xt_node_free(iq);
		iq = NULL;
	}
	return iq_send(x, iq, &x->start_id);
}

int
xt_xtls_accept(struct xt_xtls *x, const struct xt_node *start)
{
	int rc;

	x->initiator = 0;
	if ((rc = presence(x, 1)) < 0 ||
	    (rc = answer(x, xt_node_attr(start, "id"), "proceed")) < 0)
		return rc;
	return tls_begin(x);
}

int
xt_xtls_is(const struct xt_node *st, const char *name)
{
	const char *type = xt_node_attr(st, "type");

	return strcmp(st->name, "iq") == 0 && type != NULL &&
	    strcmp(type, "set") == 0 && xt_node_attr(st, "id") != NULL &&
	    xt_node_child(st, name, XT_NS_XTLS) != NULL;
}

int
xt_xtls_parse(const struct xt_node *iq, struct xt_xtls_payload *p,
    struct xt_error *e)
{
	const struct xt_node *c, *el = NULL;
	const char *type = xt_node_attr(iq, "type");
	char *text, *s, *d;
	int set, rc;

	memset(p, 0, sizeof(*p));
	if (strcmp(iq->name, "iq") != 0 || type == NULL)
		return XT_OK;
	set = strcmp(type, "set") == 0;
	if (!set && strcmp(type, "result") != 0)
		return XT_OK;
	for (c = iq->children; c != NULL; c = c->next) {
		if (c->name == NULL || c->ns == NULL ||
		    strcmp(c->ns, XT_NS_XTLS) != 0)
			continue;
		if (el != NULL)
			return xt_error_set(e, XT_EINVAL, "two XTLS elements "
			    "in one iq");
		el = c;
	}
	if (el == NULL) {
		/* An empty result is an acknowledgement. */
		for (c = iq->children; c != NULL && c->name == NULL;)
			c = c->next;
		p->kind = !set && c == NULL ? XT_XTLS_EL_ACK : XT_XTLS_EL_NONE;
		return XT_OK;
	}
	if (!set) {
		p->kind = strcmp(el->name, "proceed") == 0 ? XT_XTLS_EL_PROCEED :
		    strcmp(el->name, "closed") == 0 ? XT_XTLS_EL_CLOSED :
		    XT_XTLS_EL_NONE;
		return XT_OK;
	}
	if (strcmp(el->name, "start") == 0)
		p->kind = XT_XTLS_EL_START;
	else if (strcmp(el->name, "close") == 0)
		p->kind = XT_XTLS_EL_CLOSE;
	if (strcmp(el->name, "data") != 0)
		return XT_OK;
	for (c = el->children; c != NULL; c = c->next)
		if (c->name != NULL)
			return xt_error_set(e, XT_EINVAL, "<data/> holds an "
			    "element");
	p->method = xt_node_attr(el, "method");
	if (p->method != NULL && *p->method == '\0')
		return xt_error_set(e, XT_EINVAL, "<data/> with an empty "
		    "method");
	if ((text = xt_node_text(el)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	for (s = d = text; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			*d++ = *s;
	*d = '\0';
	rc = XT_OK;
	if (text[0] != '\0' && xt_b64_decode(text, strlen(text), &p->data,
	    &p->len) < 0)
		rc = xt_error_set(e, XT_EINVAL, "<data/> that is not base64");
	free(text);
	if (rc == XT_OK)
		p->kind = XT_XTLS_EL_DATA;
	return rc;
}

/* Which of our IQs does a result or error answer? Its slot, or -1. */
static int
sent_slot(struct xt_xtls *x, const char *id)
{
	int i;

	for (i = 0; i < x->nsent; i++)
		if (strcmp(x->sent[i], id) == 0)
			return i;
	return -1;
}

/* The peer's data: into the TLS input, its id to acknowledge later. */
static int
take_data(struct xt_xtls *x, const struct xt_node *st,
    const struct xt_xtls_payload *p)
{
	const char *ours = x->o.method == XT_TLS_SRP ? "srp" : "x509";
	char **na;

	if (x->state != HANDSHAKE && x->state != OPEN)
		return xt_xtls_refuse(x->o.sess, st, "unexpected-request");
	if (p->method != NULL && strcmp(p->method, ours) != 0) {
		xt_xtls_refuse(x->o.sess, st, "not-acceptable");
		return fail(x, XT_EPROTO, "%s: method %s, not %s", x->peer,
		    p->method, ours);
	}
	if (x->in.len + p->len > IN_MAX || x->nacks >= ACKS_MAX) {
		xt_xtls_refuse(x->o.sess, st, "resource-constraint");
		return fail(x, XT_EPROTO, "%s: sends more than it waits "
		    "for", x->peer);
	}
	if ((p->len > 0 && buf_add(&x->in, p->data, p->len) < 0) ||
	    (na = realloc(x->acks, (x->nacks + 1) * sizeof(*na))) == NULL)
		return fail(x, XT_ENOMEM, "out of memory");
	x->acks = na;
	if ((x->acks[x->nacks] = strdup(xt_node_attr(st, "id"))) == NULL)
		return fail(x, XT_ENOMEM, "out of memory");
	x->nacks++;
	return XT_OK;
}

/* Has our side finished: all sent, all acknowledged, theirs ended? */
static int
finished(const struct xt_xtls *x)
{
	return x->wr_closed && x->nsent == 0 && x->out.len == 0 &&
	    x->rd_closed && x->nacks == 0;
}

/* An answer (result or error) to one of our IQs. */
static int
take_answer(struct xt_xtls *x, const struct xt_node *st, int error)
{
	const char *id = xt_node_attr(st, "id");
	char *why;
	int k;

	if (x->start_id != NULL && strcmp(id, x->start_id) == 0) {
		free(x->start_id);
		x->start_id = NULL;
		if (x->lost_start)
			return XT_OK;	/* its conflict, as agreed */
		if (error) {
			why = xt_stanza_error(st);
			fail(x, XT_ESTANZA, "%s refused the tunnel: %s",
			    x->peer, why ? why : "error");
			free(why);
			return x->err.code;
		}
		if (tls_begin(x) < 0 || handshake(x) < 0 || flush(x) < 0)
			return x->err.code;
		return XT_OK;
	}
	if (x->close_id != NULL && strcmp(id, x->close_id) == 0) {
		if (error) {
			why = xt_stanza_error(st);
			fail(x, XT_ESTANZA, "%s answered <close/>: %s",
			    x->peer, why ? why : "error");
			free(why);
			return x->err.code;
		}
		x->state = CLOSED;
		return XT_OK;
	}
	if ((k = sent_slot(x, id)) < 0)
		return 0;
	if (error) {
		why = xt_stanza_error(st);
		fail(x, XT_ESTANZA, "%s answered data with %s", x->peer,
		    why ? why : "an error");
		free(why);
		return x->err.code;
	}
	free(x->sent[k]);
	memmove(x->sent + k, x->sent + k + 1, (x->nsent - k - 1) *
	    sizeof(*x->sent));
	x->nsent--;
	return XT_OK;
}

int
xt_xtls_stanza(struct xt_xtls *x, const struct xt_node *st)
{
	struct xt_xtls_payload p;
	struct xt_error e = { 0, "" };
	const char *from = xt_node_attr(st, "from"), *type;
	int rc;

	/* Only the peer's stanzas are the tunnel's (RFC 6120 8.1.2.1). */
	if (from == NULL || xt_jid_streq(from, x->peer, 0) != 1)
		return 0;
	type = xt_node_attr(st, "type");
	if (strcmp(st->name, "presence") == 0) {
		if (type == NULL || strcmp(type, "unavailable") != 0 ||
		    x->state == CLOSED || x->state == FAILED)
			return 1;
		return fail(x, XT_ECLOSED, "%s went offline before the "
		    "tunnel was closed", x->peer);
	}
	if (strcmp(st->name, "iq") != 0 || type == NULL ||
	    xt_node_attr(st, "id") == NULL)
		return 0;
	if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) {
		/* An answer to none of ours (a late one) is dropped. */
		rc = take_answer(x, st, strcmp(type, "error") == 0);
		return rc < 0 ? rc : 1;
	}
	if (xt_xtls_parse(st, &p, &e) < 0) {
		xt_xtls_refuse(x->o.sess, st, "bad-request");
		return fail(x, XT_EPROTO, "%s: %s", x->peer, e.msg);
	}
	switch (p.kind) {
	case XT_XTLS_EL_DATA:
		rc = take_data(x, st, &p);
		free(p.data);
		return rc < 0 ? x->err.code : 1;
	case XT_XTLS_EL_CLOSE:
		/* Either side may close; early means data was cut off. */
		rc = answer(x, xt_node_attr(st, "id"), "closed");
		if (rc < 0)
			return rc;
		/* An alert that came before it says more. */
		if (x->state == HANDSHAKE && handshake(x) < 0)
			return x->err.code;
		if (!finished(x))
			return fail(x, XT_ECLOSED, "%s closed the tunnel "
			    "before all data %s", x->peer, x->rd_closed ?
			    "was sent" : "had come");
		x->state = CLOSED;
		return 1;
	case XT_XTLS_EL_START:
		/*
		 * Both started at once: the request of the JID that sorts
		 * first (i;octet) wins; the other gets <conflict/>.
		 */
		if (x->state != STARTING || x->lost_start ||
		    strcmp(x->self, x->peer) < 0)
			return xt_xtls_refuse(x->o.sess, st, "conflict") < 0 ?
			    fail(x, XT_ENET, "%s", xt_session_errmsg(
			    x->o.sess)) : 1;
		x->lost_start = 1;
		return xt_xtls_accept(x, st) < 0 ? x->err.code : 1;
	default:
		return 0;
	}
}

ssize_t
xt_xtls_read(struct xt_xtls *x, void *p, size_t n)
{
	struct xt_error e = { 0, "" };
	ssize_t r;

	if (x->state == FAILED)
		return x->err.code;
	if (x->state == HANDSHAKE && handshake(x) < 0)
		return x->err.code;
	r = 0;
	if (x->state == OPEN || x->state == CLOSING) {
		r = x->rd_closed ? 0 : xt_tls_read(x->tls, p, n, -1, &e);
		if (r == 0 && !x->rd_closed)
			x->rd_closed = 1;	/* the peer's close_notify */
		else if (r == XT_ETIMEOUT)
			r = 0;
		else if (r < 0)
			return fail(x, XT_ETLS, "%s: %s", x->peer, e.msg);
		x->bytes_in += r > 0 ? (uint64_t)r : 0;
	}
	if (r == 0 && send_acks(x) < 0)
		return x->err.code;
	/* The handshake or an alert may have something to say. */
	if (flush(x) < 0)
		return x->err.code;
	return r;
}

size_t
xt_xtls_room(const struct xt_xtls *x)
{
	if (x->state != OPEN || x->wr_closed || x->nsent >= x->o.window ||
	    x->out.len >= x->o.block)
		return 0;
	/* A record's overhead stays within the block it starts. */
	return x->o.block > 256 ? x->o.block - 256 : x->o.block;
}

int
xt_xtls_write(struct xt_xtls *x, const void *p, size_t n)
{
	struct xt_error e = { 0, "" };
	int rc;

	if (x->state != OPEN || x->wr_closed)
		return fail(x, XT_EINVAL, "xtls: write after the end");
	if ((rc = xt_tls_write(x->tls, p, n, -1, &e)) < 0)
		return fail(x, rc, "%s: %s", x->peer, e.msg);
	x->bytes_out += n;
	return flush(x);
}

int
xt_xtls_shutdown(struct xt_xtls *x)
{
	struct xt_error e = { 0, "" };
	int rc;

	if (x->wr_closed || x->state != OPEN)
		return x->state == FAILED ? x->err.code : XT_OK;
	/*
	 * The responder's close_notify comes after the initiator's: then the
	 * initiator, on reading it, knows (authenticated) that all it sent
	 * was read, whatever the servers said of the acknowledgements.
	 */
	if (!x->initiator && !x->rd_closed) {
		x->shut_wanted = 1;
		return XT_OK;
	}
	if ((rc = xt_tls_shutdown(x->tls, &e)) < 0)
		return fail(x, rc, "%s: %s", x->peer, e.msg);
	x->wr_closed = 1;
	return flush(x);
}

int
xt_xtls_step(struct xt_xtls *x)
{
	struct xt_node *iq;

	if (x->state == FAILED)
		return x->err.code;
	if (x->shut_wanted && x->rd_closed && xt_xtls_shutdown(x) < 0)
		return x->err.code;
	if (flush(x) < 0)
		return x->err.code;
	if (x->initiator && x->state == OPEN && finished(x)) {
		iq = iq_new(x, "set", NULL);
		if (iq != NULL && xt_node_add_elem(iq, "close", XT_NS_XTLS) ==
		    NULL) {
			xt_node_free(iq);
			iq = NULL;
		}
		if (iq_send(x, iq, &x->close_id) < 0)
			return x->err.code;
		x->state = CLOSING;
	}
	return XT_OK;
}

enum xt_xtls_state
xt_xtls_state(const struct xt_xtls *x)
{
	switch (x->state) {
	case STARTING:
	case HANDSHAKE:
		return XT_XTLS_STARTING;
	case OPEN:
	case CLOSING:
		return x->rd_closed ? XT_XTLS_PEER_ENDED : XT_XTLS_OPEN;
	case CLOSED:
		return XT_XTLS_CLOSED;
	case FAILED:
		break;
	}
	return XT_XTLS_FAILED;
}

const char *
xt_xtls_errmsg(const struct xt_xtls *x, int *code)
{
	if (code != NULL)
		*code = x->err.code;
	return x->err.msg;
}

int
xt_xtls_initiator(const struct xt_xtls *x)
{
	return x->initiator;
}

const char *
xt_xtls_peer(const struct xt_xtls *x)
{
	return x->peer;
}

struct xt_tls *
xt_xtls_tls(const struct xt_xtls *x)
{
	return x->state == OPEN || x->state == CLOSING || x->state == CLOSED ?
	    x->tls : NULL;
}

void
xt_xtls_counts(const struct xt_xtls *x, uint64_t *in, uint64_t *out)
{
	*in = x->bytes_in;
	*out = x->bytes_out;
}

void
xt_xtls_free(struct xt_xtls *x)
{
	struct xt_node *iq;
	int i;

	if (x == NULL)
		return;
	/*
	 * A tunnel that ends badly is closed for the peer too: TLS's alert,
	 * if any, then <close/>, neither waited for.
	 */
	for (i = 0; i < x->nsent; i++)
		free(x->sent[i]);
	x->nsent = 0;
	if (x->state != CLOSED && x->state != STARTING && x->tls != NULL) {
		flush(x);
		if ((iq = iq_new(x, "set", NULL)) != NULL &&
		    xt_node_add_elem(iq, "close", XT_NS_XTLS) != NULL)
			xt_session_send(x->o.sess, iq);
		xt_node_free(iq);
	}
	if (x->peer != NULL && x->self != NULL)
		presence(x, 0);
	xt_tls_free(x->tls);
	for (i = 0; i < x->nsent; i++)
		free(x->sent[i]);
	for (i = 0; i < x->nacks; i++)
		free(x->acks[i]);
	free(x->sent);
	free(x->acks);
	xt_wipe(x->in.p, x->in.cap);
	xt_wipe(x->out.p, x->out.cap);
	free(x->in.p);
	free(x->out.p);
	free(x->start_id);
	free(x->close_id);
	free(x->peer);
	free(x->self);
	free(x);
}
