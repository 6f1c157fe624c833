/*
 * attest.c: libFuzzer target for xt_attest_parse. The bytes go to a
 * fragment parser whose implied root is in urn:xmpp:attest:1; each
 * element that comes out goes to the parser of <attest/>. A refusal must
 * leave the struct cleared and say why. What parses is verified with the
 * XEP-0189 example key as subject and signer (a clean yes or no), turned
 * back into an element, serialized and parsed again: that must succeed
 * with the same fields, the same verdict and the same bytes, or the
 * target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* XEP-0189 example 1, whose print verifies (by the legacy rule). */
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

static struct xt_pubkey pub;

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

	if (pub.key != NULL)
		return;
	n = one(xep_pubkey, strlen(xep_pubkey));
	if (xt_pubkey_parse(n, &pub, NULL) != XT_OK ||
	    xt_pubkey_verify(&pub, NULL) != XT_OK)
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
verdict(const struct xt_attest *a)
{
	struct xt_error e = { 0, "" };
	int rc;

	rc = xt_attest_verify(a, &pub, &pub, &e);
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
	struct xt_attest a, back;
	struct xt_node *m, *m2, *q;
	char *data, *s1, *s2;
	size_t len, l1;
	int v;

	if (xt_attest_parse(n, &a, &e) != XT_OK) {
		if (e.msg[0] == '\0' || !zeroed(&a, sizeof(a)))
			abort();
		return;
	}
	if (xt_attest_data(&a, pub.key, &data, &len) != XT_OK ||
	    strlen(data) != len)
		abort();
	free(data);
	v = verdict(&a);
	if ((m = xt_attest_node(&a)) == NULL ||
	    xt_xml_serialize(m, NULL, &s1, &l1) != XT_OK)
		abort();
	q = one(s1, l1);
	if (xt_attest_parse(q, &back, &e) != XT_OK)
		abort();
	if (strcmp(back.keyprint, a.keyprint) != 0 ||
	    strcmp(back.signerjid, a.signerjid) != 0 ||
	    strcmp(back.signerprint, a.signerprint) != 0 ||
	    strcmp(back.time, a.time) != 0 || back.t != a.t ||
	    back.siglen != a.siglen || memcmp(back.sig, a.sig, a.siglen) != 0)
		abort();
	if (verdict(&back) != v)
		abort();
	if ((m2 = xt_attest_node(&back)) == NULL ||
	    xt_xml_serialize(m2, NULL, &s2, NULL) != XT_OK ||
	    strcmp(s1, s2) != 0)
		abort();
	free(s1);
	free(s2);
	xt_node_free(m);
	xt_node_free(m2);
	xt_node_free(q);
	xt_attest_clear(&back);
	xt_attest_clear(&a);
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
	if ((p = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_ATTEST, &lim)) == NULL)
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
