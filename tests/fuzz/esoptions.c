/*
 * esoptions.c: libFuzzer target for the reading of offline ESession
 * options (XEP-0187 3.1) by a sender. The bytes go to a fragment parser
 * whose implied root is in jabber:x:data; each element is taken as the
 * options of alice@xt.test, whose committed key is trusted, and an
 * ESession is begun with carol's. Its normalised content must not change
 * when it is serialized and parsed again (the signature covers it), and
 * whatever it is, xt_es_begin must say yes with a usable ESession or no
 * with a reason. The seeds are genuine signed options (the known-answer
 * vectors), so mutations that keep the content keep the signature. Run
 * from the repository root (the keys are read from tests/data).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct xt_key *carol;
static struct xt_peerkey alice_one;
static struct xt_peerkeys alice = { NULL, &alice_one, 1 };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct xt_error e = { 0, "" };
	char *pem;
	size_t len;

	if (xt_init(&e) < 0 ||
	    xt_pubkey_read("tests/data/alice.pub", &alice_one.pk, &e) < 0 ||
	    xt_file_read("tests/data/carol.key", 65536, 0, &pem, &len, &e) < 0 ||
	    xt_key_import(&carol, pem, len, NULL, &e) < 0) {
		fprintf(stderr, "esoptions: %s (run from the repository "
		    "root)\n", e.msg);
		exit(1);
	}
	free(pem);
	alice_one.v = XT_KEY_VALID;
	return 0;
}

static struct xt_node *
again(const struct xt_node *n)
{
	struct xt_parser *p;
	struct xt_node *m;
	char *s;
	size_t len;

	if (xt_xml_serialize(n, NULL, &s, &len) != XT_OK ||
	    (p = xt_parser_new(XT_PARSE_FRAGMENT, NULL, NULL)) == NULL)
		abort();
	if (xt_parser_feed(p, s, len, NULL) != XT_OK ||
	    xt_parser_finish(p, NULL) != XT_OK ||
	    (m = xt_parser_next(p)) == NULL)
		abort();
	xt_parser_free(p);
	free(s);
	return m;
}

static void
check(const struct xt_node *x)
{
	static const char *const except[] = { "signs", NULL };
	struct xt_error e = { 0, "" };
	struct xt_es_begin b = { 0 };
	struct xt_esession *es = NULL;
	struct xt_node *m, *y;
	char *c1, *c2;
	int rc;

	c1 = xt_es_content(x, except);
	y = again(x);
	c2 = xt_es_content(y, except);
	if ((c1 == NULL) != (c2 == NULL) || (c1 && strcmp(c1, c2) != 0))
		abort();
	free(c1);
	free(c2);
	xt_node_free(y);
	b.options = x;
	b.to = "alice@xt.test";
	b.keys = &alice;
	b.key = carol;
	b.now = 1700000000;
	rc = xt_es_begin(&b, &es, &e);
	if (rc < 0) {
		if (es != NULL || e.msg[0] == '\0')
			abort();
		return;
	}
	if (es == NULL || (m = xt_node_new("message", XT_NS_CLIENT)) == NULL)
		abort();
	if (xt_es_seal(es, "fuzz", 4, m, &e) != XT_OK || !xt_es_is(m))
		abort();
	xt_node_free(m);
	xt_es_free(es);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xt_parser *ps;
	struct xt_node *n;

	if ((ps = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_DATA, NULL)) == NULL)
		return 0;
	if (xt_parser_feed(ps, (const char *)data, size, NULL) == XT_OK)
		xt_parser_finish(ps, NULL);
	while ((n = xt_parser_next(ps)) != NULL) {
		check(n);
		xt_node_free(n);
	}
	xt_parser_free(ps);
	return 0;
}
