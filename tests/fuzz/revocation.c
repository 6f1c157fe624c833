/*
 * revocation.c: libFuzzer target for xt_revocation_parse. The bytes go to
 * a fragment parser whose implied root is in urn:xmpp:revoke:1; each
 * element that comes out goes to the parser of <revocation/>. A refusal
 * must leave the struct cleared and say why. What parses is verified as
 * self-signed and against the XEP-0189 example key (each must give a
 * clean yes or no), turned back into an element, serialized and parsed
 * again: that must succeed with the same fields, the same verdicts and
 * the same bytes, or the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* XEP-0189 example 1, a signer whose print verifies (by the legacy rule). */
static const char xep_pubkey[] =
	"<pubkey xmlns='urn:xmpp:pubkey:1'>"
	"<begin>2009-12-11T20:12:37</begin><end>2010-12-11T23:59:59</end>"
	"<jid>peter@jabber.org</jid><key>\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA25/Y7oonF3+pRjZCk0cQ\n"
	"lQFiUFvyMeUOnn01NLfqfBeT4xjahsxaYFPd+V8jIHtpO3nbkpfrBh5aLPCkqDzS\n"
	"UFvmLaVSIMUt085kcT/Yv72BUWUGaISt7swSNfictRbVZ0k8TbXUDLIAYWN8lsie\n"
	"NVxL13PS9pu3WNoORuKAV5RuzDS3djnjb6fti7fTwEUpQVwRrJXY6jNhv4c4zE3x\n"
	"Pjm48gIlHbZrxuWNrXnKT6uwXnr6PJ6O3YspferJG1oA3kmOwm41yWDkalbKgkNZ\n"
	"WeS+ahB/i9LIG+41CdekPpI0Kr0Ll9X7+zaPV6xzjlG8dYy7ZGm4eTL9STuWlPdL\n"
	"+wIDAQAB\n</key>"
	"<print>"
	"13475c8e27399908b4447d7c52ab30822872832eba3a654f0d80e07fb4157673"
	"</print></pubkey>";

static struct xt_pubkey signer;

static struct xt_node *
one(const char *s, size_t len)
{
	struct xt_parser *p;
	struct xt_node *m;

	if ((p = xt_parser_new(XT_PARSE_FRAGMENT, NULL, NULL)) == NULL)
		abort();
	if (xt_parser_feed(p, s, len, NULL) != XT_OK ||
	    xt_parser_finish(p, NULL) != XT_OK ||
	    (m = xt_parser_next(p)) == NULL || xt_parser_next(p) != NULL)
		abort();
	xt_parser_free(p);
	return m;
}

static void
setup(void)
{
	struct xt_node *n;

	if (signer.key != NULL)
		return;
	n = one(xep_pubkey, strlen(xep_pubkey));
	if (xt_pubkey_parse(n, &signer, NULL) != XT_OK ||
	    xt_pubkey_verify(&signer, NULL) != XT_OK)
		abort();
	xt_node_free(n);
}

static int
zeroed(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

static int
verdict(const struct xt_revocation *r, const struct xt_pubkey *s)
{
	struct xt_error e = { 0, "" };
	int rc;

	rc = xt_revocation_verify(r, s, &e);
	if (rc != XT_OK && rc != XT_EBADSIG)
		abort();
	if (rc != XT_OK && e.msg[0] == '\0')
		abort();
	return rc;
}

static void
check(const struct xt_node *n)
{
	struct xt_error e = { 0, "" };
	struct xt_revocation r, back;
	struct xt_node *m, *m2, *q;
	char *data, *s1, *s2;
	size_t len, l1;
	int self, other;

	if (xt_revocation_parse(n, &r, &e) != XT_OK) {
		if (e.msg[0] == '\0' || !zeroed(&r, sizeof(r)))
			abort();
		return;
	}
	if (xt_revocation_data(&r, &data, &len) != XT_OK ||
	    strlen(data) != len)
		abort();
	free(data);
	self = verdict(&r, NULL);
	other = verdict(&r, &signer);
	if ((m = xt_revocation_node(&r)) == NULL ||
	    xt_xml_serialize(m, NULL, &s1, &l1) != XT_OK)
		abort();
	q = one(s1, l1);
	if (xt_revocation_parse(q, &back, &e) != XT_OK)
		abort();
	if (strcmp(back.key, r.key) != 0 ||
	    strcmp(back.keyprint, r.keyprint) != 0 ||
	    strcmp(back.revocationprint, r.revocationprint) != 0 ||
	    strcmp(back.time, r.time) != 0 || back.t != r.t ||
	    strcmp(back.keyid, r.keyid) != 0 || back.siglen != r.siglen ||
	    memcmp(back.sig, r.sig, r.siglen) != 0)
		abort();
	if (verdict(&back, NULL) != self || verdict(&back, &signer) != other)
		abort();
	if ((m2 = xt_revocation_node(&back)) == NULL ||
	    xt_xml_serialize(m2, NULL, &s2, NULL) != XT_OK ||
	    strcmp(s1, s2) != 0)
		abort();
	free(s1);
	free(s2);
	xt_node_free(m);
	xt_node_free(m2);
	xt_node_free(q);
	xt_revocation_clear(&back);
	xt_revocation_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xt_xml_limits lim;
	struct xt_parser *p;
	struct xt_node *n;

	setup();
	memset(&lim, 0, sizeof(lim));
	lim.max_stanza = 65536;
	lim.max_depth = 16;
	lim.max_attrs = 16;
	lim.max_total = 1 << 20;
	if ((p = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_REVOKE, &lim)) == NULL)
		abort();
	if (xt_parser_feed(p, (const char *)data, size, NULL) == XT_OK)
		(void)xt_parser_finish(p, NULL);
	while ((n = xt_parser_next(p)) != NULL) {
		check(n);
		xt_node_free(n);
	}
	xt_parser_free(p);
	return 0;
}
