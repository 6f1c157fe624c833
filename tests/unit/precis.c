/*
 * precis.c: tests for lib/precis.c, printing TAP. The profile vectors are
 * the published ones of golang.org/x/text/secure/precis (enforce tests:
 * UsernameCaseMapped, OpaqueString, and the RFC 5892 context rules, which
 * it runs on the FreeformClass, as we do here with OpaqueString) and the
 * examples of RFC 8265; tests/unit/jid.c has the JID vectors. Then two
 * sweeps of our own: printable ASCII (which never reaches ICU) must get
 * the answer ICU gives, and every code point that prepares must prepare
 * again to itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"
#include "tap.h"

#define U	XT_PRECIS_USERNAME
#define O	XT_PRECIS_OPAQUE

struct vec {
	int		 profile;
	const char	*in;
	const char	*out;		/* NULL: refused */
	const char	*why;		/* a word the refusal must hold */
};

static const struct vec vecs[] = {
	/* UsernameCaseMapped */
	{ U, "juliet@example.com", "juliet@example.com", NULL },
	{ U, "fussball", "fussball", NULL },
	{ U, "fu\xc3\x9f" "ball", "fu\xc3\x9f" "ball", NULL },	/* ß kept */
	{ U, "\xcf\x80", "\xcf\x80", NULL },			/* π */
	{ U, "\xce\xa3", "\xcf\x83", NULL },			/* Σ → σ */
	{ U, "\xcf\x83", "\xcf\x83", NULL },
	{ U, "\xcf\x82", "\xcf\x82", NULL },	/* final sigma not folded */
	{ U, "I", "i", NULL },
	{ U, "\xcf\x92", NULL, "disallowed" },		/* U+03D2, compat */
	{ U, "\xce\xb0", "\xce\xb0", NULL },			/* U+03B0 */
	{ U, "foo bar", NULL, "U+0020" },
	{ U, "\xe2\x99\x9a", NULL, "U+265A" },		/* ♚, a symbol */
	{ U, "~", "~", NULL },
	{ U, "a", "a", NULL },
	{ U, "!", "!", NULL },
	{ U, "\xc2\xb2", NULL, "U+00B2" },		/* ², compat */
	{ U, "\t", NULL, "U+0009" },
	{ U, "\n", NULL, "U+000A" },
	{ U, "\xe2\x9b\x96", NULL, "U+26D6" },
	{ U, "\xe2\x9b\xbf", NULL, "U+26FF" },
	{ U, "\xef\xac\x80", NULL, "U+FB00" },		/* ﬀ ligature */
	{ U, "\xe1\x9a\x80", NULL, "U+1680" },		/* ogham space */
	{ U, " ", NULL, "U+0020" },
	{ U, "  ", NULL, "U+0020" },
	{ U, "\xc7\x85", NULL, "disallowed" },		/* U+01C5, Lt */
	{ U, "\xe1\x9b\xae", NULL, "U+16EE" },		/* Nl */
	{ U, "\xd2\x88", NULL, "U+0488" },		/* Me */
	{ U, "\xe2\x84\xab", "\xc3\xa5", NULL },	/* Angstrom sign */
	{ U, "A\xcc\x8a", "\xc3\xa5", NULL },			/* A + ring */
	{ U, "\xc3\x85", "\xc3\xa5", NULL },
	{ U, "\xc3\xa7", "\xc3\xa7", NULL },
	{ U, "c\xcc\xa7", "\xc3\xa7", NULL },
	{ U, "\xc5\x98", "\xc5\x99", NULL },
	{ U, "R\xcc\x8c", "\xc5\x99", NULL },
	{ U, "\xe1\xb9\xa1", "\xe1\xb9\xa1", NULL },		/* U+1E61 */
	{ U, "\xd0\x90", "\xd0\xb0", NULL },	/* Cyrillic А, not mapped */
	{ U, "\xef\xbc\xa1\xef\xbc\xa2", "ab", NULL },	/* fullwidth AB */
	{ U, "\xd7\xa9" "c", NULL, "bidi" },			/* ש c */
	{ U, "henry\xe2\x85\xa3", NULL, "U+2163" },	/* RFC 7622 */
	{ U, "a\xc2\xad" "b", NULL, "U+00AD" },	/* default ignorable */
	{ U, "\xe2\x80\x8b", NULL, "U+200B" },
	{ U, "\xe1\x84\x80", NULL, "U+1100" },		/* old hangul jamo */
	{ U, "\xea\xb0\x80", "\xea\xb0\x80", NULL },	/* 가, a syllable */
	{ U, "\xef\xbf\xbe", NULL, "U+FFFE" },		/* noncharacter */
	{ U, "\xf3\xb0\x80\x80", NULL, "U+F0000" },	/* private use */
	{ U, "\xd9\x80", NULL, "U+0640" },		/* exception: tatweel */
	{ U, "\xe0\xbc\x8b", "\xe0\xbc\x8b", NULL },	/* exception: PVALID */
	{ U, "\xd7\x90\xd7\x91", "\xd7\x90\xd7\x91", NULL },	/* RTL */
	{ U, "\xd7\x90" "1", "\xd7\x90" "1", NULL },	/* RTL ends in EN */
	{ U, "1\xd7\x90", NULL, "bidi" },		/* starts with EN */
	{ U, "\xd8\xa7\xd9\xa1" "1", NULL, "bidi" },	/* AN and EN */
	{ U, "\xd8\xa7\xcc\x81", "\xd8\xa7\xcc\x81", NULL },	/* ends NSM */
	{ U, "a\xd9\xa1", NULL, "bidi" },		/* L with AN */
	{ U, "\xe6\xbc\xa2\xe5\xad\x97", "\xe6\xbc\xa2\xe5\xad\x97", NULL },

	/* OpaqueString */
	{ O, "  Swan  of   Avon   ", "  Swan  of   Avon   ", NULL },
	{ O, " ", " ", NULL },
	{ O, "a\xc2\xa0" "a\xe1\x9a\x80" "a\xe2\x80\x80" "a\xe2\x80\x81"
	    "a\xe2\x80\x82" "a\xe2\x80\x83" "a\xe2\x80\x84" "a\xe2\x80\x85"
	    "a\xe2\x80\x86" "a\xe2\x80\x87" "a\xe2\x80\x88" "a\xe2\x80\x89"
	    "a\xe2\x80\x8a" "a\xe2\x80\xaf" "a\xe2\x81\x9f" "a\xe3\x80\x80"
	    "a", "a a a a a a a a a a a a a a a a a", NULL },
	{ O, "Foo", "Foo", NULL },
	{ O, "Foo Bar", "Foo Bar", NULL },
	{ O, "\xcf\x83", "\xcf\x83", NULL },
	{ O, "Richard \xe2\x85\xa3", "Richard \xe2\x85\xa3", NULL },
	{ O, "\xe2\x84\xab", "\xc3\x85", NULL },	/* NFC, case kept */
	{ O, "Jack of \xe2\x99\xa6s", "Jack of \xe2\x99\xa6s", NULL },
	{ O, "my cat is a \tby", NULL, "U+0009" },
	{ O, "\xd7\xa9" "a", "\xd7\xa9" "a", NULL },	/* no bidi rule */
	{ O, "\xe2\x99\x9a", "\xe2\x99\x9a", NULL },		/* RFC 7622 */
	{ O, "\xf0\x9f\x8d\xba", "\xf0\x9f\x8d\xba", NULL },	/* 🍺 */
	{ O, "\xef\xbc\xa1", "\xef\xbc\xa1", NULL },	/* no width map */
	{ O, "e\xcc\x81\xcc\x9f", "\xc3\xa9\xcc\x9f", NULL },
	{ O, "a\x7f", NULL, "U+007F" },
	{ O, "\xc2\x85", NULL, "U+0085" },			/* C1 */
	{ O, "a\xe2\x80\xa8", NULL, "U+2028" },		/* Zl */
	{ O, "\xe2\x80\x8b", NULL, "U+200B" },
	{ O, "\xd8\x9c" "x", NULL, "U+061C" },		/* Cf */
	{ O, "\xf4\x8f\xbf\xbf", NULL, "U+10FFFF" },

	/* RFC 5892 appendix A, A.1: ZERO WIDTH NON-JOINER */
	{ O, "\xe2\x80\x8c", NULL, "context" },
	{ O, "\xe2\x80\x8c" "a", NULL, "context" },
	{ O, "a\xe2\x80\x8c", NULL, "context" },
	{ O, "\xe2\x80\x8c\xd8\xa7", NULL, "context" },
	{ O, "\xd8\xac\xe2\x80\x8c", NULL, "context" },
	{ O, "\xd8\x90\xe2\x80\x8c\xd8\x90\xd8\xa7", NULL, "context" },
	{ O, "\xd8\xac\xd8\x90\xe2\x80\x8c\xd8\x90", NULL, "context" },
	{ O, "\xd8\xac\xe2\x80\x8c\xd8\xa7", "\xd8\xac\xe2\x80\x8c\xd8\xa7",
	    NULL },
	{ O, "\xd8\xac\xd8\x90\xd8\x90\xe2\x80\x8c\xd8\x90\xd8\x90\xd8\xa7",
	    "\xd8\xac\xd8\x90\xd8\x90\xe2\x80\x8c\xd8\x90\xd8\x90\xd8\xa7",
	    NULL },
	{ O, "\xea\xa1\xb2\xe2\x80\x8c\xd8\xac",
	    "\xea\xa1\xb2\xe2\x80\x8c\xd8\xac", NULL },
	{ O, "\xea\xa1\xb2\xd8\x90\xe2\x80\x8c\xd8\x90\xd8\xac",
	    "\xea\xa1\xb2\xd8\x90\xe2\x80\x8c\xd8\x90\xd8\xac", NULL },
	{ O, "\xe0\xa9\x8d\xe2\x80\x8c", "\xe0\xa9\x8d\xe2\x80\x8c", NULL },
	{ O, "\xea\xa1\xb2\xe0\xa9\x8d\xd8\x90\xe2\x80\x8c", NULL,
	    "context" },
	{ O, "\xea\xa1\xb2\xe0\xab\x8d\xe2\x80\x8c\xd8\xac",
	    "\xea\xa1\xb2\xe0\xab\x8d\xe2\x80\x8c\xd8\xac", NULL },
	{ O, "\xea\xa1\xb2\xe2\x80\x8c\xe0\xab\x8d\xd8\xac",
	    "\xea\xa1\xb2\xe2\x80\x8c\xe0\xab\x8d\xd8\xac", NULL },
	/* A.2: ZERO WIDTH JOINER */
	{ O, "\xe2\x80\x8d", NULL, "context" },
	{ O, "a\xe2\x80\x8d", NULL, "context" },
	{ O, "\xe0\xa9\x8d\xe2\x80\x8d", "\xe0\xa9\x8d\xe2\x80\x8d", NULL },
	{ O, "\xe0\xa9\x8d" "a\xe2\x80\x8d", NULL, "context" },
	/* A.3: MIDDLE DOT */
	{ O, "\xc2\xb7", NULL, "context" },
	{ O, "l\xc2\xb7", NULL, "context" },
	{ O, "\xc2\xb7l", NULL, "context" },
	{ O, "l\xc2\xb7" "a", NULL, "context" },
	{ O, "l\xc2\xb7l", "l\xc2\xb7l", NULL },
	{ U, "al\xc2\xb7la", "al\xc2\xb7la", NULL },
	/* A.4: GREEK LOWER NUMERAL SIGN */
	{ O, "\xcd\xb5", NULL, "context" },
	{ O, "\xcd\xb5" "a", NULL, "context" },
	{ O, "\xce\xb1\xcd\xb5", NULL, "context" },
	{ O, "\xcd\xb5\xce\xb1", "\xcd\xb5\xce\xb1", NULL },
	{ O, "\xcd\xb5\xcd\xb5\xce\xb1", "\xcd\xb5\xcd\xb5\xce\xb1", NULL },
	{ O, "\xce\xb1\xcd\xb5\xcd\xb5", NULL, "context" },
	/* A.5, A.6: HEBREW GERESH, GERSHAYIM */
	{ O, "\xd7\xb3", NULL, "context" },
	{ O, "a\xd7\xb3" "b", NULL, "context" },
	{ O, "\xd7\xa9\xd7\xb3", "\xd7\xa9\xd7\xb3", NULL },
	{ O, "\xd7\xa9\xd7\xb3\xd7\xb3\xd7\xb3",
	    "\xd7\xa9\xd7\xb3\xd7\xb3\xd7\xb3", NULL },
	{ O, "\xd7\xb4\xd7\x94", NULL, "context" },
	{ O, "a\xd7\xa9\xd7\xb4\xd7\xb4\xd7\xb4",
	    "a\xd7\xa9\xd7\xb4\xd7\xb4\xd7\xb4", NULL },
	/* A.7: KATAKANA MIDDLE DOT */
	{ O, "\xe3\x83\xbb", NULL, "context" },
	{ O, "abc\xe3\x83\xbb" "def", NULL, "context" },
	{ O, "a\xe3\x83\x85" "c\xe3\x83\xbb" "def",
	    "a\xe3\x83\x85" "c\xe3\x83\xbb" "def", NULL },
	{ O, "abc\xe3\x83\xbb" "d\xe3\x81\xb6" "f",
	    "abc\xe3\x83\xbb" "d\xe3\x81\xb6" "f", NULL },
	{ O, "\xe2\xba\x90" "bc\xe3\x83\xbb" "def",
	    "\xe2\xba\x90" "bc\xe3\x83\xbb" "def", NULL },
	/* A.8, A.9: ARABIC-INDIC DIGITS, not mixed with the extended ones */
	{ O, "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xdb\xb6", NULL,
	    "context" },
	{ O, "\xdb\xb1\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5\xd9\xa6", NULL,
	    "context" },
	{ O, "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5",
	    "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5", NULL },
	{ O, "\xdb\xb1\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5",
	    "\xdb\xb1\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5", NULL },
};

/* in with bytes outside printable ASCII as \xNN, for test names. */
static const char *
show(const char *in)
{
	static char buf[160];
	size_t i, n = 0;

	for (i = 0; in[i] != '\0' && n + 5 < sizeof(buf); i++) {
		if ((unsigned char)in[i] < 0x20 || (unsigned char)in[i] > 0x7e)
			n += snprintf(buf + n, sizeof(buf) - n, "\\x%02x",
			    (unsigned char)in[i]);
		else
			buf[n++] = in[i];
	}
	buf[n] = '\0';
	return buf;
}

static void
test_vectors(void)
{
	char why[80], *out;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];

		out = NULL;
		why[0] = '\0';
		rc = xt_precis(v->in, strlen(v->in), v->profile, &out, why,
		    sizeof(why));
		if (v->out != NULL) {
			if (!is_int(rc, XT_OK, v->profile == U ?
			    "username" : "opaque"))
				printf("#   in: %s\n#   why: %s\n",
				    show(v->in), why);
			else
				is_str(out, v->out, show(v->in));
		} else {
			ok(rc == XT_EINVAL && strstr(why, v->why) != NULL,
			    "%s refuses %s: %s", v->profile == U ?
			    "username" : "opaque", show(v->in), why);
		}
		free(out);
	}
}

/*
 * Printable ASCII takes a path without ICU; put a non-ASCII letter in
 * front and ICU decides: the two answers must agree.
 */
static void
test_ascii(void)
{
	char in[8], icu[16], why[80], *a, *b;
	int c, p, ra, rb, bad = 0;

	for (p = U; p <= O; p++)
		for (c = 0x20; c <= 0x7e; c++) {
			snprintf(in, sizeof(in), "x%cY", c);
			snprintf(icu, sizeof(icu), "\xc3\xa9%s", in);
			a = b = NULL;
			ra = xt_precis(in, strlen(in), p, &a, why, sizeof(why));
			rb = xt_precis(icu, strlen(icu), p, &b, why,
			    sizeof(why));
			if (ra != rb || (ra == XT_OK &&
			    (strncmp(b, "\xc3\xa9", 2) != 0 ||
			    strcmp(a, b + 2) != 0))) {
				printf("# ascii %s '%c': %d '%s', icu %d '%s'\n",
				    p == U ? "username" : "opaque", c, ra,
				    a ? a : "", rb, b ? b : "");
				bad++;
			}
			free(a);
			free(b);
		}
	is_int(bad, 0, "printable ascii: the fast path agrees with ICU");
}

/* UTF-8 of c after prefix into buf. */
static size_t
put(char *buf, const char *prefix, unsigned c)
{
	size_t n = strlen(prefix);

	memcpy(buf, prefix, n);
	if (c < 0x80)
		buf[n++] = c;
	else if (c < 0x800) {
		buf[n++] = 0xc0 | c >> 6;
		buf[n++] = 0x80 | (c & 0x3f);
	} else if (c < 0x10000) {
		buf[n++] = 0xe0 | c >> 12;
		buf[n++] = 0x80 | (c >> 6 & 0x3f);
		buf[n++] = 0x80 | (c & 0x3f);
	} else {
		buf[n++] = 0xf0 | c >> 18;
		buf[n++] = 0x80 | (c >> 12 & 0x3f);
		buf[n++] = 0x80 | (c >> 6 & 0x3f);
		buf[n++] = 0x80 | (c & 0x3f);
	}
	buf[n] = '\0';
	return n;
}

/*
 * Idempotence: every code point, alone and after a letter, that prepares
 * must prepare again to the same string (RFC 8264 section 7; the fast
 * ASCII path must agree here too), and none may be refused for needing
 * more rounds than four. Planes 3 to
 * 13 hold no assigned character and are sampled; XT_PRECIS_SWEEP=0 (the
 * valgrind run) samples every plane.
 */
static void
test_idempotence(void)
{
	static const char *prefixes[] = { "", "a" };
	char in[16], why[80], *a, *b;
	unsigned c, step;
	size_t k;
	int p, bad = 0, n = 0, unstable = 0, full;
	const char *e = getenv("XT_PRECIS_SWEEP");

	full = e == NULL || strcmp(e, "0") != 0;
	for (c = 0x80; c <= 0x10ffff; c += step) {
		step = 1;
		if (!full)
			step = 61;
		else if (c >= 0x30000 && c < 0xe0000)
			step = 61;
		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		for (p = U; p <= O; p++)
			for (k = 0; k < 2; k++) {
				put(in, prefixes[k], c);
				a = b = NULL;
				if (xt_precis(in, strlen(in), p, &a, why,
				    sizeof(why)) != XT_OK) {
					if (strstr(why, "stable") != NULL &&
					    unstable++ < 10)
						printf("# unstable: U+%04X\n",
						    c);
					continue;
				}
				n++;
				if (xt_precis(a, strlen(a), p, &b, why,
				    sizeof(why)) != XT_OK ||
				    strcmp(a, b) != 0) {
					if (bad++ < 10)
						printf("# not idempotent: "
						    "U+%04X %s\n", c,
						    p == U ? "username" :
						    "opaque");
				}
				free(a);
				free(b);
			}
	}
	printf("# %d prepared strings prepared again\n", n);
	ok(n > 1000, "the sweep prepared strings");
	is_int(bad, 0, "preparing a prepared string changes nothing");
	is_int(unstable, 0, "no code point needs more than four rounds");
}

int
main(void)
{
	test_vectors();
	test_ascii();
	test_idempotence();
	return done();
}
