/*
 * net.c: finding the server (DNS SRV, RFC 2782; XEP-0368) and connecting
 * to it with a deadline.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "xt.h"

struct rr {
	char		 host[NS_MAXDNAME];
	unsigned	 port, prio, weight;
	int		 direct_tls;
	int		 used;
};

/* Append the SRV records of name to *v; a lookup failure adds nothing. */
static int
srv_query(const char *name, int direct_tls, struct rr **v, size_t *n)
{
	unsigned char ans[NS_PACKETSZ * 4];
	ns_msg msg;
	ns_rr rr;
	struct rr *nv, *r;
	int len, i, count;

	len = res_query(name, ns_c_in, ns_t_srv, ans, sizeof(ans));
	if (len < 0 || ns_initparse(ans, len, &msg) < 0)
		return XT_OK;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0 ||
		    ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7)
			continue;
		nv = realloc(*v, (*n + 1) * sizeof(**v));
		if (nv == NULL)
			return XT_ENOMEM;
		*v = nv;
		r = &nv[*n];
		memset(r, 0, sizeof(*r));
		r->prio = ns_get16(ns_rr_rdata(rr));
		r->weight = ns_get16(ns_rr_rdata(rr) + 2);
		r->port = ns_get16(ns_rr_rdata(rr) + 4);
		r->direct_tls = direct_tls;
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg),
		    ns_rr_rdata(rr) + 6, r->host, sizeof(r->host)) < 0)
			continue;
		(*n)++;
	}
	return XT_OK;
}

/* RFC 2782: lowest priority first; within one, a weighted random draw. */
static int
srv_order(struct rr *v, size_t n, struct xt_srv *out)
{
	size_t k, i, best;
	int pass;
	unsigned prio, total, pick, run;
	uint32_t rnd;

	for (k = 0; k < n; k++) {
		prio = ~0U;
		for (i = 0; i < n; i++)
			if (!v[i].used && v[i].prio < prio)
				prio = v[i].prio;
		total = 0;
		for (i = 0; i < n; i++)
			if (!v[i].used && v[i].prio == prio)
				total += v[i].weight;
		gnutls_rnd(GNUTLS_RND_NONCE, &rnd, sizeof(rnd));
		pick = total ? rnd % (total + 1) : 0;
		run = 0;
		best = n;
		/* Zero-weight records first (RFC 2782), then the others. */
		for (pass = 0; pass < 2 && (best == n || run < pick); pass++)
			for (i = 0; i < n; i++) {
				if (v[i].used || v[i].prio != prio ||
				    (v[i].weight == 0) != (pass == 0))
					continue;
				if (best == n)
					best = i;
				run += v[i].weight;
				if (run >= pick) {
					best = i;
					break;
				}
			}
		v[best].used = 1;
		out[k].host = strdup(v[best].host);
		if (out[k].host == NULL)
			return XT_ENOMEM;
		out[k].port = v[best].port;
		out[k].direct_tls = v[best].direct_tls;
	}
	return XT_OK;
}

int
xt_net_resolve(const char *domain, struct xt_srv **list, size_t *n,
    struct xt_error *e)
{
	char name[NS_MAXDNAME];
	struct rr *v = NULL;
	size_t nv = 0, i, j;
	int rc;

	*list = NULL;
	*n = 0;
	snprintf(name, sizeof(name), "_xmpps-client._tcp.%s", domain);
	if ((rc = srv_query(name, 1, &v, &nv)) < 0)
		goto out;
	snprintf(name, sizeof(name), "_xmpp-client._tcp.%s", domain);
	if ((rc = srv_query(name, 0, &v, &nv)) < 0)
		goto out;
	/* A lone "." target says the service is not offered (RFC 2782). */
	for (i = j = 0; i < nv; i++)
		if (strcmp(v[i].host, ".") != 0 && v[i].host[0] != '\0')
			v[j++] = v[i];
	if (j == 0 && nv > 0) {
		rc = xt_error_set(e, XT_ENET,
		    "%s: the domain offers no xmpp client service", domain);
		goto out;
	}
	nv = j;
	if (nv == 0) {
		*list = calloc(1, sizeof(**list));
		if (*list == NULL || ((*list)->host = strdup(domain)) == NULL) {
			free(*list);
			*list = NULL;
			rc = XT_ENOMEM;
			goto out;
		}
		(*list)->port = 5222;
		*n = 1;
		rc = XT_OK;
		goto out;
	}
	*list = calloc(nv, sizeof(**list));
	if (*list == NULL) {
		rc = XT_ENOMEM;
		goto out;
	}
	if ((rc = srv_order(v, nv, *list)) < 0) {
		xt_srv_free(*list, nv);
		*list = NULL;
		goto out;
	}
	*n = nv;
out:
	free(v);
	if (rc == XT_ENOMEM)
		xt_error_set(e, rc, "out of memory");
	return rc;
}

void
xt_srv_free(struct xt_srv *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		free(list[i].host);
	free(list);
}

/* One non-blocking connect attempt; XT_OK with *fd, or a code. */
static int
try_addr(const struct addrinfo *ai, int64_t deadline, int *fd, int *err)
{
	struct pollfd pfd;
	socklen_t len = sizeof(*err);
	int s, r, one = 1;

	s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (s < 0) {
		*err = errno;
		return XT_ENET;
	}
	if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
		goto done;
	if (errno != EINPROGRESS) {
		*err = errno;
		close(s);
		return XT_ENET;
	}
	pfd.fd = s;
	pfd.events = POLLOUT;
	do
		r = poll(&pfd, 1, xt_ms_left(deadline));
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		close(s);
		return XT_ETIMEOUT;
	}
	if (r < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, err, &len) < 0 ||
	    *err != 0) {
		if (r < 0)
			*err = errno;
		close(s);
		return XT_ENET;
	}
done:
	/* XMPP is small writes that each wait for an answer: no Nagle. */
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd = s;
	return XT_OK;
}

int
xt_net_connect(const char *host, unsigned port, int64_t deadline, int *fd,
    struct xt_error *e)
{
	struct addrinfo hints, *res, *ai;
	char serv[16];
	int rc = XT_ENET, err = 0, gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(serv, sizeof(serv), "%u", port);
	/* An address needs no resolver (nor its configuration files). */
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	gai = getaddrinfo(host, serv, &hints, &res);
	if (gai == EAI_NONAME) {
		hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
		gai = getaddrinfo(host, serv, &hints, &res);
	}
	if (gai != 0)
		return xt_error_set(e, XT_ENET, "%s: %s", host,
		    gai_strerror(gai));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		rc = try_addr(ai, deadline, fd, &err);
		if (rc == XT_OK || rc == XT_ETIMEOUT)
			break;
	}
	freeaddrinfo(res);
	if (rc == XT_ETIMEOUT)
		return xt_error_set(e, rc, "%s port %u: connect timed out",
		    host, port);
	if (rc != XT_OK)
		return xt_error_set(e, rc, "%s port %u: %s", host, port,
		    strerror(err));
	return XT_OK;
}

int
xt_net_hostport(const char *s, char **host, unsigned *port)
{
	const char *colon, *end;
	char *p;
	unsigned long v;

	*host = NULL;
	*port = 0;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end == s + 1)
			return XT_EINVAL;
		*host = strndup(s + 1, end - s - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			goto bad;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon)
			goto bad;	/* a bare IPv6 address needs brackets */
		*host = colon ? strndup(s, colon - s) : strdup(s);
	}
	if (*host == NULL)
		return XT_ENOMEM;
	if ((*host)[0] == '\0')
		goto bad;
	if (colon != NULL) {
		if (colon[1] < '0' || colon[1] > '9')
			goto bad;
		v = strtoul(colon + 1, &p, 10);
		if (*p != '\0' || v == 0 || v > 65535)
			goto bad;
		*port = (unsigned)v;
	}
	return XT_OK;
bad:
	free(*host);
	*host = NULL;
	return XT_EINVAL;
}
