/*
 * jid.c: tests for lib/jid.c, printing TAP. The vectors are the published
 * ones (RFC 7622 tables 1 and 2 as jxmpp carries them, slixmpp, Prosody,
 * libstrophe) and a few of our own; tests/unit/precis.c has those of the
 * PRECIS profiles. Where we decided against a source, the vector sits in
 * the known-differences table, which asserts what we actually do;
 * tests/unit/jid-known-differences.txt says the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"
#include "tap.h"

struct valid {
	const char	*in;
	const char	*local;		/* NULL: absent */
	const char	*domain;
	const char	*resource;	/* NULL: absent */
	const char	*from;
};

static const struct valid valid[] = {
	/* jxmpp valid/main; the first 14 are RFC 7622 Table 1 */
	{ "juliet@example.com", "juliet", "example.com", NULL, "jxmpp" },
	{ "juliet@example.com/foo", "juliet", "example.com", "foo", "jxmpp" },
	{ "juliet@example.com/foo bar", "juliet", "example.com", "foo bar",
	    "jxmpp" },
	{ "juliet@example.com/foo@bar", "juliet", "example.com", "foo@bar",
	    "jxmpp" },
	{ "foo\\20bar@example.com", "foo\\20bar", "example.com", NULL,
	    "jxmpp" },
	{ "fussball@example.com", "fussball", "example.com", NULL, "jxmpp" },
	{ "fu\xc3\x9f" "ball@example.com", "fu\xc3\x9f" "ball", "example.com",
	    NULL, "jxmpp" },
	{ "\xcf\x80@example.com", "\xcf\x80", "example.com", NULL, "jxmpp" },
	{ "\xce\xa3@example.com", "\xcf\x83", "example.com", NULL, "jxmpp" },
	{ "\xce\xa3@example.com/foo", "\xcf\x83", "example.com", "foo",
	    "RFC 7622" },
	{ "\xcf\x83@example.com/foo", "\xcf\x83", "example.com", "foo",
	    "RFC 7622" },
	{ "\xcf\x82@example.com/foo", "\xcf\x82", "example.com", "foo",
	    "RFC 7622" },
	{ "king@example.com/\xe2\x99\x9a", "king", "example.com",
	    "\xe2\x99\x9a", "jxmpp" },
	{ "example.com", NULL, "example.com", NULL, "jxmpp" },
	{ "example.com/foobar", NULL, "example.com", "foobar", "jxmpp" },
	{ "a.example.com/b@example.net", NULL, "a.example.com",
	    "b@example.net", "jxmpp" },
	{ "server/resource@foo", NULL, "server", "resource@foo", "jxmpp" },
	{ "server/resource@foo/bar", NULL, "server", "resource@foo/bar",
	    "jxmpp" },
	{ "user@CaSe-InSeNsItIvE", "user", "case-insensitive", NULL,
	    "jxmpp" },
	{ "user@192.168.1.1", "user", "192.168.1.1", NULL, "jxmpp" },
	{ "user@[2001:638:a000:4134::ffff:40]", "user",
	    "[2001:638:a000:4134::ffff:40]", NULL, "jxmpp" },

	/* slixmpp tests/test_jid.py */
	{ "user@someserver/some/resource", "user", "someserver",
	    "some/resource", "slixmpp" },
	{ "127.0.0.1", NULL, "127.0.0.1", NULL, "slixmpp" },
	{ "[::1]", NULL, "[::1]", NULL, "slixmpp" },
	{ "example.com.", NULL, "example.com", NULL, "slixmpp" },
	{ "xn--bcher-kva.ch", NULL, "b\xc3\xbc" "cher.ch", NULL, "slixmpp" },

	/* Prosody spec/util_jid_spec.lua */
	{ "node@server.", "node", "server", NULL, "prosody" },

	/* libstrophe tests/test_jid.c */
	{ "foo@bar.com", "foo", "bar.com", NULL, "libstrophe" },
	{ "anyone@example.com/hullo", "anyone", "example.com", "hullo",
	    "libstrophe" },
	{ "manic.porter@xyz.net/frob", "manic.porter", "xyz.net", "frob",
	    "libstrophe" },
	{ "domain.tld", NULL, "domain.tld", NULL, "libstrophe" },
	/* a '/' cannot end up in a localpart: it starts the resource */
	{ "a/b@example.com", NULL, "a", "b@example.com", "libstrophe" },

	/* our own */
	{ "Juliet@Example.COM/Balcony", "juliet", "example.com", "Balcony",
	    "case" },
	{ "juliet@example.com/ foo", "juliet", "example.com", " foo",
	    "RFC 7622 errata 4560" },
	{ "B\xc3\x9c" "CHER.ch", NULL, "b\xc3\xbc" "cher.ch", NULL, "idna" },
	{ "XN--BCHER-KVA.CH", NULL, "b\xc3\xbc" "cher.ch", NULL, "idna" },
	{ "a\xe3\x80\x82" "b.example", NULL, "a.b.example", NULL,
	    "uts46 ideographic full stop" },
	{ "\xef\xbd\x81.example", NULL, "a.example", NULL,
	    "uts46 fullwidth a" },
	{ "[0:0::1]", NULL, "[::1]", NULL, "ipv6 canonical form" },
	{ "[2001:DB8::A]", NULL, "[2001:db8::a]", NULL,
	    "ipv6 canonical form" },
	{ "[::1].", NULL, "[::1]", NULL, "trailing dot" },
	{ "127.0.0.1./r", NULL, "127.0.0.1", "r", "trailing dot" },
	{ "x@example.com/\xef\xbc\xa1", "x", "example.com", "\xef\xbc\xa1",
	    "opaquestring keeps fullwidth" },
	{ "\xef\xbc\xa1@example.com", "a", "example.com", NULL,
	    "usernamecasemapped maps fullwidth" },
	{ "user@example.org/\xf0\x9f\x8d\xba", "user", "example.org",
	    "\xf0\x9f\x8d\xba", "issue vector: a symbol in a resourcepart" },
	{ "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd@example.com/\xd0\x98",
	    "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd", "example.com", "\xd0\x98",
	    "case: localpart lowered, resourcepart kept" },
	{ "\xe2\x84\xab@example.com", "\xc3\xa5", "example.com", NULL,
	    "angstrom sign: nfc, then lowercase" },
	{ "r3.example/A B", NULL, "r3.example", "A B", "resource case" },
	{ "x@example.com/a\xc2\xa0" "b", "x", "example.com", "a b",
	    "opaquestring maps no-break space to space" },
};

struct invalid {
	const char	*in;
	const char	*part;		/* the part the message names */
	const char	*from;
};

static const struct invalid invalid[] = {
	/* jxmpp invalid/main */
	{ "jul\x01iet@example.com", "localpart", "jxmpp" },
	{ "henry\xe2\x85\xa3@example.com", "U+2163 in localpart",
	    "RFC 7622 table 2" },
	{ "\xe2\x99\x9a@example.com", "U+265A in localpart",
	    "RFC 7622 table 2" },
	{ "@example.com", "localpart", "jxmpp" },
	{ "\"juliet\"@example.com", "localpart", "jxmpp" },
	{ "foo bar@example.com", "localpart", "jxmpp" },
	{ "@example.com/", "localpart", "jxmpp" },
	{ "juliet@", "domainpart", "jxmpp" },
	{ "/foobar", "domainpart", "jxmpp" },
	{ "node@/server", "domainpart", "jxmpp" },
	{ "@server", "localpart", "jxmpp" },
	{ "@server/resource", "localpart", "jxmpp" },
	{ "@/resource", "localpart", "jxmpp" },
	{ "@/", "localpart", "jxmpp" },
	{ "/", "domainpart", "jxmpp" },
	{ "@", "localpart", "jxmpp" },
	{ "user@", "domainpart", "jxmpp" },
	{ "user@@", "domainpart", "jxmpp" },
	{ "user@@host", "domainpart", "jxmpp" },
	{ "user@@host/resource", "domainpart", "jxmpp" },
	{ "user@@host/", "resourcepart", "jxmpp" },
	{ "xsf@muc.xmpp.org/\xd8\x9cx", "resourcepart", "jxmpp" },
	{ "username@example.org@example.org", "domainpart", "jxmpp" },

	/* slixmpp tests/test_jid.py */
	{ "aaa..bbb.com", "domainpart", "slixmpp" },
	{ "::1", "domainpart", "slixmpp" },
	{ "[::1", "domainpart", "slixmpp" },
	{ "[::]1]", "domainpart", "slixmpp" },
	{ "example.com:5555", "domainpart", "slixmpp" },
	{ "example.com-", "domainpart", "slixmpp" },
	{ "-example.com", "domainpart", "slixmpp" },
	{ " foo@test.com", "localpart", "slixmpp" },
	{ "bar @test.com", "localpart", "slixmpp" },
	{ "test.com/", "resourcepart", "slixmpp" },
	{ "user@test.com/", "resourcepart", "slixmpp" },
	{ "@test.com", "localpart", "slixmpp" },
	{ "@/test.com", "localpart", "slixmpp" },
	{ "/resource", "domainpart", "slixmpp" },
	{ "user@/resource", "domainpart", "slixmpp" },
	{ "user@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", "domainpart",
	    "slixmpp: 64-octet label" },

	/* Prosody spec/util_jid_spec.lua */
	{ "node@invalid-\x80-server", NULL, "prosody: not utf-8" },
	{ "node@invalid-\xc2\x80-server", "domainpart", "prosody" },
	{ "<invalid node>@server", "localpart", "prosody" },
	{ "@server/", "localpart", "prosody" },
	{ "server/", "resourcepart", "prosody" },

	/* libstrophe: a localpart must not hold any of "&'/:<>@ */
	{ "a\"b@example.com", "localpart", "libstrophe" },
	{ "a&b@example.com", "localpart", "libstrophe" },
	{ "a'b@example.com", "localpart", "libstrophe" },
	{ "a:b@example.com", "localpart", "libstrophe" },
	{ "a<b@example.com", "localpart", "libstrophe" },
	{ "a>b@example.com", "localpart", "libstrophe" },
	{ "a@b@example.com", "domainpart", "libstrophe" },
	{ "a\xef\xbc\xa0" "b@example.com", "localpart",
	    "fullwidth @ after nfkc" },

	/* our own */
	{ "", "domainpart", "empty" },
	{ "example.com..", "domainpart", "one trailing dot only" },
	{ ".", "domainpart", "dot only" },
	{ ".example.com", "domainpart", "leading dot" },
	{ "a_b.example", "domainpart", "not ldh" },
	{ "xn--abc.example", "domainpart", "bad a-label" },
	{ "ab--cd.example", "domainpart", "r-ldh label" },
	{ "a\xe3\x80\x82\xe3\x80\x82" "b", "domainpart",
	    "empty label after uts46" },
	{ "\xc2\xad.example", "domainpart", "label mapped to nothing" },
	{ "256.1.1.1", "domainpart", "not ipv4" },
	{ "300.1", "domainpart", "numeric, not ipv4" },
	{ "01.2.3.4", "domainpart", "ipv4 leading zero" },
	{ "[]", "domainpart", "empty ip literal" },
	{ "[1.2.3.4]", "domainpart", "ipv4 in brackets" },
	{ "[v1.x]", "domainpart", "ipvfuture" },
	{ "[::1]x", "domainpart", "text after ip literal" },
	{ "user@exa mple.com", "domainpart", "space in domain" },
	{ "\xc2\xad@example.com", "localpart", "soft hyphen" },
	{ "a\xc2\xad" "b@example.com", "U+00AD in localpart",
	    "soft hyphen (default ignorable)" },
	{ "x@example.com/\xe2\x80\x8b", "resourcepart",
	    "zero width space" },
	{ "x@example.com/a\xc2\x85", "U+0085 in resourcepart", "c1 control" },
	{ "x\xe2\x80\x8c@example.com", "context", "zwnj out of context" },
	{ "\xc2\xb2@example.com", "U+00B2 in localpart", "compatibility" },
	{ "x@example.com/a\x7f", "resourcepart", "control in resourcepart" },
	{ "\xd7\x90" "a@example.com", "localpart", "bidi" },
	{ "\xc0\xaf@example.com", NULL, "overlong utf-8" },
	{ "\xed\xa0\x80@example.com", NULL, "surrogate" },
};

/*
 * What stringprep (or one of our decisions) does where the source says
 * otherwise. ok says whether we accept the input; the parts are what we
 * produce.
 */
struct knowndiff {
	const char	*in;
	int		 ok;
	const char	*local;
	const char	*domain;
	const char	*resource;
	const char	*why;
};

static const struct knowndiff known[] = {
	{ "\xcf\x82@example.com", 1, "\xcf\x82", "example.com", NULL,
	    "jxmpp maps final sigma to \xcf\x83 (with a TODO); RFC 8265 "
	    "toLowerCase keeps it" },
	{ "user@[2001:638:a000:4134::ffff:40%eno1]", 0, NULL, NULL, NULL,
	    "jxmpp keeps the zone id; it names one host's interface, so we "
	    "refuse it" },
	{ "user@averylongdomainpartisstillvalideventhoughitexceedsthesixty"
	    "fourbytelimitofdnslabels", 0, NULL, NULL, NULL,
	    "jxmpp accepts a label over 63 octets; we decided to refuse it, "
	    "as DNS does" },
	{ "node@server/invalid-\0-resource", 1, "node", "server", "invalid-",
	    "Prosody refuses U+0000; a C string ends there (and XML cannot "
	    "carry it)" },
};

/* in with control characters escaped, for test names. */
static const char *
show(const char *in)
{
	static char buf[128];
	size_t i, n = 0;

	for (i = 0; in[i] != '\0' && n + 5 < sizeof(buf); i++) {
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
			n += snprintf(buf + n, sizeof(buf) - n, "\\x%02x",
			    (unsigned char)in[i]);
		else
			buf[n++] = in[i];
	}
	if (in[i] != '\0') {
		n = n < sizeof(buf) - 4 ? n : sizeof(buf) - 4;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Parse in, expect the parts, and expect the full form to parse back. */
static void
check_valid(const char *in, const char *name, const char *local,
    const char *domain, const char *resource)
{
	struct xt_jid j, k;
	struct xt_error e = { 0, "" };
	char *full;
	int rc;

	rc = xt_jid_parse(in, &j, &e);
	if (!is_int(rc, XT_OK, name)) {
		printf("#   error: %s\n", e.msg);
		return;
	}
	is_str(j.local, local, "  localpart");
	is_str(j.domain, domain, "  domainpart");
	is_str(j.resource, resource, "  resourcepart");
	full = xt_jid_full(&j);
	ok(full != NULL && xt_jid_parse(full, &k, NULL) == XT_OK &&
	    xt_jid_equal(&j, &k, 0), "  full form parses back to the same");
	if (full != NULL)
		xt_jid_free(&k);
	free(full);
	xt_jid_free(&j);
}

/* Expect in to fail with XT_EINVAL naming part, leaving j untouched. */
static void
check_invalid(const char *in, const char *name, const char *part)
{
	struct xt_jid j;
	struct xt_error e = { 0, "" };
	char mark;
	int rc;

	j.local = j.domain = j.resource = &mark;
	rc = xt_jid_parse(in, &j, &e);
	is_int(rc, XT_EINVAL, name);
	if (rc == XT_OK) {
		xt_jid_free(&j);
		return;
	}
	ok(e.code == rc && strncmp(e.msg, "jid-malformed: ", 15) == 0 &&
	    (part == NULL || strstr(e.msg, part) != NULL),
	    "  message names %s", part != NULL ? part : "the fault");
	if (part != NULL && strstr(e.msg, part) == NULL)
		printf("#   message: %s\n", e.msg);
	ok(j.local == &mark && j.domain == &mark && j.resource == &mark,
	    "  jid untouched");
}

static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s, *p;

	if ((s = malloc(hl + ul * n + tl + 1)) == NULL) {
		perror("malloc");
		exit(1);
	}
	memcpy(s, head, hl);
	p = s + hl;
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

/* slixmpp's length rules: 1023 octets accepted, 1024 refused, per part. */
static void
test_lengths(void)
{
	char *a1023, *a1024, *d1023, *d1024, *s, *want;

	a1023 = repeat("", "a", 1023, "");
	a1024 = repeat("", "a", 1024, "");
	d1023 = repeat("", "a.", 509, "a.com");
	d1024 = repeat("", "a.", 509, "ab.com");
	is_int(strlen(d1023), 1023, "1023-octet domain is 1023 octets");

	s = repeat(a1023, "", 0, "@example.com");
	check_valid(s, "1023-octet localpart", a1023, "example.com", NULL);
	free(s);
	s = repeat(a1024, "", 0, "@example.com");
	check_invalid(s, "1024-octet localpart", "localpart");
	free(s);
	check_valid(d1023, "1023-octet domainpart", NULL, d1023, NULL);
	check_invalid(d1024, "1024-octet domainpart", "domainpart");
	want = repeat(d1023, "", 0, ".");
	s = repeat("user@", "", 0, want);
	check_valid(s, "1023-octet domainpart and the trailing dot", "user",
	    d1023, NULL);
	free(s);
	free(want);
	s = repeat("example.com/", "", 0, a1023);
	check_valid(s, "1023-octet resourcepart", NULL, "example.com", a1023);
	free(s);
	s = repeat("example.com/", "", 0, a1024);
	check_invalid(s, "1024-octet resourcepart", "resourcepart");
	free(s);

	s = repeat("user@", "a", 63, ".com");
	want = repeat("", "a", 63, ".com");
	check_valid(s, "63-octet label", "user", want, NULL);
	free(s);
	free(want);
	s = repeat("user@x.", "a", 64, "");
	check_invalid(s, "64-octet last label", "domainpart");
	free(s);

	/* 1023 octets are counted after preparation... */
	s = repeat("\xef\xbd\x81", "\xef\xbd\x81", 1022, "@example.com");
	check_valid(s, "1023 fullwidth a (3069 octets) prepare to 1023",
	    a1023, "example.com", NULL);
	free(s);
	/* ...but a part over 4 * 1023 octets is refused before it */
	s = repeat("a", "\xef\xbd\x81", 1364, "@example.com");
	check_invalid(s, "localpart of 4093 octets", "localpart");
	free(s);
	s = repeat("example.com/a", "\xcc\x81", 100000, "");
	check_invalid(s, "resourcepart of 200001 octets", "resourcepart");
	free(s);
	free(a1023);
	free(a1024);
	free(d1023);
	free(d1024);
}

static void
test_known(void)
{
	struct xt_jid j;
	struct xt_error e = { 0, "" };
	size_t i;
	int rc;
	char name[200];

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		snprintf(name, sizeof(name), "known difference: %s (%s)",
		    show(known[i].in), known[i].why);
		rc = xt_jid_parse(known[i].in, &j, &e);
		if (!known[i].ok) {
			is_int(rc, XT_EINVAL, name);
			if (rc == XT_OK)
				xt_jid_free(&j);
			continue;
		}
		if (!is_int(rc, XT_OK, name)) {
			printf("#   error: %s\n", e.msg);
			continue;
		}
		is_str(j.local, known[i].local, "  localpart");
		is_str(j.domain, known[i].domain, "  domainpart");
		is_str(j.resource, known[i].resource, "  resourcepart");
		xt_jid_free(&j);
	}
}

static void
test_forms(void)
{
	struct xt_jid a, b;
	char *s;

	if (xt_jid_parse("Juliet@Example.COM/Balcony", &a, NULL) != XT_OK ||
	    xt_jid_parse("example.com./x", &b, NULL) != XT_OK) {
		ok(0, "parse for bare and full");
		return;
	}
	s = xt_jid_bare(&a);
	is_str(s, "juliet@example.com", "bare of Juliet@Example.COM/Balcony");
	free(s);
	s = xt_jid_full(&a);
	is_str(s, "juliet@example.com/Balcony",
	    "full of Juliet@Example.COM/Balcony");
	free(s);
	s = xt_jid_bare(&b);
	is_str(s, "example.com", "bare of example.com./x");
	free(s);
	s = xt_jid_full(&b);
	is_str(s, "example.com/x", "full of example.com./x");
	free(s);
	ok(!xt_jid_equal(&a, &b, 1), "different jids are not equal");
	ok(xt_jid_equal(&a, &a, 0), "a jid equals itself");
	ok(xt_jid_equal(NULL, &a, 1) == 0, "NULL equals nothing");
	xt_jid_free(&a);
	xt_jid_free(&b);
	ok(a.local == NULL && a.domain == NULL && a.resource == NULL,
	    "xt_jid_free clears the parts");
	xt_jid_free(&a);
	xt_jid_free(NULL);
	ok(xt_jid_bare(&a) == NULL && xt_jid_full(NULL) == NULL,
	    "bare and full of nothing are NULL");
	is_int(xt_jid_parse(NULL, &a, NULL), XT_EINVAL, "NULL input");

	if (xt_jid_parse("juliet@example.com/r", &a, NULL) != XT_OK ||
	    xt_jid_parse("JULIET@EXAMPLE.COM/R", &b, NULL) != XT_OK) {
		ok(0, "parse for equal");
		return;
	}
	ok(xt_jid_equal(&a, &b, 1), "bare: localpart and domain ignore case");
	ok(!xt_jid_equal(&a, &b, 0), "full: resource keeps case");
	xt_jid_free(&a);
	xt_jid_free(&b);
}

struct streq {
	const char	*a;
	const char	*b;
	int		 bare;
	int		 want;
};

static const struct streq streqs[] = {
	{ "romeo@example.net", "ROMEO@Example.NET", 0, 1 },
	{ "romeo@example.net/Orchard", "romeo@EXAMPLE.net/Orchard", 0, 1 },
	{ "romeo@example.net/Orchard", "romeo@example.net/orchard", 0, 0 },
	{ "romeo@example.net/Orchard", "romeo@example.net/orchard", 1, 1 },
	{ "romeo@example.net", "romeo@example.net/orchard", 0, 0 },
	{ "romeo@example.net", "romeo@example.net/orchard", 1, 1 },
	{ "romeo@example.net", "juliet@example.net", 1, 0 },
	{ "example.net", "romeo@example.net", 1, 0 },
	{ "example.com.", "example.com", 0, 1 },
	{ "b\xc3\xbc" "cher.ch", "xn--bcher-kva.ch", 0, 1 },
	{ "B\xc3\x9c" "CHER.ch", "XN--BCHER-KVA.ch", 0, 1 },
	{ "[::1]", "[0:0:0:0:0:0:0:1]", 0, 1 },
	{ "\xce\xa3@example.com", "\xcf\x83@example.com", 0, 1 },
	{ "foo\\20bar@example.com", "foo bar@example.com", 0, XT_EINVAL },
	{ "a@example.com", "@example.com", 0, XT_EINVAL },
	{ "", "a@example.com", 1, XT_EINVAL },
};

static void
test_streq(void)
{
	size_t i;
	char name[200];

	for (i = 0; i < sizeof(streqs) / sizeof(streqs[0]); i++) {
		snprintf(name, sizeof(name), "streq(%s, ", show(streqs[i].a));
		snprintf(name + strlen(name), sizeof(name) - strlen(name),
		    "%s, %s)", show(streqs[i].b),
		    streqs[i].bare ? "bare" : "full");
		is_int(xt_jid_streq(streqs[i].a, streqs[i].b, streqs[i].bare),
		    streqs[i].want, name);
	}
}

int
main(void)
{
	size_t i;
	char name[200];

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		snprintf(name, sizeof(name), "valid: %s (%s)",
		    show(valid[i].in), valid[i].from);
		check_valid(valid[i].in, name, valid[i].local,
		    valid[i].domain, valid[i].resource);
	}
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		snprintf(name, sizeof(name), "invalid: %s (%s)",
		    show(invalid[i].in), invalid[i].from);
		check_invalid(invalid[i].in, name, invalid[i].part);
	}
	test_lengths();
	test_known();
	test_forms();
	test_streq();
	return done();
}
