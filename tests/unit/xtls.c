/*
 * xtls.c: what an IQ carries for XTLS (xt_xtls_parse), each refusal with
 * its reason; and two TLS peers of lib/tls talking through memory, as
 * the tunnel's ends do: x509 with throw-away certificates of the
 * committed keys, accepted only for the expected key (its forged twin,
 * another key, is refused by the handshake), srp with the same password
 * and with another, data both ways, and close_notify ending one
 * direction while the other goes on. Run from the repository root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xt.h"
#include "tap.h"

/* ------------------------------------------------------------ parse */

static struct xt_node *
xml(const char *s)
{
	struct xt_parser *p;
	struct xt_node *n;

	if ((p = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_CLIENT, NULL)) == NULL ||
	    xt_parser_feed(p, s, strlen(s), NULL) < 0 ||
	    xt_parser_finish(p, NULL) < 0 || (n = xt_parser_next(p)) == NULL) {
		printf("Bail out! cannot parse %s\n", s);
		exit(1);
	}
	xt_parser_free(p);
	return n;
}

static void
test_parse(void)
{
	static const struct {
		const char *xml;
		int rc, kind;
		const char *method, *data, *msg;
	} t[] = {
		{ "<iq type='set' id='1'><start xmlns='urn:xmpp:tmp:xtls'/></iq>",
		    XT_OK, XT_XTLS_EL_START, NULL, NULL, NULL },
		{ "<iq type='set' id='1'><start xmlns='urn:xmpp:tmp:xtls'><offer "
		    "xmlns='urn:xmpp:tmp:c2ctls'><keyinfo xmlns='urn:xmpp:tmp:"
		    "pubkey'><name>h</name></keyinfo><srp/></offer></start></iq>",
		    XT_OK, XT_XTLS_EL_START, NULL, NULL, NULL },
		{ "<iq type='result' id='1'><proceed xmlns='urn:xmpp:tmp:xtls'>"
		    "<offer xmlns='urn:xmpp:tmp:c2ctls'/></proceed></iq>",
		    XT_OK, XT_XTLS_EL_PROCEED, NULL, NULL, NULL },
		{ "<iq type='set' id='2'><data xmlns='urn:xmpp:tmp:xtls' "
		    "method='x509'>aGVsbG8=</data></iq>",
		    XT_OK, XT_XTLS_EL_DATA, "x509", "hello", NULL },
		{ "<iq type='set' id='2'><data xmlns='urn:xmpp:tmp:xtls'>\n"
		    "  aGVs\n  bG8=\n</data></iq>",
		    XT_OK, XT_XTLS_EL_DATA, NULL, "hello", NULL },
		{ "<iq type='set' id='2'><data xmlns='urn:xmpp:tmp:xtls' "
		    "method='srp'/></iq>",
		    XT_OK, XT_XTLS_EL_DATA, "srp", "", NULL },
		{ "<iq type='set' id='3'><close xmlns='urn:xmpp:tmp:xtls'/></iq>",
		    XT_OK, XT_XTLS_EL_CLOSE, NULL, NULL, NULL },
		{ "<iq type='result' id='3'><closed xmlns='urn:xmpp:tmp:xtls'/>"
		    "</iq>", XT_OK, XT_XTLS_EL_CLOSED, NULL, NULL, NULL },
		{ "<iq type='result' id='2'/>",
		    XT_OK, XT_XTLS_EL_ACK, NULL, NULL, NULL },
		{ "<iq type='result' id='2'><query xmlns='jabber:iq:version'/>"
		    "</iq>", XT_OK, XT_XTLS_EL_NONE, NULL, NULL, NULL },
		{ "<iq type='get' id='2'><data xmlns='urn:xmpp:tmp:xtls'>aGk="
		    "</data></iq>", XT_OK, XT_XTLS_EL_NONE, NULL, NULL, NULL },
		{ "<iq type='error' id='2'><close xmlns='urn:xmpp:tmp:xtls'/>"
		    "</iq>", XT_OK, XT_XTLS_EL_NONE, NULL, NULL, NULL },
		{ "<message id='2'><data xmlns='urn:xmpp:tmp:xtls'>aGk=</data>"
		    "</message>", XT_OK, XT_XTLS_EL_NONE, NULL, NULL, NULL },
		{ "<iq type='set' id='2'><data xmlns='http://jabber.org/protocol/"
		    "ibb'>aGk=</data></iq>", XT_OK, XT_XTLS_EL_NONE, NULL, NULL,
		    NULL },
		/* The forged and the malformed. */
		{ "<iq type='set' id='2'><data xmlns='urn:xmpp:tmp:xtls'>aGVsbG8"
		    "</data></iq>", XT_EINVAL, 0, NULL, NULL,
		    "<data/> that is not base64" },
		{ "<iq type='set' id='2'><data xmlns='urn:xmpp:tmp:xtls'>aGVs!G8="
		    "</data></iq>", XT_EINVAL, 0, NULL, NULL,
		    "<data/> that is not base64" },
		{ "<iq type='set' id='2'><data xmlns='urn:xmpp:tmp:xtls'>aG<b/>k="
		    "</data></iq>", XT_EINVAL, 0, NULL, NULL,
		    "<data/> holds an element" },
		{ "<iq type='set' id='2'><data xmlns='urn:xmpp:tmp:xtls' "
		    "method=''>aGk=</data></iq>", XT_EINVAL, 0, NULL, NULL,
		    "<data/> with an empty method" },
		{ "<iq type='set' id='2'><data xmlns='urn:xmpp:tmp:xtls'>aGk="
		    "</data><close xmlns='urn:xmpp:tmp:xtls'/></iq>", XT_EINVAL,
		    0, NULL, NULL, "two XTLS elements in one iq" },
	};
	struct xt_xtls_payload p;
	struct xt_error e;
	struct xt_node *n;
	char desc[512];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = xml(t[i].xml);
		memset(&e, 0, sizeof(e));
		rc = xt_xtls_parse(n, &p, &e);
		snprintf(desc, sizeof(desc), "%s", t[i].xml);
		xt_oneline(desc);
		if (!is_int(rc, t[i].rc, desc))
			continue;
		if (rc < 0) {
			is_str(e.msg, t[i].msg, "  its reason");
			ok(p.data == NULL, "  nothing kept");
		} else {
			is_int(p.kind, t[i].kind, "  its kind");
			is_str(p.method, t[i].method, "  its method");
			if (t[i].data != NULL)
				ok(p.len == strlen(t[i].data) && (p.len == 0 ||
				    memcmp(p.data, t[i].data, p.len) == 0),
				    "  its bytes");
		}
		free(p.data);
		xt_node_free(n);
	}
}

/* ------------------------------------------------------------ TLS */

/* One direction of the wire: bytes one end pushed, the other pulls. */
struct pipe {
	unsigned char	 b[1 << 20];
	size_t		 len;
};

struct end {
	struct xt_tls	*t;
	struct pipe	*in, *out;
	const unsigned char *want;	/* x509: the key it accepts */
	size_t		 wantlen;
	int		 seen;		/* accept was asked */
};

static ssize_t
push(void *arg, const void *p, size_t n)
{
	struct end *e = arg;

	if (e->out->len + n > sizeof(e->out->b)) {
		errno = ENOBUFS;
		return -1;
	}
	memcpy(e->out->b + e->out->len, p, n);
	e->out->len += n;
	return (ssize_t)n;
}

static ssize_t
pull(void *arg, void *p, size_t n)
{
	struct end *e = arg;

	if (e->in->len == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (n > e->in->len)
		n = e->in->len;
	memcpy(p, e->in->b, n);
	memmove(e->in->b, e->in->b + n, e->in->len - n);
	e->in->len -= n;
	return (ssize_t)n;
}

static int
accept_key(void *arg, const unsigned char *spki, size_t len)
{
	struct end *e = arg;

	e->seen = 1;
	return len == e->wantlen && memcmp(spki, e->want, len) == 0;
}

static struct xt_key *
load(const char *name, unsigned char **spki, size_t *len)
{
	struct xt_error e = { 0, "" };
	struct xt_key *k;
	char path[64];
	FILE *f;
	char buf[16384];
	size_t n;

	snprintf(path, sizeof(path), "tests/data/%s.key", name);
	if ((f = fopen(path, "rb")) == NULL) {
		printf("Bail out! %s: run from the repository root\n", path);
		exit(1);
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (xt_key_import(&k, buf, n, NULL, &e) < 0 ||
	    xt_key_spki(k, spki, len) < 0) {
		printf("Bail out! %s: %s\n", path, e.msg);
		exit(1);
	}
	return k;
}

/*
 * A client (cli) and a server (srv): x509 with keys ck and sk, each
 * accepting only want_c (what the client accepts) and want_s, or srp
 * with two passwords. The handshake runs until both are done or one
 * fails: returns 0 for both done, else which failed (1 client, 2 server),
 * with its message in msg.
 */
static int
pair(struct end *c, struct end *s, struct xt_key *ck, struct xt_key *sk,
    const char *cpw, const char *spw, char *msg, size_t msglen)
{
	static struct pipe c2s, s2c;
	struct xt_tls_peer o;
	struct xt_tls_io cio = { c, push, pull }, sio = { s, push, pull };
	struct xt_error e = { 0, "" };
	char *cert = NULL, *key = NULL;
	size_t len;
	int i, cd = 0, sd = 0, rc, who = 0;

	c2s.len = s2c.len = 0;
	c->in = &s2c;
	c->out = &c2s;
	s->in = &c2s;
	s->out = &s2c;
	for (i = 0; i < 2; i++) {
		struct end *me = i ? s : c;
		struct xt_key *k = i ? sk : ck;

		memset(&o, 0, sizeof(o));
		o.server = i;
		if (cpw != NULL) {
			o.method = XT_TLS_SRP;
			o.user = "romeo@example.org";
			o.password = i ? spw : cpw;
		} else {
			o.method = XT_TLS_X509;
			if (xt_key_certificate(k, "test@example.org",
			    (int64_t)time(NULL), &cert, &len, &e) < 0 ||
			    xt_key_export(k, NULL, &key, &len, &e) < 0) {
				printf("Bail out! %s\n", e.msg);
				exit(1);
			}
			o.cert = cert;
			o.key = key;
			o.accept = accept_key;
			o.arg = me;
		}
		rc = xt_tls_peer_new(&me->t, &o, i ? &sio : &cio, &e);
		free(cert);
		xt_free_secret(key);
		cert = key = NULL;
		if (rc < 0) {
			printf("Bail out! peer: %s\n", e.msg);
			exit(1);
		}
	}
	for (i = 0; i < 20 && (!cd || !sd); i++) {
		if (!cd && (rc = xt_tls_handshake(c->t, -1, &e)) != XT_ETIMEOUT) {
			if (rc < 0) {
				who = 1;
				break;
			}
			cd = 1;
		}
		if (!sd && (rc = xt_tls_handshake(s->t, -1, &e)) != XT_ETIMEOUT) {
			if (rc < 0) {
				who = 2;
				break;
			}
			sd = 1;
		}
	}
	snprintf(msg, msglen, "%s", e.msg);
	if (!who && (!cd || !sd))
		who = 3;
	return who;
}

static void
freeboth(struct end *c, struct end *s)
{
	xt_tls_free(c->t);
	xt_tls_free(s->t);
	c->t = s->t = NULL;
}

/* All that is readable at e now, into buf; its length. */
static size_t
drain(struct end *e, char *buf, size_t n, int *closed)
{
	struct xt_error er = { 0, "" };
	size_t got = 0;
	ssize_t r;

	*closed = 0;
	while ((r = xt_tls_read(e->t, buf + got, n - got, -1, &er)) > 0)
		got += (size_t)r;
	if (r == 0)
		*closed = 1;
	return got;
}

static void
test_x509(void)
{
	struct xt_error e = { 0, "" };
	struct end c = { 0 }, s = { 0 };
	struct xt_key *alice, *carol, *mallory;
	unsigned char *as, *cs, *ms;
	size_t al, cl, ml, n;
	char msg[XT_ERRLEN], buf[4096], info[128];
	int closed, who;

	alice = load("alice", &as, &al);
	carol = load("carol", &cs, &cl);
	mallory = load("mallory", &ms, &ml);

	/* alice (client) and carol (server), each expecting the other. */
	c.want = cs, c.wantlen = cl;
	s.want = as, s.wantlen = al;
	who = pair(&c, &s, alice, carol, NULL, NULL, msg, sizeof(msg));
	is_int(who, 0, "x509: the handshake completes on both sides");
	ok(c.seen && s.seen, "  each was asked about the other's key "
	    "(mutual)");
	is_int(xt_tls_version(c.t), 13, "  TLS 1.3");
	xt_tls_describe(c.t, info, sizeof(info));
	ok(strncmp(info, "TLS1.3 ", 7) == 0, "  described as %s", info);
	ok(xt_tls_write(c.t, "to carol", 8, -1, &e) == XT_OK &&
	    xt_tls_write(s.t, "to alice", 8, -1, &e) == XT_OK,
	    "  data written both ways");
	n = drain(&s, buf, sizeof(buf), &closed);
	ok(n == 8 && memcmp(buf, "to carol", 8) == 0 && !closed,
	    "  carol reads alice's");
	n = drain(&c, buf, sizeof(buf), &closed);
	ok(n == 8 && memcmp(buf, "to alice", 8) == 0 && !closed,
	    "  alice reads carol's");
	/* alice's side ends; carol can still send. */
	is_int(xt_tls_shutdown(c.t, &e), XT_OK, "  alice sends close_notify");
	n = drain(&s, buf, sizeof(buf), &closed);
	ok(n == 0 && closed, "  carol sees the end of alice's data");
	ok(xt_tls_write(s.t, "after", 5, -1, &e) == XT_OK,
	    "  carol writes after it");
	n = drain(&c, buf, sizeof(buf), &closed);
	ok(n == 5 && memcmp(buf, "after", 5) == 0, "  alice still reads");
	is_int(xt_tls_shutdown(s.t, &e), XT_OK, "  carol sends close_notify");
	n = drain(&c, buf, sizeof(buf), &closed);
	ok(n == 0 && closed, "  alice sees the end of carol's data");
	freeboth(&c, &s);

	/* The forged twins: a key other than the one expected. */
	c.seen = s.seen = 0;
	c.want = cs, c.wantlen = cl;
	s.want = as, s.wantlen = al;
	who = pair(&c, &s, mallory, carol, NULL, NULL, msg, sizeof(msg));
	is_int(who, 2, "x509: mallory's key where alice's is expected: the "
	    "server refuses");
	ok(strstr(msg, "the peer's key is not the one expected") != NULL,
	    "  saying why (%s)", msg);
	freeboth(&c, &s);
	c.want = cs, c.wantlen = cl;
	s.want = as, s.wantlen = al;
	who = pair(&c, &s, alice, mallory, NULL, NULL, msg, sizeof(msg));
	is_int(who, 1, "x509: mallory's key where carol's is expected: the "
	    "client refuses");
	ok(strstr(msg, "the peer's key is not the one expected") != NULL,
	    "  saying why (%s)", msg);
	freeboth(&c, &s);

	xt_key_free(alice);
	xt_key_free(carol);
	xt_key_free(mallory);
	free(as);
	free(cs);
	free(ms);
}

static void
test_srp(void)
{
	struct xt_error e = { 0, "" };
	struct end c = { 0 }, s = { 0 };
	char msg[XT_ERRLEN], buf[64], info[128];
	size_t n;
	int closed, who;

	who = pair(&c, &s, NULL, NULL, "sesame", "sesame", msg, sizeof(msg));
	is_int(who, 0, "srp: the same password: the handshake completes");
	is_int(xt_tls_version(c.t), 12, "  TLS 1.2");
	xt_tls_describe(s.t, info, sizeof(info));
	ok(strstr(info, " SRP") != NULL, "  described as %s", info);
	ok(xt_tls_write(c.t, "hi", 2, -1, &e) == XT_OK, "  data written");
	n = drain(&s, buf, sizeof(buf), &closed);
	ok(n == 2 && memcmp(buf, "hi", 2) == 0, "  and read");
	freeboth(&c, &s);

	who = pair(&c, &s, NULL, NULL, "sesame", "open sesame", msg,
	    sizeof(msg));
	ok(who == 1 || who == 2, "srp: another password: the handshake "
	    "fails (%s)", msg);
	freeboth(&c, &s);
}

int
main(void)
{
	struct xt_error e = { 0, "" };

	if (xt_init(&e) < 0) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	test_parse();
	test_x509();
	test_srp();
	return done();
}
