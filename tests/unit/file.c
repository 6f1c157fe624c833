/*
 * file.c: whole-or-nothing file writes (SECURITY.md 1) through both
 * writers (O_TMPFILE and the named fallback), the data directory, and
 * passphrases from a file or a terminal (a pseudo-terminal here).
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "xt.h"
#include "tap.h"

static char tmp[] = "/tmp/xt-file-XXXXXX";

typedef int (*writer)(const char *, const void *, size_t, int,
    struct xt_error *);

static const char *
at(const char *fmt, const char *name)
{
	static char path[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/", tmp);
	snprintf(path[i] + strlen(path[i]), sizeof(path[i]) - strlen(path[i]),
	    fmt, name);
	return path[i];
}

/* The names in dir, sorted, one string; hidden ones marked. */
static char *
listing(const char *dir, int *hidden)
{
	struct dirent **ents;
	char *s;
	size_t len = 1;
	int i, n;

	*hidden = 0;
	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0)
		return strdup("(none)");
	for (i = 0; i < n; i++)
		len += strlen(ents[i]->d_name) + 1;
	s = calloc(1, len);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] == '.' &&
		    strcmp(ents[i]->d_name, ".") != 0 &&
		    strcmp(ents[i]->d_name, "..") != 0)
			(*hidden)++;
		strcat(s, ents[i]->d_name);
		strcat(s, " ");
		free(ents[i]);
	}
	free(ents);
	return s;
}

/* No temporary name left in dir. */
static void
no_temp(const char *dir, const char *what)
{
	int hidden;

	free(listing(dir, &hidden));
	if (!ok(hidden == 0, "%s: no temporary file left", what))
		printf("#   %d hidden names in %s\n", hidden, dir);
}

static char *
slurp(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void
put(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	fchmod(fd, mode);
	close(fd);
}

static unsigned
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 01;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
test_writer(writer w, const char *how)
{
	struct xt_error e = { 0, "" };
	struct rlimit rl, old;
	char name[64], big[100], *before, *after;
	const char *d, *p, *t;
	mode_t um;
	int hidden;

	snprintf(name, sizeof(name), "%s", how);
	d = at("%s", name);
	if (mkdir(d, 0755) < 0)
		abort();

	/* A new file: 0600 even under umask 000. */
	p = at("%s/a", name);
	um = umask(0);
	is_int(w(p, "hello", 5, 0, &e), XT_OK, "%s: new file written");
	umask(um);
	is_int(mode_of(p), 0600, "mode 0600 under umask 000");
	is_str(slurp(p), "hello", "its bytes");
	no_temp(d, how);

	/* An existing file is kept as it was. */
	is_int(w(p, "other", 5, 0, &e), XT_EEXIST, "existing file refused");
	ok(strstr(e.msg, p) != NULL && strstr(e.msg, "file exists") != NULL,
	    "says so (%s)", e.msg);
	is_str(slurp(p), "hello", "its bytes unchanged");
	no_temp(d, how);

	/* --force replaces a regular file. */
	um = umask(0);
	is_int(w(p, "new", 3, XT_WRITE_FORCE, &e), XT_OK, "force replaces");
	umask(um);
	is_str(slurp(p), "new", "the new bytes");
	is_int(mode_of(p), 0600, "mode 0600");
	no_temp(d, how);
	put(p, "loose", 0644);
	is_int(w(p, "tight", 5, XT_WRITE_FORCE, &e), XT_OK,
	    "force replaces a 0644 file");
	is_int(mode_of(p), 0600, "with a 0600 one");

	/* Symlinks, live or dangling, are never followed nor replaced. */
	t = at("%s/target", name);
	put(t, "T", 0644);
	p = at("%s/live", name);
	if (symlink("target", p) < 0)
		abort();
	is_int(w(p, "x", 1, 0, &e), XT_EEXIST, "live symlink refused");
	is_int(w(p, "x", 1, XT_WRITE_FORCE, &e), XT_EEXIST,
	    "live symlink refused with force");
	ok(strstr(e.msg, "not a regular file") != NULL, "says so (%s)", e.msg);
	is_str(slurp(t), "T", "target untouched");
	is_int(mode_of(t), 0644, "target mode untouched");
	ok(S_ISLNK(0120000) && mode_of(p) != 01, "the link is still there");
	p = at("%s/dangling", name);
	t = at("%s/nothere", name);
	if (symlink("nothere", p) < 0)
		abort();
	is_int(w(p, "x", 1, 0, &e), XT_EEXIST, "dangling symlink refused");
	is_int(w(p, "x", 1, XT_WRITE_FORCE, &e), XT_EEXIST,
	    "dangling symlink refused with force");
	ok(!exists(t), "its target not created");
	p = at("%s/sub", name);
	mkdir(p, 0700);
	is_int(w(p, "x", 1, XT_WRITE_FORCE, &e), XT_EEXIST,
	    "a directory refused with force");
	no_temp(d, how);

	/* Missing parents: an error, or made 0700 with XT_WRITE_MKDIR. */
	before = listing(d, &hidden);
	p = at("%s/p/q/f", name);
	is_int(w(p, "x", 1, 0, &e), XT_ESYS, "missing parent: XT_ESYS");
	ok(strstr(e.msg, "No such file") != NULL, "says why (%s)", e.msg);
	after = listing(d, &hidden);
	is_str(after, before, "nothing created");
	free(after);
	um = umask(0);
	is_int(w(p, "x", 1, XT_WRITE_MKDIR, &e), XT_OK, "with MKDIR: written");
	umask(um);
	is_int(mode_of(at("%s/p", name)), 0700, "new parent 0700");
	is_int(mode_of(at("%s/p/q", name)), 0700, "and its child 0700");
	is_int(mode_of(p), 0600, "the file 0600");
	chmod(at("%s/p", name), 0755);
	p = at("%s/p/r/s/f", name);
	is_int(w(p, "x", 1, XT_WRITE_MKDIR, &e), XT_OK, "MKDIR again");
	is_int(mode_of(at("%s/p", name)), 0755, "an existing parent untouched");
	no_temp(at("%s/p/r/s", name), how);
	p = at("%s/a/f", name);
	is_int(w(p, "x", 1, XT_WRITE_MKDIR, &e), XT_ESYS,
	    "MKDIR through a file refused");
	free(before);

	/*
	 * A write that fails halfway (a file size limit, which binds root
	 * too) leaves the directory as it was: no file, no temporary name,
	 * no parent made for it.
	 */
	memset(big, 'b', sizeof(big));
	before = listing(d, &hidden);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	rl = old;
	rl.rlim_cur = 10;
	setrlimit(RLIMIT_FSIZE, &rl);
	is_int(w(at("%s/big", name), big, sizeof(big), 0, &e), XT_ESYS,
	    "a failed write: XT_ESYS");
	ok(strstr(e.msg, "too large") != NULL, "says why (%s)", e.msg);
	is_int(w(at("%s/new1/new2/big", name), big, sizeof(big),
	    XT_WRITE_MKDIR, &e), XT_ESYS, "the same with MKDIR");
	is_int(w(at("%s/target", name), big, sizeof(big), XT_WRITE_FORCE, &e),
	    XT_ESYS, "the same with force");
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	after = listing(d, &hidden);
	is_str(after, before, "the directory listing unchanged");
	is_int(hidden, 0, "no hidden name");
	is_str(slurp(at("%s/target", name)), "T", "the file force would "
	    "have replaced unchanged");
	free(after);

	/* A directory we may not write to (root may: then skipped). */
	if (geteuid() == 0) {
		ok(1, "# skip root ignores directory modes");
		ok(1, "# skip root ignores directory modes");
	} else {
		chmod(d, 0500);
		is_int(w(at("%s/ro", name), "x", 1, 0, &e), XT_ESYS,
		    "read-only directory: XT_ESYS");
		chmod(d, 0755);
		after = listing(d, &hidden);
		is_str(after, before, "the directory listing unchanged");
		free(after);
	}
	free(before);

	is_int(w("", "x", 1, 0, &e), XT_EINVAL, "empty path refused");
	is_int(w(at("%s/", name), "x", 1, 0, &e), XT_EINVAL,
	    "a path ending in / refused");
	is_int(w(at("%s/empty", name), "", 0, 0, &e), XT_OK,
	    "an empty file is fine");
	no_temp(d, how);
}

static void
test_data_dir(void)
{
	struct xt_error e = { 0, "" };
	char *dir = NULL, want[600];
	const char *xdg;
	mode_t um;

	xdg = at("%s", "xdg");
	setenv("XDG_DATA_HOME", xdg, 1);
	setenv("HOME", at("%s", "home"), 1);
	is_int(xt_data_dir("keys", 0, &dir, &e), XT_OK, "without create");
	snprintf(want, sizeof(want), "%s/xmpp-tools/keys", xdg);
	is_str(dir, want, "$XDG_DATA_HOME/xmpp-tools/keys");
	ok(!exists(xdg), "nothing created");
	free(dir);
	um = umask(0);
	is_int(xt_data_dir("keys", 1, &dir, &e), XT_OK, "with create");
	umask(um);
	is_str(dir, want, "the same path");
	is_int(mode_of(at("%s/xmpp-tools", "xdg")), 0700, "xmpp-tools 0700");
	is_int(mode_of(dir), 0700, "keys 0700");
	is_int(mode_of(xdg), 0700, "a missing $XDG_DATA_HOME made 0700");
	free(dir);
	is_int(xt_data_dir(NULL, 0, &dir, &e), XT_OK, "the top");
	snprintf(want, sizeof(want), "%s/xmpp-tools", xdg);
	is_str(dir, want, "$XDG_DATA_HOME/xmpp-tools");
	free(dir);

	chmod(want, 0777);
	is_int(xt_data_dir("keys", 1, &dir, &e), XT_EPERM,
	    "a 0777 xmpp-tools refused");
	ok(strstr(e.msg, want) != NULL && strstr(e.msg, "writable by others"),
	    "says so (%s)", e.msg);
	ok(dir == NULL, "no path");
	is_int(xt_data_dir(NULL, 0, &dir, &e), XT_EPERM, "also for the top");
	chmod(want, 0770);
	is_int(xt_data_dir("keys", 0, &dir, &e), XT_EPERM,
	    "group-writable refused");
	chmod(want, 0755);
	is_int(xt_data_dir("keys", 0, &dir, &e), XT_OK, "0755 is fine");
	free(dir);
	chmod(at("%s/xmpp-tools/keys", "xdg"), 0757);
	is_int(xt_data_dir("keys", 0, &dir, &e), XT_EPERM,
	    "a world-writable sub refused");
	chmod(at("%s/xmpp-tools/keys", "xdg"), 0700);

	setenv("XDG_DATA_HOME", "relative/dir", 1);
	is_int(xt_data_dir("keyring", 1, &dir, &e), XT_OK,
	    "relative $XDG_DATA_HOME");
	snprintf(want, sizeof(want), "%s/.local/share/xmpp-tools/keyring",
	    at("%s", "home"));
	is_str(dir, want, "ignored for $HOME/.local/share");
	is_int(mode_of(dir), 0700, "made 0700");
	ok(!exists("relative"), "nothing made under the relative one");
	free(dir);
	unsetenv("HOME");
	is_int(xt_data_dir("keys", 0, &dir, &e), XT_EINVAL,
	    "no $HOME, relative $XDG_DATA_HOME: XT_EINVAL");
	unsetenv("XDG_DATA_HOME");
	is_int(xt_data_dir("keys", 0, &dir, &e), XT_EINVAL,
	    "neither: XT_EINVAL");
}

static void
test_passphrase_file(void)
{
	struct xt_error e = { 0, "" };
	const char *p = at("%s", "pp");
	char *pw = NULL;

	put(p, "s3cret pass\nsecond line\n", 0600);
	is_int(xt_passphrase_read(p, NULL, 0, &pw, &e), XT_OK, "from a file");
	is_str(pw, "s3cret pass", "its first line");
	xt_free_secret(pw);
	put(p, "crlf\r\n", 0600);
	xt_passphrase_read(p, NULL, 1, &pw, &e);
	is_str(pw, "crlf", "CR LF stripped; no confirmation from a file");
	xt_free_secret(pw);
	put(p, "no newline", 0400);
	xt_passphrase_read(p, NULL, 0, &pw, &e);
	is_str(pw, "no newline", "a line without newline");
	xt_free_secret(pw);
	put(p, "s3cret\n", 0640);
	pw = NULL;
	is_int(xt_passphrase_read(p, NULL, 0, &pw, &e), XT_EPERM,
	    "group-readable file refused");
	ok(strstr(e.msg, p) != NULL, "names it (%s)", e.msg);
	ok(pw == NULL, "nothing returned");
	put(p, "\nsecond\n", 0600);
	is_int(xt_passphrase_read(p, NULL, 0, &pw, &e), XT_EINVAL,
	    "empty first line refused");
	ok(strstr(e.msg, "empty passphrase") != NULL, "says so (%s)", e.msg);
	put(p, "", 0600);
	is_int(xt_passphrase_read(p, NULL, 0, &pw, &e), XT_EINVAL,
	    "empty file refused");
	is_int(xt_passphrase_read(at("%s", "nope"), NULL, 0, &pw, &e),
	    XT_EINVAL, "missing file");
}

/* Read from fd until want shows up (or 10 s pass); 1 if it did. */
static int
expect(int fd, const char *want, char *seen, size_t cap)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t len = strlen(seen);
	ssize_t r;

	while (strstr(seen, want) == NULL) {
		if (len + 1 >= cap || poll(&pfd, 1, 10000) <= 0 ||
		    (r = read(fd, seen + len, cap - len - 1)) <= 0)
			return 0;
		len += r;
		seen[len] = '\0';
	}
	return 1;
}

/* Wait until the terminal has echo off (the prompt comes just before). */
static void
echo_off(int fd)
{
	struct timespec ms = { 0, 1000000 };
	struct termios t;
	int i;

	for (i = 0; i < 10000; i++) {
		if (tcgetattr(fd, &t) == 0 && !(t.c_lflag & ECHO))
			return;
		nanosleep(&ms, NULL);
	}
}

/*
 * Run xt_passphrase_read on a pseudo-terminal, typing the lines given
 * after each prompt. Returns the code; *got is what was read, *echo what
 * the terminal showed.
 */
static int
on_tty(int confirm, const char *l1, const char *l2, char *got, size_t glen,
    char *echo, size_t elen, char *msg)
{
	struct xt_error e = { 0, "" };
	char *pw, res[600];
	int p[2], master, status, rc;
	ssize_t n;
	pid_t pid;

	echo[0] = got[0] = msg[0] = '\0';
	if (pipe(p) < 0)
		abort();
	if ((pid = forkpty(&master, NULL, NULL, NULL)) < 0)
		abort();
	if (pid == 0) {
		alarm(20);
		close(p[0]);
		rc = xt_passphrase_read(NULL, "pp: ", confirm, &pw, &e);
		n = snprintf(res, sizeof(res), "%d\n%s\n%s", rc,
		    rc == 0 ? pw : "", e.msg);
		if (write(p[1], res, n) != n)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (expect(master, "pp: ", echo, elen)) {
		echo_off(master);
		dprintf(master, "%s\n", l1);
		if (l2 != NULL && expect(master, "again: ", echo, elen)) {
			echo_off(master);
			dprintf(master, "%s\n", l2);
		}
	}
	n = read(p[0], res, sizeof(res) - 1);
	res[n < 0 ? 0 : n] = '\0';
	/* What the terminal shows after the answers. */
	expect(master, "\n\n", echo, elen);
	close(p[0]);
	close(master);
	waitpid(pid, &status, 0);
	if (sscanf(res, "%d", &rc) != 1)
		return 99;
	if (strchr(res, '\n') != NULL) {
		snprintf(got, glen, "%s", strchr(res, '\n') + 1);
		if (strchr(got, '\n') != NULL) {
			snprintf(msg, 256, "%s", strchr(got, '\n') + 1);
			*strchr(got, '\n') = '\0';
		}
	}
	return rc;
}

static void
test_passphrase_tty(void)
{
	char got[256], echo[1024], msg[256];
	int p[2], rc;
	ssize_t n;
	pid_t pid;

	is_int(on_tty(0, "tty secret", NULL, got, sizeof(got), echo,
	    sizeof(echo), msg), XT_OK, "typed on the terminal");
	is_str(got, "tty secret", "what was typed");
	ok(strstr(echo, "pp: ") != NULL, "the prompt shown");
	ok(strstr(echo, "tty secret") == NULL, "no echo (%s)", echo);

	is_int(on_tty(1, "twice", "twice", got, sizeof(got), echo,
	    sizeof(echo), msg), XT_OK, "typed twice");
	is_str(got, "twice", "what was typed");
	ok(strstr(echo, "again: ") != NULL, "asked again");
	ok(strstr(echo, "twice") == NULL, "no echo either time");

	is_int(on_tty(1, "one", "two", got, sizeof(got), echo, sizeof(echo),
	    msg), XT_EINVAL, "typed differently: XT_EINVAL");
	is_str(msg, "passphrases differ", "says so");
	is_int(on_tty(1, "one", "onE", got, sizeof(got), echo, sizeof(echo),
	    msg), XT_EINVAL, "one bit apart: XT_EINVAL");
	is_int(on_tty(1, "one", "one ", got, sizeof(got), echo, sizeof(echo),
	    msg), XT_EINVAL, "a prefix: XT_EINVAL");
	is_int(on_tty(0, "", NULL, got, sizeof(got), echo, sizeof(echo), msg),
	    XT_EINVAL, "nothing typed: XT_EINVAL");
	is_str(msg, "empty passphrase", "says so");

	/* A process without a controlling terminal. */
	if (pipe(p) < 0 || (pid = fork()) < 0)
		abort();
	if (pid == 0) {
		struct xt_error e = { 0, "" };
		char *pw;

		setsid();
		rc = xt_passphrase_read(NULL, "pp: ", 0, &pw, &e);
		dprintf(p[1], "%d %s", rc, e.msg);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	msg[n < 0 ? 0 : n] = '\0';
	close(p[0]);
	waitpid(pid, NULL, 0);
	ok(sscanf(msg, "%d", &rc) == 1 && rc == XT_EINVAL,
	    "no terminal: XT_EINVAL");
	ok(strstr(msg, "no terminal") && strstr(msg, "--passphrase-file"),
	    "says to use a passphrase file (%s)", msg);
}

int
main(void)
{
	struct xt_error e = { 0, "" };
	char cmd[600];

	if (xt_init(&e) < 0 || mkdtemp(tmp) == NULL) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	test_writer(xt_file_write, "tmpfile");
	test_writer(xt_file_write_named, "named");
	test_data_dir();
	test_passphrase_file();
	test_passphrase_tty();
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", tmp,
	    tmp);
	if (system(cmd) != 0)
		ok(0, "cleanup");
	return done();
}
