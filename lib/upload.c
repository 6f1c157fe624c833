/*
 * upload.c: HTTP File Upload (XEP-0363). Find the upload service of the
 * account's server, ask it for a slot, and PUT the file there with
 * libcurl, its TLS verified with the trust the XMPP connection uses.
 * libcurl does the HTTP; what is read here is the status line it hands
 * over.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "xt.h"

#define ITEMS_MAX	64		/* disco#items asked about */
#define BUFSIZE		(512 * 1024)	/* bytes per read of the file */

/* A new <iq type='get' to=to> with one child name in ns; NULL on ENOMEM. */
static struct xt_node *
iq_get(const char *to, const char *name, const char *ns,
    struct xt_node **child)
{
	struct xt_node *iq, *c;

	if ((iq = xt_node_new("iq", XT_NS_CLIENT)) == NULL ||
	    xt_node_set_attr(iq, "type", "get") < 0 ||
	    xt_node_set_attr(iq, "to", to) < 0 ||
	    (c = xt_node_add_elem(iq, name, ns)) == NULL) {
		xt_node_free(iq);
		return NULL;
	}
	if (child != NULL)
		*child = c;
	return iq;
}

/*
 * The max-file-size of an XEP-0128 form in a disco#info query (XEP-0363
 * section 3): 0 when none is given or it is not a number.
 */
static uint64_t
max_size(const struct xt_node *q)
{
	const struct xt_node *x, *f, *v;
	const char *var;
	char *type, *text, *end;
	uint64_t max = 0;
	int ours;

	for (x = xt_node_child(q, "x", XT_NS_DATA); x != NULL;
	    x = xt_node_next(x, "x", XT_NS_DATA)) {
		ours = 0;
		for (f = xt_node_child(x, "field", XT_NS_DATA); f != NULL;
		    f = xt_node_next(f, "field", XT_NS_DATA)) {
			if ((var = xt_node_attr(f, "var")) == NULL ||
			    strcmp(var, "FORM_TYPE") != 0 ||
			    (v = xt_node_child(f, "value", XT_NS_DATA)) == NULL)
				continue;
			if ((type = xt_node_text(v)) != NULL)
				ours = strcmp(type, XT_NS_UPLOAD) == 0;
			free(type);
		}
		if (!ours)
			continue;
		for (f = xt_node_child(x, "field", XT_NS_DATA); f != NULL;
		    f = xt_node_next(f, "field", XT_NS_DATA)) {
			if ((var = xt_node_attr(f, "var")) == NULL ||
			    strcmp(var, "max-file-size") != 0 ||
			    (v = xt_node_child(f, "value", XT_NS_DATA)) == NULL ||
			    (text = xt_node_text(v)) == NULL)
				continue;
			errno = 0;
			if (text[0] >= '0' && text[0] <= '9') {
				max = strtoull(text, &end, 10);
				if (errno != 0 || *end != '\0')
					max = 0;
			}
			free(text);
		}
	}
	return max;
}

/*
 * disco#info of jid: 1 (and *max) if it offers urn:xmpp:http:upload:0, 0
 * if not or if it answered with an error, < 0 if the session failed.
 */
static int
offers_upload(struct xt_session *s, const char *jid, uint64_t *max,
    struct xt_error *e)
{
	struct xt_node *iq, *res = NULL, *q, *f;
	const char *var;
	int rc, found = 0;

	if ((iq = iq_get(jid, "query", XT_NS_DISCO_INFO, NULL)) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	rc = xt_session_iq(s, iq, &res, -1);
	xt_node_free(iq);
	if (rc < 0 && rc != XT_ESTANZA) {
		xt_node_free(res);
		return xt_error_set(e, rc, "%s", xt_session_errmsg(s));
	}
	q = rc == XT_OK ? xt_node_child(res, "query", XT_NS_DISCO_INFO) : NULL;
	for (f = xt_node_child(q, "feature", XT_NS_DISCO_INFO); f != NULL;
	    f = xt_node_next(f, "feature", XT_NS_DISCO_INFO))
		if ((var = xt_node_attr(f, "var")) != NULL &&
		    strcmp(var, XT_NS_UPLOAD) == 0)
			found = 1;
	if (found)
		*max = max_size(q);
	xt_node_free(res);
	return found;
}

int
xt_upload_find(struct xt_session *s, struct xt_upload_service *u,
    struct xt_error *e)
{
	struct xt_node *iq = NULL, *res = NULL, *q, *it;
	const char *full = xt_session_jid(s), *at, *jid;
	char *domain = NULL;
	int rc, n = 0;

	memset(u, 0, sizeof(*u));
	if (full == NULL || (at = strchr(full, '@')) == NULL)
		return xt_error_set(e, XT_EINVAL, "not connected");
	if ((domain = strndup(at + 1, strcspn(at + 1, "/"))) == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	/* The server itself may be the service. */
	if ((rc = offers_upload(s, domain, &u->max, e)) != 0) {
		jid = domain;
		goto found;
	}
	/* Else one of its items (section 3: the server lists it). */
	if ((iq = iq_get(domain, "query", XT_NS_DISCO_ITEMS, NULL)) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	rc = xt_session_iq(s, iq, &res, -1);
	if (rc < 0 && rc != XT_ESTANZA) {
		rc = xt_error_set(e, rc, "%s", xt_session_errmsg(s));
		goto out;
	}
	q = rc == XT_OK ? xt_node_child(res, "query", XT_NS_DISCO_ITEMS) : NULL;
	for (it = xt_node_child(q, "item", XT_NS_DISCO_ITEMS);
	    it != NULL && n < ITEMS_MAX;
	    it = xt_node_next(it, "item", XT_NS_DISCO_ITEMS), n++) {
		/* A node of an item is not a service. */
		if ((jid = xt_node_attr(it, "jid")) == NULL ||
		    xt_node_attr(it, "node") != NULL)
			continue;
		if ((rc = offers_upload(s, jid, &u->max, e)) != 0)
			goto found;
	}
	rc = xt_error_set(e, XT_ENOTFOUND, "%s offers no HTTP File Upload "
	    "service (XEP-0363)", domain);
	goto out;
found:
	if (rc > 0 && (u->jid = strdup(jid)) == NULL)
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
	else if (rc > 0)
		rc = XT_OK;
out:
	xt_node_free(iq);
	xt_node_free(res);
	free(domain);
	return rc;
}

void
xt_upload_service_clear(struct xt_upload_service *u)
{
	free(u->jid);
	memset(u, 0, sizeof(*u));
}

/* The headers a slot may set (XEP-0363 1.1.0 section 5). */
static int
header_allowed(const char *name)
{
	return strcasecmp(name, "Authorization") == 0 ||
	    strcasecmp(name, "Cookie") == 0 ||
	    strcasecmp(name, "Expires") == 0;
}

/* "name: value" without any CR or LF (section 9), owned; NULL on ENOMEM. */
static char *
header_line(const char *name, const char *value)
{
	char *line, *r, *w;
	size_t len = strlen(name) + strlen(value) + 3;

	if ((line = malloc(len)) == NULL)
		return NULL;
	snprintf(line, len, "%s: %s", name, value);
	for (r = w = line; *r != '\0'; r++)
		if (*r != '\r' && *r != '\n')
			*w++ = *r;
	*w = '\0';
	return line;
}

/* A URL we may PUT to or hand out: https (section 4), nothing else. */
static int
https_url(const char *url)
{
	return url != NULL && strncasecmp(url, "https://", 8) == 0 &&
	    url[8] != '\0' && strpbrk(url, " \t\r\n") == NULL;
}

/* The slot's refusal; with file-too-large, the limit it gives in *max. */
static int
slot_refused(const struct xt_node *res, const char *svc, uint64_t *max,
    struct xt_error *e)
{
	const struct xt_node *err, *big, *m;
	char *why, *text, *end;

	err = xt_node_child(res, "error", NULL);
	if ((big = xt_node_child(err, "file-too-large", XT_NS_UPLOAD)) != NULL) {
		if ((m = xt_node_child(big, "max-file-size", NULL)) != NULL &&
		    (text = xt_node_text(m)) != NULL) {
			if (text[0] >= '0' && text[0] <= '9')
				*max = strtoull(text, &end, 10);
			free(text);
		}
	}
	why = xt_stanza_error(res);
	xt_error_set(e, XT_ESTANZA, "%s: no upload slot: %s", svc, why ?
	    why : "error");
	free(why);
	return XT_ESTANZA;
}

int
xt_upload_request(struct xt_session *s, const struct xt_upload_service *u,
    const char *name, uint64_t size, const char *type,
    struct xt_upload_slot *slot, struct xt_error *e)
{
	struct xt_node *iq, *req, *res = NULL, *sl, *put, *get, *h;
	const char *hname;
	char num[24], *value;
	int rc;

	memset(slot, 0, sizeof(*slot));
	snprintf(num, sizeof(num), "%" PRIu64, size);
	if ((iq = iq_get(u->jid, "request", XT_NS_UPLOAD, &req)) == NULL ||
	    xt_node_set_attr(req, "filename", name) < 0 ||
	    xt_node_set_attr(req, "size", num) < 0 ||
	    xt_node_set_attr(req, "content-type", type) < 0) {
		xt_node_free(iq);
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	}
	rc = xt_session_iq(s, iq, &res, -1);
	xt_node_free(iq);
	if (rc == XT_ESTANZA && res != NULL) {
		rc = slot_refused(res, u->jid, &slot->max, e);
		goto out;
	}
	if (rc < 0) {
		rc = xt_error_set(e, rc, "%s", xt_session_errmsg(s));
		goto out;
	}
	sl = xt_node_child(res, "slot", XT_NS_UPLOAD);
	put = xt_node_child(sl, "put", XT_NS_UPLOAD);
	get = xt_node_child(sl, "get", XT_NS_UPLOAD);
	if (put == NULL || get == NULL) {
		rc = xt_error_set(e, XT_EPROTO, "%s: a slot without put and "
		    "get URLs", u->jid);
		goto out;
	}
	if (!https_url(xt_node_attr(put, "url")) ||
	    !https_url(xt_node_attr(get, "url"))) {
		rc = xt_error_set(e, XT_EPROTO, "%s: a slot URL that is not "
		    "https (XEP-0363 section 4)", u->jid);
		goto out;
	}
	if ((slot->put = strdup(xt_node_attr(put, "url"))) == NULL ||
	    (slot->get = strdup(xt_node_attr(get, "url"))) == NULL)
		goto oom;
	for (h = xt_node_child(put, "header", XT_NS_UPLOAD); h != NULL;
	    h = xt_node_next(h, "header", XT_NS_UPLOAD)) {
		if ((hname = xt_node_attr(h, "name")) == NULL ||
		    !header_allowed(hname) ||
		    slot->nheaders == XT_UPLOAD_HEADERS) {
			slot->ignored++;
			continue;
		}
		if ((value = xt_node_text(h)) == NULL)
			goto oom;
		slot->headers[slot->nheaders] = header_line(hname, value);
		xt_free_secret(value);
		if (slot->headers[slot->nheaders++] == NULL)
			goto oom;
	}
	rc = XT_OK;
	goto out;
oom:
	rc = xt_error_set(e, XT_ENOMEM, "out of memory");
out:
	if (rc < 0) {
		uint64_t max = slot->max;

		xt_upload_slot_clear(slot);
		slot->max = max;
	}
	xt_node_free(res);
	return rc;
}

void
xt_upload_slot_clear(struct xt_upload_slot *slot)
{
	size_t i;

	for (i = 0; i < slot->nheaders; i++)
		xt_free_secret(slot->headers[i]);	/* tokens */
	free(slot->put);
	free(slot->get);
	memset(slot, 0, sizeof(*slot));
}

const char *
xt_upload_type(const char *name)
{
	static const char *const types[] = {
		"txt", "text/plain", "log", "text/plain", "md", "text/markdown",
		"csv", "text/csv", "html", "text/html", "htm", "text/html",
		"css", "text/css", "xml", "application/xml",
		"json", "application/json", "pdf", "application/pdf",
		"png", "image/png", "jpg", "image/jpeg", "jpeg", "image/jpeg",
		"gif", "image/gif", "webp", "image/webp",
		"svg", "image/svg+xml", "mp3", "audio/mpeg", "ogg", "audio/ogg",
		"opus", "audio/ogg", "m4a", "audio/mp4", "wav", "audio/wav",
		"mp4", "video/mp4", "webm", "video/webm",
		"zip", "application/zip", "gz", "application/gzip",
		"tar", "application/x-tar", "xz", "application/x-xz",
		NULL
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot != NULL && strchr(dot, '/') == NULL)
		for (i = 0; types[i] != NULL; i += 2)
			if (strcasecmp(dot + 1, types[i]) == 0)
				return types[i + 1];
	return "application/octet-stream";
}

/* What one PUT needs in libcurl's callbacks. */
struct put {
	int		 fd;
	const struct xt_upload_opts *o;
	int		 readerr;
	char		 status[128];	/* the last status line */
};

static size_t
put_read(char *buf, size_t size, size_t n, void *arg)
{
	struct put *p = arg;
	ssize_t r;

	do
		r = read(p->fd, buf, size * n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		p->readerr = errno;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)r;
}

/* Keep the status line; libcurl has parsed the rest. */
static size_t
put_header(char *buf, size_t size, size_t n, void *arg)
{
	struct put *p = arg;
	size_t len = size * n;

	if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
		while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == '\n'))
			len--;
		if (len >= sizeof(p->status))
			len = sizeof(p->status) - 1;
		memcpy(p->status, buf, len);
		p->status[len] = '\0';
		xt_oneline(p->status);
	}
	return size * n;
}

static size_t
put_body(char *buf, size_t size, size_t n, void *arg)
{
	return size * n;	/* the answer's body is not ours to show */
}

static int
put_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct put *p = arg;

	if (p->o->progress != NULL)
		p->o->progress(p->o->arg, (uint64_t)ulnow, (uint64_t)ultotal);
	return 0;
}

/* libcurl's failure as one of ours. */
static int
put_code(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return XT_ETIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_USE_SSL_FAILED:
		return XT_ETLS;
	case CURLE_OUT_OF_MEMORY:
		return XT_ENOMEM;
	case CURLE_READ_ERROR:
		return XT_ESYS;
	default:
		return XT_ENET;
	}
}

/* "sha256:BASE64" as libcurl takes it, "sha256//BASE64"; owned. */
static char *
curl_pin(const char *pin)
{
	char *s;
	size_t len;

	if (strncmp(pin, "sha256:", 7) != 0)
		return NULL;
	len = strlen(pin) + 2;
	if ((s = malloc(len)) != NULL)
		snprintf(s, len, "sha256//%s", pin + 7);
	return s;
}

/*
 * The host (and port) of a URL, for messages: its authority without any
 * user information, which may be a secret.
 */
static void
url_host(const char *url, char *buf, size_t len)
{
	const char *h = strstr(url, "://"), *at;
	size_t n;

	h = h != NULL ? h + 3 : url;
	n = strcspn(h, "/?#");
	if ((at = memchr(h, '@', n)) != NULL) {
		n -= at + 1 - h;
		h = at + 1;
	}
	snprintf(buf, len, "%.*s", (int)n, h);
	xt_oneline(buf);
}

int
xt_upload_put(const struct xt_upload_slot *slot, int fd, uint64_t size,
    const char *type, const struct xt_upload_opts *o, struct xt_error *e)
{
	static int ready;
	struct curl_slist *hdrs = NULL, *nh;
	struct put p;
	CURL *c = NULL;
	CURLcode cc;
	char errbuf[CURL_ERROR_SIZE], host[128], ctype[160], *pin = NULL;
	long status = 0;
	size_t i;
	int rc;

	url_host(slot->put, host, sizeof(host));
	if (!https_url(slot->put))
		return xt_error_set(e, XT_EPROTO, "upload to %s: not https",
		    host);
	if (o->pin != NULL && (pin = curl_pin(o->pin)) == NULL)
		return xt_error_set(e, XT_EINVAL, "pin must be sha256: and "
		    "the base64 of 32 bytes");
	if (!ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			free(pin);
			return xt_error_set(e, XT_ENOMEM, "libcurl: cannot "
			    "initialise");
		}
		ready = 1;
	}
	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.o = o;
	errbuf[0] = '\0';
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", type);
	if ((c = curl_easy_init()) == NULL)
		goto oom;
	/*
	 * No "Expect: 100-continue": the slot already says the upload is
	 * welcome, and Prosody answers it only once it streams the body,
	 * so a small file would wait libcurl's second for nothing.
	 */
	for (i = 0; i < slot->nheaders + 2; i++) {
		nh = curl_slist_append(hdrs, i < slot->nheaders ?
		    slot->headers[i] : i == slot->nheaders ? ctype : "Expect:");
		if (nh == NULL)
			goto oom;
		hdrs = nh;
	}
	curl_easy_setopt(c, CURLOPT_URL, slot->put);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, put_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &p);
	curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, (long)BUFSIZE);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, put_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &p);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, put_body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "xmpp-tools/" XT_VERSION);
	/* TLS as for the XMPP stream (DESIGN.md 2): always verified. */
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (pin != NULL) {
		/* Exactly one key, as --pin means for the stream; no CA. */
		curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, pin);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	} else {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		if (o->cafile != NULL) {
			if (access(o->cafile, R_OK) < 0) {
				rc = xt_error_set(e, XT_EINVAL, "%s: %s",
				    o->cafile, strerror(errno));
				goto out;
			}
			/* Instead of the system store, as for the stream. */
			curl_easy_setopt(c, CURLOPT_CAINFO, o->cafile);
			curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		}
	}
	if (o->timeout > 0) {
		/* Bounded where no byte moves, not overall (DESIGN.md 2). */
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->timeout);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->timeout);
	}
	if (o->progress != NULL) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, put_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &p);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		if (cc == CURLE_ABORTED_BY_CALLBACK && p.readerr != 0)
			cc = CURLE_READ_ERROR;
		rc = put_code(cc);
		if (cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH)
			rc = xt_error_set(e, rc, "upload to %s: the server key "
			    "does not match the pin", host);
		else if (cc == CURLE_READ_ERROR && p.readerr != 0)
			rc = xt_error_set(e, rc, "reading the file: %s",
			    strerror(p.readerr));
		else if (cc == CURLE_OPERATION_TIMEDOUT)
			rc = xt_error_set(e, rc, "upload to %s: nothing moved "
			    "for %ld s (--timeout)", host, o->timeout);
		else
			rc = xt_error_set(e, rc, "upload to %s: %s", host,
			    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		if (p.status[0] == '\0')
			snprintf(p.status, sizeof(p.status), "HTTP %ld",
			    status);
		rc = xt_error_set(e, XT_ESTANZA, "upload to %s: %s", host,
		    p.status);
		goto out;
	}
	rc = XT_OK;
	goto out;
oom:
	rc = xt_error_set(e, XT_ENOMEM, "out of memory");
out:
	if (c != NULL)
		curl_easy_cleanup(c);
	for (nh = hdrs; nh != NULL; nh = nh->next)
		xt_wipe(nh->data, strlen(nh->data));	/* the slot's tokens */
	curl_slist_free_all(hdrs);
	free(pin);
	return rc;
}
