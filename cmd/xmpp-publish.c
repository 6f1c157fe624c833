/*
 * xmpp-publish: publish XEP-0189 keys, revocations and attestations (or
 * any one element) to the account's PEP nodes; optionally stay online and
 * hand the key to whoever asks for it directly.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "xt.h"

#define SERVE_TICK_MS	500

enum { O_ACCESS = XT_OPT_TOOL, O_NODE, O_ID, O_RETRACT, O_SERVE,
    O_GENERATE, O_ESESSION, O_EXPIRES, O_PUBLIC, O_MATCH, O_KEY,
    O_PASSFILE };

static const struct option longopts[] = {
	XT_ACCOUNT_LONGOPTS,
	{ "access",		required_argument,	NULL, O_ACCESS },
	{ "node",		required_argument,	NULL, O_NODE },
	{ "id",			required_argument,	NULL, O_ID },
	{ "retract",		required_argument,	NULL, O_RETRACT },
	{ "serve",		no_argument,		NULL, O_SERVE },
	{ "generate",		no_argument,		NULL, O_GENERATE },
	{ "bits",		required_argument,	NULL, 'b' },
	{ "esession",		no_argument,		NULL, O_ESESSION },
	{ "expires",		required_argument,	NULL, O_EXPIRES },
	{ "public",		no_argument,		NULL, O_PUBLIC },
	{ "match-resource",	required_argument,	NULL, O_MATCH },
	{ "key",		required_argument,	NULL, O_KEY },
	{ "passphrase-file",	required_argument,	NULL, O_PASSFILE },
	XT_CLI_LONGOPTS
};

static const char usage[] =
    "usage: xmpp-publish [-v] [-a jid] [-c file] [-r resource] "
    "[--password-file file]\n"
    "                    [--server host[:port]] [--direct-tls] "
    "[--cafile file | --pin sha256:b64]\n"
    "                    [--mechanisms list] [--timeout seconds] "
    "[--debug]\n"
    "                    [--access open|presence|whitelist] "
    "[--node node [--id id]] [file]\n"
    "       xmpp-publish [account options] --retract id --node node\n"
    "       xmpp-publish [account options] --serve [--generate] "
    "[-b bits] [file]\n"
    "       xmpp-publish [account options] --esession [--expires duration] "
    "[--public]\n"
    "                    [--match-resource resource] [--key key "
    "[--passphrase-file file]]\n";

static struct xt_cli cli = {
	.tool = "xmpp-publish",
	.usage = usage,
	.shortopts = "b:",
	.longopts = longopts,
	.login = 1,
	.note = warnx
};

/* One element to publish, checked before anything is sent. */
struct pub {
	struct xt_node	*el;
	const char	*node;
	char		*id;
	struct xt_pubkey pk;		/* for a <pubkey/> */
	struct xt_attest a;		/* for an <attest/> */
	int		 online;	/* a revocation to check once online */
	char		 revoked[65];	/* a revocation: the keyid revoked */
};

/* The three nodes, compared by address below. */
static const char pubkey_node[] = XT_NS_PUBKEY;
static const char revoke_node[] = XT_NS_REVOKE;
static const char attest_node[] = XT_NS_ATTEST;

static struct pub *pubs;
static size_t npubs, nkeys;
static char *account;		/* bare JID of the account */
static struct xt_cli cli;
static volatile sig_atomic_t stopping;

static void __attribute__((noreturn))
die(int rc, const char *what)
{
	errx(xt_exit_status(rc), "%s", xt_cli_close(&cli, what));
}

/* Is r a resourcepart (RFC 7622 3.4) as it is, already prepared? */
static int
resource_ok(const char *r)
{
	struct xt_jid j;
	char *s;
	size_t n = strlen(r) + 16;
	int ok;

	if ((s = malloc(n)) == NULL)
		errx(1, "out of memory");
	snprintf(s, n, "x@example.org/%s", r);
	if ((ok = xt_jid_parse(s, &j, NULL) == XT_OK)) {
		ok = strcmp(j.resource, r) == 0;
		xt_jid_free(&j);
	}
	free(s);
	return ok;
}

/* "90" (seconds), "30m", "12h", "2d": a duration of up to 30 days. */
static int64_t
duration(const char *s)
{
	char *end;
	long v;
	int64_t unit = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*end == 'm' || *end == 'h' || *end == 'd' || *end == 's') {
		unit = *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ?
		    86400 : 1;
		end++;
	}
	if (errno || end == s || *end != '\0' || v <= 0 ||
	    v > 30 * 86400 / unit)
		errx(2, "--expires: a duration like 90 (seconds), 30m, 12h or "
		    "2d, at most 30d");
	return v * unit;
}

static void
on_signal(int sig)
{
	stopping = 1;
}

static char *
xstrdup(const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		die(XT_ENOMEM, "out of memory");
	return d;
}

/* Is the <pubkey/> with that print among the input, and whose? */
static const struct xt_pubkey *
input_key(const char *print)
{
	size_t i;

	for (i = 0; i < npubs; i++)
		if (pubs[i].node == pubkey_node &&
		    strcasecmp(pubs[i].pk.print, print) == 0)
			return &pubs[i].pk;
	return NULL;
}

/* Offline checks of everything read: nothing is sent if one fails. */
static void
check_input(void)
{
	struct xt_error e = { 0, "" };
	struct xt_revocation r;
	struct pub *p;
	size_t i;
	int rc, when;

	for (i = 0; i < npubs; i++) {
		p = &pubs[i];
		if (p->el->ns != NULL && strcmp(p->el->ns, XT_NS_PUBKEY) == 0 &&
		    strcmp(p->el->name, "pubkey") == 0) {
			p->node = pubkey_node;
			if ((rc = xt_pubkey_parse(p->el, &p->pk, &e)) < 0 ||
			    (rc = xt_pubkey_verify(&p->pk, &e)) < 0)
				die(rc, e.msg);
			if (xt_jid_streq(p->pk.jid, account, 0) != 1) {
				snprintf(e.msg, sizeof(e.msg), "the <pubkey/> "
				    "is for %s, not %s: publish it logged in as "
				    "%s (-a)", p->pk.jid, account, p->pk.jid);
				xt_oneline(e.msg);
				die(XT_EINVAL, e.msg);
			}
			if ((when = xt_pubkey_when(&p->pk,
			    (int64_t)time(NULL))) != 0)
				die(XT_EBADSIG, when < 0 ? "the key is not "
				    "valid yet" : "the key has expired");
			nkeys++;
		} else if (p->el->ns != NULL &&
		    strcmp(p->el->ns, XT_NS_ATTEST) == 0 &&
		    strcmp(p->el->name, "attest") == 0) {
			p->node = attest_node;
			if ((rc = xt_attest_parse(p->el, &p->a, &e)) < 0)
				die(rc, e.msg);
		} else if (p->el->ns != NULL &&
		    strcmp(p->el->ns, XT_NS_REVOKE) == 0 &&
		    (strcmp(p->el->name, "revocation") == 0 ||
		    strcmp(p->el->name, "revoke") == 0))
			p->node = revoke_node;
		else
			die(XT_EINVAL, "input holds an element that is no "
			    "<pubkey/>, <revocation/> or <attest/> (use "
			    "--node to publish anything else)");
	}
	/* Revocations: signed by the key itself or by a key given here. */
	for (i = 0; i < npubs; i++) {
		p = &pubs[i];
		if (p->node != revoke_node)
			continue;
		memset(&r, 0, sizeof(r));
		if ((rc = xt_revocation_parse(p->el, &r, &e)) < 0)
			die(rc, e.msg);
		/* Signed by another key not given here: checked online. */
		if (strcasecmp(r.keyprint, r.revocationprint) == 0)
			rc = xt_revocation_verify(&r, NULL, &e);
		else if (input_key(r.revocationprint) != NULL)
			rc = xt_revocation_verify(&r,
			    input_key(r.revocationprint), &e);
		else
			rc = XT_OK, p->online = 1;
		if (rc < 0)
			die(rc, e.msg);
		p->id = xstrdup(r.keyprint);
		memcpy(p->revoked, r.keyid, sizeof(p->revoked));
		xt_revocation_clear(&r);
	}
	for (i = 0; i < npubs; i++)
		if (pubs[i].node == pubkey_node)
			pubs[i].id = xstrdup(nkeys == 1 ? "current" :
			    pubs[i].pk.print);
}

/* A verified <pubkey/> with that print, published by jid (NULL: us). */
static int
fetch_key(const char *jid, const char *print, struct xt_pubkey *pk)
{
	struct xt_error e = { 0, "" };
	struct xt_node **items;
	const struct xt_node *el;
	size_t n, i;
	int rc, found = 0;

	if ((rc = xt_pep_items(cli.sess, jid, XT_NS_PUBKEY, &items, &n, NULL, &e)) ==
	    XT_ENOTFOUND)
		return 0;
	if (rc < 0)
		die(rc, e.msg);
	for (i = 0; i < n && !found; i++) {
		memset(pk, 0, sizeof(*pk));
		if ((el = xt_node_child(items[i], "pubkey", XT_NS_PUBKEY)) ==
		    NULL || xt_pubkey_parse(el, pk, &e) < 0)
			continue;
		found = xt_pubkey_verify(pk, &e) == XT_OK &&
		    strcasecmp(pk->print, print) == 0 &&
		    xt_jid_streq(pk->jid, jid ? jid : account, 1) == 1;
		if (!found)
			xt_pubkey_clear(pk);
	}
	xt_pep_items_free(items, n);
	return found;
}

/*
 * A revocation signed by another key of ours, not in the input: that key
 * must be published on our node.
 */
static void
check_revocations(void)
{
	struct xt_error e = { 0, "" };
	struct xt_revocation r;
	struct xt_pubkey signer;
	size_t i;
	int rc;

	for (i = 0; i < npubs; i++) {
		if (!pubs[i].online)
			continue;
		memset(&r, 0, sizeof(r));
		memset(&signer, 0, sizeof(signer));
		if ((rc = xt_revocation_parse(pubs[i].el, &r, &e)) < 0)
			die(rc, e.msg);
		if (!fetch_key(NULL, r.revocationprint, &signer))
			die(XT_EBADSIG, "a revocation signed by a key that is "
			    "neither the revoked one, nor in the input, nor "
			    "published");
		if ((rc = xt_revocation_verify(&r, &signer, &e)) < 0)
			die(rc, e.msg);
		if (cli.verbose)
			warnx("revocation signed by key %.16s checked",
			    signer.keyid);
		xt_revocation_clear(&r);
		xt_pubkey_clear(&signer);
	}
}

/*
 * An attestation is published only if it verifies: the attested key is
 * ours (in the input or already published), the signer's key is in the
 * input or published by the signer.
 */
static void
check_attestations(void)
{
	struct xt_error e = { 0, "" };
	struct xt_pubkey subject, signer;
	const struct xt_pubkey *s, *k;
	struct pub *p;
	size_t i;
	int rc;

	for (i = 0; i < npubs; i++) {
		p = &pubs[i];
		if (p->node != attest_node)
			continue;
		memset(&subject, 0, sizeof(subject));
		memset(&signer, 0, sizeof(signer));
		if ((k = input_key(p->a.keyprint)) == NULL) {
			if (!fetch_key(NULL, p->a.keyprint, &subject))
				die(XT_EBADSIG, "an <attest/> of a key that is "
				    "not ours (not in the input, not "
				    "published)");
			k = &subject;
		}
		if ((s = input_key(p->a.signerprint)) == NULL) {
			if (!fetch_key(p->a.signerjid, p->a.signerprint,
			    &signer))
				die(XT_EBADSIG, "an <attest/> whose signer's "
				    "key cannot be found to check it");
			s = &signer;
		}
		if ((rc = xt_attest_verify(&p->a, k, s, &e)) < 0)
			die(rc, e.msg);
		if (cli.verbose)
			warnx("attestation by %s checked", p->a.signerjid);
		if ((p->id = malloc(strlen(p->a.keyprint) +
		    strlen(p->a.signerprint) + 2)) == NULL)
			die(XT_ENOMEM, "out of memory");
		sprintf(p->id, "%s-%s", p->a.keyprint, p->a.signerprint);
		xt_pubkey_clear(&subject);
		xt_pubkey_clear(&signer);
	}
}

static void
check_pep(void)
{
	struct xt_error e = { 0, "" };
	int rc;

	if ((rc = xt_pep_check(cli.sess, &e)) < 0)
		die(rc, e.msg);
}

/*
 * What the server accepted, recorded beside our key in the key store for
 * xmpp-keygen --list; a key kept elsewhere has no record. A record that
 * cannot be written is said, and the publish stands.
 */
static void
record(const char *keyid, enum xt_mark m)
{
	struct xt_error e = { 0, "" };
	int rc;

	rc = xt_keystore_mark(keyid, m, (int64_t)time(NULL), &e);
	if (rc < 0 && rc != XT_ENOTFOUND)
		warnx("published, but not recorded in the key store: %s",
		    e.msg);
}

/*
 * The server no longer holds what a record says: forget record m of the
 * account's stored keys with that print (NULL: any), but keep (not NULL)
 * the key with that keyid.
 */
static void
forget(enum xt_mark m, const char *print, const char *keep)
{
	struct xt_error e = { 0, "" };
	struct xt_ownkeys ks;
	const struct xt_ownkey *k;
	size_t i;

	if (xt_keystore_list(&ks, &e) < 0) {
		warnx("records of the key store not updated: %s", e.msg);
		return;
	}
	for (i = 0; i < ks.n; i++) {
		k = &ks.keys[i];
		if (!(m == XT_MARK_PUBLISHED ? k->published : k->revoked) ||
		    xt_jid_streq(k->pk.jid, account, 1) != 1 ||
		    (print != NULL && strcasecmp(k->pk.print, print) != 0) ||
		    (keep != NULL && strcmp(k->pk.keyid, keep) == 0))
			continue;
		if (xt_keystore_unmark(k->pk.keyid, m, &e) < 0)
			warnx("records of the key store: %s", e.msg);
	}
	xt_ownkeys_clear(&ks);
}

static void
publish_all(const char *access)
{
	struct xt_error e = { 0, "" };
	struct xt_pep_opts o = { 0 };
	size_t i;
	int rc;

	for (i = 0; i < npubs; i++) {
		o.access = access;
		o.max_items = pubs[i].node == pubkey_node && nkeys == 1 ?
		    "1" : "max";
		if ((rc = xt_pep_publish(cli.sess, pubs[i].node, pubs[i].id,
		    pubs[i].el, &o, &e)) < 0)
			die(rc, e.msg);
		if (cli.verbose)
			warnx("published to %s, item %s", pubs[i].node,
			    pubs[i].id);
		if (pubs[i].node == revoke_node)
			record(pubs[i].revoked, XT_MARK_REVOKED);
		if (pubs[i].node != pubkey_node)
			continue;
		record(pubs[i].pk.keyid, XT_MARK_PUBLISHED);
		/* A node keeping one item has dropped the keys before. */
		if (nkeys == 1)
			forget(XT_MARK_PUBLISHED, NULL, pubs[i].pk.keyid);
	}
}

static void
send_presence(int generating)
{
	struct xt_node *p, *c;
	int rc;

	/* Negative priority: stored messages stay for the user's clients. */
	if ((p = xt_node_new("presence", XT_NS_CLIENT)) == NULL ||
	    (c = xt_node_add_elem(p, "priority", NULL)) == NULL ||
	    xt_node_add_text(c, "-1", 2) < 0 ||
	    (generating && xt_node_add_elem(p, "generating",
	    XT_NS_PUBKEY) == NULL))
		die(XT_ENOMEM, "out of memory");
	if ((rc = xt_session_send(cli.sess, p)) < 0)
		die(rc, xt_session_errmsg(cli.sess));
	xt_node_free(p);
}

static struct xt_node *
reply(const struct xt_node *iq)
{
	struct xt_node *r;
	const char *from = xt_node_attr(iq, "from");
	const char *id = xt_node_attr(iq, "id");

	if ((r = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(r, "type", "result") < 0 ||
	    (from != NULL && xt_node_set_attr(r, "to", from) < 0) ||
	    (id != NULL && xt_node_set_attr(r, "id", id) < 0))
		die(XT_ENOMEM, "out of memory");
	return r;
}

/*
 * --esession, before the network: the key that signs the options must be
 * one of the account's, valid until they expire (its <pubkey/> is stored
 * next to it), and its passphrase is asked for now.
 */
static struct xt_key *
esession_key(const char *keyspec, const char *passfile, int64_t until,
    char **keypath)
{
	struct xt_error e = { 0, "" };
	struct xt_pubkey pk = { 0 };
	struct xt_key *key;
	unsigned char *spki;
	size_t len;
	int rc;

	if ((rc = xt_key_open_own(keyspec, account, passfile, &key, keypath,
	    &e)) < 0 && xt_error_option(&e, "--key", keyspec) < 0)
		errx(xt_exit_status(rc), "%s", rc == XT_ENOTFOUND && keyspec ==
		    NULL ? "--esession: no key of ours to sign the options "
		    "with (xmpp-keygen makes one)" : e.msg);
	if ((rc = xt_keystore_pub(*keypath, &pk, &e)) < 0)
		errx(xt_exit_status(rc), "--esession: %s", e.msg);
	if (xt_key_spki(key, &spki, &len) < 0)
		errx(1, "out of memory");
	if (len != pk.spkilen || memcmp(spki, pk.spki, len) != 0 ||
	    xt_jid_streq(pk.jid, account, 1) != 1)
		errx(2, "--esession: %s is not a key of %s", *keypath, account);
	if (xt_pubkey_when(&pk, (int64_t)time(NULL)) != 0 ||
	    xt_pubkey_when(&pk, until) != 0)
		errx(1, "--esession: %s is not valid until the options expire "
		    "(%s to %s)", *keypath, pk.begin, pk.end);
	free(spki);
	xt_pubkey_clear(&pk);
	return key;
}

/* --esession: signed offline ESession options, secrets stored first. */
static void
esession(struct xt_key *key, const char *keypath, int64_t expires,
    int everyone, const char *match)
{
	struct xt_error e = { 0, "" };
	struct xt_es_offer o = { 0 };
	char *dir, nonce[33], t[32];
	int rc;

	if ((rc = xt_data_dir("esession", 1, &dir, &e)) < 0)
		die(rc, e.msg);
	check_pep();
	o.jid = account;
	o.expires = expires;
	o.match_resource = match;
	o.keys = (const struct xt_key *const *)&key;
	o.nkeys = 1;
	if ((rc = xt_es_publish(cli.sess, &o, everyone, dir, nonce, &e)) < 0)
		die(rc, e.msg);
	xt_time_format(o.expires, t, sizeof(t));
	xt_cli_note(&cli, "offline ESession options for %s, until %s, "
	    "published to %s", everyone ? "everyone" : "presence subscribers",
	    t, everyone ? XT_NS_ES_EVERYONE : XT_NS_ES_SUBSCRIBERS);
	xt_cli_note(&cli, "signed with %s; secrets in %s/%s", keypath, dir,
	    nonce);
	free(dir);
}

/* Answer direct key requests (XEP-0189 section 7) until told to stop. */
static void
serve(const struct xt_pubkey *pk)
{
	static const char *const features[] = { XT_NS_PUBKEY, XT_NS_REVOKE,
	    XT_NS_ATTEST, NULL };
	struct xt_node *st, *r;
	const char *type;
	int rc;

	xt_session_disco(cli.sess, "xmpp-publish", features);
	xt_session_set_timeout(cli.sess, 0);
	while (!stopping) {
		rc = xt_session_recv(cli.sess, &st, SERVE_TICK_MS);
		if (rc == XT_ETIMEOUT)
			continue;
		if (rc < 0)
			die(rc, xt_session_errmsg(cli.sess));
		type = xt_node_attr(st, "type");
		r = NULL;
		if (strcmp(st->name, "iq") == 0 && type != NULL &&
		    strcmp(type, "get") == 0 &&
		    xt_node_child(st, "pubkey", XT_NS_PUBKEY) != NULL) {
			r = reply(st);
			if (xt_node_add(r, xt_pubkey_node(pk)) == NULL)
				die(XT_ENOMEM, "out of memory");
			/* No 'from': our own account (RFC 6120 8.1.2.1). */
			if (cli.verbose)
				warnx("key sent to %s",
				    xt_node_attr(st, "from") != NULL ?
				    xt_node_attr(st, "from") : cli.cfg.jid);
		} else if ((rc = xt_session_answer_iq(cli.sess, st)) < 0)
			die(rc, xt_session_errmsg(cli.sess));
		if (r != NULL && (rc = xt_session_send(cli.sess, r)) < 0)
			die(rc, xt_session_errmsg(cli.sess));
		xt_node_free(r);
		xt_node_free(st);
	}
	if (cli.verbose)
		warnx("stopping");
}

/* The key to serve: the last one published now, else the key store's. */
static void
serve_key(struct xt_pubkey *pk)
{
	struct xt_error e = { 0, "" };
	char *path;
	size_t i;
	int rc;

	for (i = npubs; i-- > 0; )
		if (pubs[i].node == pubkey_node) {
			*pk = pubs[i].pk;
			memset(&pubs[i].pk, 0, sizeof(pubs[i].pk));
			return;
		}
	if ((rc = xt_keystore_find(NULL, account, &path, &e)) < 0 ||
	    (rc = xt_keystore_pub(path, pk, &e)) < 0)
		die(rc, e.msg);
	free(path);
}

/* --generate: a new key made while online, announced by presence. */
static void
generate(unsigned bits, struct xt_pubkey *pk)
{
	struct xt_error e = { 0, "" };
	struct xt_keygen g = { 0 };
	char *path;
	int rc;

	send_presence(1);
	g.jid = account;
	g.bits = bits;
	g.now = g.begin = (int64_t)time(NULL);
	g.end = g.begin + 365 * 86400LL;
	if ((rc = xt_keystore_create(&g, pk, &path, &e)) < 0)
		die(rc, e.msg);
	if (cli.verbose)
		warnx("new key %s in %s", pk->keyid, path);
	free(path);
	if ((pubs = calloc(1, sizeof(*pubs))) == NULL ||
	    (pubs[0].el = xt_pubkey_node(pk)) == NULL)
		die(XT_ENOMEM, "out of memory");
	memcpy(pubs[0].pk.keyid, pk->keyid, sizeof(pk->keyid));
	npubs = 1;
}

int
main(int argc, char *argv[])
{
	struct xt_error e = { 0, "" };
	struct xt_pubkey current = { 0 };
	struct xt_pep_opts o = { 0 };
	struct sigaction sa;
	const char *access = NULL, *node = NULL, *id = NULL, *retract = NULL;
	const char *path = NULL;
	char *slash;
	size_t i;
	unsigned bits = XT_KEY_BITS_DEFAULT;
	const char *match = NULL, *keyspec = NULL, *passfile = NULL;
	const char *esopt = NULL;
	struct xt_key *eskey = NULL;
	char *eskeypath = NULL;
	int64_t expires = 12 * 3600;
	int ch, rc, serving = 0, gen = 0, bflag = 0, readin, es = 0;
	int everyone = 0;

	while ((ch = xt_cli_next(&cli, &argc, &argv, &e)) > 0) {
		switch (ch) {
		case XT_OPT_SAY:	/* -h, -V */
			return fputs(cli.say, stdout) == EOF;
		case O_ACCESS:
			if (strcmp(optarg, "open") != 0 &&
			    strcmp(optarg, "presence") != 0 &&
			    strcmp(optarg, "whitelist") != 0)
				errx(2, "--access: open, presence or "
				    "whitelist");
			access = optarg;
			break;
		case O_NODE:
			if (*optarg == '\0' || !xt_utf8_valid(optarg,
			    strlen(optarg)))
				errx(2, "--node: not a node name");
			node = optarg;
			break;
		case O_ID:
			id = optarg;
			break;
		case O_RETRACT:
			retract = optarg;
			break;
		case O_SERVE:
			serving = 1;
			break;
		case O_GENERATE:
			gen = 1;
			break;
		case 'b':
			if ((rc = xt_key_bits(optarg, &bits, &e)) < 0)
				errx(2, "%s", e.msg);
			bflag = 1;
			break;
		case O_ESESSION:
			es = 1;
			break;
		case O_EXPIRES:
			expires = duration(optarg);
			esopt = "--expires";
			break;
		case O_PUBLIC:
			everyone = 1;
			esopt = "--public";
			break;
		case O_MATCH:
			if (!resource_ok(optarg))
				errx(2, "--match-resource: not a resource: %s",
				    optarg);
			match = optarg;
			esopt = "--match-resource";
			break;
		case O_KEY:
			keyspec = optarg;
			esopt = "--key";
			break;
		case O_PASSFILE:
			passfile = optarg;
			esopt = "--passphrase-file";
			break;
		}
	}
	if (ch < 0)
		errx(xt_exit_status(ch), "%s", e.msg);
	if (argc > 1)
		errx(2, "one input file at most (see -h)");
	path = argc == 1 ? argv[0] : NULL;
	if (retract != NULL && (node == NULL || id || serving || path))
		errx(2, "--retract takes --node and nothing else");
	if (id != NULL && node == NULL)
		errx(2, "--id goes with --node");
	if (node != NULL && serving)
		errx(2, "--node and --serve do not go together");
	if (gen && !serving)
		errx(2, "--generate goes with --serve");
	if (bflag && !gen)
		errx(2, "-b goes with --generate");
	if (gen && path != NULL)
		errx(2, "--generate reads no input");
	if (esopt != NULL && !es)
		errx(2, "%s goes with --esession", esopt);
	if (es && (path || node || retract || serving || access))
		errx(2, "--esession reads no input and takes none of --node, "
		    "--retract, --serve, --access");

	/* Read and check the input before logging in. */
	readin = retract == NULL && !gen && !es && (!serving ||
	    path != NULL || !isatty(0));
	if (readin) {
		struct xt_node **v;

		/* --serve with nothing on stdin serves the stored key. */
		if ((rc = xt_input_elements(path, XT_INPUT_MAX, &v, &npubs,
		    &e)) < 0 && !(serving && path == NULL &&
		    strstr(e.msg, "(empty input)") != NULL))
			errx(xt_exit_status(rc), "%s", e.msg);
		if (rc < 0)
			npubs = 0;
		if (node != NULL && npubs != 1)
			errx(2, "--node publishes exactly one element");
		if (node != NULL && v[0]->ns == NULL)
			errx(2, "--node: the element needs a namespace");
		if ((pubs = calloc(npubs + 1, sizeof(*pubs))) == NULL)
			errx(1, "out of memory");
		for (i = 0; i < npubs; i++)
			pubs[i].el = v[i];
		if (rc == XT_OK)
			free(v);
	}

	if ((rc = xt_cli_account(&cli, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	account = xstrdup(cli.cfg.jid);
	if ((slash = strchr(account, '/')) != NULL)
		*slash = '\0';
	if (node == NULL && npubs > 0)
		check_input();
	if (es)
		eskey = esession_key(keyspec, passfile, (int64_t)time(NULL) +
		    expires, &eskeypath);
	if ((rc = xt_cli_login(&cli, -1, &e)) < 0)
		die(rc, e.msg);

	if (es)
		esession(eskey, eskeypath, (int64_t)time(NULL) + expires,
		    everyone, match);
	else if (retract != NULL) {
		if ((rc = xt_pep_retract(cli.sess, node, retract, &e)) < 0)
			die(rc, e.msg);
		/* Item "current" is the one key a publish left there. */
		if (strcmp(node, XT_NS_PUBKEY) == 0)
			forget(XT_MARK_PUBLISHED, strcmp(retract, "current") ?
			    retract : NULL, NULL);
		else if (strcmp(node, XT_NS_REVOKE) == 0)
			forget(XT_MARK_REVOKED, retract, NULL);
	} else if (node != NULL) {
		check_pep();
		o.access = access ? access : "presence";
		if ((rc = xt_pep_publish(cli.sess, node, id, pubs[0].el, &o,
		    &e)) < 0)
			die(rc, e.msg);
	} else {
		if (serving) {
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_signal;
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGINT, &sa, NULL);
		}
		if (gen) {
			generate((unsigned)bits, &current);
			nkeys = 1;
			pubs[0].node = pubkey_node;
			pubs[0].id = xstrdup("current");
		}
		if (npubs > 0) {
			check_pep();
			check_revocations();
			check_attestations();
			publish_all(access ? access : "open");
		}
		if (gen)
			send_presence(0);
		if (serving) {
			if (!gen)
				serve_key(&current);
			if (!gen)
				send_presence(0);
			serve(&current);
		}
	}
	xt_cli_close(&cli, NULL);
	for (i = 0; i < npubs; i++) {
		xt_node_free(pubs[i].el);
		free(pubs[i].id);
		xt_pubkey_clear(&pubs[i].pk);
		xt_attest_clear(&pubs[i].a);
	}
	free(pubs);
	xt_pubkey_clear(&current);
	xt_key_free(eskey);
	free(eskeypath);
	free(account);
	return 0;
}
