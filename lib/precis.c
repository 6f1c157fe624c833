/*
 * precis.c: the PRECIS framework (RFC 8264) as RFC 7622 uses it for JIDs:
 * the UsernameCaseMapped profile of the IdentifierClass for a localpart,
 * the OpaqueString profile of the FreeformClass for a resourcepart
 * (RFC 8265 sections 3.3 and 4.2).
 *
 * The derived property of a code point is computed from its Unicode
 * properties as RFC 8264 section 8 says, with ICU's tables (whatever
 * Unicode version the installed ICU has); the context rules are those of
 * RFC 5892 appendix A, the directionality rule that of RFC 5893. Case
 * mapping and normalisation are ICU's too. Printable ASCII, the everyday
 * JID, never reaches ICU: its answer is fixed by the same derivation
 * (ASCII7 is PVALID, the space is in Spaces), and tests/unit/precis.c
 * checks it against the ICU path character by character.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>

#include "xt.h"

/* The derived property values of RFC 8264 section 9. */
enum dp {
	PVALID,
	CONTEXTJ,
	CONTEXTO,
	FREE_PVAL,	/* ID_DIS in the IdentifierClass */
	DISALLOWED,
	UNASSIGNED
};

/* A string being prepared, in UTF-16 for ICU. */
struct u16 {
	UChar	*s;
	int32_t	 len;
};

/* RFC 5892 section 2.6, the Exceptions (F) that RFC 8264 section 9.6 keeps. */
static int
exception(UChar32 c, enum dp *v)
{
	switch (c) {
	case 0x00df: case 0x03c2: case 0x06fd: case 0x06fe: case 0x0f0b:
	case 0x3007:
		*v = PVALID;
		return 1;
	case 0x00b7: case 0x0375: case 0x05f3: case 0x05f4: case 0x30fb:
		*v = CONTEXTO;
		return 1;
	case 0x0640: case 0x07fa: case 0x302e: case 0x302f: case 0x303b:
		*v = DISALLOWED;
		return 1;
	}
	if ((c >= 0x0660 && c <= 0x0669) || (c >= 0x06f0 && c <= 0x06f9)) {
		*v = CONTEXTO;
		return 1;
	}
	if (c >= 0x3031 && c <= 0x3035) {
		*v = DISALLOWED;
		return 1;
	}
	return 0;
}

/* HasCompat (Q): toNFKC(cp) != cp. */
static int
has_compat(UChar32 c)
{
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *nfkc;
	UChar b[2];
	int32_t n = 0;
	UBool same;

	if ((nfkc = unorm2_getNFKCInstance(&err)) == NULL || U_FAILURE(err))
		return 1;
	U16_APPEND_UNSAFE(b, n, c);
	same = unorm2_isNormalized(nfkc, b, n, &err);
	return U_FAILURE(err) || !same;
}

/* The derived property of c, RFC 8264 section 8, in its order. */
static enum dp
derive(UChar32 c)
{
	enum dp v;
	int8_t gc;
	int32_t hst;

	if (exception(c, &v))
		return v;
	gc = u_charType(c);
	if (gc == U_UNASSIGNED &&
	    !u_hasBinaryProperty(c, UCHAR_NONCHARACTER_CODE_POINT))
		return UNASSIGNED;
	if (c >= 0x21 && c <= 0x7e)
		return PVALID;
	if (u_hasBinaryProperty(c, UCHAR_JOIN_CONTROL))
		return CONTEXTJ;
	hst = u_getIntPropertyValue(c, UCHAR_HANGUL_SYLLABLE_TYPE);
	if (hst == U_HST_LEADING_JAMO || hst == U_HST_VOWEL_JAMO ||
	    hst == U_HST_TRAILING_JAMO)
		return DISALLOWED;
	if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
	    u_hasBinaryProperty(c, UCHAR_NONCHARACTER_CODE_POINT))
		return DISALLOWED;
	if (gc == U_CONTROL_CHAR)
		return DISALLOWED;
	if (has_compat(c))
		return FREE_PVAL;
	switch (gc) {
	case U_LOWERCASE_LETTER: case U_UPPERCASE_LETTER:
	case U_OTHER_LETTER: case U_DECIMAL_DIGIT_NUMBER:
	case U_MODIFIER_LETTER: case U_NON_SPACING_MARK:
	case U_COMBINING_SPACING_MARK:
		return PVALID;			/* LetterDigits (A) */
	case U_TITLECASE_LETTER: case U_LETTER_NUMBER:
	case U_OTHER_NUMBER: case U_ENCLOSING_MARK:	/* (R) */
	case U_SPACE_SEPARATOR:				/* Spaces (N) */
	case U_MATH_SYMBOL: case U_CURRENCY_SYMBOL:
	case U_MODIFIER_SYMBOL: case U_OTHER_SYMBOL:	/* Symbols (O) */
	case U_CONNECTOR_PUNCTUATION: case U_DASH_PUNCTUATION:
	case U_START_PUNCTUATION: case U_END_PUNCTUATION:
	case U_INITIAL_PUNCTUATION: case U_FINAL_PUNCTUATION:
	case U_OTHER_PUNCTUATION:			/* Punctuation (P) */
		return FREE_PVAL;
	}
	return DISALLOWED;
}

static int
script_is(UChar32 c, UScriptCode sc)
{
	UErrorCode err = U_ZERO_ERROR;

	return uscript_getScript(c, &err) == sc && U_SUCCESS(err);
}

static int
joining(UChar32 c, int a, int b)
{
	int32_t jt = u_getIntPropertyValue(c, UCHAR_JOINING_TYPE);

	return jt == a || jt == b;
}

/*
 * The context rule of cp[i] (RFC 5892 appendix A): 1 if it holds. A
 * virama is canonical combining class 9.
 */
static int
context_ok(const UChar32 *cp, size_t n, size_t i)
{
	UChar32 c = cp[i];
	size_t k;

	switch (c) {
	case 0x200c:			/* A.1 ZERO WIDTH NON-JOINER */
		if (i > 0 && u_getCombiningClass(cp[i - 1]) == 9)
			return 1;
		for (k = i; k > 0 && joining(cp[k - 1], U_JT_TRANSPARENT,
		    U_JT_TRANSPARENT); k--)
			;
		if (k == 0 || !joining(cp[k - 1], U_JT_LEFT_JOINING,
		    U_JT_DUAL_JOINING))
			return 0;
		for (k = i + 1; k < n && joining(cp[k], U_JT_TRANSPARENT,
		    U_JT_TRANSPARENT); k++)
			;
		return k < n && joining(cp[k], U_JT_RIGHT_JOINING,
		    U_JT_DUAL_JOINING);
	case 0x200d:			/* A.2 ZERO WIDTH JOINER */
		return i > 0 && u_getCombiningClass(cp[i - 1]) == 9;
	case 0x00b7:			/* A.3 MIDDLE DOT */
		return i > 0 && i + 1 < n && cp[i - 1] == 0x6c &&
		    cp[i + 1] == 0x6c;
	case 0x0375:			/* A.4 GREEK LOWER NUMERAL SIGN */
		return i + 1 < n && script_is(cp[i + 1], USCRIPT_GREEK);
	case 0x05f3:			/* A.5, A.6 HEBREW GERESH, GERSHAYIM */
	case 0x05f4:
		return i > 0 && script_is(cp[i - 1], USCRIPT_HEBREW);
	case 0x30fb:			/* A.7 KATAKANA MIDDLE DOT */
		for (k = 0; k < n; k++)
			if (script_is(cp[k], USCRIPT_HIRAGANA) ||
			    script_is(cp[k], USCRIPT_KATAKANA) ||
			    script_is(cp[k], USCRIPT_HAN))
				return 1;
		return 0;
	}
	if (c >= 0x0660 && c <= 0x0669) {	/* A.8 */
		for (k = 0; k < n; k++)
			if (cp[k] >= 0x06f0 && cp[k] <= 0x06f9)
				return 0;
		return 1;
	}
	if (c >= 0x06f0 && c <= 0x06f9) {	/* A.9 */
		for (k = 0; k < n; k++)
			if (cp[k] >= 0x0660 && cp[k] <= 0x0669)
				return 0;
		return 1;
	}
	return 0;
}

/* The code points of s; NULL on ENOMEM. */
static UChar32 *
codepoints(const struct u16 *s, size_t *n)
{
	UChar32 *cp, c;
	int32_t i = 0;

	if ((cp = calloc(s->len + 1, sizeof(*cp))) == NULL)
		return NULL;
	*n = 0;
	while (i < s->len) {
		U16_NEXT(s->s, i, s->len, c);
		cp[(*n)++] = c;
	}
	return cp;
}

/*
 * Every code point of cp[0..n) must be valid in the class (freeform:
 * FREE_PVAL is valid): PVALID, or CONTEXTJ/CONTEXTO with its rule holding.
 */
static int
check_class(const UChar32 *cp, size_t n, int freeform, char *why,
    size_t whylen)
{
	size_t i;
	enum dp v;

	for (i = 0; i < n; i++) {
		switch (v = derive(cp[i])) {
		case PVALID:
			continue;
		case FREE_PVAL:
			if (freeform)
				continue;
			break;
		case CONTEXTJ:
		case CONTEXTO:
			if (context_ok(cp, n, i))
				continue;
			snprintf(why, whylen, "character U+%04X out of its "
			    "context", (unsigned)cp[i]);
			return XT_EINVAL;
		default:
			break;
		}
		snprintf(why, whylen, "%s character U+%04X",
		    v == UNASSIGNED ? "unassigned" : "disallowed",
		    (unsigned)cp[i]);
		return XT_EINVAL;
	}
	return XT_OK;
}

/* The Bidi Rule (RFC 5893 section 2), for a string with an R, AL or AN. */
static int
check_bidi(const UChar32 *cp, size_t n, char *why, size_t whylen)
{
	size_t i, last;
	int d, rtl = 0, en = 0, an = 0;

	for (i = 0; i < n; i++) {
		d = u_charDirection(cp[i]);
		if (d == U_RIGHT_TO_LEFT || d == U_RIGHT_TO_LEFT_ARABIC ||
		    d == U_ARABIC_NUMBER)
			rtl = 1;
	}
	if (!rtl || n == 0)
		return XT_OK;
	d = u_charDirection(cp[0]);
	if (d != U_LEFT_TO_RIGHT && d != U_RIGHT_TO_LEFT &&
	    d != U_RIGHT_TO_LEFT_ARABIC)
		goto bad;				/* rule 1 */
	rtl = d != U_LEFT_TO_RIGHT;
	for (last = n; last > 0 &&
	    u_charDirection(cp[last - 1]) == U_DIR_NON_SPACING_MARK; last--)
		;
	if (last == 0)
		goto bad;
	for (i = 0; i < n; i++) {
		d = u_charDirection(cp[i]);
		switch (d) {
		case U_EUROPEAN_NUMBER:
			en = 1;
			/* FALLTHROUGH */
		case U_EUROPEAN_NUMBER_SEPARATOR:
		case U_COMMON_NUMBER_SEPARATOR:
		case U_EUROPEAN_NUMBER_TERMINATOR:
		case U_OTHER_NEUTRAL:
		case U_BOUNDARY_NEUTRAL:
		case U_DIR_NON_SPACING_MARK:
			continue;			/* rules 2 and 5 */
		case U_RIGHT_TO_LEFT:
		case U_RIGHT_TO_LEFT_ARABIC:
			if (rtl)
				continue;
			goto bad;
		case U_ARABIC_NUMBER:
			an = 1;
			if (rtl)
				continue;
			goto bad;
		case U_LEFT_TO_RIGHT:
			if (!rtl)
				continue;
			goto bad;
		default:
			goto bad;
		}
	}
	d = u_charDirection(cp[last - 1]);
	if (rtl && (en && an))
		goto bad;				/* rule 4 */
	if (rtl && (d == U_RIGHT_TO_LEFT || d == U_RIGHT_TO_LEFT_ARABIC ||
	    d == U_EUROPEAN_NUMBER || d == U_ARABIC_NUMBER))
		return XT_OK;				/* rule 3 */
	if (!rtl && (d == U_LEFT_TO_RIGHT || d == U_EUROPEAN_NUMBER))
		return XT_OK;				/* rule 6 */
bad:
	snprintf(why, whylen, "bidi rule violated");
	return XT_EINVAL;
}

/*
 * Run an ICU string function into a fresh buffer, growing it once if ICU
 * asks for more. f is one of the adapters below.
 */
typedef int32_t	(*u16fn)(const struct u16 *, UChar *, int32_t, UErrorCode *);

static int
apply(struct u16 *s, u16fn f)
{
	UErrorCode err = U_ZERO_ERROR;
	UChar *d;
	int32_t cap = s->len * 3 + 8, n;

	if ((d = malloc(cap * sizeof(*d))) == NULL)
		return XT_ENOMEM;
	n = f(s, d, cap, &err);
	if (err == U_BUFFER_OVERFLOW_ERROR) {
		free(d);
		cap = n + 1;
		err = U_ZERO_ERROR;
		if ((d = malloc(cap * sizeof(*d))) == NULL)
			return XT_ENOMEM;
		n = f(s, d, cap, &err);
	}
	if (U_FAILURE(err)) {
		free(d);
		return err == U_MEMORY_ALLOCATION_ERROR ? XT_ENOMEM : XT_EINVAL;
	}
	free(s->s);
	s->s = d;
	s->len = n;
	return XT_OK;
}

static int32_t
lower(const struct u16 *s, UChar *d, int32_t cap, UErrorCode *err)
{
	return u_strToLower(d, cap, s->s, s->len, "", err);
}

static int32_t
nfc(const struct u16 *s, UChar *d, int32_t cap, UErrorCode *err)
{
	const UNormalizer2 *n = unorm2_getNFCInstance(err);

	return U_FAILURE(*err) ? 0 : unorm2_normalize(n, s->s, s->len, d,
	    cap, err);
}

/*
 * Width mapping (RFC 8265 section 3.3.1 rule 1): a fullwidth or halfwidth
 * code point becomes its decomposition mapping.
 */
static int32_t
width(const struct u16 *s, UChar *d, int32_t cap, UErrorCode *err)
{
	const UNormalizer2 *nfkc = unorm2_getNFKCInstance(err);
	UChar m[8];
	UChar32 c;
	int32_t i = 0, n = 0, k, ml;

	if (U_FAILURE(*err))
		return 0;
	while (i < s->len) {
		U16_NEXT(s->s, i, s->len, c);
		k = u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE);
		ml = -1;
		if (k == U_DT_WIDE || k == U_DT_NARROW)
			ml = unorm2_getRawDecomposition(nfkc, c, m, 8, err);
		if (U_FAILURE(*err))
			return 0;
		if (ml < 0) {
			m[0] = 0;
			ml = 0;
			U16_APPEND_UNSAFE(m, ml, c);
		}
		if (n + ml <= cap)
			memcpy(d + n, m, ml * sizeof(*m));
		n += ml;
	}
	if (n > cap)
		*err = U_BUFFER_OVERFLOW_ERROR;
	return n;
}

/*
 * Additional mapping of OpaqueString (RFC 8265 section 4.2.1 rule 2): a
 * non-ASCII space (general category Zs) becomes U+0020.
 */
static int32_t
spaces(const struct u16 *s, UChar *d, int32_t cap, UErrorCode *err)
{
	UChar32 c;
	int32_t i = 0, n = 0;

	while (i < s->len) {
		U16_NEXT(s->s, i, s->len, c);
		if (c > 0x7f && u_charType(c) == U_SPACE_SEPARATOR)
			c = 0x20;
		if (n + U16_LENGTH(c) <= cap)
			U16_APPEND_UNSAFE(d, n, c);
		else
			n += U16_LENGTH(c);
	}
	if (n > cap)
		*err = U_BUFFER_OVERFLOW_ERROR;
	return n;
}

/* Check s against the class, and for a username the bidi rule. */
static int
check(const struct u16 *s, int freeform, int bidi, char *why, size_t whylen)
{
	UChar32 *cp;
	size_t n;
	int rc;

	if ((cp = codepoints(s, &n)) == NULL)
		return XT_ENOMEM;
	rc = check_class(cp, n, freeform, why, whylen);
	if (rc == XT_OK && bidi)
		rc = check_bidi(cp, n, why, whylen);
	free(cp);
	return rc;
}

/*
 * One application of a profile to s, in the order of RFC 8264 section 7:
 * width mapping, additional mapping, case mapping, normalisation, and then
 * the directionality rule and the class on the result. The class is
 * checked on the result only, as the published implementations do: a
 * string the mappings make valid (U+212B ANGSTROM SIGN, NFC U+00C5) is
 * accepted in the form it is mapped to. The caller has done the width
 * mapping of the first round (dowidth 0).
 */
static int
enforce(struct u16 *s, enum xt_precis profile, int dowidth, char *why,
    size_t whylen)
{
	int rc, user = profile == XT_PRECIS_USERNAME;

	if (user && dowidth && (rc = apply(s, width)) != XT_OK)
		return rc;
	if (!user && (rc = apply(s, spaces)) != XT_OK)
		return rc;
	if (user && (rc = apply(s, lower)) != XT_OK)
		return rc;
	if ((rc = apply(s, nfc)) != XT_OK)
		return rc;
	return check(s, !user, user, why, whylen);
}

/*
 * The rules refused the string in the form they mapped it to; if the
 * input as given breaks a rule as well, name that instead, which is what
 * the user typed (U+2163, not the U+2173 that lowercasing made of it).
 */
static void
blame_input(const UChar *in, int32_t len, enum xt_precis profile, char *why,
    size_t whylen)
{
	struct u16 s = { (UChar *)in, len };
	char w[80];
	int user = profile == XT_PRECIS_USERNAME;

	if (check(&s, !user, user, w, sizeof(w)) == XT_EINVAL)
		snprintf(why, whylen, "%s", w);
}

/* Printable ASCII: the same derivation, without ICU. */
static int
ascii(const char *in, size_t len, enum xt_precis profile, char **out,
    char *why, size_t whylen)
{
	size_t i;
	char *p;

	if (profile == XT_PRECIS_USERNAME && memchr(in, ' ', len) != NULL) {
		snprintf(why, whylen, "disallowed character U+0020");
		return XT_EINVAL;
	}
	if ((p = strndup(in, len)) == NULL)
		return XT_ENOMEM;
	if (profile == XT_PRECIS_USERNAME)
		for (i = 0; i < len; i++)
			if (p[i] >= 'A' && p[i] <= 'Z')
				p[i] += 'a' - 'A';
	*out = p;
	return XT_OK;
}

/*
 * Prepare and enforce in[0..len) (valid UTF-8) with a PRECIS profile.
 * The rules are applied until they change nothing, at most four times
 * (RFC 8264 section 7); a string still changing then is refused.
 * Returns XT_OK with *out the result (malloc'd UTF-8, possibly empty: the
 * caller decides on emptiness and length), XT_EINVAL with why saying
 * which rule refused it ("disallowed character U+2163"), or XT_ENOMEM.
 */
int
xt_precis(const char *in, size_t len, enum xt_precis profile, char **out,
    char *why, size_t whylen)
{
	struct u16 s = { NULL, 0 };
	UErrorCode err = U_ZERO_ERROR;
	UChar *prev = NULL;
	int32_t plen = 0, n;
	size_t i;
	char *p;
	int rc, round;

	for (i = 0; i < len && in[i] >= 0x20 && in[i] <= 0x7e; i++)
		;
	if (i == len)
		return ascii(in, len, profile, out, why, whylen);

	u_strFromUTF8(NULL, 0, &n, in, (int32_t)len, &err);
	if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
		goto invalid;
	err = U_ZERO_ERROR;
	if ((s.s = malloc((n + 1) * sizeof(*s.s))) == NULL)
		return XT_ENOMEM;
	u_strFromUTF8(s.s, n + 1, &s.len, in, (int32_t)len, &err);
	if (U_FAILURE(err))
		goto invalid;

	/*
	 * Each round starts from a copy of its input: a round that changes
	 * nothing ends the loop. The first copy, taken after the width
	 * mapping (so the first round does not map widths again), is what
	 * a refusal blames.
	 */
	if (profile == XT_PRECIS_USERNAME && (rc = apply(&s, width)) != XT_OK)
		goto out;
	for (round = 0;; round++) {
		free(prev);
		if ((prev = malloc((s.len + 1) * sizeof(*prev))) == NULL) {
			rc = XT_ENOMEM;
			goto out;
		}
		memcpy(prev, s.s, s.len * sizeof(*s.s));
		plen = s.len;
		if ((rc = enforce(&s, profile, round > 0, why, whylen)) !=
		    XT_OK) {
			if (rc == XT_EINVAL && round == 0)
				blame_input(prev, plen, profile, why, whylen);
			goto out;
		}
		if (plen == s.len &&
		    memcmp(prev, s.s, s.len * sizeof(*s.s)) == 0)
			break;
		if (round == 3) {
			snprintf(why, whylen, "not stable under preparation");
			rc = XT_EINVAL;
			goto out;
		}
	}

	err = U_ZERO_ERROR;
	u_strToUTF8(NULL, 0, &n, s.s, s.len, &err);
	if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
		goto invalid;
	err = U_ZERO_ERROR;
	if ((p = malloc(n + 1)) == NULL) {
		rc = XT_ENOMEM;
		goto out;
	}
	u_strToUTF8(p, n + 1, NULL, s.s, s.len, &err);
	if (U_FAILURE(err)) {
		free(p);
		goto invalid;
	}
	*out = p;
	rc = XT_OK;
	goto out;
invalid:
	snprintf(why, whylen, "not valid unicode");
	rc = XT_EINVAL;
out:
	free(prev);
	free(s.s);
	return rc;
}
