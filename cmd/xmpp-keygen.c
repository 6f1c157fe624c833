/*
 * xmpp-keygen: make an RSA key for a JID, store it with a ready
 * revocation, print its XEP-0189 <pubkey/>; or list the stored keys.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xt.h"

#define DEFAULT_VALID	(365 * 86400LL)

enum { O_FORCE = XT_OPT_TOOL, O_BEGIN, O_END, O_VALID, O_URI, O_PASS,
    O_PASSFILE, O_LIST };

static const struct option longopts[] = {
	{ "bits",		required_argument,	NULL, 'b' },
	{ "output",		required_argument,	NULL, 'o' },
	{ "force",		no_argument,		NULL, O_FORCE },
	{ "begin",		required_argument,	NULL, O_BEGIN },
	{ "end",		required_argument,	NULL, O_END },
	{ "valid",		required_argument,	NULL, O_VALID },
	{ "uri",		required_argument,	NULL, O_URI },
	{ "passphrase",		no_argument,		NULL, O_PASS },
	{ "passphrase-file",	required_argument,	NULL, O_PASSFILE },
	{ "list",		no_argument,		NULL, O_LIST },
	XT_CLI_LONGOPTS
};

static const char usage[] =
    "usage: xmpp-keygen [-v] [-b bits] [-o file] [--force] "
    "[--begin time]\n"
    "                   [--end time | --valid duration] [--uri uri]\n"
    "                   [--passphrase | --passphrase-file file] jid\n"
    "       xmpp-keygen --list [-v]\n";

/* -h: a line on each of its own options, as in the man page. */
static const char options[] =
    "-b, --bits bits\tthe RSA key size: 2048, 3072 (default) or 4096\n"
    "-o, --output file\twrite the private key to file, not the key store\n"
    "--force\treplace existing files\n"
    "--begin time\tthe start of the validity (default: now)\n"
    "--end time\tthe end of the validity\n"
    "--valid duration\tthe length of the validity, such as 90d or 1y\n"
    "--uri uri\tadd a <uri/> element holding uri\n"
    "--passphrase\tencrypt the key with a passphrase asked twice\n"
    "--passphrase-file file\tencrypt the key with the passphrase in file\n"
    "--list\tlist the keys of the key store instead\n";
/* -h: the exit statuses, as in the man page, shortened. */
static const char exits[] =
    "0\tthe key was generated, stored and printed; with --list, listed\n"
    "1\ta local failure: memory, a file, cryptography; with --list, a bad "
    ".pub\n"
    "2\tusage: an option, value, jid, existing file or passphrase; none "
    "written\n";

static struct xt_cli cli = {
	.tool = "xmpp-keygen",
	.usage = usage,
	.options = options,
	.exits = exits,
	.shortopts = "b:o:",
	.longopts = longopts
};

/* "N" followed by d, w, m (30 days) or y (365 days), in seconds. */
static int
duration(const char *s, int64_t *secs)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0 || v > 1000 || end[0] == '\0' ||
	    end[1] != '\0')
		return -1;
	switch (*end) {
	case 'd': *secs = v * 86400; return 0;
	case 'w': *secs = v * 7 * 86400; return 0;
	case 'm': *secs = v * 30 * 86400; return 0;
	case 'y': *secs = v * 365 * 86400; return 0;
	}
	return -1;
}

static int
has_space_or_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* With -o, the three names must be free before the key is made. */
static void
check_free(const char *path, int force)
{
	static const char *suffix[] = { NULL, ".pub", ".rev" };
	struct stat st;
	char *p;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (suffix[i] == NULL)
			p = strdup(path);
		else if (xt_keystore_companion(path, suffix[i], &p) < 0)
			p = NULL;
		if (p == NULL)
			errx(1, "out of memory");
		if (lstat(p, &st) == 0 && (!force || S_ISLNK(st.st_mode)))
			errx(2, "%s: %s", p, S_ISLNK(st.st_mode) ?
			    "a symbolic link; refusing to write through it" :
			    "file exists (use --force to replace it)");
		free(p);
	}
}

/*
 * A stored key's state: what the key store knows, most final first. The
 * records are what xmpp-publish saw the server accept on this machine.
 */
static const char *
state(const struct xt_ownkey *k, int64_t now)
{
	int when = xt_pubkey_when(&k->pk, now);

	if (k->revoked)
		return "revoked";
	if (when > 0)
		return "expired";
	if (when < 0)
		return "not-yet-valid";
	return k->published ? "published" : "unpublished";
}

/*
 * --list: one line per stored key, tab-separated. A file that cannot be
 * read does not hide the others: it is named on stderr and sets the
 * status its error maps to (the highest, if several).
 */
static int
list(int verbose, int64_t now)
{
	struct xt_error e = { 0, "" };
	struct xt_ownkeys ks;
	const struct xt_pubkey *pk;
	char b[32], t[32];
	size_t i;
	int rc, w = verbose ? 64 : 16, status = 0;

	if ((rc = xt_keystore_list(&ks, &e)) < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	if (verbose)
		warnx("%zu key%s in %s", ks.n, ks.n == 1 ? "" : "s", ks.dir);
	for (i = 0; i < ks.n; i++) {
		pk = &ks.keys[i].pk;
		xt_time_format(pk->begin_t, b, sizeof(b));
		xt_time_format(pk->end_t, t, sizeof(t));
		if (printf("%s\t%s\t%s\t%s\t%.*s\t%.*s\n", pk->jid, b, t,
		    state(&ks.keys[i], now), w, pk->print, w, pk->keyid) < 0)
			err(1, "stdout");
	}
	for (i = 0; i < ks.nbad; i++) {
		warnx("%s", ks.bad[i].msg);
		if (xt_exit_status(ks.bad[i].code) > status)
			status = xt_exit_status(ks.bad[i].code);
	}
	xt_ownkeys_clear(&ks);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return status;
}

static char *
serialize(const struct xt_node *n)
{
	char *s;
	size_t len;

	if (n == NULL || xt_xml_serialize(n, NULL, &s, &len) < 0)
		errx(1, "out of memory");
	return s;
}

int
main(int argc, char *argv[])
{
	struct xt_error e = { 0, "" };
	struct xt_jid jid;
	struct xt_keygen g = { 0 };
	struct xt_pubkey pk = { 0 };
	struct xt_node *pubnode;
	const char *out = NULL, *begin_s = NULL, *end_s = NULL, *valid_s = NULL;
	const char *uri = NULL, *passfile = NULL;
	char *bare, *pass = NULL, *keypath, *s;
	int64_t now = (int64_t)time(NULL), begin, until, valid = DEFAULT_VALID;
	unsigned bits = XT_KEY_BITS_DEFAULT;
	int ch, rc, force = 0, ask = 0, encrypted, listing = 0, making = 0;

	while ((ch = xt_cli_next(&cli, &argc, &argv, &e)) > 0) {
		switch (ch) {
		case XT_OPT_SAY:	/* -h, -V */
			return fputs(cli.say, stdout) == EOF;
		case O_LIST:
			listing = 1;
			continue;
		case 'b':
			if ((rc = xt_key_bits(optarg, &bits, &e)) < 0)
				errx(2, "%s", e.msg);
			break;
		case 'o':
			out = optarg;
			break;
		case O_FORCE:
			force = 1;
			break;
		case O_BEGIN:
			begin_s = optarg;
			break;
		case O_END:
			end_s = optarg;
			break;
		case O_VALID:
			valid_s = optarg;
			if (duration(optarg, &valid) < 0)
				errx(2, "--valid: not a duration like 90d, "
				    "6m or 2y: %s", optarg);
			break;
		case O_URI:
			uri = optarg;
			break;
		case O_PASS:
			ask = 1;
			break;
		case O_PASSFILE:
			passfile = optarg;
			break;
		}
		making = 1;	/* an option of making a key */
	}
	if (ch < 0)
		errx(xt_exit_status(ch), "%s", e.msg);
	if (listing && making)
		errx(2, "--list takes no other option than -v (see -h)");
	if (listing && argc > 0)
		errx(2, "--list takes no JID (see -h)");
	if (listing)
		return list(cli.verbose, now);
	if (argc != 1)
		errx(2, argc ? "one JID only (see -h)" : "no JID (see -h)");
	if (end_s != NULL && valid_s != NULL)
		errx(2, "--end and --valid do not go together");
	if (ask && passfile != NULL)
		errx(2, "--passphrase and --passphrase-file do not go "
		    "together");
	if (xt_jid_parse(argv[0], &jid, &e) < 0)
		errx(2, "%s: %s", argv[0], e.msg);
	if (jid.resource != NULL)
		errx(2, "%s: a key belongs to a bare JID, without resource",
		    argv[0]);
	if ((bare = xt_jid_bare(&jid)) == NULL)
		errx(1, "out of memory");
	xt_jid_free(&jid);
	begin = now;
	if (begin_s != NULL && xt_time_arg(begin_s, &begin) < 0)
		errx(2, "--begin: not \"now\" or an XEP-0082 time: %s",
		    begin_s);
	until = begin + valid;
	if (end_s != NULL && xt_time_arg(end_s, &until) < 0)
		errx(2, "--end: not \"now\" or an XEP-0082 time: %s", end_s);
	if (until <= begin)
		errx(2, "the key would end before it begins");
	if (until <= now)
		errx(2, "the key would be expired already");
	if (uri != NULL && (!xt_utf8_valid(uri, strlen(uri)) ||
	    *uri == '\0' || has_space_or_control(uri)))
		errx(2, "--uri: not a URI (no spaces or control characters)");
	if (out != NULL)
		check_free(out, force);
	/* Ask before the slow part, so the user need not wait to type. */
	if ((ask || passfile != NULL) && (rc = xt_passphrase_read(passfile,
	    "passphrase for the new key: ", 1, &pass, &e)) < 0) {
		xt_error_option(&e, "--passphrase-file", passfile);
		errx(xt_exit_status(rc), "%s", e.msg);
	}

	g.jid = bare;
	g.bits = (unsigned)bits;
	g.begin = begin;
	g.end = until;
	g.now = now;
	g.uri = uri;
	g.passphrase = pass;
	g.path = out;
	g.force = force;
	encrypted = pass != NULL;
	rc = xt_keystore_create(&g, &pk, &keypath, &e);
	xt_free_secret(pass);
	if (rc < 0)
		errx(xt_exit_status(rc), "%s", e.msg);
	if ((pubnode = xt_pubkey_node(&pk)) == NULL)
		errx(1, "out of memory");
	if (cli.verbose) {
		char *pp = NULL, *rp = NULL;

		warnx("private key: %s%s", keypath, encrypted ?
		    " (encrypted)" : "");
		if (xt_keystore_companion(keypath, ".pub", &pp) == XT_OK)
			warnx("public key: %s", pp);
		if (xt_keystore_companion(keypath, ".rev", &rp) == XT_OK)
			warnx("revocation, for when the key is lost: %s", rp);
		free(pp);
		free(rp);
		warnx("key id: %s", pk.keyid);
		warnx("print: %s", pk.print);
	}
	s = serialize(pubnode);
	if (printf("%s\n", s) < 0 || fflush(stdout) == EOF)
		err(1, "stdout (the key is stored in %s)", keypath);
	free(s);
	free(keypath);
	free(bare);
	xt_node_free(pubnode);
	xt_pubkey_clear(&pk);
	return 0;
}
