/*
 * term.c: what peers wrote must not drive the terminal. Their text reaches
 * stderr in messages and --debug, and stdout in what the tools print; XML
 * allows the C1 controls (U+0080 to U+009F), which terminals take as
 * escape sequences (U+009B is CSI), and a byte that is no UTF-8 may be one
 * too. stderr is always made safe; stdout only when it is a terminal, so
 * that a pipe or a file gets the bytes as they are (as ls -q decides).
 */
#define _GNU_SOURCE		/* fopencookie */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xt.h"

/*
 * The length of the UTF-8 sequence at s (n bytes there), 0 if it is none
 * (RFC 3629: no overlong form, no surrogate, nothing above U+10FFFF), -1
 * if it may be one but is cut short.
 */
static int
seqlen(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -1;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return len;
}

/*
 * Rewrite s[0..n) in place: each control character (C0 but those in keep,
 * DEL, C1) and each byte that is no UTF-8 becomes '?'. The result is never
 * longer. With more, a sequence cut short at the end is left out and its
 * length put in *left, for the next call; without, it becomes '?'.
 */
static size_t
neutralise(char *s, size_t n, const char *keep, int more, size_t *left)
{
	unsigned char *u = (unsigned char *)s;
	size_t i = 0, o = 0;
	int len;

	if (left != NULL)
		*left = 0;
	while (i < n) {
		len = seqlen(u + i, n - i);
		if (len < 0 && more) {
			*left = n - i;
			break;
		}
		if (len <= 0) {
			u[o++] = '?';
			i++;
		} else if (len == 1 && (u[i] < 0x20 || u[i] == 0x7f) &&
		    (u[i] == '\0' || strchr(keep, u[i]) == NULL)) {
			u[o++] = '?';
			i++;
		} else if (len == 2 && u[i] == 0xc2 && u[i + 1] <= 0x9f) {
			u[o++] = '?';	/* C1 */
			i += 2;
		} else {
			memmove(u + o, u + i, (size_t)len);
			o += (size_t)len;
			i += (size_t)len;
		}
	}
	return o;
}

void
xt_oneline(char *s)
{
	size_t n = neutralise(s, strlen(s), "", 0, NULL);

	s[n] = '\0';
}

size_t
xt_text_safe(char *s, size_t n, const char *keep)
{
	return neutralise(s, n, keep, 0, NULL);
}

/* A stream that writes to fd what neutralise leaves. */
struct guard {
	int		 fd;
	const char	*keep;
	char		 carry[4];	/* a sequence cut by the last write */
	size_t		 ncarry;
};

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t
guard_write(void *cookie, const char *buf, size_t size)
{
	struct guard *g = cookie;
	char tmp[4096 + 4];
	size_t off = 0, k, n, left;

	while (off < size) {
		memcpy(tmp, g->carry, g->ncarry);
		k = size - off < 4096 ? size - off : 4096;
		memcpy(tmp + g->ncarry, buf + off, k);
		off += k;
		n = neutralise(tmp, g->ncarry + k, g->keep, 1, &left);
		/* What was cut short waits for the rest of it. */
		memcpy(g->carry, tmp + g->ncarry + k - left, left);
		g->ncarry = left;
		if (write_all(g->fd, tmp, n) < 0)
			return -1;
	}
	return (ssize_t)size;
}

static int
guard_close(void *cookie)
{
	struct guard *g = cookie;
	size_t n = neutralise(g->carry, g->ncarry, g->keep, 0, NULL);

	return n > 0 ? write_all(g->fd, g->carry, n) : 0;
}

static FILE *
guarded(struct guard *g, int fd, int mode)
{
	static const cookie_io_functions_t io = { NULL, guard_write, NULL,
	    guard_close };
	FILE *f;

	g->fd = fd;
	g->keep = "\t\n";
	g->ncarry = 0;
	if ((f = fopencookie(g, "w", io)) != NULL)
		setvbuf(f, NULL, mode, BUFSIZ);
	return f;
}

void
xt_term_guard(void)
{
	static struct guard err, out;
	static int done;
	FILE *f;

	if (done)
		return;
	done = 1;
	fflush(stderr);
	if ((f = guarded(&err, STDERR_FILENO, _IOLBF)) != NULL)
		stderr = f;
	if (isatty(STDOUT_FILENO)) {
		fflush(stdout);
		if ((f = guarded(&out, STDOUT_FILENO, _IOLBF)) != NULL)
			stdout = f;
	}
}
