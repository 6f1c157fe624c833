/* err.c, time.c and net.c helpers: exit statuses, bytes, dates, hosts. */
#include <stdlib.h>
#include <string.h>

#include "xt.h"
#include "tap.h"

static void
test_exit(void)
{
	static const struct { int code, status; } t[] = {
		{ XT_OK, 0 }, { XT_ENOTFOUND, 1 }, { XT_EBADSIG, 1 },
		{ XT_EINVAL, 2 }, { XT_ETOOBIG, 2 }, { XT_EPERM, 2 },
		{ XT_EEXIST, 2 }, { XT_ENET, 3 }, { XT_ETLS, 3 },
		{ XT_EPROTO, 3 }, { XT_ECLOSED, 3 }, { XT_EAUTH, 4 },
		{ XT_ESTANZA, 5 }, { XT_ETIMEOUT, 6 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(xt_exit_status(t[i].code), t[i].status,
		    xt_strerror(t[i].code));
}

/* Whatever a peer put in it, a message stays one line. */
static void
test_oneline(void)
{
	struct xt_error e;
	char s[] = "a\nb\rc\td\x1b[2Je\x7f\xc3\xa9";

	is_int(xt_error_set(&e, XT_ESTANZA, "bad-request: %s",
	    "x\nxmpp-fetchkey: forged"), XT_ESTANZA, "error set");
	is_str(e.msg, "bad-request: x?xmpp-fetchkey: forged",
	    "a line break in a quoted text becomes ?");
	xt_oneline(s);
	is_str(s, "a?b?c?d?[2Je?\xc3\xa9",
	    "controls and DEL replaced, UTF-8 kept");
}

/* What reaches a terminal: no C1, no stray byte, every character kept. */
static void
test_text_safe(void)
{
	static const struct { const char *in, *keep, *out; } t[] = {
		{ "a\xc2\x9b[31mred", "", "a?[31mred" },	/* CSI, U+009B */
		{ "\xc2\x80\xc2\x9f\xc2\xa0", "", "??\xc2\xa0" },
		{ "a\x9b[2J", "", "a?[2J" },		/* 8-bit CSI alone */
		{ "\xc0\x80\xed\xa0\x80", "", "?????" }, /* overlong, surrogate */
		{ "\xf4\x90\x80\x80x", "", "????x" },	/* above U+10FFFF */
		{ "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8d\xba", "",
		    "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8d\xba" },
		{ "l1\nl2\tx\r\x1b", "\t\n", "l1\nl2\tx??" },
		{ "cut \xe6\x97", "", "cut ??" },
	};
	char buf[64], name[32];
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].in);
		memcpy(buf, t[i].in, n);
		n = xt_text_safe(buf, n, t[i].keep);
		buf[n] = '\0';
		snprintf(name, sizeof(name), "text_safe case %zu", i);
		is_str(buf, t[i].out, name);
	}
}

static void
test_bytes(void)
{
	static const struct { const char *s; size_t n; int valid; } u[] = {
		{ "plain ascii", 11, 1 },
		{ "\xc3\xa9t\xc3\xa9", 6, 1 },
		{ "\xf0\x9f\x8d\xba", 4, 1 },			/* U+1F37A */
		{ "\xc0\xaf", 2, 0 },				/* overlong / */
		{ "\xe0\x80\xaf", 3, 0 },			/* overlong */
		{ "\xed\xa0\x80", 3, 0 },			/* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0 },			/* > U+10FFFF */
		{ "\xc3", 1, 0 },				/* truncated */
		{ "\xff", 1, 0 },
		{ "\x80", 1, 0 },				/* lone cont. */
		{ "a\0b", 3, 1 },				/* NUL is UTF-8 */
	};
	char *b64;
	unsigned char *raw;
	size_t i, n;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		is_int(xt_utf8_valid(u[i].s, u[i].n), u[i].valid, "utf-8 case");
	ok(xt_ct_memcmp("abcd", "abcd", 4) == 0, "ct_memcmp equal");
	ok(xt_ct_memcmp("abcd", "abce", 4) != 0, "ct_memcmp last byte");
	ok(xt_ct_memcmp("xbcd", "abcd", 4) != 0, "ct_memcmp first byte");
	is_int(xt_b64_encode("pencil", 6, &b64), XT_OK, "base64 encode");
	is_str(b64, "cGVuY2ls", "base64 of pencil");
	is_int(xt_b64_decode(b64, strlen(b64), &raw, &n), XT_OK, "decode");
	ok(n == 6 && memcmp(raw, "pencil", 6) == 0, "round trip");
	free(b64);
	free(raw);
	is_int(xt_b64_decode("cGVu\nY2ls", 9, &raw, &n), XT_EINVAL,
	    "base64 with a line break refused");
	is_int(xt_b64_decode("cGV!Y2ls", 8, &raw, &n), XT_EINVAL,
	    "base64 with a bad character refused");
}

static void
test_time(void)
{
	static const struct { const char *s; int64_t t; } good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-11-22T10:20:30Z", 1795342830 },
		{ "2026-11-22T10:20:30.123Z", 1795342830 },
		{ "2026-11-22T12:20:30+02:00", 1795342830 },
		{ "2026-11-22T10:20:30", 1795342830 },	/* no zone: UTC */
		{ "2024-02-29", 1709164800 },
		{ "1969-12-31T23:59:59Z", -1 },
	};
	static const char *bad[] = { "", "2026-13-01", "2026-02-29",
	    "2026-11-22T25:00:00Z", "2026-11-22T10:20Z", "2026-11-22T10:20:30X",
	    "2026-11-22T10:20:30+0200", "26-11-22", "2026-11-22T10:20:30.Z",
	    "2026-11-22 10:20:30Z" };
	char buf[32];
	int64_t t;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = 42;
		ok(xt_time_parse(good[i].s, &t) == XT_OK && t == good[i].t,
		    "parse %s", good[i].s);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(xt_time_parse(bad[i], &t), XT_EINVAL, bad[i]);
	xt_time_format(1795342830, buf, sizeof(buf));
	is_str(buf, "2026-11-22T10:20:30Z", "format with Z");
}

static void
test_hostport(void)
{
	static const struct { const char *in, *host; unsigned port; } good[] = {
		{ "example.org", "example.org", 0 },
		{ "example.org:5223", "example.org", 5223 },
		{ "127.0.0.1:1", "127.0.0.1", 1 },
		{ "[::1]:5222", "::1", 5222 },
		{ "[::1]", "::1", 0 },
	};
	static const char *bad[] = { "", ":5222", "host:", "host:0",
	    "host:65536", "host:x", "::1", "[::1", "[]:5", "[::1]x",
	    "host:-1" };
	char *h;
	unsigned p;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ok(xt_net_hostport(good[i].in, &h, &p) == XT_OK && h != NULL &&
		    strcmp(h, good[i].host) == 0 && p == good[i].port,
		    "hostport %s", good[i].in);
		free(h);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(xt_net_hostport(bad[i], &h, &p), XT_EINVAL, bad[i]);
}

int
main(void)
{
	xt_init(NULL);
	test_exit();
	test_oneline();
	test_text_safe();
	test_bytes();
	test_time();
	test_hostport();
	return done();
}
