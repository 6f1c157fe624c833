/*
 * esmessage.c: libFuzzer target for the recipient's reading of offline
 * ESession messages (<init/> and <c/>, XEP-0187 3.4, XEP-0200). The
 * secrets of the first known-answer vector (tests/data/esession/kat1.in)
 * are stored in a temporary directory at start; the bytes go to a
 * fragment parser in jabber:client and each message to xt_es_open, which
 * trusts carol's committed key for anyone. A refusal must say why and
 * hand nothing out; what is accepted must hold what it was decrypted to.
 * The replay log is removed before each run, so that a seed that is the
 * genuine message (kat1's) is accepted every time and its mutations reach
 * every check. Run from the repository root.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xt.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/xt-fuzz-es-XXXXXX";
static char seen[64];
static struct xt_pubkey carol;
static struct xt_es_inbox inbox;

static int
trust(void *arg, const char *bare, const unsigned char *spki, size_t len,
    struct xt_error *e)
{
	if (len == carol.spkilen && memcmp(spki, carol.spki, len) == 0)
		return XT_OK;
	return xt_error_set(e, XT_EBADSIG, "not carol's key");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* kat1.in: alice's nonce and x for groups 15 and 14. */
	static const unsigned char na[16] = { 0x00, 0xa7, 0xde, 0xf2, 0x11,
	    0xc7, 0x85, 0xfb, 0xa8, 0x88, 0x58, 0x97, 0x2e, 0x09, 0x34,
	    0xbe };
	static const char *const x[] = {
	    "a63d5ca5fe643070a37aeefbebac53640b7effd8953ffa50fd2cfe3533ecbc61",
	    "aa89f097b33034fe6612b4969b08536aac997b6f3c1820b47b373264c76be192"
	};
	static const int groups[] = { 15, 14 };
	struct xt_error e = { 0, "" };
	struct xt_es_offer o = { 0 };
	struct xt_es_secret *s;
	struct xt_node *form;
	struct xt_key *alice;
	char *pem;
	size_t len;

	if (xt_init(&e) < 0 || mkdtemp(dir) == NULL ||
	    xt_pubkey_read("tests/data/carol.pub", &carol, &e) < 0 ||
	    xt_file_read("tests/data/alice.key", 65536, 0, &pem, &len, &e) < 0 ||
	    xt_key_import(&alice, pem, len, NULL, &e) < 0) {
		fprintf(stderr, "esmessage: %s (run from the repository "
		    "root)\n", e.msg);
		exit(1);
	}
	free(pem);
	o.jid = "alice@xt.test";
	xt_time_parse("2099-12-31T23:59:59Z", &o.expires);
	o.groups = groups;
	o.ngroups = 2;
	o.keys = (const struct xt_key *const *)&alice;
	o.nkeys = 1;
	o.nonce = na;
	o.x = x;
	if (xt_es_offer_make(&o, &form, &s, &e) < 0 ||
	    xt_es_secret_save(s, dir, &e) < 0) {
		fprintf(stderr, "esmessage: %s\n", e.msg);
		exit(1);
	}
	xt_es_secret_free(s);
	xt_node_free(form);
	xt_key_free(alice);
	snprintf(seen, sizeof(seen), "%s/00a7def211c785fba88858972e0934be.seen",
	    dir);
	inbox.dir = dir;
	inbox.now = 1700000000;
	inbox.trust = trust;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xt_error e = { 0, "" };
	struct xt_parser *ps;
	struct xt_node *n, *out;
	char keyid[65];
	int rc;

	unlink(seen);
	if ((ps = xt_parser_new(XT_PARSE_FRAGMENT, XT_NS_CLIENT, NULL)) == NULL)
		return 0;
	if (xt_parser_feed(ps, (const char *)data, size, NULL) == XT_OK)
		xt_parser_finish(ps, NULL);
	while ((n = xt_parser_next(ps)) != NULL) {
		if (xt_es_is(n)) {
			e.msg[0] = '\0';
			out = NULL;
			rc = xt_es_open(&inbox, n, &out, keyid, &e);
			if (rc < 0 && (out != NULL || e.msg[0] == '\0'))
				abort();
			if (rc == XT_OK && (strlen(keyid) != 64 || (out !=
			    NULL && xt_es_is(out))))
				abort();
			xt_node_free(out);
		}
		xt_node_free(n);
	}
	xt_parser_free(ps);
	xt_es_inbox_clear(&inbox);
	return 0;
}
