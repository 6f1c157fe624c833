/*
 * input.c: the XML elements a tool reads from a file or standard input
 * (a <pubkey/> from xmpp-keygen, a list of attestations): restricted XML,
 * any number of top-level elements, whitespace between them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xt.h"

#define INPUT_CHUNK	65536

int
xt_input_elements(const char *path, size_t max, struct xt_node ***out,
    size_t *n, struct xt_error *e)
{
	struct xt_xml_limits lim = { 0 };
	struct xt_parser *p;
	struct xt_node **v = NULL, **nv, *el;
	const char *name = path == NULL || strcmp(path, "-") == 0 ?
	    "stdin" : path;
	char *buf = NULL;
	size_t k = 0, total = 0;
	ssize_t r;
	int fd = 0, rc;

	*out = NULL;
	*n = 0;
	lim.max_total = max;
	if ((p = xt_parser_new(XT_PARSE_FRAGMENT, NULL, &lim)) == NULL ||
	    (buf = malloc(INPUT_CHUNK)) == NULL) {
		rc = xt_error_set(e, XT_ENOMEM, "out of memory");
		goto out;
	}
	if (name != path)
		fd = 0;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = xt_error_set(e, XT_EINVAL, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	for (;;) {
		r = read(fd, buf, INPUT_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = xt_error_set(e, XT_EINVAL, "%s: %s", name,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		total += r;
		if ((rc = xt_parser_feed(p, buf, r, e)) < 0)
			goto bad;
	}
	if ((rc = xt_parser_finish(p, e)) < 0)
		goto bad;
	while ((el = xt_parser_next(p)) != NULL) {
		if ((nv = realloc(v, (k + 1) * sizeof(*v))) == NULL) {
			xt_node_free(el);
			rc = xt_error_set(e, XT_ENOMEM, "out of memory");
			goto out;
		}
		v = nv;
		v[k++] = el;
	}
	if (k == 0) {
		rc = xt_error_set(e, XT_EINVAL, "%s: no XML element%s", name,
		    total == 0 ? " (empty input)" : "");
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL;
	k = 0;
	rc = XT_OK;
	goto out;
bad:
	/* The parser's words, with the input named. */
	{
		char msg[XT_ERRLEN];

		strncpy(msg, e != NULL ? e->msg : "", sizeof(msg) - 1);
		msg[sizeof(msg) - 1] = '\0';
		rc = xt_error_set(e, rc == XT_ETOOBIG ? XT_ETOOBIG : XT_EINVAL,
		    "%s: %s", name, msg);
	}
out:
	xt_nodes_free(v, k);
	if (fd > 0)
		close(fd);
	free(buf);
	xt_parser_free(p);
	return rc;
}

void
xt_nodes_free(struct xt_node **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		xt_node_free(v[i]);
	free(v);
}

int
xt_input_one(const char *path, const char *ns, const char *name,
    const char *alt, struct xt_node **out, struct xt_error *e)
{
	struct xt_node **v, *el;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = xt_input_elements(path, XT_INPUT_MAX, &v, &n, e)) < 0)
		return rc;
	el = v[0];
	if (n != 1 || el->ns == NULL || strcmp(el->ns, ns) != 0 ||
	    (strcmp(el->name, name) != 0 && (alt == NULL ||
	    strcmp(el->name, alt) != 0)))
		rc = xt_error_set(e, XT_EINVAL, "%s: expected one <%s "
		    "xmlns='%s'/>", path == NULL || strcmp(path, "-") == 0 ?
		    "stdin" : path, name, ns);
	else {
		*out = el;
		v[0] = NULL;
	}
	xt_nodes_free(v, n);
	return rc;
}

int
xt_pubkey_read(const char *path, struct xt_pubkey *pk, struct xt_error *e)
{
	struct xt_node *el;
	const char *name = path == NULL || strcmp(path, "-") == 0 ? "stdin" :
	    path;
	char msg[XT_ERRLEN];
	int rc;

	if ((rc = xt_input_one(path, XT_NS_PUBKEY, "pubkey", NULL, &el,
	    e)) < 0)
		return rc;
	if ((rc = xt_pubkey_parse(el, pk, e)) == XT_OK &&
	    (rc = xt_pubkey_verify(pk, e)) < 0)
		xt_pubkey_clear(pk);
	xt_node_free(el);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "%s", e != NULL ? e->msg : "");
		xt_error_set(e, rc, "%s: %s", name, msg);
	}
	return rc;
}
