/*
 * esstore.c: what Alice keeps while her options are out (XEP-0187 3.1,
 * 3.6): N_A, x per group and the expiry in a 0600 file named by N_A, the
 * replay log of every d and N_B accepted beside it, and their
 * destruction (overwritten, then unlinked) once the options expired.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include "xt.h"
#include "esession.h"

void
xt_es_secret_free(struct xt_es_secret *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		gcry_mpi_release(s->x[i]);
	free(s->jid);
	xt_wipe(s, sizeof(*s));
	free(s);
}

void
es_hexify(const unsigned char *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* dir/HEX(N_A) and, with suffix, its companion. */
char *
es_store_path(const char *dir, const unsigned char *na, const char *suffix)
{
	char hex[2 * ES_NONCE_LEN + 1], *p;
	size_t len;

	es_hexify(na, ES_NONCE_LEN, hex);
	len = strlen(dir) + sizeof(hex) + 8;
	if ((p = malloc(len)) != NULL)
		snprintf(p, len, "%s/%s%s", dir, hex, suffix ? suffix : "");
	return p;
}

int
xt_es_secret_save(const struct xt_es_secret *s, const char *dir,
    struct xt_error *e)
{
	struct es_str b = { NULL, 0, 0, 0 };
	char t[32], *path, *hex, *nonce = NULL;
	size_t n;
	int k, rc;

	if (xt_b64_encode(s->na, ES_NONCE_LEN, &nonce) < 0 ||
	    xt_time_format(s->expires, t, sizeof(t)) < 0)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	es_puts(&b, "xmpp-tools esession 1\njid ");
	es_puts(&b, s->jid);
	es_puts(&b, "\nnonce ");
	es_puts(&b, nonce);
	es_puts(&b, "\nexpires ");
	es_puts(&b, t);
	es_puts(&b, "\n");
	free(nonce);
	for (k = 0; k < s->n; k++) {
		hex = NULL;
		if (gcry_mpi_aprint(GCRYMPI_FMT_HEX, (unsigned char **)&hex, &n,
		    s->x[k]) != 0)
			b.oom = 1;
		snprintf(t, sizeof(t), "group %d ", s->group[k]);
		es_puts(&b, t);
		if (hex != NULL) {
			es_puts(&b, hex);
			xt_wipe(hex, strlen(hex));
			gcry_free(hex);
		}
		es_puts(&b, "\n");
	}
	if (b.oom || (path = es_store_path(dir, s->na, NULL)) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	rc = xt_file_write(path, b.s, b.len, XT_WRITE_MKDIR, e);
	free(path);
out:
	xt_wipe(b.s, b.cap);
	free(b.s);
	return rc;
}

/* Read back what xt_es_secret_save wrote for nonce na. */
int
es_secret_load(const char *dir, const unsigned char *na, struct xt_es_secret **sp,
    struct xt_error *e)
{
	struct xt_es_secret *s;
	char *path, *text = NULL, *line, *save = NULL, *w;
	unsigned char *nb = NULL;
	size_t len = 0, nblen = 0;
	int rc, id;

	*sp = NULL;
	if ((path = es_store_path(dir, na, NULL)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	rc = xt_file_read(path, 8192, XT_FILE_SECRET, &text, &len, e);
	if (rc < 0 && access(path, F_OK) < 0)
		rc = xt_error_set(e, XT_ENOTFOUND, "no options of ours with "
		    "that nonce (long expired, or never published here)");
	free(path);
	if (rc < 0)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		xt_free_secret(text);
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	rc = XT_OK;
	for (line = strtok_r(text, "\n", &save); line != NULL && rc == XT_OK;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((w = strchr(line, ' ')) == NULL)
			continue;
		*w++ = '\0';
		if (strcmp(line, "jid") == 0)
			rc = (s->jid = strdup(w)) ? XT_OK : XT_ENOMEM;
		else if (strcmp(line, "expires") == 0)
			rc = xt_time_parse(w, &s->expires);
		else if (strcmp(line, "nonce") == 0) {
			rc = xt_b64_decode(w, strlen(w), &nb, &nblen);
			if (rc == XT_OK && (nblen != ES_NONCE_LEN ||
			    memcmp(nb, na, ES_NONCE_LEN) != 0))
				rc = XT_EINVAL;
			free(nb);
			nb = NULL;
		} else if (strcmp(line, "group") == 0 && s->n < 3 &&
		    sscanf(w, "%d", &id) == 1 && xt_es_group_hex(id) != NULL &&
		    (w = strchr(w, ' ')) != NULL &&
		    gcry_mpi_scan(&s->x[s->n], GCRYMPI_FMT_HEX, w + 1, 0,
		    NULL) == 0) {
			/* gcry_mpi_scan gives plain memory: move it. */
			gcry_mpi_set_flag(s->x[s->n], GCRYMPI_FLAG_SECURE);
			s->group[s->n++] = id;
		}
	}
	xt_free_secret(text);
	memcpy(s->na, na, ES_NONCE_LEN);
	if (rc < 0 || s->n == 0 || s->jid == NULL) {
		xt_es_secret_free(s);
		return xt_error_set(e, rc == XT_ENOMEM ? rc : XT_EINVAL,
		    "%s", rc == XT_ENOMEM ? "out of memory" : "a stored "
		    "esession file that cannot be read");
	}
	*sp = s;
	return XT_OK;
}

/* Overwrite a file with zeros, fsync, unlink. */
int
es_shred(const char *path)
{
	struct stat st;
	char zero[4096];
	off_t left;
	int fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	memset(zero, 0, sizeof(zero));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		for (left = st.st_size; left > 0 && rc == 0;
		    left -= (off_t)sizeof(zero))
			if (write(fd, zero, left < (off_t)sizeof(zero) ?
			    (size_t)left : sizeof(zero)) < 0)
				rc = -1;
	fsync(fd);
	close(fd);
	return unlink(path) < 0 ? -1 : rc;
}

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	unsigned v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !isxdigit((unsigned
		    char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]))
			return -1;
		out[i] = (unsigned char)v;
	}
	return s[2 * n] == '\0' ? 0 : -1;
}

int
xt_es_purge(const char *dir, int64_t now, int *count, struct xt_error *e)
{
	struct xt_es_secret *s;
	struct xt_error le;
	struct dirent *d;
	unsigned char na[ES_NONCE_LEN];
	char *path;
	DIR *dp;
	int rc;

	*count = 0;
	if ((dp = opendir(dir)) == NULL)
		return errno == ENOENT ? XT_OK : xt_error_set(e, XT_ESYS,
		    "%s: %s", dir, strerror(errno));
	while ((d = readdir(dp)) != NULL) {
		if (unhex(d->d_name, na, ES_NONCE_LEN) < 0)
			continue;
		if (es_secret_load(dir, na, &s, &le) < 0)
			continue;
		rc = s->expires > now;
		xt_es_secret_free(s);
		if (rc)
			continue;
		/* Expired: x and the replay log go. */
		if ((path = es_store_path(dir, na, NULL)) != NULL &&
		    es_shred(path) == 0)
			(*count)++;
		free(path);
		if ((path = es_store_path(dir, na, ".seen")) != NULL)
			es_shred(path);
		free(path);
	}
	closedir(dp);
	return XT_OK;
}

/* Has d or N_B come before (dir/HEX(N_A).seen)? */
int
es_seen(const char *dir, const unsigned char *na, const char *d, const char *nb,
    struct xt_error *e)
{
	struct xt_error le = { 0, "" };
	char *path, *text = NULL, *line, *save = NULL, *w;
	size_t len;
	int rc, hit = 0;

	if ((path = es_store_path(dir, na, ".seen")) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	/* d and the nonces are public: no secure memory for them. */
	rc = xt_file_read(path, 16 * 1024 * 1024, 0, &text, &len, &le);
	if (rc < 0 && access(path, F_OK) < 0 && errno == ENOENT)
		rc = XT_OK;
	else if (rc < 0)
		xt_error_set(e, rc, "%s", le.msg);
	free(path);
	if (rc < 0)
		return rc;
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((w = strchr(line, ' ')) == NULL)
			continue;
		*w++ = '\0';
		hit |= strcmp(line, d) == 0 || strcmp(w, nb) == 0;
	}
	free(text);
	return hit;
}

/* Remember d and N_B, on disk before anything is shown. */
int
es_remember(const char *dir, const unsigned char *na, const char *d,
    const char *nb, struct xt_error *e)
{
	char *path;
	size_t n = strlen(d) + strlen(nb) + 2, off = 0;
	char *line;
	ssize_t w;
	int fd, rc = XT_OK;

	if ((path = es_store_path(dir, na, ".seen")) == NULL ||
	    (line = malloc(n + 1)) == NULL) {
		free(path);
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	snprintf(line, n + 1, "%s %s\n", d, nb);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		rc = xt_error_set(e, XT_ESYS, "%s: %s", path, strerror(errno));
	while (fd >= 0 && off < n && rc == XT_OK) {
		if ((w = write(fd, line + off, n - off)) < 0 && errno != EINTR)
			rc = xt_error_set(e, XT_ESYS, "%s: %s", path,
			    strerror(errno));
		off += w > 0 ? (size_t)w : 0;
	}
	if (fd >= 0 && rc == XT_OK && fsync(fd) < 0)
		rc = xt_error_set(e, XT_ESYS, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(line);
	free(path);
	return rc;
}

