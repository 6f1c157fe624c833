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

static const char *cur;		/* the writer under test */

/* tmp/cur/sub into buf[512]. */
static char *
in(char *buf, const char *sub)
{
	snprintf(buf, 512, "%s/%s%s%s", tmp, cur, *sub ? "/" : "", sub);
	return buf;
}

/* A test description naming the writer. */
static const char *
t(const char *what)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s: %s", cur, what);
	return buf[i];
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

static int
is_link(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static void
test_writer(writer w, const char *how)
{
	struct xt_error e = { 0, "" };
	struct rlimit rl, old;
	char d[512], p[512], q[512], big[100], m1[XT_ERRLEN], *before, *after;
	mode_t um;
	int hidden, r1, r2, r3;

	cur = how;
	if (mkdir(in(d, ""), 0755) < 0)
		abort();

	/* A new file: 0600 even under umask 000. */
	in(p, "a");
	um = umask(0);
	is_int(w(p, "hello", 5, 0, &e), XT_OK, t("new file written"));
	umask(um);
	is_int(mode_of(p), 0600, t("mode 0600 under umask 000"));
	is_str(slurp(p), "hello", t("its bytes"));
	no_temp(d, how);

	/* An existing file is kept as it was. */
	is_int(w(p, "other", 5, 0, &e), XT_EEXIST, t("existing file refused"));
	ok(strstr(e.msg, p) != NULL && strstr(e.msg, "file exists") != NULL,
	    "%s: says so (%s)", how, e.msg);
	is_str(slurp(p), "hello", t("its bytes unchanged"));
	no_temp(d, how);

	/* XT_WRITE_FORCE replaces a regular file. */
	um = umask(0);
	is_int(w(p, "new", 3, XT_WRITE_FORCE, &e), XT_OK,
	    t("force replaces"));
	umask(um);
	is_str(slurp(p), "new", t("the new bytes"));
	is_int(mode_of(p), 0600, t("mode 0600"));
	no_temp(d, how);
	put(p, "loose", 0644);
	is_int(w(p, "tight", 5, XT_WRITE_FORCE, &e), XT_OK,
	    t("force replaces a 0644 file"));
	is_int(mode_of(p), 0600, t("with a 0600 one"));
	/* A umask that takes the owner's bits does not make a 0400 key. */
	um = umask(0277);
	is_int(w(in(p, "b"), "x", 1, 0, &e), XT_OK, t("under umask 0277"));
	umask(um);
	is_int(mode_of(p), 0600, t("still mode 0600"));

	/* Symlinks, live or dangling, are never followed nor replaced. */
	put(in(q, "target"), "T", 0644);
	if (symlink("target", in(p, "live")) < 0)
		abort();
	is_int(w(p, "x", 1, 0, &e), XT_EEXIST, t("live symlink refused"));
	is_int(w(p, "x", 1, XT_WRITE_FORCE, &e), XT_EEXIST,
	    t("live symlink refused with force"));
	ok(strstr(e.msg, "not a regular file") != NULL, "%s: says so (%s)",
	    how, e.msg);
	is_str(slurp(q), "T", t("target untouched"));
	is_int(mode_of(q), 0644, t("target mode untouched"));
	ok(is_link(p), "%s: the link is still there", how);
	if (symlink("nothere", in(p, "dangling")) < 0)
		abort();
	is_int(w(p, "x", 1, 0, &e), XT_EEXIST, t("dangling symlink refused"));
	is_int(w(p, "x", 1, XT_WRITE_FORCE, &e), XT_EEXIST,
	    t("dangling symlink refused with force"));
	ok(!exists(in(q, "nothere")), "%s: its target not created", how);
	ok(is_link(p), "%s: the link is still there", how);
	mkdir(in(p, "sub"), 0700);
	is_int(w(p, "x", 1, XT_WRITE_FORCE, &e), XT_EEXIST,
	    t("a directory refused with force"));
	no_temp(d, how);

	/* Missing parents: an error, or made 0700 with XT_WRITE_MKDIR. */
	before = listing(d, &hidden);
	in(p, "p/q/f");
	is_int(w(p, "x", 1, 0, &e), XT_ESYS, t("missing parent: XT_ESYS"));
	ok(strstr(e.msg, "No such file") != NULL, "%s: says why (%s)", how,
	    e.msg);
	after = listing(d, &hidden);
	is_str(after, before, t("nothing created"));
	free(after);
	um = umask(0);
	is_int(w(p, "x", 1, XT_WRITE_MKDIR, &e), XT_OK,
	    t("with MKDIR: written"));
	umask(um);
	is_int(mode_of(in(q, "p")), 0700, t("new parent 0700"));
	is_int(mode_of(in(q, "p/q")), 0700, t("and its child 0700"));
	is_int(mode_of(p), 0600, t("the file 0600"));
	chmod(in(q, "p"), 0755);
	is_int(w(in(p, "p/r/s/f"), "x", 1, XT_WRITE_MKDIR, &e), XT_OK,
	    t("MKDIR again"));
	is_int(mode_of(in(q, "p")), 0755, t("an existing parent untouched"));
	no_temp(in(q, "p/r/s"), how);
	is_int(w(in(p, "a/f"), "x", 1, XT_WRITE_MKDIR, &e), XT_ESYS,
	    t("MKDIR through a file refused"));
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
	/* No test output meanwhile: stdout may be a file. */
	setrlimit(RLIMIT_FSIZE, &rl);
	r1 = w(in(p, "big"), big, sizeof(big), 0, &e);
	snprintf(m1, sizeof(m1), "%s", e.msg);
	r2 = w(in(p, "new1/new2/big"), big, sizeof(big), XT_WRITE_MKDIR, &e);
	r3 = w(in(p, "target"), big, sizeof(big), XT_WRITE_FORCE, &e);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	is_int(r1, XT_ESYS, t("a failed write: XT_ESYS"));
	ok(strstr(m1, "too large") != NULL, "%s: says why (%s)", how, m1);
	is_int(r2, XT_ESYS, t("the same with MKDIR"));
	is_int(r3, XT_ESYS, t("the same with force"));
	after = listing(d, &hidden);
	is_str(after, before, t("the directory listing unchanged"));
	is_int(hidden, 0, t("no hidden name"));
	is_str(slurp(in(p, "target")), "T",
	    t("the file force would have replaced unchanged"));
	free(after);

	/*
	 * A directory we may not write to. Root ignores modes: then the
	 * write is tried by a child that has become nobody.
	 */
	chmod(d, 0500);
	if (geteuid() != 0)
		r1 = w(in(p, "ro"), "x", 1, 0, &e);
	else {
		pid_t pid;
		int st = 0;

		if ((pid = fork()) < 0)
			abort();
		if (pid == 0) {
			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(99);
			_exit(-w(in(p, "ro"), "x", 1, 0, &e));
		}
		waitpid(pid, &st, 0);
		r1 = WIFEXITED(st) && WEXITSTATUS(st) != 99 ?
		    -WEXITSTATUS(st) : 99;
	}
	chmod(d, 0755);
	is_int(r1, XT_ESYS, t("read-only directory: XT_ESYS"));
	after = listing(d, &hidden);
	is_str(after, before, t("the directory listing unchanged"));
	free(after);
	free(before);

	is_int(w("", "x", 1, 0, &e), XT_EINVAL, t("empty path refused"));
	is_int(w(in(p, "sub/"), "x", 1, 0, &e), XT_EINVAL,
	    t("a path ending in / refused"));
	is_int(w(in(p, "empty"), "", 0, 0, &e), XT_OK,
	    t("an empty file is fine"));
	is_str(slurp(p), "", t("and empty"));
	no_temp(d, how);
}

static void
test_data_dir(void)
{
	struct xt_error e = { 0, "" };
	char *dir = NULL, xdg[512], home[512], want[700], top[600];
	mode_t um;

	snprintf(xdg, sizeof(xdg), "%s/xdg", tmp);
	snprintf(home, sizeof(home), "%s/home", tmp);
	snprintf(top, sizeof(top), "%s/xmpp-tools", xdg);
	snprintf(want, sizeof(want), "%s/keys", top);
	setenv("XDG_DATA_HOME", xdg, 1);
	setenv("HOME", home, 1);
	is_int(xt_data_dir("keys", 0, &dir, &e), XT_OK, "without create");
	is_str(dir, want, "$XDG_DATA_HOME/xmpp-tools/keys");
	ok(!exists(xdg), "nothing created");
	free(dir);
	um = umask(0);
	is_int(xt_data_dir("keys", 1, &dir, &e), XT_OK, "with create");
	umask(um);
	is_str(dir, want, "the same path");
	is_int(mode_of(top), 0700, "xmpp-tools 0700");
	is_int(mode_of(want), 0700, "keys 0700");
	is_int(mode_of(xdg), 0700, "a missing $XDG_DATA_HOME made 0700");
	free(dir);
	is_int(xt_data_dir(NULL, 0, &dir, &e), XT_OK, "the top");
	is_str(dir, top, "$XDG_DATA_HOME/xmpp-tools");
	free(dir);

	chmod(top, 0777);
	dir = NULL;
	is_int(xt_data_dir("keys", 1, &dir, &e), XT_EPERM,
	    "a 0777 xmpp-tools refused");
	ok(strstr(e.msg, top) != NULL && strstr(e.msg, "writable by others"),
	    "says so (%s)", e.msg);
	ok(dir == NULL, "no path");
	is_int(xt_data_dir(NULL, 0, &dir, &e), XT_EPERM, "also for the top");
	chmod(top, 0770);
	is_int(xt_data_dir("keys", 0, &dir, &e), XT_EPERM,
	    "group-writable refused");
	chmod(top, 0755);
	is_int(xt_data_dir("keys", 0, &dir, &e), XT_OK, "0755 is fine");
	free(dir);
	chmod(want, 0757);
	is_int(xt_data_dir("keys", 0, &dir, &e), XT_EPERM,
	    "a world-writable sub refused");
	chmod(want, 0700);

	setenv("XDG_DATA_HOME", "relative/dir", 1);
	is_int(xt_data_dir("keyring", 1, &dir, &e), XT_OK,
	    "relative $XDG_DATA_HOME");
	snprintf(want, sizeof(want), "%s/.local/share/xmpp-tools/keyring",
	    home);
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
	char p[512], *pw = NULL;

	snprintf(p, sizeof(p), "%s/pp", tmp);

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
	strcat(p, ".none");
	is_int(xt_passphrase_read(p, NULL, 0, &pw, &e), XT_EINVAL,
	    "missing file");
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
	size_t len;
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
	close(p[0]);
	waitpid(pid, &status, 0);
	/* All the terminal showed: the rest, until EIO once the child is gone. */
	len = strlen(echo);
	while (len + 1 < elen && (n = read(master, echo + len,
	    elen - len - 1)) > 0)
		len += n;
	echo[len] = '\0';
	close(master);
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

/* ^C at the prompt: the terminal gets its echo back, then the signal acts. */
static void
test_passphrase_signal(void)
{
	struct xt_error e = { 0, "" };
	struct termios t;
	char seen[256] = "", *pw;
	int master, status = 0, echo = 0;
	pid_t pid;

	if ((pid = forkpty(&master, NULL, NULL, NULL)) < 0)
		abort();
	if (pid == 0) {
		alarm(20);
		xt_passphrase_read(NULL, "pp: ", 0, &pw, &e);
		_exit(0);
	}
	if (expect(master, "pp: ", seen, sizeof(seen)))
		echo_off(master);
	kill(pid, SIGINT);
	waitpid(pid, &status, 0);
	if (tcgetattr(master, &t) == 0)
		echo = (t.c_lflag & ECHO) != 0;
	close(master);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT,
	    "SIGINT at the prompt ends the process by SIGINT");
	ok(echo, "and the terminal echoes again");
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
	ok(strstr(echo, "tty secret") == NULL, "no echo");

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
	test_passphrase_signal();
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", tmp,
	    tmp);
	if (system(cmd) != 0)
		ok(0, "cleanup");
	return done();
}
