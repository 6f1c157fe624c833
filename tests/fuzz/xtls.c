/*
 * xtls.c: libFuzzer target for xt_xtls_parse, the reading of what an IQ
 * carries for XTLS. The bytes go to a fragment parser whose implied root
 * is in jabber:client; each element is read as XTLS. A refusal must say
 * why and leave nothing owned. What reads as data is written again with
 * its bytes in canonical base64 and the same method, serialized, parsed
 * and read once more: that must give the same kind, method and bytes, or
 * the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
again(const struct xt_xtls_payload *p)
{
	struct xt_error e = { 0, "" };
	struct xt_xtls_payload q;
	struct xt_parser *ps;
	struct xt_node *iq, *d, *m;
	char *b64 = NULL, *s;
	size_t len;

	if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(iq, "type", "set") < 0 ||
	    xt_node_set_attr(iq, "id", "x") < 0 ||
	    (d = xt_node_add_elem(iq, "data", XT_NS_XTLS)) == NULL ||
	    (p->method != NULL && xt_node_set_attr(d, "method",
	    p->method) < 0) ||
	    (p->len > 0 && (xt_b64_encode(p->data, p->len, &b64) < 0 ||
	    xt_node_add_text(d, b64, strlen(b64)) < 0)) ||
	    xt_xml_serialize(iq, XT_NS_CLIENT, &s, &len) < 0)
		abort();
	if ((ps = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_CLIENT,
	    NULL)) == NULL || xt_parser_feed(ps, s, len, NULL) != XT_OK ||
	    xt_parser_finish(ps, NULL) != XT_OK ||
	    (m = xt_parser_next(ps)) == NULL)
		abort();
	if (xt_xtls_parse(m, &q, &e) != XT_OK || q.kind != XT_XTLS_EL_DATA ||
	    q.len != p->len || (q.len > 0 && memcmp(q.data, p->data,
	    q.len) != 0) || (p->method == NULL) != (q.method == NULL) ||
	    (p->method != NULL && strcmp(p->method, q.method) != 0))
		abort();
	free(q.data);
	free(b64);
	free(s);
	xt_node_free(m);
	xt_node_free(iq);
	xt_parser_free(ps);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xt_error e = { 0, "" };
	struct xt_xtls_payload p;
	struct xt_parser *ps;
	struct xt_node *n;

	if ((ps = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_CLIENT, NULL)) == NULL)
		return 0;
	if (xt_parser_feed(ps, (const char *)data, size, NULL) == XT_OK)
		xt_parser_finish(ps, NULL);
	while ((n = xt_parser_next(ps)) != NULL) {
		e.msg[0] = '\0';
		if (xt_xtls_parse(n, &p, &e) != XT_OK) {
			if (e.msg[0] == '\0' || p.data != NULL)
				abort();
		} else {
			if (p.kind != XT_XTLS_EL_DATA && (p.data != NULL ||
			    p.len != 0))
				abort();
			if (p.kind == XT_XTLS_EL_DATA)
				again(&p);
			free(p.data);
		}
		xt_node_free(n);
	}
	xt_parser_free(ps);
	return 0;
}
