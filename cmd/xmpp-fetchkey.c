/*
 * xmpp-fetchkey: fetch a contact's XEP-0189 keys, revocations and
 * attestations, verify all of it, pin on first use, print the valid keys.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "xt.h"

#define MAX_SIGNERS	16

enum { O_DIRECT = XT_OPT_TOOL, O_FORMAT, O_SIGNER, O_ACCEPT, O_NOPIN };

static const struct option longopts[] = {
	XT_ACCOUNT_LONGOPTS,
	{ "direct",		required_argument,	NULL, O_DIRECT },
	{ "format",		required_argument,	NULL, O_FORMAT },
	{ "signer",		required_argument,	NULL, O_SIGNER },
	{ "accept-new",		no_argument,		NULL, O_ACCEPT },
	{ "no-pin",		no_argument,		NULL, O_NOPIN },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

/* What became of one published key. */
enum verdict { OK, MALFORMED, FORGED, OTHERJID, NOTYET, EXPIRED, REVOKED,
    UNATTESTED, NVERDICT };

static const char *verdicts[NVERDICT] = { "valid", "malformed", "forged",
    "for another JID", "not yet valid", "expired", "revoked",
    "not attested" };

struct key {
	struct xt_pubkey pk;
	enum verdict	 v;
	int		 attested;
};

static struct xt_session *sess;
static struct key *keys;
static size_t nkeys;
static struct xt_pubkey signers[MAX_SIGNERS];
static int nsigners, verbose;
static const char *jid;		/* the bare JID asked for, prepared */

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: xmpp-fetchkey [-v] [-a jid] [-c file] [-r resource] "
	    "[--password-file file]\n"
	    "                     [--server host[:port]] [--direct-tls] "
	    "[--cafile file | --pin sha256:b64]\n"
	    "                     [--mechanisms list] [--timeout seconds] "
	    "[--debug] [--direct fulljid]\n"
	    "                     [--format xml|spki|pem|fingerprint] "
	    "[--signer pubkey-file ...]\n"
	    "                     [--accept-new | --no-pin] jid\n");
	exit(status);
}

static void
debug_out(void *arg, char dir, const char *text, size_t len)
{
	fprintf(stderr, "%c %.*s\n", dir, (int)len, text);
}

static void __attribute__((noreturn))
die(int rc, const char *what)
{
	char msg[XT_ERRLEN];

	snprintf(msg, sizeof(msg), "%s", what);
	xt_session_free(sess);
	errx(xt_exit_status(rc), "%s", msg);
}

/* Is k (verified) a copy of a key already read? */
static int
seen(const struct key *k)
{
	size_t i;

	for (i = 0; i + 1 < nkeys; i++)
		if (keys[i].v != MALFORMED && keys[i].v != FORGED &&
		    strcmp(keys[i].pk.keyid, k->pk.keyid) == 0 &&
		    strcasecmp(keys[i].pk.print, k->pk.print) == 0)
			return 1;
	return 0;
}

static void
add_key(const struct xt_node *el, const char *where)
{
	struct xt_error e = { 0, "" };
	struct key *k, *nk;
	int when;

	if ((nk = realloc(keys, (nkeys + 1) * sizeof(*keys))) == NULL)
		die(XT_ENOMEM, "out of memory");
	keys = nk;
	k = &keys[nkeys++];
	memset(k, 0, sizeof(*k));
	if (xt_pubkey_parse(el, &k->pk, &e) < 0) {
		k->v = MALFORMED;
		if (verbose)
			warnx("%s: malformed <pubkey/>: %s", where, e.msg);
		return;
	}
	if (xt_pubkey_verify(&k->pk, &e) < 0)
		k->v = FORGED;
	else if (seen(k)) {
		/* The same key under "current" and under its print. */
		xt_pubkey_clear(&k->pk);
		nkeys--;
		return;
	}
	else if (xt_jid_streq(k->pk.jid, jid, 0) != 1)
		k->v = OTHERJID;
	else if ((when = xt_pubkey_when(&k->pk, (int64_t)time(NULL))) != 0)
		k->v = when < 0 ? NOTYET : EXPIRED;
	if (!verbose)
		return;
	if (k->v == FORGED)
		warnx("key %.16s: %s", k->pk.keyid, e.msg);
	else if (k->v == OTHERJID)
		warnx("key %.16s: names %s, not %s", k->pk.keyid, k->pk.jid,
		    jid);
	else
		warnx("key %.16s: print ok (%s rule)%s%s", k->pk.keyid,
		    xt_print_rule_name(k->pk.rule), k->v == OK ? "" :
		    k->v == NOTYET ? ", but valid only from " :
		    ", but expired on ",
		    k->v == OK ? "" : k->v == NOTYET ? k->pk.begin :
		    k->pk.end);
}

/* The payloads of a node's items with that name; NULL if none visible. */
static struct xt_node **
fetch(const char *node, size_t *n)
{
	struct xt_error e = { 0, "" };
	struct xt_node **items;
	int rc;

	rc = xt_pep_items(sess, jid, node, &items, n, &e);
	if (rc == XT_ENOTFOUND) {
		if (verbose)
			warnx("%s", e.msg);
		*n = 0;
		return NULL;
	}
	if (rc < 0)
		die(rc, e.msg);
	return items;
}

/* The XEP-0189 section 7 request to one full JID. */
static void
fetch_direct(const char *full)
{
	struct xt_node *iq, *res, *pk;
	int rc;

	if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(iq, "type", "get") < 0 ||
	    xt_node_set_attr(iq, "to", full) < 0 ||
	    xt_node_add_elem(iq, "pubkey", XT_NS_PUBKEY) == NULL)
		die(XT_ENOMEM, "out of memory");
	if ((rc = xt_session_iq(sess, iq, &res, -1)) < 0)
		die(rc, xt_session_errmsg(sess));
	if ((pk = xt_node_child(res, "pubkey", XT_NS_PUBKEY)) != NULL)
		add_key(pk, full);
	else if (verbose)
		warnx("%s: answer without <pubkey/>", full);
	xt_node_free(iq);
	xt_node_free(res);
}

/*
 * A revocation counts if the revoked key signed it, or another key of the
 * account that is valid and has not revoked itself. Self-revocations are
 * applied first, the others all against that state, so the order of the
 * items changes nothing: a key that revoked itself revokes no other.
 */
static void
apply_revocations(struct xt_node **items, size_t n)
{
	struct xt_error e = { 0, "" };
	struct xt_revocation r;
	const struct xt_node *el;
	const struct xt_pubkey *signer;
	unsigned char *hit;
	size_t i, j, k;
	int rc, pass, self;

	if ((hit = calloc(nkeys + 1, 1)) == NULL)
		die(XT_ENOMEM, "out of memory");
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			memset(&r, 0, sizeof(r));
			if ((el = xt_node_child(items[i], NULL,
			    XT_NS_REVOKE)) == NULL ||
			    xt_revocation_parse(el, &r, &e) < 0) {
				if (verbose && pass == 0)
					warnx("revocation %zu: %s", i + 1, el ?
					    e.msg : "no <revocation/> in the "
					    "item");
				continue;
			}
			self = strcasecmp(r.revocationprint, r.keyprint) == 0;
			if (self != (pass == 0)) {
				xt_revocation_clear(&r);
				continue;
			}
			signer = NULL;
			rc = XT_EBADSIG;
			if (self)
				rc = xt_revocation_verify(&r, NULL, &e);
			for (k = 0; !self && k < nkeys && rc < 0; k++) {
				if (keys[k].v != OK || strcasecmp(
				    keys[k].pk.print, r.revocationprint) != 0)
					continue;
				signer = &keys[k].pk;
				rc = xt_revocation_verify(&r, signer, &e);
			}
			if (rc < 0 && verbose)
				warnx("revocation of key %.16s ignored: %s",
				    r.keyid, self || signer ? e.msg : "no "
				    "valid key of the account signed it");
			for (j = 0; rc == XT_OK && j < nkeys; j++) {
				if (keys[j].v == MALFORMED ||
				    strcmp(keys[j].pk.keyid, r.keyid) != 0)
					continue;
				if (pass == 0 && keys[j].v == OK)
					keys[j].v = REVOKED;
				hit[j] = 1;
				if (verbose)
					warnx("key %.16s: revoked at %s by %s",
					    r.keyid, r.time, self ? "itself" :
					    "another key of the account");
			}
			xt_revocation_clear(&r);
		}
	for (j = 0; j < nkeys; j++)
		if (hit[j] && keys[j].v == OK)
			keys[j].v = REVOKED;
	free(hit);
}

static void
check_attestations(struct xt_node **items, size_t n)
{
	struct xt_error e = { 0, "" };
	struct xt_attest a;
	const struct xt_node *el;
	size_t i, k;
	int s;

	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		if ((el = xt_node_child(items[i], "attest", XT_NS_ATTEST)) ==
		    NULL || xt_attest_parse(el, &a, &e) < 0) {
			if (verbose)
				warnx("attestation %zu: %s", i + 1, el ? e.msg :
				    "no <attest/> in the item");
			continue;
		}
		for (k = 0; k < nkeys; k++) {
			if (keys[k].v != OK || strcasecmp(keys[k].pk.print,
			    a.keyprint) != 0)
				continue;
			if (nsigners == 0 && verbose)
				warnx("key %.16s: attested by %s at %s "
				    "(not checked: no --signer)",
				    keys[k].pk.keyid, a.signerjid, a.time);
			for (s = 0; s < nsigners; s++) {
				if (xt_attest_verify(&a, &keys[k].pk,
				    &signers[s], &e) < 0)
					continue;
				keys[k].attested = 1;
				if (verbose)
					warnx("key %.16s: attested by %s at "
					    "%s (verified)", keys[k].pk.keyid,
					    a.signerjid, a.time);
			}
		}
		xt_attest_clear(&a);
	}
	for (k = 0; k < nkeys && nsigners > 0; k++)
		if (keys[k].v == OK && !keys[k].attested) {
			keys[k].v = UNATTESTED;
			if (verbose)
				warnx("key %.16s: no attestation by a --signer",
				    keys[k].pk.keyid);
		}
}

/* Trust on first use: the valid keys must be the pinned ones. */
static void
pin(int accept)
{
	struct xt_error e = { 0, "" };
	char **ids, **now;
	size_t n, i, j, k = 0;
	int rc, known, changed = 0;

	if ((rc = xt_keyring_get(NULL, jid, &ids, &n, &e)) < 0)
		die(rc, e.msg);
	if ((now = calloc(nkeys + 1, sizeof(*now))) == NULL)
		die(XT_ENOMEM, "out of memory");
	for (i = 0; i < nkeys; i++) {
		if (keys[i].v != OK)
			continue;
		now[k++] = keys[i].pk.keyid;
		for (known = 0, j = 0; j < n && !known; j++)
			known = strcmp(ids[j], keys[i].pk.keyid) == 0;
		if (known || n == 0)
			continue;
		changed = 1;
		if (!accept) {
			xt_session_free(sess);
			errx(1, "%s: key changed: pinned %s, now %s (use "
			    "--accept-new if you trust the new key)", jid,
			    ids[0], keys[i].pk.keyid);
		}
	}
	if (n == 0 || changed) {
		if ((rc = xt_keyring_set(NULL, jid, now, k, &e)) < 0)
			die(rc, e.msg);
		if (verbose)
			warnx("%s: %s %zu key%s", jid, n == 0 ? "pinned" :
			    "pins replaced by", k, k == 1 ? "" : "s");
	}
	free(now);
	xt_keyring_free(ids, n);
}

static void
output(const struct xt_pubkey *pk, const char *format)
{
	struct xt_node *el;
	char *s;
	size_t len, i, klen = strlen(pk->key);

	if (strcmp(format, "fingerprint") == 0)
		printf("%s\n", pk->keyid);
	else if (strcmp(format, "spki") == 0)
		printf("%s\n", pk->key);
	else if (strcmp(format, "pem") == 0) {
		printf("-----BEGIN PUBLIC KEY-----\n");
		for (i = 0; i < klen; i += 64)
			printf("%.64s\n", pk->key + i);
		printf("-----END PUBLIC KEY-----\n");
	} else {
		if ((el = xt_pubkey_node(pk)) == NULL ||
		    xt_xml_serialize(el, NULL, &s, &len) < 0)
			die(XT_ENOMEM, "out of memory");
		printf("%s\n", s);
		free(s);
		xt_node_free(el);
	}
}

/* Why nothing is left, in one line. */
static void __attribute__((noreturn))
none_valid(void)
{
	char msg[XT_ERRLEN];
	size_t count[NVERDICT] = { 0 }, i, len;
	int v;

	if (nkeys == 0)
		die(XT_ENOTFOUND, "no key published (or none we may read)");
	for (i = 0; i < nkeys; i++)
		count[keys[i].v]++;
	len = (size_t)snprintf(msg, sizeof(msg), "%s: no valid key:", jid);
	for (v = 1; v < NVERDICT && len < sizeof(msg); v++)
		if (count[v] > 0)
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			    " %zu %s,", count[v], verdicts[v]);
	if (len < sizeof(msg))
		msg[len - 1] = '\0';
	die(XT_ENOTFOUND, msg);
}

int
main(int argc, char *argv[])
{
	struct xt_account ac = { .timeout = -1 };
	struct xt_session_opts so = { 0 };
	struct xt_error e = { 0, "" };
	struct xt_jid j;
	struct xt_node **items;
	const char *direct = NULL, *format = "xml";
	char msg[XT_ERRLEN], *bare, *print;
	size_t n, i, valid = 0;
	int ch, li = 0, rc, accept = 0, nopin = 0;

	if ((rc = xt_init(&e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	opterr = 0;
	while ((li = -1, ch = getopt_long(argc, argv,
	    ":" XT_ACCOUNT_SHORTOPTS "vhV", longopts, &li)) != -1) {
		if (li >= 0 && xt_opt_exact(argv, optind, optarg,
		    longopts[li].name, msg, sizeof(msg)) != NULL)
			errx(2, "%s", msg);
		if ((rc = xt_account_option(&ac, ch, li >= 0 ?
		    longopts[li].name : NULL, optarg, &e)) != 0) {
			if (rc < 0)
				errx(xt_exit_status(rc), "%s", e.msg);
			continue;
		}
		switch (ch) {
		case O_DIRECT:
			direct = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "xml") != 0 &&
			    strcmp(optarg, "spki") != 0 &&
			    strcmp(optarg, "pem") != 0 &&
			    strcmp(optarg, "fingerprint") != 0)
				errx(2, "--format: xml, spki, pem or "
				    "fingerprint");
			format = optarg;
			break;
		case O_SIGNER:
			if (nsigners == MAX_SIGNERS)
				errx(2, "--signer: at most %d", MAX_SIGNERS);
			if ((rc = xt_pubkey_read(optarg, &signers[nsigners],
			    &e)) == XT_OK)
				nsigners++;
			break;
		case O_ACCEPT:
			accept = 1;
			break;
		case O_NOPIN:
			nopin = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("xmpp-fetchkey %s\n", XT_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			errx(2, "%s", xt_opt_error(ch, optopt,
			    argv[optind - 1], msg, sizeof(msg)));
		}
		if (rc < 0)
			errx(xt_exit_status(rc), "%s", e.msg);
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		errx(2, argc ? "one JID only (see -h)" : "no JID (see -h)");
	if (accept && nopin)
		errx(2, "--accept-new and --no-pin do not go together");
	if (xt_jid_parse(argv[0], &j, &e) < 0)
		errx(2, "%s: %s", argv[0], e.msg);
	if (j.resource != NULL)
		errx(2, "%s: keys belong to a bare JID; use --direct for a "
		    "full one", argv[0]);
	if ((bare = xt_jid_bare(&j)) == NULL)
		errx(1, "out of memory");
	xt_jid_free(&j);
	jid = bare;
	if (direct != NULL) {
		if (xt_jid_parse(direct, &j, &e) < 0)
			errx(2, "--direct %s: %s", direct, e.msg);
		if (j.resource == NULL || xt_jid_streq(direct, jid, 1) != 1)
			errx(2, "--direct: a full JID of %s", jid);
		xt_jid_free(&j);
	}

	if ((rc = xt_account_resolve(&ac, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	so.tool = "xmpp-fetchkey";
	so.timeout_ms = (int)((ac.timeout < 0 ? 30 : ac.timeout) * 1000);
	so.debug = ac.debug ? debug_out : NULL;
	if ((rc = xt_account_login(&ac, &so, &sess, &e)) < 0)
		die(rc, e.msg);
	if (verbose)
		warnx("logged in as %s with %s", xt_session_jid(sess),
		    xt_session_mech(sess));

	if (direct != NULL)
		fetch_direct(direct);
	else {
		items = fetch(XT_NS_PUBKEY, &n);
		for (i = 0; i < n; i++) {
			const struct xt_node *el = xt_node_child(items[i],
			    "pubkey", XT_NS_PUBKEY);
			const char *id = xt_node_attr(items[i], "id");

			snprintf(msg, sizeof(msg), "item %s", id ? id : "?");
			xt_oneline(msg);
			if (el != NULL)
				add_key(el, msg);
			else if (verbose)
				warnx("%s: no <pubkey/> in it", msg);
		}
		xt_pep_items_free(items, n);
	}
	/*
	 * Attestations first: with --signer, a key nobody vouched for is out
	 * before it could sign a revocation of one that is vouched for.
	 */
	items = fetch(XT_NS_ATTEST, &n);
	check_attestations(items, n);
	xt_pep_items_free(items, n);
	items = fetch(XT_NS_REVOKE, &n);
	apply_revocations(items, n);
	xt_pep_items_free(items, n);

	for (i = 0; i < nkeys; i++)
		valid += keys[i].v == OK;
	if (valid == 0)
		none_valid();
	if (!nopin)
		pin(accept);
	for (i = 0; i < nkeys; i++) {
		if (keys[i].v != OK)
			continue;
		/* Always the current print rule on output. */
		if ((print = malloc(65)) == NULL ||
		    xt_pubkey_print(&keys[i].pk, XT_PRINT_CURRENT, print) < 0)
			die(XT_ENOMEM, "out of memory");
		free(keys[i].pk.print);
		keys[i].pk.print = print;
		output(&keys[i].pk, format);
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		die(XT_ESYS, "stdout: write error");
	xt_session_free(sess);
	for (i = 0; i < nkeys; i++)
		xt_pubkey_clear(&keys[i].pk);
	free(keys);
	for (i = 0; i < (size_t)nsigners; i++)
		xt_pubkey_clear(&signers[i]);
	free(bare);
	xt_config_clear(&ac.cfg);
	return 0;
}
