/*
 * cli.c: the command line every tool shares (DESIGN.md 2) and, for the
 * tools that log in, the way from the account options to a connected
 * session: config file, account, password, session. Above both config
 * and session, so that neither knows the other. Nothing here prints or
 * exits: refusals come back as codes with one line of text, -h and -V as
 * text for the tool to print.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xt.h"

#define TIMEOUT_MAX	2000000		/* seconds: some three weeks */
#define HELP_COL	24		/* -h: the widest option spelling
					   that keeps its text beside it */

/*
 * The -h lines of the options every tool of a kind shares, written once:
 * "spelling\texplanation", the spelling as in the man pages' OPTIONS; a
 * tool whose line for one of them differs gives its own (struct xt_cli).
 */
static const char account_help[] =
    "-a, --account jid\tlog in as jid (else $XMPP_JID, the config file)\n"
    "-c, --config file\tread the settings from file\n"
    "-r, --resource resource\tbind resource (default: the tool's name.8 hex)\n"
    "--password-file file\tread the password from the first line of file\n"
    "--server host[:port]\tconnect to host instead of the SRV targets\n"
    "--direct-tls\tstart with TLS (XEP-0368) instead of STARTTLS\n"
    "--cafile file\ttrust the CAs in file instead of the system store\n"
    "--pin sha256:base64\taccept only the server key of this digest\n"
    "--mechanisms list\tallow only these SASL mechanisms (a,b,...)\n"
    "--timeout seconds\tgive up after seconds, status 6 (0: never)\n"
    "--debug\twrite the XML stream to stderr, SASL redacted\n";
static const char sign_help[] =
    "--time time\tthe time of signing: now (default) or XEP-0082\n"
    "--passphrase-file file\tread the key's passphrase from file\n";
static const char common_help[] =
    "-v, --verbose\texplain on stderr\n"
    "-h, --help\tprint this help and exit\n"
    "-V, --version\tprint the version and exit\n";

/* The widest spelling in list, up to HELP_COL. */
static int
help_width(const char *list, int w)
{
	const char *p, *tab;

	for (p = list; p != NULL && (tab = strchr(p, '\t')) != NULL;
	    p = strchr(tab, '\n') ? strchr(tab, '\n') + 1 : NULL)
		if (tab - p > w && tab - p <= HELP_COL)
			w = (int)(tab - p);
	return w;
}

/* 1 if list has a line for the spelling p (n bytes). */
static int
help_has(const char *list, const char *p, int n)
{
	const char *q;

	for (q = list; q != NULL; q = strchr(q, '\n') ? strchr(q, '\n') + 1 :
	    NULL)
		if (strncmp(q, p, (size_t)n) == 0 && q[n] == '\t')
			return 1;
	return 0;
}

/*
 * The lines of list under heading, each spelling in a column w wide and
 * its text beside it, or below it if the spelling is wider; but not those
 * the tool's own lines (own) say in their own words.
 */
static void
help_lines(FILE *f, const char *heading, const char *list, const char *own,
    int w)
{
	const char *p, *tab, *nl;
	int n;

	if (heading != NULL)
		fprintf(f, "\n%s:\n", heading);
	for (p = list; p != NULL && (tab = strchr(p, '\t')) != NULL;
	    p = nl ? nl + 1 : NULL) {
		nl = strchr(tab, '\n');
		n = (int)(tab - p);
		if (list != own && help_has(own, p, n))
			continue;
		if (n > w)
			fprintf(f, "  %.*s\n  %*s", n, p, w, "");
		else
			fprintf(f, "  %-*.*s", w, n, p);
		fprintf(f, "  %.*s\n", nl ? (int)(nl - tab - 1) :
		    (int)strlen(tab + 1), tab + 1);
	}
}

/*
 * What -h says: the usage, the tool's options and the shared ones, one
 * line each and aligned, and the exit statuses (c->helptext, owned).
 */
static int
help_build(struct xt_cli *c, struct xt_error *e)
{
	FILE *f;
	size_t len;
	int w = 0;

	free(c->helptext);
	c->helptext = NULL;
	if ((f = open_memstream(&c->helptext, &len)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	w = help_width(c->options, w);
	w = help_width(common_help, w);
	if (c->sign)
		w = help_width(sign_help, w);
	if (c->login)
		w = help_width(account_help, w);
	fputs(c->usage, f);
	help_lines(f, "options", c->options, c->options, w);
	if (c->sign)
		help_lines(f, NULL, sign_help, c->options, w);
	help_lines(f, NULL, common_help, c->options, w);
	if (c->login)
		help_lines(f, "account options", account_help, c->options, w);
	if (c->exits != NULL)
		help_lines(f, "exit status", c->exits, c->exits, 1);
	if (fclose(f) != 0 || c->helptext == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	return XT_OK;
}

/* The message for an option getopt_long refused (':' or '?'). */
static const char *
opt_error(int ch, int opt, const char *word, char *buf, size_t len)
{
	/* optopt names a short option; a long one is only in the word. */
	if (ch == ':' && opt != 0 && opt < 256)
		snprintf(buf, len, "-%c needs an argument (see -h)", opt);
	else if (ch == ':')
		snprintf(buf, len, "%s needs an argument (see -h)", word);
	else if (opt != 0 && opt < 256)
		snprintf(buf, len, "unknown option -%c (see -h)", opt);
	else	/* the name only: what follows '=' may be a secret */
		snprintf(buf, len, "unknown option %.*s (see -h)",
		    (int)strcspn(word, "="), word);
	xt_oneline(buf);
	return buf;
}

/*
 * getopt_long takes any unambiguous prefix of a long option. Called after
 * it returned a long option (its name, optind and optarg): NULL if the
 * word was written out in full, else the refusal (in buf), without any
 * "=value".
 */
static const char *
opt_exact(char *const argv[], int ind, const char *arg, const char *name,
    char *buf, size_t len)
{
	const char *w;
	size_t n;

	/* The option's word: before its argument if that came apart. */
	w = arg != NULL && ind >= 2 && arg == argv[ind - 1] ? argv[ind - 2] :
	    argv[ind - 1];
	if (strncmp(w, "--", 2) != 0)
		return NULL;
	n = strcspn(w + 2, "=");
	if (n == strlen(name) && strncmp(w + 2, name, n) == 0)
		return NULL;
	snprintf(buf, len, "unknown option %.*s (see -h; long options are "
	    "not abbreviated)", (int)(n + 2), w);
	xt_oneline(buf);
	return buf;
}

/*
 * -c FILE (opt is its spelling) that cannot be read: say so, naming the
 * option; a JID there is go-sendxmpp's -c ROOM, which a tool that joins
 * rooms (muc) does with --muc, and the others do not do.
 */
static int
config_unreadable(const char *tool, int muc, const char *opt,
    const char *path, struct xt_error *e)
{
	struct xt_jid j;
	int room;

	if (access(path, R_OK) == 0)
		return XT_OK;
	room = strchr(path, '/') == NULL && xt_jid_parse(path, &j, NULL) == 0;
	if (room) {
		room = j.local != NULL && j.resource == NULL;
		xt_jid_free(&j);
	}
	if (room && muc)
		return xt_error_set(e, XT_EINVAL, "%s takes a config file; %s "
		    "looks like a chat room (go-sendxmpp's -c): use --muc %s",
		    opt, path, path);
	if (room)
		return xt_error_set(e, XT_EINVAL, "%s takes a config file; %s "
		    "looks like a chat room (go-sendxmpp's -c): %s does not "
		    "join rooms", opt, path, tool);
	return xt_error_set(e, XT_EINVAL, "%s: %s: %s", opt, path,
	    strerror(errno));
}

/* One of the account options: 1 if it was, 0 if not, or a refusal. */
static int
account_option(struct xt_cli *c, int ch, const char *name, const char *arg,
    struct xt_error *e)
{
	char *end;
	long v;
	int rc;

	switch (ch) {
	case 'a':
		c->account = arg;
		return 1;
	case 'c':
		c->cfgfile = arg;
		rc = config_unreadable(c->tool, c->muc, name ? "--config" :
		    "-c", arg, e);
		return rc < 0 ? rc : 1;
	case 'r':
		rc = xt_config_set(&c->cfg, "resource", arg, e);
		return rc < 0 ? rc : 1;
	case 'p':
		return xt_error_set(e, XT_EINVAL, "passwords are not taken on "
		    "the command line; use --password-file or "
		    "password_command");
	case XT_OPT_CONF:
		/* A setting of the config file, by the option's name. */
		rc = xt_config_set(&c->cfg, name, arg ? arg : "yes", e);
		return rc < 0 ? rc : 1;
	case XT_OPT_TIMEOUT:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end != '\0' || end == arg || v < 0 ||
		    v > TIMEOUT_MAX)
			return xt_error_set(e, XT_EINVAL, "--timeout: not a "
			    "number of seconds: %s", arg);
		c->timeout = v;
		return 1;
	case XT_OPT_DEBUG:
		c->debug = 1;
		return 1;
	}
	return 0;
}

/* One of the signing options: 1 if it was, 0 if not, or a refusal. */
static int
sign_option(struct xt_cli *c, int ch, const char *arg, struct xt_error *e)
{
	switch (ch) {
	case 'k':
		c->keyspec = arg;
		return 1;
	case XT_OPT_TIME:
		c->when = arg;
		if (xt_time_arg(arg, &c->t) < 0)
			return xt_error_set(e, XT_EINVAL, "--time: not \"now\" "
			    "or an XEP-0082 time: %s", arg);
		return 1;
	case XT_OPT_PASSFILE:
		c->passfile = arg;
		return 1;
	case XT_OPT_VERIFY:
		c->verify = 1;
		return 1;
	case XT_OPT_SIGNER:
		c->signer = arg;
		return 1;
	}
	return 0;
}

int
xt_cli_next(struct xt_cli *c, int *argcp, char ***argvp, struct xt_error *e)
{
	int argc = *argcp;
	char **argv = *argvp;
	const char *name;
	int ch, li, rc;

	if (!c->started) {
		c->started = 1;
		if ((rc = xt_init(e)) < 0)
			return rc;
		/* Peers' text reaches stderr, and stdout on a terminal. */
		xt_term_guard();
		c->timeout = -1;
		c->t = (int64_t)time(NULL);
		/* ':' first: one line of our own instead of getopt's two. */
		if ((size_t)snprintf(c->opts, sizeof(c->opts), ":%s%s%svhV",
		    c->login ? XT_ACCOUNT_SHORTOPTS : "", c->sign ?
		    XT_SIGN_SHORTOPTS : "", c->shortopts ? c->shortopts :
		    "") >= sizeof(c->opts))
			return xt_error_set(e, XT_EINVAL, "too many options");
		opterr = 0;
	}
	for (;;) {
		li = -1;
		ch = getopt_long(argc, argv, c->opts, c->longopts, &li);
		if (ch == -1) {
			*argcp = argc - optind;
			*argvp = argv + optind;
			if (c->help && *argcp > 0)
				return xt_error_set(e, XT_EINVAL, "-h takes no "
				    "operand, and %s is one: nothing done",
				    (*argvp)[0]);
			if (c->help) {
				c->help = 0;
				if ((rc = help_build(c, e)) < 0)
					return rc;
				c->say = c->helptext;
				return XT_OPT_SAY;
			}
			if (!c->sign)
				return 0;
			if (*argcp > 1)
				return xt_error_set(e, XT_EINVAL, "one input "
				    "file at most (see -h)");
			if (*argcp == 1 && strcmp((*argvp)[0], "-") != 0)
				c->path = (*argvp)[0];
			return 0;
		}
		name = li >= 0 ? c->longopts[li].name : NULL;
		if (name != NULL && opt_exact(argv, optind, optarg, name,
		    c->buf, sizeof(c->buf)) != NULL)
			return xt_error_set(e, XT_EINVAL, "%s", c->buf);
		if (c->login && (rc = account_option(c, ch, name, optarg,
		    e)) != 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		if (c->sign && (rc = sign_option(c, ch, optarg, e)) != 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		switch (ch) {
		case 'v':
			c->verbose = 1;
			continue;
		case 'h':
			/* Said at the end: -h with operands is a mistake. */
			c->help = 1;
			continue;
		case 'V':
			snprintf(c->buf, sizeof(c->buf), "%s %s\n", c->tool,
			    XT_VERSION);
			c->say = c->buf;
			return XT_OPT_SAY;
		case ':':
		case '?':
			return xt_error_set(e, XT_EINVAL, "%s", opt_error(ch,
			    optopt, argv[optind - 1], c->buf, sizeof(c->buf)));
		}
		return ch;
	}
}

int
xt_cli_account(struct xt_cli *c, struct xt_error *e)
{
	int rc;

	if (c->resolved)
		return XT_OK;
	/* -a first, so that the config file's jid does not override it. */
	if (c->account != NULL &&
	    (rc = xt_config_set(&c->cfg, "jid", c->account, e)) < 0)
		return rc;
	if ((rc = xt_config_load(&c->cfg, c->cfgfile, e)) < 0 ||
	    (rc = xt_config_account(&c->cfg, c->account, e)) < 0)
		return rc;
	c->resolved = 1;
	return XT_OK;
}

/* --debug: the stream, one line per stanza, where the tool said. */
static void
debug_write(void *arg, char dir, const char *text, size_t len)
{
	const struct xt_cli *c = arg;
	char *line;
	ssize_t w;
	size_t off = 0;

	if ((line = malloc(len + 3)) == NULL)
		return;
	line[0] = dir;
	line[1] = ' ';
	memcpy(line + 2, text, len);
	/* What the server sent, made safe for a terminal. */
	len = xt_text_safe(line + 2, len, "\t\n");
	line[len + 2] = '\n';
	while (off < len + 3) {
		w = write(c->debug_fd > 0 ? c->debug_fd : 2, line + off,
		    len + 3 - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
}

/* A refused password says where it came from: the user's next step. */
static int
login_failed(struct xt_cli *c, int rc, struct xt_error *e)
{
	const char *msg = xt_session_errmsg(c->sess);
	char src[XT_ERRLEN];

	if (rc != XT_EAUTH || strncmp(msg, "authentication failed", 21) != 0)
		return xt_error_set(e, rc, "%s", msg);
	return xt_error_set(e, rc, "%s (password from %s)", msg,
	    xt_config_password_source(&c->cfg, src, sizeof(src)));
}

int
xt_cli_login(struct xt_cli *c, int timeout_ms, struct xt_error *e)
{
	struct xt_session_opts so;
	char *pw = NULL;
	int rc;

	if ((rc = xt_cli_account(c, e)) < 0)
		return rc;
	/* A mechanism we do not speak is a typo, not a failed login. */
	if (c->cfg.mechanisms != NULL &&
	    (rc = xt_sasl_check_list(c->cfg.mechanisms, e)) < 0)
		return rc;
	memset(&so, 0, sizeof(so));
	so.tool = c->tool;
	so.reconnect = c->reconnect;
	so.limits.max_total = c->max_input;
	so.timeout_ms = timeout_ms >= 0 ? timeout_ms :
	    (int)((c->timeout < 0 ? 30 : c->timeout) * 1000);
	if (c->debug) {
		so.debug = debug_write;
		so.debug_arg = c;
	}
	if ((rc = xt_config_password(&c->cfg, &pw, e)) < 0)
		return rc;
	xt_config_session(&c->cfg, pw, &so);
	c->sess = xt_session_new(&so);
	xt_free_secret(pw);	/* the session keeps its own copy */
	if (c->sess == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if ((rc = xt_session_connect(c->sess)) < 0)
		return login_failed(c, rc, e);
	if (!c->quiet)
		xt_cli_note(c, "logged in as %s with %s",
		    xt_session_jid(c->sess), xt_session_mech(c->sess));
	return XT_OK;
}

const char *
xt_cli_close(struct xt_cli *c, const char *msg)
{
	if (msg != c->buf)
		snprintf(c->buf, sizeof(c->buf), "%s", msg ? msg : "");
	xt_session_free(c->sess);
	c->sess = NULL;
	xt_config_clear(&c->cfg);
	free(c->helptext);
	c->helptext = NULL;
	return c->buf;
}

int
xt_cli_pubkey(struct xt_cli *c, const char *path, struct xt_pubkey *pk,
    struct xt_error *e)
{
	int rc;

	if ((rc = xt_pubkey_read(path, pk, e)) < 0)
		return rc;
	xt_cli_note(c, "%s: key %.16s of %s, print ok (%s rule)", path ? path :
	    "stdin", pk->keyid, pk->jid, xt_print_rule_name(pk->rule));
	return XT_OK;
}

void
xt_cli_note(struct xt_cli *c, const char *fmt, ...)
{
	char msg[XT_ERRLEN];
	va_list ap;

	if (!c->verbose || c->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->note("%s", msg);
}
