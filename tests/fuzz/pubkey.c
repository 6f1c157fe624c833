/*
 * pubkey.c: libFuzzer target for xt_pubkey_parse. The bytes go to a
 * fragment parser whose implied root is in urn:xmpp:pubkey:1; each element
 * that comes out goes to the parser of <pubkey/>. A refusal must leave
 * the struct cleared and say why. What parses is verified, printed by
 * both rules, turned back into an element, serialized and parsed again:
 * that must succeed with the same texts, key, print and verdict, and
 * serialize to the same bytes, or the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* n serialized, then parsed on its own: the one element, owned. */
static struct xt_node *
again(const struct xt_node *n, char **s)
{
	struct xt_parser *p;
	struct xt_node *m;
	size_t len;

	if (n == NULL || xt_xml_serialize(n, NULL, s, &len) != XT_OK)
		abort();
	if ((p = xt_parser_new(XT_PARSE_FRAGMENT, NULL, NULL)) == NULL)
		abort();
	if (xt_parser_feed(p, *s, len, NULL) != XT_OK ||
	    xt_parser_finish(p, NULL) != XT_OK ||
	    (m = xt_parser_next(p)) == NULL || xt_parser_next(p) != NULL)
		abort();
	xt_parser_free(p);
	return m;
}

static void
check(const struct xt_node *n)
{
	struct xt_error e = { 0, "" };
	struct xt_pubkey pk, back;
	struct xt_node *m, *m2, *r;
	char cur[65], leg[65], *s1, *s2;
	int rc, rc2;

	if ((rc = xt_pubkey_parse(n, &pk, &e)) != XT_OK) {
		if (e.code != rc || e.msg[0] == '\0' ||
		    !zeroed(&pk, sizeof(pk)))
			abort();
		return;
	}
	rc = xt_pubkey_verify(&pk, NULL);
	if ((rc != XT_OK && rc != XT_EBADSIG) ||
	    (rc == XT_OK) != (pk.rule != XT_PRINT_NONE))
		abort();
	if (xt_pubkey_print(&pk, XT_PRINT_CURRENT, cur) != XT_OK ||
	    xt_pubkey_print(&pk, XT_PRINT_LEGACY, leg) != XT_OK ||
	    strlen(cur) != 64 || strlen(leg) != 64)
		abort();
	if (xt_pubkey_when(&pk, pk.begin_t) != 0 ||
	    xt_pubkey_when(&pk, pk.end_t) != 0)
		abort();
	m = xt_pubkey_node(&pk);
	r = again(m, &s1);
	if (xt_pubkey_parse(r, &back, &e) != XT_OK)
		abort();
	if (!same(back.print, pk.print) || !same(back.key, pk.key) ||
	    !same(back.begin, pk.begin) || !same(back.end, pk.end) ||
	    !same(back.jid, pk.jid) || !same(back.uri, pk.uri) ||
	    strcmp(back.keyid, pk.keyid) != 0 || back.bits != pk.bits)
		abort();
	rc2 = xt_pubkey_verify(&back, NULL);
	if (rc2 != rc || back.rule != pk.rule)
		abort();
	m2 = xt_pubkey_node(&back);
	if (m2 == NULL || xt_xml_serialize(m2, NULL, &s2, NULL) != XT_OK ||
	    strcmp(s1, s2) != 0)
		abort();
	free(s1);
	free(s2);
	xt_node_free(m);
	xt_node_free(m2);
	xt_node_free(r);
	xt_pubkey_clear(&back);
	xt_pubkey_clear(&pk);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xt_xml_limits lim;
	struct xt_parser *p;
	struct xt_node *n;

	memset(&lim, 0, sizeof(lim));
	lim.max_stanza = 65536;
	lim.max_depth = 16;
	lim.max_attrs = 16;
	lim.max_total = 1 << 20;
	if ((p = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_PUBKEY, &lim)) == NULL)
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
