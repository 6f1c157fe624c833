/*
 * config.c: where the account and the password come from (DESIGN.md 2):
 * options first (already in struct xt_config), then the environment, then
 * the config file, then go-sendxmpp's files and ~/.sendxmpprc for users of
 * go-sendxmpp and sendxmpp. Passwords are
 * never taken from the command line and live in secure memory.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <gcrypt.h>

#include "xt.h"

#define CONFIG_MAX	65536
#define SECRET_MAX	4096
#define RC_MAX		8192	/* a sendxmpprc, read into secure memory */

int
xt_file_read(const char *path, size_t max, int flags, char **out,
    size_t *outlen, struct xt_error *e)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, rc, private = flags & XT_FILE_SECRET;

	*out = NULL;
	*outlen = 0;
	/* Non-blocking, so that a FIFO cannot hold us before the check. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return xt_error_set(e, XT_EINVAL, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = xt_error_set(e, XT_EINVAL, "%s: not a regular file",
		    path);
		goto out;
	}
	if ((flags & XT_FILE_TRUSTED) && ((st.st_mode & 022) ||
	    (st.st_uid != getuid() && st.st_uid != 0))) {
		rc = xt_error_set(e, XT_EPERM, (st.st_mode & 022) ?
		    "%s: writable by others (mode %03o); chmod go-w it" :
		    "%s: owned by another user", path,
		    (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (private && (st.st_mode & 077)) {
		rc = xt_error_set(e, XT_EPERM, "%s: readable by others "
		    "(mode %03o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
		goto out;
	}
	buf = private ? gcry_malloc_secure(max + 1) : malloc(max + 1);
	if (buf == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = xt_error_set(e, XT_EINVAL, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += r;
		if (n > max) {
			rc = xt_error_set(e, XT_ETOOBIG, "%s: over %zu bytes",
			    path, max);
			goto out;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	buf = NULL;
	rc = XT_OK;
out:
	if (buf != NULL) {
		xt_wipe(buf, max + 1);
		private ? gcry_free(buf) : free(buf);
	}
	close(fd);
	return rc;
}

/* Set *dst to a copy of v unless an option set it already. */
static int
keep_or_set(char **dst, const char *v)
{
	if (*dst != NULL)
		return XT_OK;
	return (*dst = strdup(v)) != NULL ? XT_OK : XT_ENOMEM;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* A secret copy of s in secure memory. */
static char *
secret_dup(const char *s)
{
	char *p = gcry_malloc_secure(strlen(s) + 1);

	if (p != NULL)
		strcpy(p, s);
	return p;
}

/* $XMPP_PASSWORD, taken out of the environment by xt_config_take_env. */
static char *env_password;

void
xt_config_take_env(void)
{
	char *v;

	if ((v = getenv("XMPP_PASSWORD")) == NULL)
		return;
	xt_free_secret(env_password);
	env_password = *v != '\0' ? secret_dup(v) : NULL;
	/* No child (password_command, a pager) inherits it, nor /proc. */
	xt_wipe(v, strlen(v));
	unsetenv("XMPP_PASSWORD");
}

/* A pin is "sha256:" and the base64 of 32 bytes (DESIGN.md 2). */
static int
pin_ok(const char *v)
{
	unsigned char *raw;
	size_t n;

	if (strncmp(v, "sha256:", 7) != 0 ||
	    xt_b64_decode(v + 7, strlen(v + 7), &raw, &n) < 0)
		return 0;
	free(raw);
	return n == 32;
}

/*
 * Set key to v; keep: do not replace a value already there. XT_ENOTFOUND
 * for an unknown key, XT_EINVAL for a bad value (errno set for a file).
 */
static int
put(struct xt_config *c, const char *key, const char *v, int keep)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} tab[] = {
		{ "jid", offsetof(struct xt_config, jid) },
		{ "password_file", offsetof(struct xt_config, password_file) },
		{ "password_command",
		    offsetof(struct xt_config, password_command) },
		{ "server", offsetof(struct xt_config, server) },
		{ "cafile", offsetof(struct xt_config, cafile) },
		{ "pin", offsetof(struct xt_config, pin) },
		{ "resource", offsetof(struct xt_config, resource) },
		{ "mechanisms", offsetof(struct xt_config, mechanisms) },
	};
	char name[32], **dst;
	size_t i;

	if (strlen(key) >= sizeof(name))
		return XT_ENOTFOUND;
	for (i = 0; key[i] != '\0'; i++)
		name[i] = key[i] == '-' ? '_' : key[i];
	name[i] = '\0';
	if (strcmp(name, "direct_tls") == 0) {
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
			c->direct_tls = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
			c->direct_tls = keep ? c->direct_tls : 0;
		else
			return XT_EINVAL;
		return XT_OK;
	}
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(name, tab[i].key) != 0)
			continue;
		dst = (char **)((char *)c + tab[i].off);
		/* A value that will not be used is not judged either. */
		if (keep && *dst != NULL)
			return XT_OK;
		if (strcmp(name, "pin") == 0 && !pin_ok(v))
			return XT_EINVAL;
		/* Files named by the user are checked before connecting. */
		if ((strcmp(name, "cafile") == 0 ||
		    strcmp(name, "password_file") == 0) &&
		    access(v, R_OK) < 0)
			return XT_EINVAL;
		free(*dst);
		if (strcmp(name, "password_file") == 0)
			c->password_file_cfg = keep;
		return (*dst = strdup(v)) != NULL ? XT_OK : XT_ENOMEM;
	}
	return XT_ENOTFOUND;
}

/*
 * The message for a value put() refused: where is "FILE:LINE: " for the
 * config file, NULL for an option, which is then named (--cafile).
 */
static int
bad_value(struct xt_error *e, const char *where, const char *key,
    const char *v)
{
	char opt[40];
	size_t i;

	snprintf(opt, sizeof(opt), "--%s", key);
	for (i = 2; opt[i] != '\0'; i++)
		opt[i] = opt[i] == '_' ? '-' : opt[i];
	if (strcmp(key, "pin") == 0)
		return xt_error_set(e, XT_EINVAL, "%s%s must be sha256: and "
		    "the base64 of 32 bytes", where ? where : "", where ?
		    "pin" : opt);
	if (strcmp(key, "direct_tls") == 0 || strcmp(key, "direct-tls") == 0)
		return xt_error_set(e, XT_EINVAL, "%sdirect_tls is yes or no, "
		    "not '%s'", where ? where : "", v);
	if (where == NULL)
		return xt_error_set(e, XT_EINVAL, "%s: %s: %s", opt, v,
		    strerror(errno));
	return xt_error_set(e, XT_EINVAL, "%s%s: %s", where, v,
	    strerror(errno));
}

int
xt_config_set(struct xt_config *c, const char *key, const char *value,
    struct xt_error *e)
{
	int rc = put(c, key, value, 0);

	if (rc == XT_ENOTFOUND)
		return xt_error_set(e, XT_EINVAL, "unknown setting '%s'", key);
	if (rc == XT_EINVAL)
		return bad_value(e, NULL, key, value);
	if (rc == XT_ENOMEM)
		return xt_error_set(e, rc, "out of memory");
	return rc;
}

void
xt_config_session(const struct xt_config *c, const char *pw,
    struct xt_session_opts *o)
{
	o->jid = c->jid;
	o->password = pw;
	o->server = c->server;
	o->direct_tls = c->direct_tls;
	o->cafile = c->cafile;
	o->pin = c->pin;
	o->resource = c->resource;
	o->mechanisms = c->mechanisms;
}

static int
parse_config(struct xt_config *c, const char *path, char *text,
    struct xt_error *e)
{
	char *line, *next, *eq, *k, *v, where[4200];
	int lineno = 0, rc = XT_OK;

	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL)
			return xt_error_set(e, XT_EINVAL, "%s:%d: expected "
			    "key = value", path, lineno);
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		/* A file others may read holds no password (DESIGN.md 2). */
		if (strcmp(k, "password") == 0) {
			xt_wipe(v, strlen(v));
			return xt_error_set(e, XT_EINVAL, "%s:%d: no password "
			    "in the config file: put it in a file of its own "
			    "(chmod 600) named by password_file, or use "
			    "password_command", path, lineno);
		}
		/* Config keys use '_': no '-' spelling in the file. */
		if (strchr(k, '-') != NULL || (rc = put(c, k, v, 1)) ==
		    XT_ENOTFOUND)
			return xt_error_set(e, XT_EINVAL, "%s:%d: unknown key "
			    "'%s'", path, lineno, k);
		if (rc == XT_EINVAL) {
			snprintf(where, sizeof(where), "%s:%d: ", path,
			    lineno);
			return bad_value(e, where, k, v);
		}
		if (rc < 0)
			break;
	}
	return rc == XT_OK ? rc : xt_error_set(e, rc, "out of memory");
}

static int
known_rckey(const char *k, size_t n)
{
	static const char *keys[] = { "username", "password", "jserver",
	    "port", "eval_password", "alias", NULL };
	int i;

	for (i = 0; keys[i] != NULL; i++)
		if (strlen(keys[i]) == n && strncmp(k, keys[i], n) == 0)
			return 1;
	return 0;
}

/*
 * ~/.sendxmpprc: go-sendxmpp's "key: value" lines, or sendxmpp's one line
 * "user@host[:port] password".
 */
static int
parse_sendxmpprc(struct xt_config *c, const char *path, char *text,
    struct xt_error *e)
{
	char *line, *next, *k, *v, *host = NULL, *port = NULL, *sp;
	char *user = NULL;
	size_t n;
	char buf[2200];
	int lineno = 0, rc = XT_OK;

	for (line = text; line != NULL && rc == XT_OK; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		/* "key: value" has a lowercase key; sendxmpp's line a jid. */
		n = strspn(k, "abcdefghijklmnopqrstuvwxyz_");
		v = n > 0 && k[n] == ':' ? k + n : NULL;
		if (v != NULL && !known_rckey(k, n))
			continue;	/* a key of some other sendxmpp */
		if (v == NULL) {
			/* sendxmpp: "user@host[:port] password" */
			if ((sp = strpbrk(k, " \t")) == NULL)
				return xt_error_set(e, XT_EINVAL, "%s:%d: "
				    "not a sendxmpp line", path, lineno);
			*sp++ = '\0';
			v = trim(sp);
			/* A trailing component name is not part of it. */
			v[strcspn(v, " \t")] = '\0';
			if ((sp = strchr(k, ';')) != NULL) {
				*sp++ = '\0';
				host = sp;	/* user@host;connecthost */
			}
			if ((sp = strchr(k, ':')) != NULL) {
				*sp++ = '\0';
				port = sp;
				if (host == NULL && strchr(k, '@') != NULL)
					host = strchr(k, '@') + 1;
			}
			if ((rc = keep_or_set(&c->jid, k)) == XT_OK &&
			    c->password == NULL &&
			    (c->password = secret_dup(v)) == NULL)
				rc = XT_ENOMEM;
			xt_wipe(v, strlen(v));
			continue;
		}
		*v++ = '\0';
		v = trim(v);
		if (strcmp(k, "username") == 0)
			user = v;
		else if (strcmp(k, "password") == 0) {
			if (c->password == NULL && *v != '\0' &&
			    (c->password = secret_dup(v)) == NULL)
				rc = XT_ENOMEM;
			xt_wipe(v, strlen(v));
		} else if (strcmp(k, "eval_password") == 0)
			rc = keep_or_set(&c->password_command, v);
		else if (strcmp(k, "jserver") == 0)
			host = v;
		else if (strcmp(k, "port") == 0)
			port = v;
		/* Other go-sendxmpp keys (alias) mean nothing here. */
	}
	/* sendxmpp's username is a localpart; go-sendxmpp's a jid. */
	if (rc == XT_OK && user != NULL && c->jid == NULL) {
		if (strchr(user, '@') == NULL && host != NULL) {
			if (snprintf(buf, sizeof(buf), "%s@%s", user, host) >=
			    (int)sizeof(buf))
				return xt_error_set(e, XT_EINVAL, "%s: username "
				    "too long", path);
			rc = keep_or_set(&c->jid, buf);
		} else
			rc = keep_or_set(&c->jid, user);
	}
	if (rc == XT_OK && c->server == NULL && (host != NULL ||
	    port != NULL)) {
		if (host == NULL && c->jid != NULL &&
		    (host = strchr(c->jid, '@')) != NULL)
			host++;
		if (host != NULL) {
			/* An IPv6 address takes brackets before a port. */
			if (snprintf(buf, sizeof(buf), "%s%s%s%s%s",
			    port && strchr(host, ':') ? "[" : "", host,
			    port && strchr(host, ':') ? "]" : "",
			    port ? ":" : "", port ? port : "") >=
			    (int)sizeof(buf))
				return xt_error_set(e, XT_EINVAL, "%s: jserver "
				    "too long", path);
			rc = keep_or_set(&c->server, buf);
		}
	}
	return rc == XT_OK ? rc : xt_error_set(e, rc, "out of memory");
}

/*
 * $XDG_CONFIG_HOME/name (an absolute one only, as the XDG Base Directory
 * specification says), else ~/.config/name; "" without a home.
 */
static void
config_path(char *buf, size_t len, const char *name)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");

	if (xdg != NULL && *xdg == '/')
		snprintf(buf, len, "%s/%s", xdg, name);
	else if (home != NULL)
		snprintf(buf, len, "%s/.config/%s", home, name);
	else
		buf[0] = '\0';
}

/*
 * The first of go-sendxmpp's account files that exists, in its order:
 * go-sendxmpp/config, go-sendxmpp/sendxmpprc (its older name), then
 * ~/.sendxmpprc (sendxmpp's). 0 if there is none.
 */
static int
find_sendxmpprc(char *buf, size_t len)
{
	static const char *names[] = { "go-sendxmpp/config",
	    "go-sendxmpp/sendxmpprc", NULL };
	const char *home = getenv("HOME");
	struct stat st;
	int i;

	for (i = 0; names[i] != NULL; i++) {
		config_path(buf, len, names[i]);
		if (buf[0] != '\0' && stat(buf, &st) == 0)
			return 1;
	}
	if (home == NULL)
		return 0;
	snprintf(buf, len, "%s/.sendxmpprc", home);
	return stat(buf, &st) == 0;
}

int
xt_config_load(struct xt_config *c, const char *path, struct xt_error *e)
{
	char def[4096], rc_path[4096], *text = NULL;
	struct stat st;
	size_t n;
	int rc;

	if (path == NULL) {
		config_path(def, sizeof(def), "xmpp-tools/config");
		if (def[0] != '\0' && stat(def, &st) == 0)
			path = def;
	}
	if (path != NULL) {
		/* It names commands to run: nobody else may change it. */
		if ((rc = xt_file_read(path, CONFIG_MAX, XT_FILE_TRUSTED,
		    &text, &n, e)) < 0)
			return rc;
		rc = parse_config(c, path, text, e);
		free(text);
		if (rc < 0)
			return rc;
		if ((c->path = strdup(path)) == NULL)
			return xt_error_set(e, XT_ENOMEM, "out of memory");
		return XT_OK;
	}
	if (c->jid != NULL || (getenv("XMPP_JID") != NULL &&
	    *getenv("XMPP_JID") != '\0') ||
	    !find_sendxmpprc(rc_path, sizeof(rc_path)))
		return XT_OK;
	/* It usually holds a password: private, like a key file. */
	if ((rc = xt_file_read(rc_path, RC_MAX, XT_FILE_SECRET |
	    XT_FILE_TRUSTED, &text, &n, e)) < 0)
		return rc;
	rc = parse_sendxmpprc(c, rc_path, text, e);
	xt_free_secret(text);
	if (rc == XT_OK && (c->path = strdup(rc_path)) == NULL)
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
	c->sendxmpprc = 1;
	return rc;
}

int
xt_config_account(struct xt_config *c, const char *opt, struct xt_error *e)
{
	const char *env = getenv("XMPP_JID"), *pick;
	struct xt_jid j;
	int rc;

	pick = opt ? opt : (env && *env) ? env : c->jid;
	if (pick == NULL)
		return xt_error_set(e, XT_EINVAL, "no account: use -a JID, "
		    "$XMPP_JID or jid in the config file");
	if ((rc = xt_jid_parse(pick, &j, e)) < 0)
		return rc;
	rc = j.local == NULL || j.resource != NULL ? xt_error_set(e,
	    XT_EINVAL, "%s: the account must be a bare jid user@domain",
	    pick) : XT_OK;
	xt_jid_free(&j);
	if (rc < 0)
		return rc;
	if (pick != c->jid) {
		/* The rc password belongs to the rc account alone. */
		if (c->password != NULL && (c->jid == NULL ||
		    xt_jid_streq(pick, c->jid, 1) != 1)) {
			xt_free_secret(c->password);
			c->password = NULL;
		}
		free(c->jid);
		if ((c->jid = strdup(pick)) == NULL)
			return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	return XT_OK;
}

/* Keep the first line of a secret read from a file or a command. */
static int
first_line(char *buf, const char *what, char **pw, struct xt_error *e)
{
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0')
		return xt_error_set(e, XT_EINVAL, "%s: empty password", what);
	if ((*pw = secret_dup(buf)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	return XT_OK;
}

static int
from_command(const char *cmd, char **pw, struct xt_error *e)
{
	char *buf, sink[512] = { 0 };
	size_t n = 0;
	ssize_t r;
	int p[2], status, rc;
	pid_t pid;

	if ((buf = gcry_malloc_secure(SECRET_MAX + 1)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if (pipe(p) < 0) {
		gcry_free(buf);
		return xt_error_set(e, XT_ESYS, "pipe: %s", strerror(errno));
	}
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		gcry_free(buf);
		return xt_error_set(e, XT_ESYS, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* stdin is the tool's data, never the command's. */
		int null = open("/dev/null", O_RDONLY);

		signal(SIGPIPE, SIG_DFL);	/* as any command expects */

		if (null >= 0)
			dup2(null, 0);
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* Read to the end, keeping the first SECRET_MAX bytes, so that a
	   talkative command cannot block on a full pipe. */
	for (;;) {
		r = read(p[0], n < SECRET_MAX ? buf + n : sink, n < SECRET_MAX ?
		    SECRET_MAX - n : sizeof(sink));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (n < SECRET_MAX)
			n += r;
	}
	xt_wipe(sink, sizeof(sink));
	buf[n] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = xt_error_set(e, XT_EINVAL, "password_command failed "
		    "(status %d)", WIFEXITED(status) ? WEXITSTATUS(status) :
		    -1);
	else
		rc = first_line(buf, "password_command", pw, e);
	xt_wipe(buf, SECRET_MAX + 1);
	gcry_free(buf);
	return rc;
}

static volatile sig_atomic_t caught;

static void
on_tty_signal(int sig)
{
	caught = sig;
}

/*
 * Ask on the terminal fd with echo off, after a printf-style prompt:
 * buf[SECRET_MAX + 1] gets the line typed, without its newline.
 */
static void __attribute__((format(printf, 3, 4)))
tty_ask(int fd, char *buf, const char *fmt, ...)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa, old_sa[4];
	struct termios old, raw;
	va_list ap;
	size_t n = 0, i;
	ssize_t r;
	int saved = 0;

	/*
	 * A signal while echo is off: put the terminal back first, then let
	 * the signal do what it would have done.
	 */
	caught = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tty_signal;	/* no SA_RESTART: read returns */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old_sa[i]);
	/* Echo off before the prompt: nothing typed after it is shown. */
	if (tcgetattr(fd, &old) == 0) {
		saved = 1;
		raw = old;
		raw.c_lflag &= ~(ECHO | ECHONL);
		tcsetattr(fd, TCSAFLUSH, &raw);
	}
	va_start(ap, fmt);
	vdprintf(fd, fmt, ap);
	va_end(ap);
	while (n < SECRET_MAX && !caught) {
		if ((r = read(fd, buf + n, 1)) != 1 || buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	if (saved)
		tcsetattr(fd, TCSAFLUSH, &old);
	dprintf(fd, "\n");
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old_sa[i], NULL);
	if (caught) {
		xt_wipe(buf, n);
		buf[0] = '\0';
		raise(caught);
	}
}

static int
tty_open(void)
{
	return open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
}

static int
from_tty(const char *jid, char **pw, struct xt_error *e)
{
	char *buf;
	int fd, rc;

	if ((fd = tty_open()) < 0)
		return xt_error_set(e, XT_EINVAL, "no password: use "
		    "--password-file, password_command or $XMPP_PASSWORD");
	if ((buf = gcry_malloc_secure(SECRET_MAX + 1)) == NULL) {
		close(fd);
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	tty_ask(fd, buf, "password for %s: ", jid ? jid : "the account");
	close(fd);
	rc = first_line(buf, "terminal", pw, e);
	xt_wipe(buf, SECRET_MAX + 1);
	gcry_free(buf);
	return rc;
}

int
xt_config_password(const struct xt_config *c, char **pw, struct xt_error *e)
{
	const char *env;
	char *buf;
	size_t n;
	int rc;

	xt_config_take_env();
	env = env_password;
	*pw = NULL;
	if (c->password_file != NULL) {
		if ((rc = xt_file_read(c->password_file, SECRET_MAX,
		    XT_FILE_SECRET, &buf,
		    &n, e)) < 0)
			return rc;
		rc = first_line(buf, c->password_file, pw, e);
		xt_free_secret(buf);
		return rc;
	}
	if (c->password_command != NULL)
		return from_command(c->password_command, pw, e);
	if (c->password != NULL)
		return (*pw = secret_dup(c->password)) ? XT_OK :
		    xt_error_set(e, XT_ENOMEM, "out of memory");
	if (env != NULL && *env != '\0')
		return (*pw = secret_dup(env)) ? XT_OK :
		    xt_error_set(e, XT_ENOMEM, "out of memory");
	return from_tty(c->jid, pw, e);
}

const char *
xt_config_password_source(const struct xt_config *c, char *buf, size_t len)
{
	const char *file = c->path ? c->path : "the config file";

	xt_config_take_env();
	if (c->password_file != NULL && c->password_file_cfg)
		snprintf(buf, len, "password_file in %s", file);
	else if (c->password_file != NULL)
		snprintf(buf, len, "--password-file %s", c->password_file);
	else if (c->password_command != NULL)
		snprintf(buf, len, "%s in %s", c->sendxmpprc ?
		    "eval_password" : "password_command", file);
	else if (c->password != NULL)
		snprintf(buf, len, "password in %s", file);
	else if (env_password != NULL && *env_password != '\0')
		snprintf(buf, len, "$XMPP_PASSWORD");
	else
		snprintf(buf, len, "the terminal");
	xt_oneline(buf);
	return buf;
}

void
xt_config_clear(struct xt_config *c)
{
	free(c->jid);
	free(c->password_file);
	free(c->password_command);
	free(c->server);
	free(c->cafile);
	free(c->pin);
	free(c->resource);
	free(c->mechanisms);
	free(c->path);
	xt_free_secret(c->password);
	memset(c, 0, sizeof(*c));
}

/* The first line of buf as an owned secret; "" is refused. */
static int
passphrase_line(char *buf, const char *what, char **out, struct xt_error *e)
{
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0')
		return xt_error_set(e, XT_EINVAL, "%s%sempty passphrase",
		    what ? what : "", what ? ": " : "");
	if ((*out = secret_dup(buf)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	return XT_OK;
}

int
xt_passphrase_read(const char *file, const char *prompt, int confirm,
    char **out, struct xt_error *e)
{
	char *buf = NULL, *again = NULL;
	size_t n;
	int fd = -1, rc;

	*out = NULL;
	if (file != NULL) {
		if ((rc = xt_file_read(file, SECRET_MAX, XT_FILE_SECRET, &buf,
		    &n, e)) < 0)
			return rc;
		rc = passphrase_line(buf, file, out, e);
		xt_free_secret(buf);
		return rc;
	}
	if ((fd = tty_open()) < 0)
		return xt_error_set(e, XT_EINVAL, "no terminal to ask for the "
		    "passphrase: use --passphrase-file");
	if ((buf = gcry_malloc_secure(SECRET_MAX + 1)) == NULL ||
	    (confirm && (again = gcry_malloc_secure(SECRET_MAX + 1)) ==
	    NULL)) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	tty_ask(fd, buf, "%s", prompt ? prompt : "passphrase: ");
	if (confirm && buf[0] != '\0') {
		tty_ask(fd, again, "again: ");
		/* Lengths first: xt_ct_memcmp reads n bytes of both. */
		if (strlen(buf) != strlen(again) ||
		    xt_ct_memcmp(buf, again, strlen(buf)) != 0) {
			rc = xt_error_set(e, XT_EINVAL, "passphrases differ");
			goto out;
		}
	}
	rc = passphrase_line(buf, NULL, out, e);
out:
	if (buf != NULL) {
		xt_wipe(buf, SECRET_MAX + 1);
		gcry_free(buf);
	}
	if (again != NULL) {
		xt_wipe(again, SECRET_MAX + 1);
		gcry_free(again);
	}
	close(fd);
	return rc;
}
