/*
 * xt.h: the one public header of libxt, the xmpp-tools library.
 *
 * Conventions for every module:
 * - A function that can fail returns XT_OK (0) or a negative XT_E* code.
 * - Where a failure deserves words, the function takes a struct xt_error *
 *   (which may be NULL) and fills it with the code and a one-line message
 *   in lowercase without a full stop, naming files and elements, never the
 *   bytes of a secret. Objects that live long (a session) keep their own.
 * - The library never prints, never exits and never aborts on bad input.
 * - Strings are NUL-terminated UTF-8; "owned" means the caller frees.
 */
#ifndef XT_H
#define XT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---------------------------------------------------------------- err */

enum {
	XT_OK = 0,
	XT_ENOMEM = -1,		/* out of memory */
	XT_EINVAL = -2,		/* malformed input or bad usage */
	XT_ETOOBIG = -3,	/* input over a limit */
	XT_ESYS = -4,		/* a system call failed (errno kept in msg) */
	XT_ECRYPTO = -5,	/* a crypto library call failed */
	XT_EBADSIG = -6,	/* signature, MAC or fingerprint invalid */
	XT_ETLS = -7,		/* TLS handshake or certificate verification */
	XT_EAUTH = -8,		/* authentication failed */
	XT_ESTANZA = -9,	/* the server or peer answered with an error */
	XT_ETIMEOUT = -10,	/* a deadline passed */
	XT_ENET = -11,		/* DNS, connect, read or write failed */
	XT_EPROTO = -12,	/* the peer broke the protocol (stream error,
				   restricted XML, unexpected element) */
	XT_ENOTFOUND = -13,	/* a negative result: nothing found */
	XT_ECLOSED = -14,	/* the stream was closed by the peer */
	XT_EPERM = -15,		/* a file's permissions are unsafe */
	XT_EEXIST = -16		/* refusing to overwrite */
};

#define XT_ERRLEN 256

struct xt_error {
	int	code;
	char	msg[XT_ERRLEN];
};

/* Fill e (if not NULL) with code and a printf-style message; returns code. */
int		 xt_error_set(struct xt_error *e, int code, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/*
 * A file an option named: if e's message is about path (begins "path: "),
 * make it begin with the option too ("--key: path: No such file or
 * directory"), so that the user sees which option to fix. Returns e->code.
 */
int		 xt_error_option(struct xt_error *e, const char *opt,
		    const char *path);
/*
 * term.c. Replace control characters (C0, DEL, C1) and bytes that are no
 * UTF-8 by '?': a message stays one line and cannot drive a terminal.
 */
void		 xt_oneline(char *s);
/* The same on s[0..n) in place, sparing the C0 controls in keep; the new
   length, never more than n. */
size_t		 xt_text_safe(char *s, size_t n, const char *keep);
/*
 * From now on stderr, and stdout if it is a terminal, go through the same
 * filter, tab and newline spared (xt_cli_next does this first).
 */
void		 xt_term_guard(void);
/* A short description of a code ("authentication failed"). */
const char	*xt_strerror(int code);
/*
 * The one mapping from codes to the exit statuses of DESIGN.md section 2:
 * 0 ok, 1 negative result, 2 usage/malformed input, 3 network/DNS/TLS,
 * 4 authentication, 5 stanza error, 6 timeout.
 */
int		 xt_exit_status(int code);

#define XT_VERSION	"0.1"

/* Wipe n bytes in a way the compiler may not elide. */
void		 xt_wipe(void *p, size_t n);
/* Compare n bytes in time independent of their contents: 0 if equal. */
int		 xt_ct_memcmp(const void *a, const void *b, size_t n);
/*
 * Free a NUL-terminated secret string after wiping it, whether it came from
 * malloc or from libgcrypt secure memory. NULL is fine.
 */
void		 xt_free_secret(char *s);

/* base64 (RFC 4648, no line breaks) through GnuTLS; *out owned, NUL-terminated. */
int		 xt_b64_encode(const void *in, size_t n, char **out);
/* Decodes base64 (whitespace not allowed); *out owned, *outlen its size. */
int		 xt_b64_decode(const char *in, size_t n, unsigned char **out,
		    size_t *outlen);

/* Is buf valid UTF-8 (RFC 3629: no overlongs, surrogates, > U+10FFFF)? 1/0 */
int		 xt_utf8_valid(const char *buf, size_t n);
/*
 * buf as XML 1.0 can carry it: each byte that starts no valid UTF-8
 * character, and each character XML forbids (C0 controls but tab, LF and
 * CR, an escape sequence's ESC among them; U+FFFE, U+FFFF), becomes
 * U+FFFD. *out owned, NUL-terminated (NULL on ENOMEM); returns how many
 * were replaced.
 */
size_t		 xt_text_clean(const char *buf, size_t n, char **out,
		    size_t *outlen);

/* ---------------------------------------------------------------- time */

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t		 xt_now_ms(void);
/*
 * Milliseconds left until deadline (a xt_now_ms() value), 0 if passed;
 * deadline < 0 means none, and then returns -1 (wait forever, as poll(2)).
 */
int		 xt_ms_left(int64_t deadline);
/* Format t (seconds since the epoch) as XEP-0082 DateTime "…Z" into buf[21+]. */
int		 xt_time_format(int64_t t, char *buf, size_t len);
/*
 * Parse an XEP-0082 DateTime or Date into seconds since the epoch.
 * Fractions are dropped; a time without zone is read as UTC (DESIGN.md 3).
 */
int		 xt_time_parse(const char *s, int64_t *t);
/* A time given by the user: "now" or an XEP-0082 DateTime. */
int		 xt_time_arg(const char *s, int64_t *t);

/* ---------------------------------------------------------------- xml */

/* An element (name != NULL) or a text node (name == NULL, text set). */
struct xt_node {
	char		*name;		/* local name */
	char		*ns;		/* namespace URI, NULL if none */
	char		**attrs;	/* NULL-terminated list: name, value,
					   ...; "xml:lang" keeps its prefix */
	char		*text;		/* text node: its character data */
	struct xt_node	*parent;
	struct xt_node	*children;	/* first child */
	struct xt_node	*last;		/* last child */
	struct xt_node	*next;		/* next sibling */
};

/* The namespace bound to the prefix "xml" (XML-NAMES section 3). */
#define XT_NS_XML	"http://www.w3.org/XML/1998/namespace"

/* New element with name and namespace (ns may be NULL: inherit). */
struct xt_node	*xt_node_new(const char *name, const char *ns);
/* The memory a tree holds: its nodes and their strings, in bytes. */
size_t		 xt_node_size(const struct xt_node *n);
/* Free a node and everything below it. NULL is fine. */
void		 xt_node_free(struct xt_node *n);
/*
 * Set (or replace) an attribute; a NULL value removes it. XT_OK, XT_EINVAL
 * (not an element, no name) or XT_ENOMEM.
 */
int		 xt_node_set_attr(struct xt_node *n, const char *name,
		    const char *value);
/* An attribute's value, or NULL. */
const char	*xt_node_attr(const struct xt_node *n, const char *name);
/* Append child (taking ownership) and return it; NULL child gives NULL. */
struct xt_node	*xt_node_add(struct xt_node *parent, struct xt_node *child);
/* Append a new child element; returns it or NULL on ENOMEM. */
struct xt_node	*xt_node_add_elem(struct xt_node *parent, const char *name,
		    const char *ns);
/* Append text (copied); returns XT_OK or XT_ENOMEM. */
int		 xt_node_add_text(struct xt_node *parent, const char *text,
		    size_t len);
/* First child element with that name and namespace (either may be NULL: any). */
struct xt_node	*xt_node_child(const struct xt_node *n, const char *name,
		    const char *ns);
/* Next sibling element after c with that name and namespace (NULL: any). */
struct xt_node	*xt_node_next(const struct xt_node *c, const char *name,
		    const char *ns);
/* All character data directly below n, concatenated; owned, "" if none. */
char		*xt_node_text(const struct xt_node *n);
/* Deep copy; NULL on ENOMEM. */
struct xt_node	*xt_node_copy(const struct xt_node *n);

/*
 * Serialize n to an owned NUL-terminated string. parent_ns is the default
 * namespace in scope where n will be written ("jabber:client" for a stanza,
 * NULL for a document): an xmlns attribute is written only where an
 * element's namespace differs from the one in scope. Text and attribute
 * values are escaped (& < > " ' and, in attributes, tab/CR/LF as references).
 */
int		 xt_xml_serialize(const struct xt_node *n, const char *parent_ns,
		    char **out, size_t *outlen);
/*
 * Internal to the xml module, for the parser, which has libxml2 read root
 * start tags it makes up: <prefix:name> (or <name>) with the namespace
 * declarations among attrs, written as xt_xml_serialize would write them.
 */
int		 xt_xml_root_tag(const char *prefix, const char *name,
		    char *const *attrs, char **out, size_t *outlen);

struct xt_xml_limits {
	size_t	max_stanza;	/* bytes of one depth-1 element, from its
				   '<' to the end of its end tag (default
				   262144) */
	int	max_depth;	/* element nesting below the stream root,
				   the stanza itself being 1 (default 32) */
	int	max_attrs;	/* attributes on one element (default 64) */
	size_t	max_total;	/* bytes fed over the parser's life, 0 for
				   no cap (one-shot tools set one) */
};

enum xt_parse_mode {
	XT_PARSE_STREAM,	/* an XMPP stream: <stream:stream> root */
	XT_PARSE_FRAGMENT	/* a sequence of elements, as if inside a
				   root whose default namespace is the ns
				   given to xt_parser_new */
};

struct xt_parser;

/*
 * A restricted-XML push parser (RFC 6120 section 11, SECURITY.md 2) that
 * yields depth-1 elements. limits may be NULL for the defaults. In fragment
 * mode, ns is the default namespace of the implied root (may be NULL).
 */
struct xt_parser *xt_parser_new(enum xt_parse_mode mode, const char *ns,
		    const struct xt_xml_limits *limits);
void		 xt_parser_free(struct xt_parser *p);
/*
 * Feed n bytes. Returns XT_OK, or XT_EPROTO / XT_ETOOBIG with e filled
 * (the message names the stream error condition: restricted-xml,
 * not-well-formed, policy-violation, unsupported-encoding, invalid-namespace).
 * After a failure the parser accepts nothing more.
 */
int		 xt_parser_feed(struct xt_parser *p, const char *buf, size_t n,
		    struct xt_error *e);
/* In fragment mode: the input has ended; a still-open element is an error. */
int		 xt_parser_finish(struct xt_parser *p, struct xt_error *e);
/* The next complete depth-1 element, in order, owned by the caller; or NULL. */
struct xt_node	*xt_parser_next(struct xt_parser *p);
/* 1 if xt_parser_next has an element to give, else 0. */
int		 xt_parser_ready(const struct xt_parser *p);
/* Stream mode: the stream header (root element, no children) once seen. */
const struct xt_node *xt_parser_header(const struct xt_parser *p);
/* Stream mode: has the peer closed the stream (</stream:stream>)? */
int		 xt_parser_closed(const struct xt_parser *p);
/*
 * Bytes fed after the end of the last complete depth-1 element (or of the
 * header if none came after it): used to refuse data pipelined after
 * <proceed/>.
 */
size_t		 xt_parser_pending(const struct xt_parser *p);

/*
 * Read the XML elements of a file (path NULL or "-": standard input) of at
 * most max bytes: restricted XML, any number of top-level elements with
 * whitespace between them, an XML declaration allowed. *out is an owned
 * array of *n owned elements (xt_nodes_free); none at all is XT_EINVAL.
 */
int		 xt_input_elements(const char *path, size_t max,
		    struct xt_node ***out, size_t *n, struct xt_error *e);
#define XT_INPUT_MAX	(64 * 1024 * 1024)	/* bytes a tool reads */
/*
 * The one element of a file (or stdin) named name (or alt, if not NULL)
 * in namespace ns; anything else is XT_EINVAL. *out owned.
 */
int		 xt_input_one(const char *path, const char *ns, const char *name,
		    const char *alt, struct xt_node **out, struct xt_error *e);
/* Free n elements and the array holding them. */
void		 xt_nodes_free(struct xt_node **v, size_t n);

/* ---------------------------------------------------------------- jid */

#define XT_JID_PARTMAX 1023

struct xt_jid {
	char	*local;		/* NULL if absent */
	char	*domain;
	char	*resource;	/* NULL if absent */
};

/* The PRECIS profiles of RFC 8265 that RFC 7622 names (lib/precis.c). */
enum xt_precis {
	XT_PRECIS_USERNAME,	/* UsernameCaseMapped: a localpart */
	XT_PRECIS_OPAQUE	/* OpaqueString: a resourcepart */
};

/*
 * Prepare and enforce in[0..len) (valid UTF-8) with a profile. XT_OK with
 * *out owned (maybe empty), XT_EINVAL with why naming the rule broken, or
 * XT_ENOMEM.
 */
int		 xt_precis(const char *in, size_t len, enum xt_precis profile,
		    char **out, char *why, size_t whylen);

/*
 * Parse and prepare a JID (RFC 7622: localpart PRECIS UsernameCaseMapped,
 * resourcepart PRECIS OpaqueString, domain IDNA2008 with UTS #46 mapping
 * by libidn2, one trailing dot dropped, labels of 1..63 octets, each part
 * 1..1023 octets).
 * On failure, j is untouched and e says which part is wrong.
 */
int		 xt_jid_parse(const char *s, struct xt_jid *j, struct xt_error *e);
void		 xt_jid_free(struct xt_jid *j);
/* "local@domain" (or "domain"), owned. */
char		*xt_jid_bare(const struct xt_jid *j);
/* The full form with resource if present, owned. */
char		*xt_jid_full(const struct xt_jid *j);
/* 1 if the two prepared JIDs are equal (bare only when bare != 0). */
int		 xt_jid_equal(const struct xt_jid *a, const struct xt_jid *b,
		    int bare);
/*
 * Compare two JID strings after preparation; bare != 0 ignores resources.
 * Returns 1 equal, 0 different, or a negative code if either is malformed.
 */
int		 xt_jid_streq(const char *a, const char *b, int bare);

/* ---------------------------------------------------------------- net */

struct xt_srv {
	char		*host;
	unsigned	 port;
	int		 direct_tls;	/* from _xmpps-client */
};

/*
 * The hosts to try for domain (PROTOCOLS.md 4.1): SRV _xmpps-client and
 * _xmpp-client merged in RFC 2782 order; none found gives the domain on
 * 5222. A "." target disables that service. *list owned (xt_srv_free).
 */
int		 xt_net_resolve(const char *domain, struct xt_srv **list,
		    size_t *n, struct xt_error *e);
void		 xt_srv_free(struct xt_srv *list, size_t n);
/*
 * Connect to host:port (any address family, each address in turn) before
 * deadline (xt_now_ms() based, < 0 none). *fd is non-blocking, close-on-exec.
 */
int		 xt_net_connect(const char *host, unsigned port, int64_t deadline,
		    int *fd, struct xt_error *e);
/* Split "host[:port]" or "[v6]:port"; *host owned; port 0 if absent. */
int		 xt_net_hostport(const char *s, char **host, unsigned *port);

/* ---------------------------------------------------------------- tls */

struct xt_tls;

/* Who the client expects and how it decides trust (SECURITY.md 3). */
struct xt_tls_opts {
	const char	*domain;	/* reference identity: the JID domain */
	const char	*cafile;	/* instead of the system store, or NULL */
	const char	*pin;		/* "sha256:BASE64" of the server SPKI,
					   replaces CA and name checks, or NULL */
	const char	*alpn;		/* "xmpp-client" for direct TLS, or NULL */
};

/* Transport for TLS over something other than a socket (XTLS over IQs). */
struct xt_tls_io {
	void	*arg;
	ssize_t	(*push)(void *arg, const void *buf, size_t n);
	ssize_t	(*pull)(void *arg, void *buf, size_t n);	/* -1 + EAGAIN */
};

/*
 * A TLS 1.2+ client over fd (non-blocking socket) or, if fd < 0, over io,
 * whose pull waits for data itself: a pull that fails with EAGAIN means
 * nothing came in time, and the call under way returns XT_ETIMEOUT.
 * Trust material is loaded here: cafile, else the system store, nothing
 * with a pin. The handshake runs in xt_tls_handshake.
 */
int		 xt_tls_client(struct xt_tls **tp, const struct xt_tls_opts *o,
		    int fd, const struct xt_tls_io *io, struct xt_error *e);
/* Handshake and verify before deadline; XT_ETLS with the reason on failure. */
int		 xt_tls_handshake(struct xt_tls *t, int64_t deadline,
		    struct xt_error *e);
/*
 * Read up to n bytes. Returns the count, 0 at a clean close, XT_ETIMEOUT
 * if nothing arrived before deadline, or another negative code.
 */
ssize_t		 xt_tls_read(struct xt_tls *t, void *buf, size_t n,
		    int64_t deadline, struct xt_error *e);
/* Write all n bytes before deadline. */
int		 xt_tls_write(struct xt_tls *t, const void *buf, size_t n,
		    int64_t deadline, struct xt_error *e);
/* 1 if decrypted bytes are waiting (so poll(2) on the fd would lie). */
int		 xt_tls_pending(struct xt_tls *t);
/*
 * Channel binding data (RFC 5929 tls-unique, RFC 9266 tls-exporter):
 * type "tls-unique" or "tls-exporter". XT_ENOTFOUND if this session
 * cannot produce that type. *out owned.
 */
int		 xt_tls_cbdata(struct xt_tls *t, const char *type,
		    unsigned char **out, size_t *outlen);
/* 13 for TLS 1.3, 12 for TLS 1.2. */
int		 xt_tls_version(struct xt_tls *t);
/*
 * An end-to-end TLS peer (XTLS, DESIGN.md 3, PROTOCOLS.md 6): the other
 * end is a person's XMPP entity, not a server, so trust is in the method:
 * x509, each side presenting a throw-away certificate of its XEP-0189 key
 * and accepting the other's key only if accept says so (the handshake is
 * mutual: the server requires a certificate); or srp, a password both
 * know (RFC 5054, TLS 1.2). TLS 1.3 or 1.2 with AEAD suites for x509.
 */
enum xt_tls_method { XT_TLS_X509 = 1, XT_TLS_SRP };

struct xt_tls_peer {
	int		 server;	/* the TLS server (XTLS responder) */
	enum xt_tls_method method;
	const char	*cert;		/* x509: our certificate, PEM */
	const char	*key;		/* x509: our private key, PEM */
	/* x509: is spki (the peer's DER SubjectPublicKeyInfo) acceptable? */
	int		(*accept)(void *arg, const unsigned char *spki,
			    size_t len);
	void		*arg;
	const char	*user;		/* srp: the initiator's bare JID */
	const char	*password;	/* srp */
};

/*
 * A TLS peer over io, whose pull fails with EAGAIN when it has nothing
 * (then xt_tls_handshake and xt_tls_read return XT_ETIMEOUT: "nothing
 * yet, feed more"). The secrets in o are copied by GnuTLS.
 */
int		 xt_tls_peer_new(struct xt_tls **tp, const struct xt_tls_peer *o,
		    const struct xt_tls_io *io, struct xt_error *e);
/* Send close_notify: our direction has ended, reading goes on. */
int		 xt_tls_shutdown(struct xt_tls *t, struct xt_error *e);
/* "TLS1.3 AES-256-GCM" into buf, for -v. */
const char	*xt_tls_describe(struct xt_tls *t, char *buf, size_t len);
/* Send close_notify (best effort) and free. NULL is fine. */
void		 xt_tls_free(struct xt_tls *t);

/* ---------------------------------------------------------------- sasl */

enum xt_sasl_mech {
	XT_SASL_NONE = 0,
	XT_SASL_SCRAM_SHA256_PLUS,
	XT_SASL_SCRAM_SHA1_PLUS,
	XT_SASL_SCRAM_SHA256,
	XT_SASL_SCRAM_SHA1,
	XT_SASL_PLAIN,
	XT_SASL_SCRAM_SHA512_PLUS,
	XT_SASL_SCRAM_SHA512
};
/* Does mechanism m bind the channel (a -PLUS one)? */
int		 xt_sasl_mech_plus(enum xt_sasl_mech m);

const char	*xt_sasl_mech_name(enum xt_sasl_mech m);
enum xt_sasl_mech xt_sasl_mech_byname(const char *name);

/*
 * Choose the best mechanism both sides have (DESIGN.md 2 order):
 * offered are the server's mechanism names (n of them); allowed, if not
 * NULL, is a comma-separated list the user permits; cbtype is the channel
 * binding type this TLS session can produce (NULL for none). PLAIN only
 * when plain_ok. Returns XT_SASL_NONE if nothing fits.
 */
/*
 * A list for xt_sasl_choose as a user gave it: XT_EINVAL naming the first
 * name that is not a mechanism of ours, or for a list without any.
 */
int		 xt_sasl_check_list(const char *list, struct xt_error *e);
enum xt_sasl_mech xt_sasl_choose(const char *const *offered, size_t n,
		    const char *allowed, const char *cbtype, int plain_ok);

struct xt_sasl;

struct xt_sasl_opts {
	enum xt_sasl_mech	 mech;
	const char		*user;		/* authcid: the JID localpart */
	const char		*password;	/* copied into secure memory */
	const char		*authzid;	/* or NULL */
	const char		*cbtype;	/* for -PLUS: the type used */
	const unsigned char	*cbdata;	/* for -PLUS */
	size_t			 cblen;
	int			 server_plus;	/* server offered any -PLUS */
	int			 client_cb;	/* we could bind had it been
						   offered (gs2 'y' flag) */
	const char		*nonce;		/* for tests; NULL: random */
};

int		 xt_sasl_new(struct xt_sasl **sp, const struct xt_sasl_opts *o,
		    struct xt_error *e);
/* Wipes every secret and frees. NULL is fine. */
void		 xt_sasl_free(struct xt_sasl *s);
/* The initial response (raw, not base64); *out owned, wipe after use. */
int		 xt_sasl_initial(struct xt_sasl *s, char **out, size_t *outlen,
		    struct xt_error *e);
/* Answer a challenge (raw); XT_EAUTH if it is malformed or not expected. */
int		 xt_sasl_step(struct xt_sasl *s, const char *in, size_t inlen,
		    char **out, size_t *outlen, struct xt_error *e);
/*
 * Check the additional data of <success/> (raw): for SCRAM the server
 * signature v=... must match, compared in constant time; XT_EAUTH if not.
 */
int		 xt_sasl_finish(struct xt_sasl *s, const char *in, size_t inlen,
		    struct xt_error *e);
/* Has xt_sasl_finish verified the server? (always 1 for PLAIN after it) */
int		 xt_sasl_done(const struct xt_sasl *s);

/* ---------------------------------------------------------------- session */

#define XT_NS_CLIENT	"jabber:client"
#define XT_NS_STREAM	"http://etherx.jabber.org/streams"
#define XT_NS_TLS	"urn:ietf:params:xml:ns:xmpp-tls"
#define XT_NS_SASL	"urn:ietf:params:xml:ns:xmpp-sasl"
#define XT_NS_BIND	"urn:ietf:params:xml:ns:xmpp-bind"
#define XT_NS_SESSION	"urn:ietf:params:xml:ns:xmpp-session"
#define XT_NS_STANZAS	"urn:ietf:params:xml:ns:xmpp-stanzas"
#define XT_NS_STREAMS	"urn:ietf:params:xml:ns:xmpp-streams"
#define XT_NS_PING	"urn:xmpp:ping"
#define XT_NS_RECEIPTS	"urn:xmpp:receipts"
#define XT_NS_ROSTER	"jabber:iq:roster"
#define XT_NS_DELAY	"urn:xmpp:delay"
#define XT_NS_SASLCB	"urn:xmpp:sasl-cb:0"
#define XT_NS_SM	"urn:xmpp:sm:3"
#define XT_NS_MUC	"http://jabber.org/protocol/muc"
#define XT_NS_MUC_USER	"http://jabber.org/protocol/muc#user"

/* --debug sink: dir is '<' (received) or '>' (sent); text is redacted. */
typedef void	(*xt_debug_fn)(void *arg, char dir, const char *text,
		    size_t len);

struct xt_session_opts {
	const char	*jid;		/* account, bare JID */
	const char	*password;	/* copied into secure memory, wiped */
	const char	*resource;	/* NULL: tool, '.', 8 random hex */
	const char	*tool;		/* the tool's name, for the resource */
	const char	*server;	/* "host[:port]" or NULL for DNS */
	int		 direct_tls;	/* with server: TLS first (XEP-0368) */
	const char	*cafile;
	const char	*pin;
	const char	*mechanisms;	/* allowed SASL mechanisms or NULL */
	int		 timeout_ms;	/* bound for connect+login, <= 0 none */
	int		 reconnect;	/* keep the password for a reconnect */
	struct xt_xml_limits limits;	/* zeros: defaults */
	xt_debug_fn	 debug;
	void		*debug_arg;
};

struct xt_session;

/* A new unconnected session; NULL on ENOMEM. */
struct xt_session *xt_session_new(const struct xt_session_opts *o);
/*
 * Connect, secure (STARTTLS or direct TLS, always verified), authenticate
 * (SASL, server signature checked), restart, bind. Nothing with a credential
 * is sent before the TLS handshake verified.
 */
int		 xt_session_connect(struct xt_session *s);
/*
 * After the connection was lost: forget it (nothing is sent on it) and
 * connect and log in again, the login bounded by opts.timeout_ms from now.
 * Needs opts.reconnect (else XT_EINVAL). Stanzas queued from the old
 * stream are dropped; Stream Management starts over (disabled).
 */
int		 xt_session_reconnect(struct xt_session *s);
/* The message for the last failure. */
const char	*xt_session_errmsg(const struct xt_session *s);
/* The bound full JID (NULL before connect). */
const char	*xt_session_jid(const struct xt_session *s);
/* The SASL mechanism used (NULL before). */
const char	*xt_session_mech(const struct xt_session *s);
/* Serialize and send a stanza (which stays the caller's). */
int		 xt_session_send(struct xt_session *s, const struct xt_node *st);
/*
 * The next stanza (queued first, then from the wire), owned by the caller.
 * timeout_ms: 0 only what is already here, < 0 no limit (but the session's
 * overall deadline, if set, still applies). XT_ETIMEOUT when none came;
 * XT_ECLOSED when the server closed the stream; XT_EPROTO on a stream error.
 */
int		 xt_session_recv(struct xt_session *s, struct xt_node **st,
		    int timeout_ms);
/*
 * Send an IQ (get/set; an id is assigned if it has none) and wait for its
 * answer: only an iq result/error with that id, coming from the address it
 * was sent to (no 'to', or our bare JID: no 'from', our bare or full JID,
 * or, without 'to', our domain). At most 4096 other stanzas are queued
 * meanwhile (then XT_EPROTO). Other stanzas are
 * queued for xt_session_recv. A type='error' answer gives XT_ESTANZA with the
 * condition in the message; *result (may be NULL) gets the answer, owned.
 */
int		 xt_session_iq(struct xt_session *s, struct xt_node *iq,
		    struct xt_node **result, int timeout_ms);
/*
 * What disco#info (XEP-0030) says of us from now on: identity client/bot
 * named name, and the features, a NULL-terminated list the caller keeps
 * (disco#info and ping are always there). Before this, disco#info gets
 * service-unavailable like any other request.
 */
void		 xt_session_disco(struct xt_session *s, const char *name,
		    const char *const *features);
/*
 * Answer an IQ get/set addressed to us, as RFC 6120 8.2.3 requires: a
 * ping (XEP-0199) with a result, disco#info as xt_session_disco set,
 * anything else with service-unavailable. Other stanzas are ignored.
 * Returns 1 if it was such an IQ, 0 if not, or a negative code if sending
 * failed.
 */
int		 xt_session_answer_iq(struct xt_session *s,
		    const struct xt_node *iq);
/*
 * The socket, for a tool's poll(2) beside its own files: readable when
 * more may come. Drain xt_session_recv(s, &st, 0) before polling, as it
 * may hold stanzas already read. Call it before each poll: it also asks
 * the kernel to acknowledge what comes next at once (TCP_QUICKACK).
 */
int		 xt_session_fd(const struct xt_session *s);
/* Send a whitespace keepalive (RFC 6120 4.6.1) to keep an idle link up. */
int		 xt_session_keepalive(struct xt_session *s);
/*
 * Stream Management (XEP-0198), without resumption, so that what the
 * server sends us is the server's until we say it was handled: enable it
 * after login, before initial presence. 1 when enabled; 0 when the
 * server does not offer it or refuses (nothing changes); < 0 on error.
 * From then on the server's requests are answered with the number of
 * stanzas handled without a gap, and what was not handled when the stream
 * ends is the server's again (Prosody stores messages offline).
 * lazy: the server's requests (<r/>) are answered only by xt_session_ack,
 * which the tool then calls before it waits (one answer per burst; the
 * server's work per stanza is what Stream Management costs).
 */
int		 xt_session_sm(struct xt_session *s, int lazy);
/*
 * The stanza xt_session_recv last gave is handled: done with, printed,
 * or deliberately dropped. A stanza never marked holds back the
 * acknowledgement of every one after it. The server learns the count of
 * stanzas handled without a gap when it asks (<r/>), when the stream is
 * closed, from xt_session_ack, and, answering lazily, every 256 stanzas.
 * No-op without xt_session_sm.
 */
int		 xt_session_handled(struct xt_session *s);
/*
 * Tell the server now what was handled, if that grew since it last
 * heard (<a/>): before a wait, so that a burst costs one. XT_OK or a
 * negative code if sending failed.
 */
int		 xt_session_ack(struct xt_session *s);
/*
 * Outbound Stream Management: *sent is the number of stanzas sent since
 * xt_session_sm enabled it, *acked how many of them the server has said
 * it handled (its last <a h/>). Both 0 without it.
 */
void		 xt_session_sm_count(const struct xt_session *s,
		    uint32_t *sent, uint32_t *acked);
/* Ask the server how many it has handled (<r/>); no-op without SM. */
int		 xt_session_sm_request(struct xt_session *s);

/*
 * Stanzas sent under Stream Management and not yet acknowledged, to be
 * sent again on a new stream (lib/outbox.c). Zero-initialise.
 */
struct xt_outbox {
	struct xt_outbox_item	*head, *tail;
	size_t			 n;
	size_t			 bytes;	/* the sizes given, summed */
};
/*
 * Send st (the outbox takes it) and keep it until acknowledged; size is
 * what the caller counts it as (its text, say), summed in bytes.
 */
int		 xt_outbox_send(struct xt_outbox *ob, struct xt_session *s,
		    struct xt_node *st, size_t size);
/* Drop what the server has acknowledged; returns how many are left. */
size_t		 xt_outbox_prune(struct xt_outbox *ob,
		    const struct xt_session *s);
/* Send all that is left again, in order, on the session's new stream. */
int		 xt_outbox_resend(struct xt_outbox *ob, struct xt_session *s);
void		 xt_outbox_clear(struct xt_outbox *ob);
/* A fresh stanza id (owned). */
char		*xt_session_id(struct xt_session *s);
/* Set or extend the deadline for everything that follows; <= 0 none. */
void		 xt_session_set_timeout(struct xt_session *s, int timeout_ms);
/* Close the stream cleanly (waits briefly for the server) and free. */
void		 xt_session_free(struct xt_session *s);

/*
 * For a stanza of type 'error': the defined condition ("service-unavailable")
 * and the <text/> if any, as one owned string "condition: text".
 */
char		*xt_stanza_error(const struct xt_node *st);

/* ---------------------------------------------------------------- config */

/* The account and connection settings a tool hands to xt_session_new. */
struct xt_config {
	char	*jid;
	char	*password_file;
	char	*password_command;
	char	*server;		/* host[:port] */
	int	 direct_tls;
	char	*cafile;
	char	*pin;
	char	*resource;
	char	*mechanisms;
	char	*password;		/* from a sendxmpprc only; secure */
	char	*path;			/* the file these came from, or NULL */
	int	 password_file_cfg;	/* password_file is the file's, not
					   an option's */
	int	 sendxmpprc;		/* path is a (go-)sendxmpp file */
};

/*
 * Load the config file: path, or if NULL $XDG_CONFIG_HOME/xmpp-tools/config
 * (default ~/.config/...), which may be absent; if there is none, no jid
 * set yet and no $XMPP_JID, the first of go-sendxmpp's files that exists:
 * $XDG_CONFIG_HOME/go-sendxmpp/config, .../go-sendxmpp/sendxmpprc (the
 * same default), ~/.sendxmpprc (username:, password:, jserver:, port:,
 * eval_password:, or sendxmpp's one line). The config file must not be
 * writable by others (it names commands to run) and holds no password.
 * Settings already in c (from options) are kept. Unknown keys are an error
 * naming the file and line. A sendxmpprc must not be readable by group or
 * others, like a key file.
 */
int		 xt_config_load(struct xt_config *c, const char *path,
		    struct xt_error *e);
/*
 * Set a setting by its config-file key (jid, password_file,
 * password_command, server, direct_tls, cafile, pin, resource, mechanisms;
 * '-' may stand for '_', so a tool passes its long option names). A value
 * from an option replaces what was there; the file never replaces an option.
 */
int		 xt_config_set(struct xt_config *c, const char *key,
		    const char *value, struct xt_error *e);
/*
 * Fill o from c and the password pw (which o borrows): the account, server,
 * TLS trust, resource and mechanisms. Other fields of o are left as they are.
 */
void		 xt_config_session(const struct xt_config *c, const char *pw,
		    struct xt_session_opts *o);
/*
 * The account: the option (if not NULL), else $XMPP_JID, else the config.
 * A password that came with ~/.sendxmpprc is dropped if the account chosen
 * is not the one it belongs to.
 */
int		 xt_config_account(struct xt_config *c, const char *opt,
		    struct xt_error *e);
/*
 * The password, in DESIGN.md order: password_file (refused when group or
 * world readable), password_command (through /bin/sh, first line), the
 * sendxmpprc password, $XMPP_PASSWORD, a prompt on /dev/tty with echo off.
 * *pw in secure memory: release with xt_free_secret.
 */
/*
 * Take $XMPP_PASSWORD out of the environment (kept in secure memory for
 * xt_config_password), so that no child inherits it; xt_init does it.
 */
void		 xt_config_take_env(void);
int		 xt_config_password(const struct xt_config *c, char **pw,
		    struct xt_error *e);
/*
 * Where xt_config_password takes the password from, for a message after a
 * failed login: "--password-file F", "password_file in FILE",
 * "password_command in FILE", "eval_password in FILE", "password in
 * FILE" (a sendxmpprc's), "$XMPP_PASSWORD" or "the terminal". Written to
 * buf (len bytes), which is returned.
 */
const char	*xt_config_password_source(const struct xt_config *c,
		    char *buf, size_t len);
/* Free what xt_config_load set (wiping the password). */
void		 xt_config_clear(struct xt_config *c);
#define XT_FILE_SECRET	1	/* refuse any group/other access (mode & 077);
				   read into secure memory */
#define XT_FILE_TRUSTED	2	/* refuse group/other write (mode & 022) and
				   a file owned by someone else but root */
/*
 * Read a whole regular file of at most max bytes, NUL-terminated. flags
 * are XT_FILE_* checks, made on the opened file. A FIFO or device is
 * refused without blocking. *out owned (xt_free_secret for a secret).
 */
int		 xt_file_read(const char *path, size_t max, int flags,
		    char **out, size_t *outlen, struct xt_error *e);

/* ---------------------------------------------------------------- file */

#define XT_WRITE_FORCE	1	/* replace an existing file (never a symlink) */
#define XT_WRITE_MKDIR	2	/* create missing parent directories, 0700 */

/*
 * Write data to path as a whole or not at all (SECURITY.md 1): the bytes go
 * to a file without a name (O_TMPFILE, mode 0600 whatever the umask) in
 * path's directory, are fsync'd, and only then take path's name (linkat,
 * which neither follows nor replaces anything already there; or, with
 * XT_WRITE_FORCE, a hidden name renamed over a regular file); the
 * directory is fsync'd after. Where O_TMPFILE is missing, the same through
 * xt_file_write_named. Nothing is left behind on failure, and a process
 * killed meanwhile leaves no file under path's name. XT_EEXIST if path
 * exists (a symlink, even dangling, always counts and its target is never
 * touched). XT_ESYS with the reason.
 */
int		 xt_file_write(const char *path, const void *data, size_t n,
		    int flags, struct xt_error *e);
/*
 * The receive window the peer of TCP socket fd last advertised, which
 * opens as the peer's application reads. -1 where the kernel does not say
 * (tcpinfo.c).
 */
int		 xt_net_peer_window(int fd, uint32_t *wnd);
/* fsync a directory, best effort. */
void		 xt_file_sync_dir(const char *dir);
/*
 * The same with a named temporary file (".NAME." and a random suffix,
 * O_EXCL|O_NOFOLLOW, 0600; SIGINT, SIGTERM and SIGHUP held off while it
 * exists): where the filesystem lacks O_TMPFILE. Exposed for tests.
 */
int		 xt_file_write_named(const char *path, const void *data, size_t n,
		    int flags, struct xt_error *e);
/*
 * The directory $XDG_DATA_HOME/xmpp-tools/sub (default
 * ~/.local/share/xmpp-tools/sub), sub may be NULL for the top. With create,
 * missing directories are made 0700. *out owned.
 */
int		 xt_data_dir(const char *sub, int create, char **out,
		    struct xt_error *e);
/*
 * A passphrase: the first line of file (refused when group or world can
 * read it), else one typed on /dev/tty after prompt with echo off, asked a
 * second time when confirm is set (a mismatch is XT_EINVAL). No terminal is
 * XT_EINVAL with a message saying to use a passphrase file. *out in secure
 * memory (xt_free_secret); an empty passphrase is XT_EINVAL.
 */
int		 xt_passphrase_read(const char *file, const char *prompt,
		    int confirm, char **out, struct xt_error *e);

/* ---------------------------------------------------------------- key */

#define XT_KEY_BITS_DEFAULT	3072
#define XT_KEY_BITS_MIN		2048	/* smaller RSA keys are refused */
#define XT_KEY_BITS_MAX		16384
#define XT_SPKI_MAX		4096	/* bytes of DER SPKI accepted */

/* An RSA private key (GnuTLS). */
struct xt_key;

/* The key size an option names: 2048, 3072 or 4096, else XT_EINVAL. */
int		 xt_key_bits(const char *s, unsigned *bits, struct xt_error *e);
/* A new RSA key of bits (2048, 3072 or 4096) from GnuTLS. */
int		 xt_key_generate(struct xt_key **kp, unsigned bits,
		    struct xt_error *e);
void		 xt_key_free(struct xt_key *k);
/*
 * PKCS#8 PEM of k: "PRIVATE KEY", or with a passphrase "ENCRYPTED PRIVATE
 * KEY" (PBES2, AES-256-CBC, PBKDF2 as GnuTLS writes it). *pem is secret:
 * release it with xt_free_secret.
 */
int		 xt_key_export(const struct xt_key *k, const char *passphrase,
		    char **pem, size_t *len, struct xt_error *e);
/* 1 if pem holds an encrypted PKCS#8 key, 0 if not. */
int		 xt_key_pem_encrypted(const char *pem, size_t len);
/*
 * Import a PKCS#8 PEM RSA key (passphrase NULL for a plain one). XT_EAUTH
 * "wrong passphrase" (or "passphrase needed"), XT_EINVAL if it is not a
 * PKCS#8 RSA key of XT_KEY_BITS_MIN.. bits.
 */
int		 xt_key_import(struct xt_key **kp, const char *pem, size_t len,
		    const char *passphrase, struct xt_error *e);
/*
 * Read a private key file: XT_EPERM if group or others may access it
 * (mode & 077), then as xt_key_import. The message names the file.
 */
int		 xt_key_load(struct xt_key **kp, const char *path,
		    const char *passphrase, struct xt_error *e);
/* DER SubjectPublicKeyInfo of the public half; *der owned. */
int		 xt_key_spki(const struct xt_key *k, unsigned char **der,
		    size_t *len);
/*
 * A throw-away self-signed X.509 certificate for k (subject and issuer
 * CN=cn, valid from an hour before now for a day, SHA-256), PEM in *pem
 * (owned): what a TLS library needs to present k (XTLS x509, DESIGN.md 3).
 */
int		 xt_key_certificate(const struct xt_key *k, const char *cn,
		    int64_t now, char **pem, size_t *len, struct xt_error *e);
/* RSASSA-PKCS1-v1_5 with SHA-256 over data; deterministic; *sig owned. */
int		 xt_key_sign(const struct xt_key *k, const void *data, size_t n,
		    unsigned char **sig, size_t *siglen, struct xt_error *e);
/*
 * Is der a DER SubjectPublicKeyInfo of an RSA key of XT_KEY_BITS_MIN to
 * XT_KEY_BITS_MAX bits, re-encoding to the same bytes? *bits (may be NULL)
 * gets its size. XT_EINVAL with the reason if not.
 */
int		 xt_spki_check(const unsigned char *der, size_t len,
		    unsigned *bits, struct xt_error *e);
/*
 * Verify an RSASSA-PKCS1-v1_5 SHA-256 signature with the key in der:
 * XT_OK, XT_EBADSIG, or XT_EINVAL if der is no acceptable key.
 */
int		 xt_spki_verify(const unsigned char *der, size_t len,
		    const void *data, size_t n, const unsigned char *sig,
		    size_t siglen, struct xt_error *e);
/*
 * The RSA modulus and public exponent of the key in der, big-endian
 * without leading zero octets; both owned.
 */
int		 xt_spki_rsa(const unsigned char *der, size_t len,
		    unsigned char **n, size_t *nlen, unsigned char **e_,
		    size_t *elen, struct xt_error *e);
/* The DER SubjectPublicKeyInfo of an RSA key given as n and e; *der owned. */
int		 xt_spki_from_rsa(const unsigned char *n, size_t nlen,
		    const unsigned char *e_, size_t elen, unsigned char **der,
		    size_t *len, struct xt_error *e);
/* Lowercase hex SHA-256 of n bytes into out[65]. */
void		 xt_sha256_hex(const void *data, size_t n, char out[65]);

/* ---------------------------------------------------------------- pubkey */

#define XT_NS_PUBKEY	"urn:xmpp:pubkey:1"
#define XT_NS_REVOKE	"urn:xmpp:revoke:1"
#define XT_NS_ATTEST	"urn:xmpp:attest:1"

/* Which rule a <print/> was made by (DESIGN.md 3). */
enum xt_print_rule {
	XT_PRINT_NONE = 0,
	XT_PRINT_CURRENT,	/* SHA-256(begin ‖ end ‖ jid ‖ key, stripped) */
	XT_PRINT_LEGACY		/* SHA-256(key base64 in 64-column lines,
				   each ending "\n") as in XEP-0189's example */
};

/*
 * A <pubkey xmlns='urn:xmpp:pubkey:1'/> (XEP-0189 v0.13 section 3). Text
 * fields hold the element's character data with leading and trailing
 * whitespace removed; key has all whitespace removed.
 */
struct xt_pubkey {
	char		*begin, *end;	/* XEP-0082 DateTime text */
	int64_t		 begin_t, end_t;	/* the same, seconds */
	char		*jid;		/* as written (trimmed) */
	char		*key;		/* base64 DER SPKI, no whitespace */
	unsigned char	*spki;		/* decoded */
	size_t		 spkilen;
	unsigned	 bits;
	char		*print;		/* as written, or as computed by make */
	char		*uri;		/* or NULL */
	char		 keyid[65];	/* hex SHA-256 of the DER SPKI: the
					   whitespace-proof local identity */
	enum xt_print_rule rule;	/* set by xt_pubkey_verify */
};

/*
 * Read a <pubkey/> element: each of begin, end, jid, key, print exactly
 * once (uri optional, unknown children ignored), dates XEP-0082, begin not
 * after end, jid a valid JID, key base64 of an acceptable RSA SPKI
 * (xt_spki_check). Structure only: the print is checked by
 * xt_pubkey_verify. XT_EINVAL naming the bad child.
 */
int		 xt_pubkey_parse(const struct xt_node *n, struct xt_pubkey *pk,
		    struct xt_error *e);
/* Free the fields (pk itself is the caller's) and zero it. */
void		 xt_pubkey_clear(struct xt_pubkey *pk);
/* How a tool names a rule: "current" or "XEP-0189 example". */
const char	*xt_print_rule_name(enum xt_print_rule rule);
/* The print of pk by rule, lowercase hex into out[65]. */
int		 xt_pubkey_print(const struct xt_pubkey *pk,
		    enum xt_print_rule rule, char out[65]);
/*
 * Does pk's <print/> match either rule (hex compared case-insensitively in
 * constant time)? Sets pk->rule; XT_EBADSIG if neither matches.
 */
int		 xt_pubkey_verify(struct xt_pubkey *pk, struct xt_error *e);
/*
 * Fill pk for a new key: the SPKI, jid, validity (begin_t..end_t) and the
 * print by the current rule.
 */
int		 xt_pubkey_make(struct xt_pubkey *pk, const unsigned char *spki,
		    size_t len, const char *jid, int64_t begin_t, int64_t end_t,
		    const char *uri, struct xt_error *e);
/* 0 if pk is valid at t, -1 not yet valid, 1 expired. */
int		 xt_pubkey_when(const struct xt_pubkey *pk, int64_t t);
/*
 * The element for pk, key wrapped at 64 columns (each line followed by
 * "\n", the first preceded by one), children begin, end, jid, key, print,
 * uri. NULL on ENOMEM.
 */
struct xt_node	*xt_pubkey_node(const struct xt_pubkey *pk);

/*
 * A <revocation xmlns='urn:xmpp:revoke:1'/> (or <revoke/>, as the XEP's
 * prose names it). Texts trimmed as for xt_pubkey.
 */
struct xt_revocation {
	char		*key;		/* base64 DER SPKI of the revoked key */
	unsigned char	*spki;
	size_t		 spkilen;
	char		 keyid[65];	/* hex SHA-256 of spki */
	char		*keyprint;	/* the revoked <pubkey/>'s print */
	char		*revocationprint; /* the signing <pubkey/>'s print */
	char		*time;		/* revocationtime text */
	int64_t		 t;		/* the same, seconds */
	unsigned char	*sig;
	size_t		 siglen;
};

/* Read a revocation: every child exactly once, key an RSA SPKI. */
int		 xt_revocation_parse(const struct xt_node *n,
		    struct xt_revocation *r, struct xt_error *e);
void		 xt_revocation_clear(struct xt_revocation *r);
/*
 * Sign a revocation of revoked (whose print must verify) at time t with
 * key k, whose <pubkey/> is signer (the same as revoked for a key revoking
 * itself; k's SPKI must be signer's). XT_EINVAL if k does not match.
 */
int		 xt_revocation_make(struct xt_revocation *r,
		    const struct xt_pubkey *revoked, const struct xt_pubkey *signer,
		    const struct xt_key *k, int64_t t, struct xt_error *e);
/*
 * Check r's signature over key ‖ keyprint ‖ revocationprint ‖
 * revocationtime. signer is the <pubkey/> whose print is revocationprint;
 * NULL means the key revoked itself: revocationprint must equal keyprint
 * and the signature must verify with r's own key. XT_EBADSIG if not.
 */
int		 xt_revocation_verify(const struct xt_revocation *r,
		    const struct xt_pubkey *signer, struct xt_error *e);
/* The element (root <revocation/>), key and signature at 64 columns. */
struct xt_node	*xt_revocation_node(const struct xt_revocation *r);
/*
 * The bytes a revocation signs (XEP-0189 section 4): key ‖ keyprint ‖
 * revocationprint ‖ revocationtime, r's texts as held. *out owned and
 * NUL-terminated, *len its length without the NUL.
 */
int		 xt_revocation_data(const struct xt_revocation *r, char **out,
		    size_t *len);

/* An <attest xmlns='urn:xmpp:attest:1'/>. Texts trimmed. */
struct xt_attest {
	char		*keyprint;	/* the attested <pubkey/>'s print */
	char		*signerjid;
	char		*signerprint;	/* the signer's <pubkey/>'s print */
	char		*time;		/* signtime text */
	int64_t		 t;		/* signtime, seconds */
	unsigned char	*sig;
	size_t		 siglen;
};

int		 xt_attest_parse(const struct xt_node *n, struct xt_attest *a,
		    struct xt_error *e);
void		 xt_attest_clear(struct xt_attest *a);
/*
 * Sign an attestation of subject's key at time t with k, whose <pubkey/>
 * is signer (signerjid = signer's jid). Both prints must verify, and k's
 * SPKI must be signer's.
 */
int		 xt_attest_make(struct xt_attest *a, const struct xt_pubkey *subject,
		    const struct xt_pubkey *signer, const struct xt_key *k,
		    int64_t t, struct xt_error *e);
/*
 * Check a over subject's key ‖ keyprint ‖ signerjid ‖ signerprint ‖
 * signtime: keyprint must be subject's print, signerprint signer's print,
 * signerjid signer's jid (as JIDs), the signature verify with signer's key,
 * and signer's key be valid at signtime. XT_EBADSIG with the reason if not.
 */
int		 xt_attest_verify(const struct xt_attest *a,
		    const struct xt_pubkey *subject, const struct xt_pubkey *signer,
		    struct xt_error *e);
/* The element, signature at 64 columns. */
struct xt_node	*xt_attest_node(const struct xt_attest *a);
/*
 * The bytes an attestation signs (XEP-0189 section 5): key ‖ keyprint ‖
 * signerjid ‖ signerprint ‖ signtime, where key is the subject's <key/>
 * text (white space in it is skipped). *out owned and NUL-terminated.
 */
int		 xt_attest_data(const struct xt_attest *a, const char *key,
		    char **out, size_t *len);

/*
 * Read the one <pubkey/> of a file (path NULL or "-": stdin), parse it and
 * check its print: XT_EINVAL malformed, XT_EBADSIG forged; e names the file.
 */
int		 xt_pubkey_read(const char *path, struct xt_pubkey *pk,
		    struct xt_error *e);

/* ---------------------------------------------------------------- cli */

/*
 * The command line every tool shares (DESIGN.md 2, STYLE.md): getopt_long
 * with long options taken only when written out in full (getopt_long would
 * read "--passphrase WORD" as --passphrase-file WORD), one line of our own
 * for what it refuses, -v, -h and -V; for the tools that log in, the
 * account options and the way from them to a connected session (config
 * file, account, password, session), so that neither config nor session
 * knows the other.
 *
 * A tool's getopt_long table starts with XT_ACCOUNT_LONGOPTS if it logs
 * in, then its own options (long-only ones coded from XT_OPT_TOOL on), and
 * ends with XT_CLI_LONGOPTS. Options coded XT_OPT_CONF are config-file
 * settings by name.
 */
enum { XT_OPT_CONF = 0x100, XT_OPT_TIMEOUT, XT_OPT_DEBUG, XT_OPT_SAY,
    XT_OPT_TIME, XT_OPT_PASSFILE, XT_OPT_VERIFY, XT_OPT_SIGNER,
    XT_OPT_TOOL };
#define XT_ACCOUNT_SHORTOPTS	"a:c:r:p::"
#define XT_ACCOUNT_LONGOPTS \
	{ "account",		required_argument,	NULL, 'a' }, \
	{ "config",		required_argument,	NULL, 'c' }, \
	{ "resource",		required_argument,	NULL, 'r' }, \
	{ "password-file",	required_argument,	NULL, XT_OPT_CONF }, \
	{ "password",		optional_argument,	NULL, 'p' }, \
	{ "server",		required_argument,	NULL, XT_OPT_CONF }, \
	{ "direct-tls",		no_argument,		NULL, XT_OPT_CONF }, \
	{ "cafile",		required_argument,	NULL, XT_OPT_CONF }, \
	{ "pin",		required_argument,	NULL, XT_OPT_CONF }, \
	{ "mechanisms",		required_argument,	NULL, XT_OPT_CONF }, \
	{ "timeout",		required_argument,	NULL, XT_OPT_TIMEOUT }, \
	{ "debug",		no_argument,		NULL, XT_OPT_DEBUG }
/*
 * The options of the tools that sign with one of our keys, -k KEY among
 * them, or --verify what was signed.
 */
#define XT_SIGN_SHORTOPTS	"k:"
#define XT_SIGN_LONGOPTS \
	{ "time",		required_argument,	NULL, XT_OPT_TIME }, \
	{ "passphrase-file",	required_argument,	NULL, XT_OPT_PASSFILE }, \
	{ "verify",		no_argument,		NULL, XT_OPT_VERIFY }, \
	{ "signer",		required_argument,	NULL, XT_OPT_SIGNER }
#define XT_CLI_LONGOPTS \
	{ "verbose",		no_argument,		NULL, 'v' }, \
	{ "help",		no_argument,		NULL, 'h' }, \
	{ "version",		no_argument,		NULL, 'V' }, \
	{ NULL,			0,			NULL, 0 }

/* Shows a -v explanation to the user, printf-style (warnx(3) will do). */
typedef void	(*xt_note_fn)(const char *fmt, ...);

struct option;

/* What a one-shot tool takes from a server at most (xt_cli.max_input). */
#define XT_ONESHOT_INPUT	(32 * 1024 * 1024)

struct xt_cli {
	/* Set by the tool. */
	const char	*tool;		/* "xmpp-send" */
	const char	*usage;		/* the synopsis -h prints first */
	const char	*options;	/* -h: its own options, a line each,
					   "spelling\texplanation\n" (the
					   account, signing and -v -h -V
					   lines are added, but for those
					   it gives in its own words) */
	const char	*exits;		/* -h: its exit statuses, a line
					   each, "N\texplanation\n" */
	const char	*shortopts;	/* its own short options ("s:t:") */
	const struct option *longopts;	/* its whole table, as above */
	int		 login;		/* takes the account options */
	int		 sign;		/* takes the signing options and at
					   most one input file */
	xt_note_fn	 note;		/* -v explanations, or NULL */
	int		 debug_fd;	/* where --debug writes (0: 2) */
	int		 quiet;		/* no -v note of the login */
	int		 reconnect;	/* keep the password to log in again
					   (xt_session_reconnect) */
	size_t		 max_input;	/* bytes the server may send over the
					   session's life, 0 for no cap: a
					   one-shot tool sets XT_ONESHOT_INPUT */
	int		 muc;		/* joins rooms with --muc: the hint
					   for -c ROOM says to use it */

	/* Filled in. */
	int		 verbose;	/* -v */
	const char	*say;		/* XT_OPT_SAY (-h, -V): print it on
					   stdout and exit 0 */
	struct xt_config cfg;		/* the account options */
	const char	*account;	/* -a */
	const char	*cfgfile;	/* -c */
	long		 timeout;	/* --timeout seconds, -1 if not
					   given (xt_cli_next sets it) */
	int		 debug;		/* --debug */
	struct xt_session *sess;	/* after xt_cli_login */
	const char	*keyspec;	/* -k */
	const char	*passfile;	/* --passphrase-file */
	const char	*when;		/* --time as given, or NULL */
	int64_t		 t;		/* --time, or now */
	int		 verify;	/* --verify */
	const char	*signer;	/* --signer */
	const char	*path;		/* the input file; NULL: stdin */

	/* Private. */
	int		 started, resolved, help;
	char		*helptext;	/* what -h says, built when asked */
	char		 opts[64];
	char		 buf[XT_ERRLEN];
};

/*
 * The next of the tool's own options from main's argc and argv: its code
 * (optarg holds its value), XT_OPT_SAY after -h or -V (c->say then holds
 * what to print: for -h the usage, a line on each option, the tool's own
 * then the shared ones, aligned, and the exit statuses), or 0 when the options have ended (argc and argv then
 * hold the operands alone). The first call initialises the libraries
 * (xt_init). The account options, -v and every refusal are handled here:
 * a refused option or value gives a negative code, e set.
 */
int		 xt_cli_next(struct xt_cli *c, int *argc, char ***argv,
		    struct xt_error *e);
/* Read the config file and settle the account (c->cfg.jid), no password yet. */
int		 xt_cli_account(struct xt_cli *c, struct xt_error *e);
/*
 * Settle the account if not done yet, get the password and log in, the
 * login bounded by timeout_ms (< 0: --timeout, 30 s if not given; 0:
 * none). c->sess is the session, connected on XT_OK; on a failure it is
 * still set and e holds its message. With -v, notes whom it logged in as.
 */
int		 xt_cli_login(struct xt_cli *c, int timeout_ms,
		    struct xt_error *e);
/*
 * A tool's last words: copy msg (which may live in the session), close
 * the session if there is one, free the account settings, and return the
 * copy: errx(xt_exit_status(rc), "%s", xt_cli_close(c, msg)). NULL msg
 * is fine for a clean end.
 */
const char	*xt_cli_close(struct xt_cli *c, const char *msg);
/*
 * Read the one <pubkey/> of a file (NULL: stdin) and check its print, as
 * xt_pubkey_read; with -v, note which key it is and which rule matched.
 */
int		 xt_cli_pubkey(struct xt_cli *c, const char *path,
		    struct xt_pubkey *pk, struct xt_error *e);
/* A -v note: printf-style, one line, only if c->verbose. */
void		 xt_cli_note(struct xt_cli *c, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- pep */

#define XT_NS_PUBSUB		"http://jabber.org/protocol/pubsub"
#define XT_NS_PUBSUB_OWNER	"http://jabber.org/protocol/pubsub#owner"
#define XT_NS_PUBSUB_EVENT	"http://jabber.org/protocol/pubsub#event"
#define XT_NS_PUBSUB_ERRORS	"http://jabber.org/protocol/pubsub#errors"
#define XT_NS_DISCO_INFO	"http://jabber.org/protocol/disco#info"
#define XT_NS_DATA		"jabber:x:data"

/*
 * Does the account's server offer PEP with publish-options (XEP-0163,
 * XEP-0223)? disco#info to our own bare JID must show identity pubsub/pep
 * and the feature ...pubsub#publish-options. XT_ENOTFOUND with the reason
 * if not; XT_ESTANZA if the server answered with an error.
 */
int		 xt_pep_check(struct xt_session *s, struct xt_error *e);

struct xt_pep_opts {
	const char	*access;	/* pubsub#access_model: open, presence,
					   whitelist (NULL: open) */
	const char	*max_items;	/* pubsub#max_items: "1", "max" (NULL:
					   not asked for) */
	int		 silent;	/* no notifications, no last item sent
					   to subscribers (XEP-0187 3.1) */
};

/*
 * Publish payload (copied, stays the caller's) as item id (NULL: the
 * server picks) of our PEP node, with publish-options persist_items=true
 * and o's access model, max_items and silence. On <conflict/> +
 * <precondition-not-met/>, the node is reconfigured to those options
 * (pubsub#owner configure) and the publish tried once more. A server that
 * refuses a publish-option beyond persist_items and access_model, naming
 * the field (ejabberd 23.01), has the node configured (or created so
 * configured) with all of them, then gets the publish with that pair
 * alone. XT_ESTANZA with the condition on an error answer.
 */
int		 xt_pep_publish(struct xt_session *s, const char *node,
		    const char *id, const struct xt_node *payload,
		    const struct xt_pep_opts *o, struct xt_error *e);
/* Retract item id from our node (notify='true'). */
int		 xt_pep_retract(struct xt_session *s, const char *node,
		    const char *id, struct xt_error *e);
/*
 * The items of node at jid (a bare JID; NULL for our own account): an
 * owned array of *n owned <item/> elements (free each, then the array),
 * taken only from the answer whose id matches and whose from is jid.
 * A node that is absent or that we may not read (forbidden,
 * not-authorized, not-allowed, item-not-found), or a server without PEP
 * (service-unavailable, feature-not-implemented) gives XT_ENOTFOUND, and
 * the condition in *why (may be NULL; static); other errors XT_ESTANZA.
 */
int		 xt_pep_items(struct xt_session *s, const char *jid,
		    const char *node, struct xt_node ***items, size_t *n,
		    const char **why, struct xt_error *e);
void		 xt_pep_items_free(struct xt_node **items, size_t n);

/* ---------------------------------------------------------------- xtls */

/*
 * One XTLS tunnel (the XTLS proto-XEP; DESIGN.md 3, PROTOCOLS.md 6) with
 * one peer full JID over a logged-in session. The tool reads stanzas and
 * hands them here, and moves the plaintext between the tunnel and its
 * files; all of the protocol is here. Functions returning int give XT_OK
 * or the tunnel's failure (then xt_xtls_errmsg says why: XT_EBADSIG the
 * peer's key or SRP password was refused, XT_ESTANZA the peer answered
 * with an error, XT_ECLOSED it left or closed early, XT_ETLS, ...).
 */
#define XT_NS_XTLS		"urn:xmpp:tmp:xtls"
#define XT_XTLS_BLOCK_MAX	(128 * 1024)	/* its base64 fits 256 KiB
						   stanzas */

struct xt_xtls_opts {
	struct xt_session *sess;	/* logged in, bound */
	const char	*peer;		/* the peer's full JID */
	enum xt_tls_method method;
	const struct xt_key *key;	/* x509: our key */
	int		(*accept)(void *arg, const unsigned char *spki,
			    size_t len); /* x509: the peer's key? */
	void		*arg;
	const char	*srp_password;	/* srp */
	int		 window;	/* our data IQs unacknowledged, max */
	size_t		 block;		/* bytes in one data IQ, max */
};

enum xt_xtls_state {
	XT_XTLS_STARTING,	/* <start/> or the handshake under way */
	XT_XTLS_OPEN,		/* data flows */
	XT_XTLS_PEER_ENDED,	/* the peer's data has ended */
	XT_XTLS_CLOSED,		/* closed cleanly: all data delivered */
	XT_XTLS_FAILED
};

struct xt_xtls;

int		 xt_xtls_new(struct xt_xtls **xp, const struct xt_xtls_opts *o,
		    struct xt_error *e);
/*
 * Close (with an alert and <close/> if it did not end cleanly, neither
 * waited for), say goodbye with unavailable presence, wipe, free.
 */
void		 xt_xtls_free(struct xt_xtls *x);
/* As initiator: send directed presence and <start/>. */
int		 xt_xtls_start(struct xt_xtls *x);
/* As responder: answer start (an iq set from the peer) with <proceed/>. */
int		 xt_xtls_accept(struct xt_xtls *x, const struct xt_node *start);
/*
 * A stanza from the session: 1 if it was the tunnel's (the peer's answers,
 * data, <close/>, a simultaneous <start/>, its unavailable presence), 0 if
 * not (anyone else's stanzas never are), or the tunnel's failure.
 */
int		 xt_xtls_stanza(struct xt_xtls *x, const struct xt_node *st);
/*
 * Up to n bytes of the peer's plaintext; 0 when there is none now (then
 * the data IQs it came in are acknowledged: call it until 0 once the
 * bytes are written), or the failure.
 */
ssize_t		 xt_xtls_read(struct xt_xtls *x, void *buf, size_t n);
/* How many bytes xt_xtls_write takes now (0: wait for acknowledgements). */
size_t		 xt_xtls_room(const struct xt_xtls *x);
/* Send n (at most xt_xtls_room) bytes to the peer. */
int		 xt_xtls_write(struct xt_xtls *x, const void *buf, size_t n);
/* Our data has ended (TLS close_notify). */
int		 xt_xtls_shutdown(struct xt_xtls *x);
/* Send what the window allows; the initiator closes once all is done. */
int		 xt_xtls_step(struct xt_xtls *x);
enum xt_xtls_state xt_xtls_state(const struct xt_xtls *x);
const char	*xt_xtls_errmsg(const struct xt_xtls *x, int *code);
int		 xt_xtls_initiator(const struct xt_xtls *x);
/* The peer's full JID. */
const char	*xt_xtls_peer(const struct xt_xtls *x);
/* The TLS session once the handshake is done (for -v), else NULL. */
struct xt_tls	*xt_xtls_tls(const struct xt_xtls *x);
/* Plaintext bytes received and sent. */
void		 xt_xtls_counts(const struct xt_xtls *x, uint64_t *in,
		    uint64_t *out);
/* What one IQ carries for XTLS. */
enum xt_xtls_kind {
	XT_XTLS_EL_NONE = 0,	/* nothing of XTLS */
	XT_XTLS_EL_START,	/* iq set <start/> (any XEP-0250 <offer/>) */
	XT_XTLS_EL_PROCEED,	/* iq result <proceed/> */
	XT_XTLS_EL_DATA,	/* iq set <data/> */
	XT_XTLS_EL_CLOSE,	/* iq set <close/> */
	XT_XTLS_EL_CLOSED,	/* iq result <closed/> */
	XT_XTLS_EL_ACK		/* iq result, empty */
};

struct xt_xtls_payload {
	enum xt_xtls_kind kind;
	const char	*method;	/* data: its method attribute, or NULL */
	unsigned char	*data;		/* data: the bytes, owned (free) */
	size_t		 len;
};

/*
 * Read an IQ as XTLS (the XTLS proto-XEP, section 4): p->kind says what
 * it is. XT_EINVAL with the reason for an XTLS element that is malformed:
 * data that is not base64 (white space is allowed, as the XEP's examples
 * break lines), a child element in <data/>, an empty method, an iq set
 * with two XTLS elements.
 */
int		 xt_xtls_parse(const struct xt_node *iq,
		    struct xt_xtls_payload *p, struct xt_error *e);
/* Is st an iq set holding an XTLS element of that name? */
int		 xt_xtls_is(const struct xt_node *st, const char *name);
/* Answer an IQ with an error condition ("item-not-found", ...). */
int		 xt_xtls_refuse(struct xt_session *s, const struct xt_node *iq,
		    const char *cond);

/* ---------------------------------------------------------------- esession */

/*
 * Offline encrypted sessions (XEP-0187 on XEP-0116, XEP-0188, XEP-0200),
 * exactly the profile of PROTOCOLS.md 1.12. Alice, who goes offline,
 * publishes signed options; Bob sends her a message that starts an
 * ESession and carries the first encrypted stanza; Alice, back, checks
 * and decrypts. MODP groups 14, 15 and 16 of RFC 3526 only.
 */
#define XT_NS_ES_SUBSCRIBERS	"http://www.xmpp.org/extensions/xep-0187.html#ns"
#define XT_NS_ES_EVERYONE	"http://www.xmpp.org/extensions/xep-0116.html#ns"
#define XT_NS_ES_INIT	"http://www.xmpp.org/extensions/xep-0116.html#ns-init"
#define XT_NS_ES_C		"http://www.xmpp.org/extensions/xep-0200.html#ns"

/* The hex of a group's prime (14, 15, 16), or NULL for any other. */
const char	*xt_es_group_hex(int group);
/*
 * content(x, except) of 1.12: the normalised <field/> children of the data
 * form x, in order, without those whose var is listed (NULL-terminated).
 * Owned, NULL on ENOMEM.
 */
char		*xt_es_content(const struct xt_node *x,
		    const char *const *except);

/* What Alice publishes. */
struct xt_es_offer {
	const char	*jid;		/* her bare JID */
	int64_t		 expires;	/* seconds since the epoch */
	const int	*groups;	/* offered, preferred first; NULL: 14,
					   15, 16 */
	int		 ngroups;
	const char	*match_resource; /* or NULL */
	const char *const *ciphers;	/* offered, NULL-terminated; NULL:
					   aes256-ctr, aes128-ctr */
	const struct xt_key *const *keys; /* signing keys, one signs each */
	size_t		 nkeys;
	/* For known-answer tests only, else NULL: N_A, and x per group. */
	const unsigned char *nonce;	/* 16 octets */
	const char *const *x;		/* hex */
};

/* Her secrets for one publication: N_A, x per group, the expiry. */
struct xt_es_secret;

/*
 * Alice's options form (<x xmlns='jabber:x:data' type='form'/>, owned)
 * and the secrets behind it. Every signs value is RSASSA-PKCS1-v1_5
 * SHA-256 over content(x, {signs}).
 */
int		 xt_es_offer_make(const struct xt_es_offer *o,
		    struct xt_node **form, struct xt_es_secret **s,
		    struct xt_error *e);
/* Store the secrets under dir (made 0700), as a 0600 file named by N_A. */
int		 xt_es_secret_save(const struct xt_es_secret *s,
		    const char *dir, struct xt_error *e);
void		 xt_es_secret_free(struct xt_es_secret *s);
/*
 * Destroy (overwrite, fsync, unlink) every stored secret that expired by
 * now, with its replay log; *count says how many.
 */
int		 xt_es_purge(const char *dir, int64_t now, int *count,
		    struct xt_error *e);

/*
 * Before going offline: make options, store their secrets under dir, and
 * publish them as item "current" of the subscribers' node (access model
 * presence) or, with everyone, of everyone's (open); no notifications,
 * no last item sent. If publishing fails, the stored secrets go again.
 * nonce gets the hex of N_A, which names the stored file.
 */
int		 xt_es_publish(struct xt_session *s, const struct xt_es_offer *o,
		    int everyone, const char *dir, char nonce[33],
		    struct xt_error *e);
/*
 * Back online: retract our options from both nodes, so that no new
 * sender uses them (XEP-0187 3.5); *count says how many were there.
 */
int		 xt_es_retract(struct xt_session *s, int *count,
		    struct xt_error *e);

/* What Bob starts an ESession with. */
struct xt_es_begin {
	const struct xt_node *options;	/* her form, as received */
	const char	*to;		/* her bare JID */
	const struct xt_peerkeys *keys;	/* hers: a signs value must verify
					   with one of the valid ones */
	const struct xt_key *key;	/* ours */
	int64_t		 now;
	int		 session;	/* keep it for more stanzas (else the
					   form says terminate) */
	/* For known-answer tests only, else NULL. */
	const char	*y;		/* hex */
	const unsigned char *nonce;	/* N_B, 16 octets */
	const unsigned char *counter;	/* C_A, 16 octets */
};

struct xt_esession;

/*
 * Check her options (a form of urn:xmpp:ssn, not expired, signed by one
 * of her keys we trust: XT_EBADSIG if not, offering sha256, rsa, no
 * compression, messages, version 1.3, a group of 14/15/16 and an AES-CTR
 * cipher: XT_EINVAL if not) and make the ESession: our d, the keys, our
 * identity hidden in the form of the first stanza.
 */
int		 xt_es_begin(const struct xt_es_begin *b,
		    struct xt_esession **s, struct xt_error *e);
/*
 * Her options from PEP: the subscribers' node first, then everyone's
 * (XEP-0187 3.2). *form owned. XT_ENOTFOUND if she published none we may
 * read.
 */
int		 xt_es_options_fetch(struct xt_session *s, const char *jid,
		    struct xt_node **form, struct xt_error *e);
/* Whom to address: her bare JID, or her full one with match_resource. */
const char	*xt_es_to(const struct xt_esession *s);
/*
 * Encrypt text as the <body/> of message m (which the caller made and
 * owns): adds <init/> to the first stanza, <c/> to every one.
 */
int		 xt_es_seal(struct xt_esession *s, const char *text, size_t len,
		    struct xt_node *m, struct xt_error *e);
/*
 * End a kept ESession (XEP-0116 section 10): the form FORM_TYPE
 * urn:xmpp:ssn, terminate 1, encrypted in the <c/> of m.
 */
int		 xt_es_terminate(struct xt_esession *s, struct xt_node *m,
		    struct xt_error *e);
void		 xt_es_free(struct xt_esession *s);

struct xt_es_rx;

/* Alice's side: where her secrets are, and whom she trusts. */
struct xt_es_inbox {
	const char	*dir;		/* the stored secrets */
	int64_t		 now;
	/* Is spki a key we trust for bare (pinned, or fetched and verified)? */
	int		(*trust)(void *arg, const char *bare,
			    const unsigned char *spki, size_t len,
			    struct xt_error *e);
	void		*arg;
	struct xt_es_rx	*rx;		/* ESessions kept for more stanzas */
};

/* Does the message carry an ESession (<init/> or <c/>)? */
int		 xt_es_is(const struct xt_node *m);
/*
 * Check and decrypt an ESession message: *out (owned) is the message with
 * <init/> and <c/> replaced by what they held, or NULL for a stanza that
 * only ended its ESession; keyid the hex SHA-256 of the sender's key. Every check of 1.12 (options not expired, our nonce and
 * group, 1 < d < p-1, d and the sender's nonce never seen before, M_B,
 * the identity, the trusted key, the signature, the <c/> mac) refuses
 * with XT_EBADSIG and the reason; a refused message leaves no trace.
 * d and the nonce are remembered (fsync'd) before the message is handed
 * out.
 */
int		 xt_es_open(struct xt_es_inbox *in, const struct xt_node *m,
		    struct xt_node **out, char keyid[65], struct xt_error *e);
/* Forget the kept ESessions, wiping their keys. */
void		 xt_es_inbox_clear(struct xt_es_inbox *in);

/* ---------------------------------------------------------------- upload */

/*
 * HTTP File Upload (XEP-0363): a slot from the server's upload service,
 * the file PUT over HTTPS with libcurl, TLS verified with the same trust
 * as the stream (a CA file instead of the system store, or a pin).
 */
#define XT_NS_UPLOAD		"urn:xmpp:http:upload:0"
#define XT_NS_OOB		"jabber:x:oob"
#define XT_NS_DISCO_ITEMS	"http://jabber.org/protocol/disco#items"

struct xt_upload_service {
	char		*jid;		/* the service */
	uint64_t	 max;		/* its max-file-size, 0 if not said */
};

/*
 * Find the upload service of the account's server (XEP-0363 section 3):
 * the server's domain itself, else the first of its disco#items whose
 * disco#info lists urn:xmpp:http:upload:0; max from its XEP-0128 form.
 * XT_ENOTFOUND if none. Release with xt_upload_service_clear.
 */
int		 xt_upload_find(struct xt_session *s,
		    struct xt_upload_service *u, struct xt_error *e);
void		 xt_upload_service_clear(struct xt_upload_service *u);

#define XT_UPLOAD_HEADERS	3	/* Authorization, Cookie, Expires */

struct xt_upload_slot {
	char		*put, *get;	/* https URLs */
	char		*headers[XT_UPLOAD_HEADERS]; /* "Name: value", secret */
	size_t		 nheaders;
	size_t		 ignored;	/* other headers, not sent */
	uint64_t	 max;		/* after file-too-large: the limit the
					   service gave, or 0 */
};

/*
 * Ask u for a slot (section 4) for a file name (its last path component),
 * size bytes, Content-Type type. Both URLs must be https (else
 * XT_EPROTO). Of the slot's headers only Authorization, Cookie and
 * Expires are kept (1.1.0 section 5: the others are ignored, counted in
 * ignored), CR and LF removed (section 9). A refusal is XT_ESTANZA with
 * the condition and text (with <file-too-large/>, slot->max holds the
 * limit it gives, if any). Release with xt_upload_slot_clear,
 * which wipes the headers.
 */
int		 xt_upload_request(struct xt_session *s,
		    const struct xt_upload_service *u, const char *name,
		    uint64_t size, const char *type,
		    struct xt_upload_slot *slot, struct xt_error *e);
void		 xt_upload_slot_clear(struct xt_upload_slot *slot);
/* A Content-Type for a file name, by its extension; else octet-stream. */
const char	*xt_upload_type(const char *name);

struct xt_upload_opts {
	const char	*cafile;	/* instead of the system store */
	const char	*pin;		/* "sha256:BASE64": exactly this key */
	long		 timeout;	/* seconds in which no byte moves, or to
					   connect; <= 0 none */
	/* Called as bytes go out (libcurl's pace, often); may be NULL. */
	void		(*progress)(void *arg, uint64_t done, uint64_t total);
	void		*arg;
};

/*
 * PUT size bytes read from fd to the slot, with its headers,
 * Content-Length and Content-Type type. TLS 1.2 at least, the host name
 * of the URL checked against the certificate; the chain against cafile
 * or the system store, or with a pin the server key against it alone.
 * Never unverified. XT_OK on a 2xx answer; another status is XT_ESTANZA
 * with the status line; XT_ETLS, XT_ENET, XT_ETIMEOUT, XT_ESYS (reading
 * fd) otherwise. Messages name the host, never a URL's path.
 */
int		 xt_upload_put(const struct xt_upload_slot *slot, int fd,
		    uint64_t size, const char *type,
		    const struct xt_upload_opts *o, struct xt_error *e);

/* ---------------------------------------------------------------- keyring */

/*
 * Own keys live in the key store, $XDG_DATA_HOME/xmpp-tools/keys/ (or a
 * file named by -o): KEYID.key (PKCS#8 PEM), KEYID.pub (its <pubkey/>),
 * KEYID.rev (a ready revocation), all 0600, KEYID being the hex SHA-256
 * of the DER SPKI. For a key file named P, the companions are P with a
 * ".key" suffix replaced (or, without one, followed) by ".pub" and ".rev".
 */

/* The companion of a key file: suffix ".pub" or ".rev". *out owned. */
int		 xt_keystore_companion(const char *keypath, const char *suffix,
		    char **out);
/*
 * Store a new key: path NULL for the key store. The revocation and the
 * public element are written first, the key last; if any write fails,
 * what was written is removed. XT_EEXIST if any of the three exists
 * (unless force). *keypath (may be NULL) gets the key file's name, owned.
 * With force, an existing set is replaced as a whole: the new key, written
 * unnamed (no copy of it ever has another name), linked to its name is the
 * commit; a run killed before it is undone, after it finished, by the next
 * xt_keystore_recover.
 */
int		 xt_keystore_save(const char *path, const char *pem, size_t pemlen,
		    const struct xt_node *pub, const struct xt_node *rev,
		    int force, char **keypath, struct xt_error *e);
/*
 * Settle a replacement of the set of keypath that a killed run left half
 * done (FILE.xt-old, FILE.pub.xt-new, FILE.rev.xt-new): finished if the
 * new key has its name, else undone. Nothing to do is XT_OK. Run by
 * xt_keystore_save, xt_key_open and xt_keystore_pub before they look.
 */
int		 xt_keystore_recover(const char *keypath, struct xt_error *e);
/*
 * Find our own key: by keyid (64 hex) or by a bare JID (the newest key
 * whose <pubkey/> names that JID and is valid now). *keypath owned.
 * XT_ENOTFOUND if there is none.
 */
int		 xt_keystore_find(const char *keyid, const char *jid,
		    char **keypath, struct xt_error *e);
/*
 * Read the <pubkey/> stored next to a key file (its ".pub" companion) and
 * check its print. XT_ENOTFOUND if there is no such file.
 */
int		 xt_keystore_pub(const char *keypath, struct xt_pubkey *pk,
		    struct xt_error *e);

/*
 * What this machine saw a server accept, recorded beside a key of the key
 * store by xmpp-publish: KEYID.published (a <pubkey/> of the key was
 * published) and KEYID.revoked (a revocation of it was), each holding the
 * time as an XEP-0082 DateTime and a newline, 0600, written whole
 * (xt_file_write, replacing an older record). Not a query of the server.
 */
enum xt_mark { XT_MARK_PUBLISHED = 1, XT_MARK_REVOKED };
/*
 * Record m for the stored key keyid at time t. XT_ENOTFOUND if the key
 * store has no KEYID.pub (a key kept elsewhere, or someone else's).
 */
int		 xt_keystore_mark(const char *keyid, enum xt_mark m, int64_t t,
		    struct xt_error *e);
/* Remove the record m of keyid; none there is fine. */
int		 xt_keystore_unmark(const char *keyid, enum xt_mark m,
		    struct xt_error *e);

/* A key of the key store, as listed. */
struct xt_ownkey {
	struct xt_pubkey pk;		/* its KEYID.pub, print checked */
	int		 published;	/* KEYID.published is there */
	int		 revoked;	/* KEYID.revoked is there */
};

struct xt_ownkeys {
	char		*dir;		/* the key store looked in */
	struct xt_ownkey *keys;		/* sorted: jid, begin, end, keyid */
	size_t		 n;
	struct xt_error	*bad;		/* a KEYID.pub that could not be read,
					   is no <pubkey/> with a good print,
					   or holds another key than KEYID;
					   sorted by message, which names it */
	size_t		 nbad;
};

/*
 * Every KEYID.pub of the key store (other names are ignored) with its
 * records. A missing key store is an empty list. A bad file does not stop
 * the others: it goes to ks->bad. Fails (XT_ESYS, XT_ENOMEM) only when
 * the directory cannot be read. Release with xt_ownkeys_clear.
 */
int		 xt_keystore_list(struct xt_ownkeys *ks, struct xt_error *e);
void		 xt_ownkeys_clear(struct xt_ownkeys *ks);

/*
 * Pins for other people's keys: keyring/BAREJID holds the keyids (hex
 * SHA-256 of the DER SPKI) accepted for that JID, one per line. dir NULL
 * means $XDG_DATA_HOME/xmpp-tools/keyring.
 */
/* The pinned keyids of jid: an owned array of *n owned strings; n 0 if none. */
int		 xt_keyring_get(const char *dir, const char *jid, char ***ids,
		    size_t *n, struct xt_error *e);
/* Replace the pins of jid with ids (atomic write, 0600). */
int		 xt_keyring_set(const char *dir, const char *jid,
		    char *const *ids, size_t n, struct xt_error *e);
void		 xt_keyring_free(char **ids, size_t n);

/* ---------------------------------------------------------------- peerkey */

/*
 * Other people's keys as xmpp-fetchkey weighs them: fetched from PEP (or
 * by the XEP-0189 section 7 request to one full JID), each print checked,
 * the <jid/> and dates checked, attestations (by the signers given) and
 * revocations applied, then the valid ones compared with the pins.
 */

/* What became of one published key. */
enum xt_verdict {
	XT_KEY_VALID = 0, XT_KEY_MALFORMED, XT_KEY_FORGED, XT_KEY_OTHERJID,
	XT_KEY_NOTYET, XT_KEY_EXPIRED, XT_KEY_REVOKED, XT_KEY_UNATTESTED,
	XT_KEY_NVERDICTS
};

struct xt_peerkey {
	struct xt_pubkey pk;
	enum xt_verdict	 v;
	int		 attested;
};

struct xt_peerkeys {
	char		*jid;		/* the bare JID asked for, prepared */
	struct xt_peerkey *keys;
	size_t		 n;
	const char	*none;		/* why the key node gave nothing: the
					   error condition, or NULL */
	int		 direct;	/* asked the contact, not PEP */
};

struct xt_peerkey_opts {
	const char	*direct;	/* a full JID of the contact to ask
					   directly, or NULL for PEP */
	const struct xt_pubkey *signers; /* --signer: a key needs a verified
					   attestation by one of them */
	size_t		 nsigners;
	int64_t		 now;		/* 0: the current time */
	struct xt_cli	*cli;		/* for -v notes, or NULL */
};

/*
 * Fetch and weigh the keys of jid (a bare JID) over s. Attestations are
 * weighed first (with signers, a key nobody vouched for is out before it
 * could sign a revocation of one that is vouched for), then revocations:
 * a revocation counts if the revoked key signed it, or another valid key
 * of the account that has not revoked itself; self-revocations are
 * applied first, so the order of the items changes nothing. One key
 * published under two item ids counts once. ks is filled (xt_peerkeys_
 * clear) whatever was found; a server error gives XT_ESTANZA, a node we
 * may not read counts as empty.
 */
int		 xt_peerkeys_fetch(struct xt_session *s, const char *jid,
		    const struct xt_peerkey_opts *o, struct xt_peerkeys *ks,
		    struct xt_error *e);
/* How many keys are valid. */
size_t		 xt_peerkeys_valid(const struct xt_peerkeys *ks);
/*
 * None valid: XT_ENOTFOUND and the reason in one line ("JID: no valid
 * key: 1 revoked, 1 expired", or no key published at all).
 */
int		 xt_peerkeys_none(const struct xt_peerkeys *ks,
		    struct xt_error *e);
/*
 * Trust on first use: the valid keys must be pinned ones (dir as for
 * xt_keyring_get). Nothing pinned yet: they are pinned. A valid key that
 * is not pinned: XT_EBADSIG ("JID: key changed: pinned X, now Y"), unless
 * accept, which replaces the pins with the valid keys. cli for -v notes.
 */
int		 xt_peerkeys_pin(const struct xt_peerkeys *ks, const char *dir,
		    int accept, struct xt_cli *cli, struct xt_error *e);
/*
 * The keys a tool believes for jid: fetched and weighed (as xmpp-fetchkey
 * without options), at least one valid (else XT_ENOTFOUND saying why),
 * and pinned ones (first use pins them; a changed key is XT_EBADSIG, the
 * message saying how to accept it).
 */
int		 xt_peerkeys_trust(struct xt_session *s, const char *jid,
		    struct xt_cli *cli, struct xt_peerkeys *ks,
		    struct xt_error *e);
/* Is the DER SPKI one of the valid keys? Its index, or -1. */
int		 xt_peerkeys_find(const struct xt_peerkeys *ks,
		    const unsigned char *spki, size_t len);
void		 xt_peerkeys_clear(struct xt_peerkeys *ks);

/*
 * Open one of our private keys as a tool's -k names it: an existing file
 * (or anything with a '/', or without an '@' that is no keyid), else a
 * keyid (64 hex) or a bare JID looked up
 * with xt_keystore_find. The file must be private (XT_EPERM otherwise); an
 * encrypted key takes its passphrase from passfile or the terminal.
 * *keypath (may be NULL) gets the file's path, owned.
 */
int		 xt_key_open(const char *spec, const char *passfile,
		    struct xt_key **kp, char **keypath, struct xt_error *e);
/*
 * The key a tool signs with for account jid: spec as xt_key_open takes it,
 * or if NULL the newest key of jid valid now in the key store.
 */
int		 xt_key_open_own(const char *spec, const char *jid,
		    const char *passfile, struct xt_key **kp, char **keypath,
		    struct xt_error *e);

/* What a new key is made of. */
struct xt_keygen {
	const char	*jid;		/* bare JID */
	unsigned	 bits;
	int64_t		 begin, end;	/* validity */
	int64_t		 now;		/* time of the ready revocation */
	const char	*uri;		/* or NULL */
	const char	*passphrase;	/* or NULL: stored unencrypted */
	const char	*path;		/* key file, or NULL: the key store */
	int		 force;		/* replace existing files */
};

/*
 * Generate a key, sign a revocation of it by itself, and store key,
 * <pubkey/> and revocation (xt_keystore_save). pk gets the new <pubkey/>;
 * *keypath (may be NULL) the key file's name, owned.
 */
int		 xt_keystore_create(const struct xt_keygen *g,
		    struct xt_pubkey *pk, char **keypath, struct xt_error *e);

/* ---------------------------------------------------------------- init */

/*
 * Initialise GnuTLS, libgcrypt (with secure memory) and libxml2 once per
 * process, and forbid core dumps (the process will hold secrets). Every
 * tool calls it first.
 */
int		 xt_init(struct xt_error *e);

#endif /* XT_H */
