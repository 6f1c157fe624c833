/*
 * file.c: writing a file as a whole or not at all (SECURITY.md 1), and the
 * per-user data directory (DESIGN.md 2).
 *
 * The bytes go to a file that has no name yet (O_TMPFILE) or a hidden one
 * in the same directory, are fsync'd, and only then get path's name: by
 * link(2), which never replaces anything, not even a dangling symlink, or
 * with XT_WRITE_FORCE by rename(2), which replaces a symlink itself rather
 * than following it.
 */
#define _GNU_SOURCE		/* O_TMPFILE */

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xt.h"

/* Returned inside this file when the filesystem cannot do O_TMPFILE. */
#define NO_TMPFILE	1

/* Where a file goes. */
struct dest {
	const char	*path;
	char		*dir;		/* its directory, owned */
	const char	*name;		/* its last component, in path */
	size_t		 made;		/* XT_WRITE_MKDIR: length of the
					   shallowest directory we created,
					   0 if none */
};

static int
sys_error(struct xt_error *e, const char *what)
{
	return xt_error_set(e, errno == ENOMEM ? XT_ENOMEM : XT_ESYS,
	    "%s: %s", what, strerror(errno));
}

/* mkdir -p of d->dir, new directories 0700, existing ones untouched. */
static int
make_parents(struct dest *d, struct xt_error *e)
{
	struct stat st;
	char *p, c;
	int rc;

	for (p = d->dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(d->dir, 0700) == 0) {
			if (d->made == 0)
				d->made = strlen(d->dir);
			/* A umask may take the owner's bits too. */
			if (lstat(d->dir, &st) == 0 && S_ISDIR(st.st_mode) &&
			    (st.st_mode & 07777) != 0700)
				chmod(d->dir, 0700);
		} else if (errno != EEXIST || stat(d->dir, &st) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			if (errno == EEXIST)
				errno = ENOTDIR;
			rc = sys_error(e, d->dir);
			*p = c;
			return rc;
		}
		if ((*p = c) == '\0')
			return XT_OK;
	}
}

/* Remove the directories make_parents created, deepest first. */
static void
unmake_parents(struct dest *d)
{
	char *p;

	while (d->made > 0 && strlen(d->dir) >= d->made) {
		if (rmdir(d->dir) < 0 || (p = strrchr(d->dir, '/')) == NULL)
			break;
		while (p > d->dir && p[-1] == '/')
			p--;
		*p = '\0';
	}
}

/*
 * Split path. With XT_WRITE_FORCE, refuse now what rename(2) must not
 * replace; without, link(2) at the end is the one check, as no check made
 * before it could stand against a name appearing meanwhile.
 */
static int
dest_init(struct dest *d, const char *path, int flags, struct xt_error *e)
{
	const char *slash;
	struct stat st;
	size_t len;

	memset(d, 0, sizeof(*d));
	d->path = path;
	slash = strrchr(path, '/');
	d->name = slash ? slash + 1 : path;
	if (*d->name == '\0' || strcmp(d->name, ".") == 0 ||
	    strcmp(d->name, "..") == 0)
		return xt_error_set(e, XT_EINVAL, "%s: not a file name",
		    *path ? path : "\"\"");
	len = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
	if ((d->dir = len ? strndup(path, len) : strdup(".")) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if ((flags & XT_WRITE_FORCE) && lstat(path, &st) == 0 &&
	    !S_ISREG(st.st_mode))
		return xt_error_set(e, XT_EEXIST, "%s: not a regular file",
		    path);
	if (flags & XT_WRITE_MKDIR)
		return make_parents(d, e);
	return XT_OK;
}

/* Make the mode 0600 whatever the umask, write everything, fsync. */
static int
fill(int fd, const void *data, size_t n, const char *path,
    struct xt_error *e)
{
	const char *p = data;
	ssize_t r;

	if (fchmod(fd, 0600) < 0)
		return sys_error(e, path);
	while (n > 0) {
		if ((r = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return sys_error(e, path);
		}
		p += r;
		n -= r;
	}
	if (fsync(fd) < 0)
		return sys_error(e, path);
	return XT_OK;
}

/* A fresh hidden name ".NAME." and six random characters in d's directory. */
static int
tmp_name(const struct dest *d, char *buf, size_t len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[6];
	char sfx[7];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	for (i = 0; i < sizeof(r); i++)
		sfx[i] = set[r[i] % (sizeof(set) - 1)];
	sfx[i] = '\0';
	/* NAME is cut so that the whole stays within NAME_MAX. */
	if (snprintf(buf, len, "%s/.%.200s.%s", d->dir, d->name, sfx) >=
	    (int)len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Hold off the signals that end a process on ^C, kill or hang-up while a
 * temporary name exists, so that they cannot leave it behind; they are
 * delivered once it is gone. (SIGKILL cannot be held.)
 */
static void
hold_signals(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGHUP);
	sigprocmask(SIG_BLOCK, &s, old);
}

/* Best effort: the name is in place already and cannot be taken back. */
void
xt_file_sync_dir(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Did a link through /proc fail only because /proc is not mounted? */
static int
no_proc(void)
{
	return errno == ENOENT && access("/proc/self/fd", F_OK) < 0;
}

static int
write_tmpfile(struct dest *d, const void *data, size_t n, int flags,
    struct xt_error *e)
{
	char proc[64], tmp[PATH_MAX];
	sigset_t old;
	int fd, rc, tries;

	if ((fd = open(d->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)) < 0) {
		/* EISDIR: a kernel that does not know O_TMPFILE. */
		if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
			return NO_TMPFILE;
		return sys_error(e, d->path);
	}
	if ((rc = fill(fd, data, n, d->path, e)) < 0)
		goto out;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!(flags & XT_WRITE_FORCE)) {
		if (linkat(AT_FDCWD, proc, AT_FDCWD, d->path,
		    AT_SYMLINK_FOLLOW) == 0)
			rc = XT_OK;
		else if (errno == EEXIST)
			rc = xt_error_set(e, XT_EEXIST, "%s: file exists",
			    d->path);
		else
			rc = no_proc() ? NO_TMPFILE : sys_error(e, d->path);
		goto out;
	}
	hold_signals(&old);
	for (tries = 0; ; tries++) {
		if (tmp_name(d, tmp, sizeof(tmp)) < 0) {
			rc = sys_error(e, d->path);
			break;
		}
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp,
		    AT_SYMLINK_FOLLOW) == 0) {
			if (rename(tmp, d->path) == 0)
				rc = XT_OK;
			else {
				rc = sys_error(e, d->path);
				unlink(tmp);
			}
			break;
		}
		if (errno != EEXIST || tries == 100) {
			rc = no_proc() ? NO_TMPFILE : sys_error(e, d->path);
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	close(fd);
	return rc;
}

static int
write_named(struct dest *d, const void *data, size_t n, int flags,
    struct xt_error *e)
{
	char tmp[PATH_MAX];
	sigset_t old;
	int fd, rc, tries;

	hold_signals(&old);
	for (tries = 0; ; tries++) {
		if (tmp_name(d, tmp, sizeof(tmp)) < 0) {
			rc = sys_error(e, d->path);
			goto out;
		}
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600)) >= 0)
			break;
		if (errno != EEXIST || tries == 100) {
			rc = sys_error(e, d->path);
			goto out;
		}
	}
	if ((rc = fill(fd, data, n, d->path, e)) == XT_OK) {
		if (flags & XT_WRITE_FORCE) {
			if (rename(tmp, d->path) < 0)
				rc = sys_error(e, d->path);
		} else if (link(tmp, d->path) < 0)
			rc = errno == EEXIST ? xt_error_set(e, XT_EEXIST,
			    "%s: file exists", d->path) : sys_error(e, d->path);
	}
	/* After a rename the name is path's, no longer ours. */
	if (rc < 0 || !(flags & XT_WRITE_FORCE))
		unlink(tmp);
	close(fd);
out:
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int
write_file(const char *path, const void *data, size_t n, int flags,
    int tmpfile, struct xt_error *e)
{
	struct dest d;
	int rc;

	if ((rc = dest_init(&d, path, flags, e)) == XT_OK) {
		rc = tmpfile ? write_tmpfile(&d, data, n, flags, e) :
		    NO_TMPFILE;
		if (rc == NO_TMPFILE)
			rc = write_named(&d, data, n, flags, e);
		if (rc == XT_OK)
			xt_file_sync_dir(d.dir);
	}
	if (rc < 0)
		unmake_parents(&d);
	free(d.dir);
	return rc;
}

int
xt_file_write(const char *path, const void *data, size_t n, int flags,
    struct xt_error *e)
{
	return write_file(path, data, n, flags, 1, e);
}

int
xt_file_write_named(const char *path, const void *data, size_t n,
    int flags, struct xt_error *e)
{
	return write_file(path, data, n, flags, 0, e);
}

/* An existing directory that others may write to is not ours alone. */
static int
check_dir(const char *dir, struct xt_error *e)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return errno == ENOENT ? XT_OK : sys_error(e, dir);
	if (!S_ISDIR(st.st_mode))
		return xt_error_set(e, XT_ESYS, "%s: not a directory", dir);
	if (st.st_mode & 022)
		return xt_error_set(e, XT_EPERM, "%s: writable by others "
		    "(mode %03o); chmod 700 it", dir,
		    (unsigned)(st.st_mode & 0777));
	return XT_OK;
}

int
xt_data_dir(const char *sub, int create, char **out, struct xt_error *e)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	struct dest d;
	char *top = NULL, *dir = NULL;
	int rc;

	*out = NULL;
	if (sub != NULL && *sub == '\0')
		sub = NULL;
	/* A relative $XDG_DATA_HOME is to be ignored (XDG base dir spec). */
	if (xdg != NULL && *xdg == '/')
		rc = asprintf(&top, "%s/xmpp-tools", xdg);
	else if (home != NULL && *home != '\0')
		rc = asprintf(&top, "%s/.local/share/xmpp-tools", home);
	else
		return xt_error_set(e, XT_EINVAL, "no data directory: neither "
		    "$XDG_DATA_HOME nor $HOME is set");
	if (rc < 0)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if ((rc = check_dir(top, e)) == XT_OK && sub == NULL) {
		dir = top;
		top = NULL;
	} else if (rc == XT_OK) {
		if (asprintf(&dir, "%s/%s", top, sub) < 0)
			rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		else
			rc = check_dir(dir, e);
	}
	if (rc == XT_OK && create) {
		memset(&d, 0, sizeof(d));
		d.dir = dir;
		rc = make_parents(&d, e);
	}
	free(top);
	if (rc < 0) {
		free(dir);
		return rc;
	}
	*out = dir;
	return XT_OK;
}
