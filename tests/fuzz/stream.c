/*
 * stream.c: libFuzzer target for the stream-mode parser of lib/xml.c.
 * The first two bytes choose where the rest is cut in two; both pieces go
 * to a parser with small limits, so that the limits are reached too.
 * Every stanza that comes out is serialized, parsed again on its own and
 * serialized again: that must succeed and give the same bytes, or the
 * target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct xt_node *n)
{
	struct xt_xml_limits lim;
	struct xt_parser *p;
	struct xt_node *m;
	char *s1, *s2;
	size_t l1, l2;

	if (xt_xml_serialize(n, NULL, &s1, &l1) != XT_OK)
		abort();
	/*
	 * The serialization can outgrow the original (escaping, an added
	 * xmlns, declarations of prefixes taken from the stream root), so
	 * its own size sets the limits.
	 */
	memset(&lim, 0, sizeof(lim));
	lim.max_stanza = l1;
	lim.max_depth = 64;
	lim.max_attrs = 128;
	if ((p = xt_parser_new(XT_PARSE_FRAGMENT, NULL, &lim)) == NULL)
		abort();
	if (xt_parser_feed(p, s1, l1, NULL) != XT_OK ||
	    xt_parser_finish(p, NULL) != XT_OK)
		abort();
	if ((m = xt_parser_next(p)) == NULL || xt_parser_next(p) != NULL)
		abort();
	if (xt_xml_serialize(m, NULL, &s2, &l2) != XT_OK || l1 != l2 ||
	    memcmp(s1, s2, l1) != 0)
		abort();
	free(s1);
	free(s2);
	xt_node_free(m);
	xt_parser_free(p);
}

static void
drain(struct xt_parser *p)
{
	struct xt_node *n;

	while ((n = xt_parser_next(p)) != NULL) {
		check(n);
		xt_node_free(n);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xt_xml_limits lim;
	struct xt_parser *p;
	const struct xt_node *h;
	struct xt_error e;
	size_t cut;
	char *s;

	if (size < 2)
		return 0;
	cut = ((size_t)data[0] | (size_t)data[1] << 8) % (size - 1);
	data += 2;
	size -= 2;
	memset(&lim, 0, sizeof(lim));
	lim.max_stanza = 16384;
	lim.max_depth = 16;
	lim.max_attrs = 16;
	lim.max_total = 1 << 20;
	if ((p = xt_parser_new(XT_PARSE_STREAM, NULL, &lim)) == NULL)
		abort();
	if (xt_parser_feed(p, (const char *)data, cut, &e) == XT_OK) {
		drain(p);
		xt_parser_feed(p, (const char *)data + cut, size - cut, &e);
	}
	drain(p);
	if ((h = xt_parser_header(p)) != NULL) {
		if (xt_xml_serialize(h, NULL, &s, NULL) != XT_OK)
			abort();
		free(s);
	}
	(void)xt_parser_pending(p);
	(void)xt_parser_closed(p);
	xt_parser_free(p);
	return 0;
}
