/*
 * jid.c takes a short cut for printable ASCII (no libidn tables): check
 * that it gives what Nodeprep, Resourceprep and IDNA give, character by
 * character.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <stringprep.h>

#include "xt.h"
#include "tap.h"

/* What the library says of one part, as "ok:<prepared>" or "bad". */
static void
ours(const char *jid, int part, char *out, size_t len)
{
	struct xt_jid j;
	const char *p;

	if (xt_jid_parse(jid, &j, NULL) != XT_OK) {
		snprintf(out, len, "bad");
		return;
	}
	p = part == 0 ? j.local : part == 1 ? j.domain : j.resource;
	snprintf(out, len, "ok:%s", p ? p : "");
	xt_jid_free(&j);
}

/* The same through libidn directly. */
static void
theirs(const char *in, const char *profile, char *out, size_t len)
{
	char *p = NULL;

	if (stringprep_profile(in, &p, profile, STRINGPREP_NO_UNASSIGNED) !=
	    STRINGPREP_OK || p[0] == '\0' || (strcmp(profile, "Nodeprep") == 0 &&
	    strpbrk(p, "\"&'/:<>@") != NULL))
		snprintf(out, len, "bad");
	else
		snprintf(out, len, "ok:%s", p);
	free(p);
}

int
main(void)
{
	char jid[64], in[8], a[64], b[64];
	char *asc;
	int c, same_local = 1, same_res = 1, same_dom = 1;
	static const char *labels[] = { "Example", "EXAMPLE-1", "a-b-c", "x1",
	    "ab--cd", "-ab", "ab-", "XN--bcher-kva", "a_b", "0", "123abc" };
	size_t i;

	xt_init(NULL);
	for (c = 0x20; c <= 0x7e; c++) {
		snprintf(in, sizeof(in), "a%cB", c);
		if (c != '@' && c != '/') {
			snprintf(jid, sizeof(jid), "%s@example.com", in);
			ours(jid, 0, a, sizeof(a));
			theirs(in, "Nodeprep", b, sizeof(b));
			if (strcmp(a, b) != 0) {
				same_local = 0;
				printf("# localpart %s: %s vs %s\n", in, a, b);
			}
		}
		snprintf(jid, sizeof(jid), "u@example.com/%s", in);
		ours(jid, 2, a, sizeof(a));
		theirs(in, "Resourceprep", b, sizeof(b));
		if (strcmp(a, b) != 0) {
			same_res = 0;
			printf("# resourcepart %s: %s vs %s\n", in, a, b);
		}
	}
	ok(same_local, "localpart: the ASCII short cut agrees with Nodeprep");
	ok(same_res, "resourcepart: the ASCII short cut agrees with "
	    "Resourceprep");
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		snprintf(jid, sizeof(jid), "u@%s.org", labels[i]);
		ours(jid, 1, a, sizeof(a));
		snprintf(in, sizeof(in), "%.7s", labels[i]);
		if (idn2_to_ascii_8z(labels[i], &asc, IDN2_NFC_INPUT |
		    IDN2_NONTRANSITIONAL) != IDN2_OK)
			snprintf(b, sizeof(b), "bad");
		else {
			snprintf(b, sizeof(b), "%s", asc);
			free(asc);
		}
		/* IDNA's answer must be ours, or we must refuse it as well. */
		if (strcmp(a, "bad") != 0 && (strcmp(b, "bad") == 0 ||
		    strncmp(a + 3, b, strlen(b)) != 0 ||
		    strcmp(a + 3 + strlen(b), ".org") != 0)) {
			if (strncmp(b, "xn--", 4) != 0) {
				same_dom = 0;
				printf("# label %s: %s vs %s\n", labels[i], a, b);
			}
		}
	}
	ok(same_dom, "domain labels: what passes matches IDNA");
	is_str((ours("u@EXAMPLE.com", 1, a, sizeof(a)), a), "ok:example.com",
	    "uppercase domain folded");
	is_str((ours("u@a_b.com", 1, a, sizeof(a)), a), "bad",
	    "underscore refused");
	is_str((ours("u@xn--bcher-kva.ch", 1, a, sizeof(a)), a),
	    "ok:b\xc3\xbc" "cher.ch", "A-label still converted");
	is_str((ours("Juliet@x/Res ource", 0, a, sizeof(a)), a), "ok:juliet",
	    "localpart folded");
	is_str((ours("j@x/Res ource", 2, a, sizeof(a)), a), "ok:Res ource",
	    "resource kept, space and case");
	return done();
}
