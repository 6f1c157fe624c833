/*
 * peerkey.c: other people's XEP-0189 keys, weighed as xmpp-fetchkey does
 * (DESIGN.md 3): fetched from PEP or asked for directly, every print and
 * signature verified, validity dates, attestations and revocations
 * applied, the valid keys compared with the pins (trust on first use).
 * Every tool that authenticates a contact (xmpp-fetchkey, xtls-pipe,
 * offline ESessions) believes a key only through here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "xt.h"

static const char *verdicts[XT_KEY_NVERDICTS] = { "valid", "malformed",
    "forged", "for another JID", "not yet valid", "expired", "revoked",
    "not attested" };

/* Is k (verified) a copy of a key already read? */
static int
seen(const struct xt_peerkeys *ks, const struct xt_peerkey *k)
{
	size_t i;

	for (i = 0; i + 1 < ks->n; i++)
		if (ks->keys[i].v != XT_KEY_MALFORMED &&
		    ks->keys[i].v != XT_KEY_FORGED &&
		    strcmp(ks->keys[i].pk.keyid, k->pk.keyid) == 0 &&
		    strcasecmp(ks->keys[i].pk.print, k->pk.print) == 0)
			return 1;
	return 0;
}

static int
add_key(struct xt_peerkeys *ks, const struct xt_node *el, const char *where,
    const struct xt_peerkey_opts *o, struct xt_error *e)
{
	struct xt_error ke = { 0, "" };
	struct xt_peerkey *k, *nk;
	struct xt_cli *cli = o->cli;
	int when;

	if ((nk = realloc(ks->keys, (ks->n + 1) * sizeof(*nk))) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	ks->keys = nk;
	k = &ks->keys[ks->n++];
	memset(k, 0, sizeof(*k));
	if (xt_pubkey_parse(el, &k->pk, &ke) < 0) {
		k->v = XT_KEY_MALFORMED;
		if (cli != NULL)
			xt_cli_note(cli, "%s: malformed <pubkey/>: %s", where,
			    ke.msg);
		return XT_OK;
	}
	if (xt_pubkey_verify(&k->pk, &ke) < 0)
		k->v = XT_KEY_FORGED;
	else if (seen(ks, k)) {
		/* The same key under "current" and under its print. */
		xt_pubkey_clear(&k->pk);
		ks->n--;
		return XT_OK;
	}
	else if (xt_jid_streq(k->pk.jid, ks->jid, 0) != 1)
		k->v = XT_KEY_OTHERJID;
	else if ((when = xt_pubkey_when(&k->pk, o->now)) != 0)
		k->v = when < 0 ? XT_KEY_NOTYET : XT_KEY_EXPIRED;
	if (cli == NULL)
		return XT_OK;
	if (k->v == XT_KEY_FORGED)
		xt_cli_note(cli, "key %.16s: %s", k->pk.keyid, ke.msg);
	else if (k->v == XT_KEY_OTHERJID)
		xt_cli_note(cli, "key %.16s: names %s, not %s", k->pk.keyid,
		    k->pk.jid, ks->jid);
	else
		xt_cli_note(cli, "key %.16s: print ok (%s rule)%s%s",
		    k->pk.keyid, xt_print_rule_name(k->pk.rule),
		    k->v == XT_KEY_VALID ? "" : k->v == XT_KEY_NOTYET ?
		    ", but valid only from " : ", but expired on ",
		    k->v == XT_KEY_VALID ? "" : k->v == XT_KEY_NOTYET ?
		    k->pk.begin : k->pk.end);
	return XT_OK;
}

/* The items of one of the contact's nodes; none if we may not see them. */
static int
fetch(struct xt_session *s, struct xt_peerkeys *ks, const char *node,
    const struct xt_peerkey_opts *o, struct xt_node ***items, size_t *n,
    struct xt_error *e)
{
	int rc;

	rc = xt_pep_items(s, ks->jid, node, items, n,
	    strcmp(node, XT_NS_PUBKEY) == 0 ? &ks->none : NULL, e);
	if (rc == XT_ENOTFOUND) {
		if (o->cli != NULL)
			xt_cli_note(o->cli, "%s", e->msg);
		*items = NULL;
		*n = 0;
		return XT_OK;
	}
	return rc;
}

/* The XEP-0189 section 7 request to one full JID. */
static int
fetch_direct(struct xt_session *s, struct xt_peerkeys *ks,
    const struct xt_peerkey_opts *o, struct xt_error *e)
{
	struct xt_node *iq, *res = NULL, *pk;
	int rc;

	if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(iq, "type", "get") < 0 ||
	    xt_node_set_attr(iq, "to", o->direct) < 0 ||
	    xt_node_add_elem(iq, "pubkey", XT_NS_PUBKEY) == NULL) {
		xt_node_free(iq);
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	if ((rc = xt_session_iq(s, iq, &res, -1)) < 0)
		xt_error_set(e, rc, "%s", xt_session_errmsg(s));
	else if ((pk = xt_node_child(res, "pubkey", XT_NS_PUBKEY)) != NULL)
		rc = add_key(ks, pk, o->direct, o, e);
	else if (o->cli != NULL)
		xt_cli_note(o->cli, "%s: answer without <pubkey/>", o->direct);
	xt_node_free(iq);
	xt_node_free(res);
	return rc;
}

static int
fetch_pep(struct xt_session *s, struct xt_peerkeys *ks,
    const struct xt_peerkey_opts *o, struct xt_error *e)
{
	struct xt_node **items;
	const struct xt_node *el;
	const char *id;
	char where[XT_ERRLEN];
	size_t n, i;
	int rc;

	if ((rc = fetch(s, ks, XT_NS_PUBKEY, o, &items, &n, e)) < 0)
		return rc;
	for (i = 0; i < n && rc == XT_OK; i++) {
		el = xt_node_child(items[i], "pubkey", XT_NS_PUBKEY);
		id = xt_node_attr(items[i], "id");
		snprintf(where, sizeof(where), "item %s", id ? id : "?");
		xt_oneline(where);
		if (el != NULL)
			rc = add_key(ks, el, where, o, e);
		else if (o->cli != NULL)
			xt_cli_note(o->cli, "%s: no <pubkey/> in it", where);
	}
	xt_pep_items_free(items, n);
	return rc;
}

/*
 * A revocation counts if the revoked key signed it, or another key of the
 * account that is valid and has not revoked itself. Self-revocations are
 * applied first, the others all against that state, so the order of the
 * items changes nothing: a key that revoked itself revokes no other.
 */
static int
apply_revocations(struct xt_peerkeys *ks, struct xt_node **items, size_t n,
    struct xt_cli *cli)
{
	struct xt_error e = { 0, "" };
	struct xt_revocation r;
	const struct xt_node *el;
	const struct xt_pubkey *signer;
	struct xt_peerkey *keys = ks->keys;
	unsigned char *hit;
	size_t i, j, k;
	int rc, pass, self;

	if ((hit = calloc(ks->n + 1, 1)) == NULL)
		return XT_ENOMEM;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			memset(&r, 0, sizeof(r));
			if ((el = xt_node_child(items[i], NULL,
			    XT_NS_REVOKE)) == NULL ||
			    xt_revocation_parse(el, &r, &e) < 0) {
				if (cli != NULL && pass == 0)
					xt_cli_note(cli, "revocation %zu: %s",
					    i + 1, el ? e.msg : "no "
					    "<revocation/> in the item");
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
			for (k = 0; !self && k < ks->n && rc < 0; k++) {
				if (keys[k].v != XT_KEY_VALID || strcasecmp(
				    keys[k].pk.print, r.revocationprint) != 0)
					continue;
				signer = &keys[k].pk;
				rc = xt_revocation_verify(&r, signer, &e);
			}
			if (rc < 0 && cli != NULL)
				xt_cli_note(cli, "revocation of key %.16s "
				    "ignored: %s", r.keyid, self || signer ?
				    e.msg : "no valid key of the account "
				    "signed it");
			for (j = 0; rc == XT_OK && j < ks->n; j++) {
				if (keys[j].v == XT_KEY_MALFORMED ||
				    strcmp(keys[j].pk.keyid, r.keyid) != 0)
					continue;
				if (pass == 0 && keys[j].v == XT_KEY_VALID)
					keys[j].v = XT_KEY_REVOKED;
				hit[j] = 1;
				if (cli != NULL)
					xt_cli_note(cli, "key %.16s: revoked "
					    "at %s by %s", r.keyid, r.time,
					    self ? "itself" : "another key of "
					    "the account");
			}
			xt_revocation_clear(&r);
		}
	for (j = 0; j < ks->n; j++)
		if (hit[j] && keys[j].v == XT_KEY_VALID)
			keys[j].v = XT_KEY_REVOKED;
	free(hit);
	return XT_OK;
}

static void
check_attestations(struct xt_peerkeys *ks, struct xt_node **items, size_t n,
    const struct xt_peerkey_opts *o)
{
	struct xt_error e = { 0, "" };
	struct xt_attest a;
	const struct xt_node *el;
	struct xt_peerkey *keys = ks->keys;
	struct xt_cli *cli = o->cli;
	size_t i, k, s;

	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		if ((el = xt_node_child(items[i], "attest", XT_NS_ATTEST)) ==
		    NULL || xt_attest_parse(el, &a, &e) < 0) {
			if (cli != NULL)
				xt_cli_note(cli, "attestation %zu: %s", i + 1,
				    el ? e.msg : "no <attest/> in the item");
			continue;
		}
		for (k = 0; k < ks->n; k++) {
			if (keys[k].v != XT_KEY_VALID || strcasecmp(
			    keys[k].pk.print, a.keyprint) != 0)
				continue;
			if (o->nsigners == 0 && cli != NULL)
				xt_cli_note(cli, "key %.16s: attested by %s "
				    "at %s (not checked: no --signer)",
				    keys[k].pk.keyid, a.signerjid, a.time);
			for (s = 0; s < o->nsigners; s++) {
				if (xt_attest_verify(&a, &keys[k].pk,
				    &o->signers[s], &e) < 0)
					continue;
				keys[k].attested = 1;
				if (cli != NULL)
					xt_cli_note(cli, "key %.16s: attested "
					    "by %s at %s (verified)",
					    keys[k].pk.keyid, a.signerjid,
					    a.time);
			}
		}
		xt_attest_clear(&a);
	}
	for (k = 0; k < ks->n && o->nsigners > 0; k++)
		if (keys[k].v == XT_KEY_VALID && !keys[k].attested) {
			keys[k].v = XT_KEY_UNATTESTED;
			if (cli != NULL)
				xt_cli_note(cli, "key %.16s: no attestation "
				    "by a --signer", keys[k].pk.keyid);
		}
}

int
xt_peerkeys_fetch(struct xt_session *s, const char *jid,
    const struct xt_peerkey_opts *o, struct xt_peerkeys *ks,
    struct xt_error *e)
{
	struct xt_peerkey_opts oo = *o;
	struct xt_node **items;
	struct xt_jid j;
	size_t n;
	int rc;

	memset(ks, 0, sizeof(*ks));
	if (oo.now == 0)
		oo.now = (int64_t)time(NULL);
	if ((rc = xt_jid_parse(jid, &j, e)) < 0)
		return rc;
	ks->jid = xt_jid_bare(&j);
	xt_jid_free(&j);
	if (ks->jid == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	ks->direct = oo.direct != NULL;
	rc = oo.direct != NULL ? fetch_direct(s, ks, &oo, e) :
	    fetch_pep(s, ks, &oo, e);
	if (rc < 0)
		return rc;
	/*
	 * Attestations first: with signers, a key nobody vouched for is out
	 * before it could sign a revocation of one that is vouched for.
	 */
	if ((rc = fetch(s, ks, XT_NS_ATTEST, &oo, &items, &n, e)) < 0)
		return rc;
	check_attestations(ks, items, n, &oo);
	xt_pep_items_free(items, n);
	if ((rc = fetch(s, ks, XT_NS_REVOKE, &oo, &items, &n, e)) < 0)
		return rc;
	rc = apply_revocations(ks, items, n, oo.cli);
	xt_pep_items_free(items, n);
	if (rc < 0)
		return xt_error_set(e, rc, "out of memory");
	return XT_OK;
}

size_t
xt_peerkeys_valid(const struct xt_peerkeys *ks)
{
	size_t i, valid = 0;

	for (i = 0; i < ks->n; i++)
		valid += ks->keys[i].v == XT_KEY_VALID;
	return valid;
}

/*
 * No key at all: what the server said, which tells a missing key from a
 * missing account where it says so. Prosody answers forbidden for both.
 */
static int
none_published(const struct xt_peerkeys *ks, struct xt_error *e)
{
	const char *c = ks->none;

	if (ks->direct)
		return xt_error_set(e, XT_ENOTFOUND, "%s: no key in its "
		    "answer", ks->jid);
	if (c == NULL)
		return xt_error_set(e, XT_ENOTFOUND, "%s: no key published "
		    "(its key node is empty)", ks->jid);
	if (strcmp(c, "item-not-found") == 0)
		return xt_error_set(e, XT_ENOTFOUND, "%s: no key published "
		    "(item-not-found: the account has no key node)", ks->jid);
	if (strcmp(c, "service-unavailable") == 0 ||
	    strcmp(c, "feature-not-implemented") == 0)
		return xt_error_set(e, XT_ENOTFOUND, "%s: no such account, or "
		    "no PEP service for it (%s)", ks->jid, c);
	return xt_error_set(e, XT_ENOTFOUND, "%s: no key we may read (%s: "
	    "the server does not say whether the account keeps its key from "
	    "us, has none, or does not exist; check the JID)", ks->jid, c);
}

int
xt_peerkeys_none(const struct xt_peerkeys *ks, struct xt_error *e)
{
	char msg[XT_ERRLEN];
	size_t count[XT_KEY_NVERDICTS] = { 0 }, i, len;
	int v;

	if (ks->n == 0)
		return none_published(ks, e);
	for (i = 0; i < ks->n; i++)
		count[ks->keys[i].v]++;
	len = (size_t)snprintf(msg, sizeof(msg), "%s: no valid key:", ks->jid);
	for (v = 1; v < XT_KEY_NVERDICTS && len < sizeof(msg); v++) {
		if (count[v] == 0)
			continue;
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, " %zu %s",
		    count[v], verdicts[v]);
		/* Which: the first such key's. */
		for (i = 0; v == XT_KEY_OTHERJID && i < ks->n; i++)
			if (ks->keys[i].v == XT_KEY_OTHERJID)
				break;
		if (v == XT_KEY_OTHERJID && i < ks->n && len < sizeof(msg))
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			    " (%s)", ks->keys[i].pk.jid);
		if (len < sizeof(msg))
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			    ",");
	}
	if (len < sizeof(msg))
		msg[len - 1] = '\0';
	return xt_error_set(e, XT_ENOTFOUND, "%s", msg);
}

int
xt_peerkeys_pin(const struct xt_peerkeys *ks, const char *dir, int accept,
    struct xt_cli *cli, struct xt_error *e)
{
	char **ids, **now;
	size_t n, i, j, k = 0;
	int rc, known, changed = 0;

	if ((rc = xt_keyring_get(dir, ks->jid, &ids, &n, e)) < 0)
		return rc;
	if ((now = calloc(ks->n + 1, sizeof(*now))) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ks->n; i++) {
		if (ks->keys[i].v != XT_KEY_VALID)
			continue;
		now[k++] = ks->keys[i].pk.keyid;
		for (known = 0, j = 0; j < n && !known; j++)
			known = strcmp(ids[j], ks->keys[i].pk.keyid) == 0;
		if (known || n == 0)
			continue;
		changed = 1;
		if (!accept) {
			rc = xt_error_set(e, XT_EBADSIG, "%s: key changed: "
			    "pinned %s, now %s", ks->jid, ids[0],
			    ks->keys[i].pk.keyid);
			goto out;
		}
	}
	if (n == 0 || changed) {
		if ((rc = xt_keyring_set(dir, ks->jid, now, k, e)) < 0)
			goto out;
		if (cli != NULL)
			xt_cli_note(cli, "%s: %s %zu key%s", ks->jid, n == 0 ?
			    "pinned" : "pins replaced by", k, k == 1 ? "" :
			    "s");
	}
	rc = XT_OK;
out:
	free(now);
	xt_keyring_free(ids, n);
	return rc;
}

int
xt_peerkeys_trust(struct xt_session *s, const char *jid, struct xt_cli *cli,
    struct xt_peerkeys *ks, struct xt_error *e)
{
	struct xt_peerkey_opts o = { 0 };
	int rc;

	o.cli = cli;
	if ((rc = xt_peerkeys_fetch(s, jid, &o, ks, e)) < 0)
		return rc;
	if (xt_peerkeys_valid(ks) == 0)
		return xt_peerkeys_none(ks, e);
	if ((rc = xt_peerkeys_pin(ks, NULL, 0, cli, e)) == XT_EBADSIG)
		strncat(e->msg, " (if you trust the new key: xmpp-fetchkey "
		    "--accept-new)", sizeof(e->msg) - strlen(e->msg) - 1);
	return rc;
}

int
xt_peerkeys_find(const struct xt_peerkeys *ks, const unsigned char *spki,
    size_t len)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (ks->keys[i].v == XT_KEY_VALID &&
		    ks->keys[i].pk.spkilen == len &&
		    memcmp(ks->keys[i].pk.spki, spki, len) == 0)
			return (int)i;
	return -1;
}

void
xt_peerkeys_clear(struct xt_peerkeys *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		xt_pubkey_clear(&ks->keys[i].pk);
	free(ks->keys);
	free(ks->jid);
	memset(ks, 0, sizeof(*ks));
}
