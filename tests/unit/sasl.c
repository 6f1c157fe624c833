/*
 * sasl.c: unit tests for lib/sasl.c (SCRAM, PLAIN, mechanism choice) and
 * the base64 helpers it relies on. Vectors: RFC 5802 section 5, RFC 7677
 * section 3, RFC 6120 section 9.1 (PROTOCOLS.md 4.3), RFC 6070; the
 * channel-binding, gs2 and authzid vectors were computed independently
 * with Python's hashlib.
 */
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <stringprep.h>

#include "xt.h"
#include "tap.h"

struct vec {
	const char		*what;
	enum xt_sasl_mech	 mech;
	const char		*user;
	const char		*password;
	const char		*authzid;
	const char		*cbtype;
	const unsigned char	*cbdata;
	size_t			 cblen;
	int			 server_plus;
	int			 client_cb;
	const char		*nonce;
	const char		*cfirst;	/* client-first-message */
	const char		*sfirst;	/* server-first-message */
	const char		*cfinal;	/* client-final-message */
	const char		*sfinal;	/* server-final-message */
};

static const unsigned char cb32[32] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
};

#define N5802	"fyko+d2lbbFgONRv9qkxdawL"
#define SF5802	"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j," \
		"s=QSXCR+Q6sek8bf92,i=4096"
#define R5802	"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"
#define N7677	"rOprNGfwEbeRWgbNEkqO"
#define SF7677	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," \
		"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define R7677	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"

static const struct vec vecs[] = {
	{ "rfc 5802 scram-sha-1", XT_SASL_SCRAM_SHA1, "user", "pencil",
	  NULL, NULL, NULL, 0, 0, 0, N5802,
	  "n,,n=user,r=" N5802,
	  SF5802,
	  "c=biws," R5802 ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	  "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=" },
	{ "rfc 7677 scram-sha-256", XT_SASL_SCRAM_SHA256, "user", "pencil",
	  NULL, NULL, NULL, 0, 0, 0, N7677,
	  "n,,n=user,r=" N7677,
	  SF7677,
	  "c=biws," R7677 ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	  "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" },
	{ "rfc 6120 scram-sha-1", XT_SASL_SCRAM_SHA1, "juliet",
	  "r0m30myr0m30", NULL, NULL, NULL, 0, 0, 0,
	  "oMsTAAwAAAAMAAAANP0TAAAAAABPU0AA",
	  "n,,n=juliet,r=oMsTAAwAAAAMAAAANP0TAAAAAABPU0AA",
	  "r=oMsTAAwAAAAMAAAANP0TAAAAAABPU0AAe124695b-69a9-4de6-9c30-"
	  "b51b3808c59e,s=NjhkYTM0MDgtNGY0Zi00NjdmLTkxMmUtNDlmNTNmNDNkMDMz,"
	  "i=4096",
	  "c=biws,r=oMsTAAwAAAAMAAAANP0TAAAAAABPU0AAe124695b-69a9-4de6-9c30-"
	  "b51b3808c59e,p=UA57tM/SvpATBkH2FXs0WDXvJYw=",
	  "v=pNNDFVEQxuXxCoSEiW8GEZ+1RSo=" },
	{ "gs2 p=tls-exporter, cbdata in c=", XT_SASL_SCRAM_SHA256_PLUS,
	  "user", "pencil", NULL, "tls-exporter", cb32, sizeof(cb32), 1, 1,
	  N7677,
	  "p=tls-exporter,,n=user,r=" N7677,
	  SF7677,
	  "c=cD10bHMtZXhwb3J0ZXIsLAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f,"
	  R7677 ",p=QC6CS20quADQRb3mT99YUH+n3VJxUvzuK0K0E1Vrs2M=",
	  "v=2GiAgapEppLVlUXbxUDksL3VgYHzuqiK5tR4mhJGgvs=" },
	{ "gs2 p=tls-unique with scram-sha-1-plus", XT_SASL_SCRAM_SHA1_PLUS,
	  "user", "pencil", NULL, "tls-unique", cb32, 12, 1, 1, N5802,
	  "p=tls-unique,,n=user,r=" N5802,
	  SF5802,
	  "c=cD10bHMtdW5pcXVlLCwAAQIDBAUGBwgJCgs=," R5802
	  ",p=ResgVA2w6fEFiwzXkrPSGTt/RSg=",
	  "v=HKBeWjn99U5AvtgAjz6m1d81mhk=" },
	{ "gs2 n: server offered -plus we do not use", XT_SASL_SCRAM_SHA1,
	  "user", "pencil", NULL, NULL, NULL, 0, 1, 1, N5802,
	  "n,,n=user,r=" N5802,
	  SF5802,
	  "c=biws," R5802 ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	  "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=" },
	{ "gs2 y: we bind, server offered no -plus", XT_SASL_SCRAM_SHA1,
	  "user", "pencil", NULL, NULL, NULL, 0, 0, 1, N5802,
	  "y,,n=user,r=" N5802,
	  SF5802,
	  "c=eSws," R5802 ",p=BjZF5dV+EkD3YCb3pH3IP8riMGw=",
	  "v=dsprQ5R2AGYt1kn4bQRwTAE0PTU=" },
	{ "gs2 n: nobody binds", XT_SASL_SCRAM_SHA1,
	  "user", "pencil", NULL, NULL, NULL, 0, 0, 0, N5802,
	  "n,,n=user,r=" N5802,
	  SF5802,
	  "c=biws," R5802 ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	  "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=" },
	{ "authzid", XT_SASL_SCRAM_SHA1, "user", "pencil",
	  "admin@example.org", NULL, NULL, 0, 0, 0, N5802,
	  "n,a=admin@example.org,n=user,r=" N5802,
	  SF5802,
	  "c=bixhPWFkbWluQGV4YW1wbGUub3JnLA==," R5802
	  ",p=TC64hGpGb/L02R1+gUuuoitp2Bg=",
	  "v=PD3TwB7nunZBpiB5KXF1oXD+ezc=" },
	{ "saslname escaping of = and ,", XT_SASL_SCRAM_SHA1, "us=er,x",
	  "pencil", "a=b,c", NULL, NULL, 0, 0, 0, N5802,
	  "n,a=a=3Db=2Cc,n=us=3Der=2Cx,r=" N5802,
	  SF5802,
	  "c=bixhPWE9M0RiPTJDYyw=," R5802 ",p=abrMWbbNDbIXQ/JlybYowrtaqeY=",
	  "v=EnGH+cgWgglN1yqUQJjjTOVZbyg=" },
	{ "scram-sha-512 on rfc 7677's exchange (python hashlib)",
	  XT_SASL_SCRAM_SHA512, "user", "pencil",
	  NULL, NULL, NULL, 0, 0, 0, N7677,
	  "n,,n=user,r=" N7677,
	  SF7677,
	  "c=biws," R7677 ",p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2"
	  "xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==",
	  "v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5Zx"
	  "XnJq199RVG2rR7N7Zw==" }
};
#define NVECS	(sizeof(vecs) / sizeof(vecs[0]))

static void
opts(const struct vec *v, struct xt_sasl_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mech = v->mech;
	o->user = v->user;
	o->password = v->password;
	o->authzid = v->authzid;
	o->cbtype = v->cbtype;
	o->cbdata = v->cbdata;
	o->cblen = v->cblen;
	o->server_plus = v->server_plus;
	o->client_cb = v->client_cb;
	o->nonce = v->nonce;
}

/* The whole exchange, byte for byte. */
static void
exchange(const struct vec *v)
{
	struct xt_sasl_opts o;
	struct xt_sasl *s = NULL;
	struct xt_error e = { 0, "" };
	char *out = NULL, what[160];
	size_t len = 0;

	opts(v, &o);
	snprintf(what, sizeof(what), "%s: new", v->what);
	if (!is_int(xt_sasl_new(&s, &o, &e), XT_OK, what)) {
		printf("# %s\n", e.msg);
		return;
	}
	snprintf(what, sizeof(what), "%s: client-first", v->what);
	is_int(xt_sasl_initial(s, &out, &len, &e), XT_OK, what);
	is_str(out, v->cfirst, what);
	is_int(len, out != NULL ? strlen(out) : 0, "client-first length");
	free(out);
	out = NULL;
	snprintf(what, sizeof(what), "%s: client-final", v->what);
	is_int(xt_sasl_step(s, v->sfirst, strlen(v->sfirst), &out, &len, &e),
	    XT_OK, what);
	is_str(out, v->cfinal, what);
	free(out);
	is_int(xt_sasl_done(s), 0, "not done before success");
	snprintf(what, sizeof(what), "%s: server signature verified", v->what);
	is_int(xt_sasl_finish(s, v->sfinal, strlen(v->sfinal), &e), XT_OK,
	    what);
	is_int(xt_sasl_done(s), 1, "done after success");
	xt_sasl_free(s);
}

/* Run a vector up to (and including) the client-final message. */
static struct xt_sasl *
upto_final(const struct vec *v)
{
	struct xt_sasl_opts o;
	struct xt_sasl *s = NULL;
	char *out = NULL;
	size_t len;

	opts(v, &o);
	if (xt_sasl_new(&s, &o, NULL) != XT_OK)
		return NULL;
	if (xt_sasl_initial(s, &out, &len, NULL) != XT_OK)
		goto fail;
	free(out);
	out = NULL;
	if (xt_sasl_step(s, v->sfirst, strlen(v->sfirst), &out, &len, NULL) !=
	    XT_OK)
		goto fail;
	free(out);
	return s;
fail:
	free(out);
	xt_sasl_free(s);
	return NULL;
}

/* A forged server-final-message must fail with the one message. */
static void
forged_final(const struct vec *v, const char *sfinal, const char *what)
{
	struct xt_sasl *s = upto_final(v);
	struct xt_error e = { 0, "" };

	if (!ok(s != NULL, "%s: exchange up to client-final", what))
		return;
	is_int(xt_sasl_finish(s, sfinal, strlen(sfinal), &e), XT_EAUTH, what);
	is_str(e.msg, "server signature invalid", "its message");
	is_int(xt_sasl_done(s), 0, "not done");
	xt_sasl_free(s);
}

/* A forged server-first-message must fail in xt_sasl_step. */
static void
forged_first(const struct vec *v, const char *sfirst, const char *msg,
    const char *what)
{
	struct xt_sasl_opts o;
	struct xt_sasl *s = NULL;
	struct xt_error e = { 0, "" };
	char *out = NULL;
	size_t len = 0;

	opts(v, &o);
	if (xt_sasl_new(&s, &o, NULL) != XT_OK ||
	    xt_sasl_initial(s, &out, &len, NULL) != XT_OK) {
		ok(0, "%s: setup", what);
		goto out;
	}
	free(out);
	out = NULL;
	is_int(xt_sasl_step(s, sfirst, strlen(sfirst), &out, &len, &e),
	    XT_EAUTH, what);
	ok(out == NULL, "no response given");
	is_str(e.msg, msg, "its message");
	/* The exchange is dead: the genuine message no longer helps. */
	is_int(xt_sasl_step(s, v->sfirst, strlen(v->sfirst), &out, &len, NULL),
	    XT_EAUTH, "nothing after a failed step");
	is_int(xt_sasl_finish(s, v->sfinal, strlen(v->sfinal), NULL),
	    XT_EAUTH, "no success after a failed step");
	is_int(xt_sasl_done(s), 0, "not done");
out:
	free(out);
	xt_sasl_free(s);
}

static void
test_vectors(void)
{
	size_t i;

	for (i = 0; i < NVECS; i++)
		exchange(&vecs[i]);
}

static void
test_forgeries(void)
{
	const struct vec *v1 = &vecs[0], *v256 = &vecs[1], *v6120 = &vecs[2];
	const struct vec *vplus = &vecs[3];

	/* One character changed in each verified signature. */
	forged_final(v1, "v=rmF9pqV8S7suAoZWja4dJRkFsKq=",
	    "sha-1: server signature with one character changed");
	forged_final(v256, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=",
	    "sha-256: server signature with one character changed");
	forged_final(v6120, "v=pNNDFVEQxuXxCoSEiW8GEZ+1RSO=",
	    "rfc 6120: server signature with one character changed");
	forged_final(vplus, "v=2GiAgapEppLVlUXbxUDksL3VgYHzuqiK5tR4mhJGgvS=",
	    "-plus: server signature with one character changed");
	/* The signature of another exchange (same password, no binding). */
	forged_final(vplus, v256->sfinal, "-plus: the unbound signature");
	forged_final(v1, "v=rmF9pqV8S7suAoZWja4dJRkF", "truncated signature");
	forged_final(v1, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=AAAA",
	    "signature with bytes appended");
	forged_final(v1, "v=", "empty v=");
	forged_final(v1, "", "no additional data with success");
	forged_final(v1, "e=other-error", "e= in server-final");
	forged_final(v1, "e=invalid-proof,v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
	    "e= before a good v=");
	forged_final(v1, "x=1", "unknown attribute instead of v=");
	forged_final(v1, "v=!!!!", "v= not base64");

	forged_first(v1, "r=fyko+d2lbbFgONRv9qkxdawX3rfcNHYJY1ZVvWVs7j,"
	    "s=QSXCR+Q6sek8bf92,i=4096", "scram server nonce does not extend "
	    "ours", "server nonce not starting with ours");
	forged_first(v1, "r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,"
	    "i=4096", "scram server nonce does not extend ours",
	    "server nonce equal to ours");
	forged_first(v1, "r=fyko+d2lbbFgONRv9qkxda,s=QSXCR+Q6sek8bf92,i=4096",
	    "scram server nonce does not extend ours",
	    "server nonce a prefix of ours");
	forged_first(v1, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	    "s=QSXCR+Q6sek8bf92", "malformed scram server-first message",
	    "truncated server-first (no i=)");
	forged_first(v1, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	    "s=QSXCR+Q6sek8bf92,i=", "malformed scram server-first message",
	    "truncated server-first (empty i=)");
	forged_first(v1, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
	    "malformed scram server-first message",
	    "truncated server-first (r= only)");
	forged_first(v1, "", "malformed scram server-first message",
	    "empty server-first");
	forged_first(v1, R5802 ",s=QSXCR+Q6sek8bf92,i=0",
	    "iteration count too low", "i=0");
	forged_first(v1, R5802 ",s=QSXCR+Q6sek8bf92,i=100",
	    "iteration count too low", "i=100");
	forged_first(v1, R5802 ",s=QSXCR+Q6sek8bf92,i=4095",
	    "iteration count too low", "i=4095");
	forged_first(v1, R5802 ",s=QSXCR+Q6sek8bf92,i=1000001",
	    "iteration count too high", "i=1000001");
	forged_first(v1, R5802 ",s=QSXCR+Q6sek8bf92,i=99999999999999999999",
	    "iteration count too high", "i= with 20 digits");
	forged_first(v1, R5802 ",s=QSXCR+Q6sek8bf92,i=-4096",
	    "malformed scram server-first message", "i=-4096");
	forged_first(v1, R5802 ",s=QSXCR+Q6sek8bf92,i=4096x",
	    "malformed scram server-first message", "i=4096x");
	forged_first(v1, R5802 ",s=!!!!,i=4096", "scram salt is not base64",
	    "salt not base64");
	forged_first(v1, R5802 ",s=,i=4096",
	    "malformed scram server-first message", "empty salt");
	forged_first(v1, "e=other-error", "scram server error: other-error",
	    "e=other-error");
	forged_first(v1, "m=bogus," SF5802,
	    "scram mandatory extension not supported", "m= extension");
	forged_first(v1, "s=QSXCR+Q6sek8bf92," R5802 ",i=4096",
	    "malformed scram server-first message", "attributes out of order");
	forged_first(v1, SF5802 ",", "malformed scram server-first message",
	    "trailing comma");
	forged_first(v256, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfu\x01lj,"
	    "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	    "malformed scram server-first message", "control byte in nonce");
}

/* Things the exchange must refuse or accept besides forged messages. */
static void
test_states(void)
{
	const struct vec *v1 = &vecs[0];
	struct xt_sasl_opts o;
	struct xt_sasl *s = NULL;
	struct xt_error e = { 0, "" };
	char *out = NULL;
	size_t len;

	/* Extensions after i= are allowed and enter the AuthMessage. */
	opts(v1, &o);
	xt_sasl_new(&s, &o, NULL);
	xt_sasl_initial(s, &out, &len, NULL);
	free(out);
	out = NULL;
	is_int(xt_sasl_step(s, SF5802 ",x=ext", strlen(SF5802 ",x=ext"), &out,
	    &len, NULL), XT_OK, "extension after i= accepted");
	free(out);
	out = NULL;
	is_int(xt_sasl_finish(s, v1->sfinal, strlen(v1->sfinal), NULL),
	    XT_EAUTH, "but it is part of what the server signs");
	xt_sasl_free(s);

	/* Success straight after the initial response: no signature. */
	xt_sasl_new(&s, &o, NULL);
	xt_sasl_initial(s, &out, &len, NULL);
	free(out);
	out = NULL;
	is_int(xt_sasl_finish(s, "", 0, &e), XT_EAUTH,
	    "success before the challenge refused");
	is_str(e.msg, "server signature invalid", "its message");
	is_int(xt_sasl_done(s), 0, "not done");
	xt_sasl_free(s);

	/* Success with no initial response at all. */
	xt_sasl_new(&s, &o, NULL);
	is_int(xt_sasl_finish(s, v1->sfinal, strlen(v1->sfinal), NULL),
	    XT_EAUTH, "success before anything refused");
	xt_sasl_free(s);

	/* Initial response twice. */
	xt_sasl_new(&s, &o, NULL);
	xt_sasl_initial(s, &out, &len, NULL);
	free(out);
	out = NULL;
	is_int(xt_sasl_initial(s, &out, &len, NULL), XT_EINVAL,
	    "a second initial response refused");
	ok(out == NULL, "and gives nothing");
	xt_sasl_free(s);

	/* Server-final as a challenge (RFC 3920), then empty success. */
	s = upto_final(v1);
	is_int(xt_sasl_step(s, v1->sfinal, strlen(v1->sfinal), &out, &len,
	    NULL), XT_OK, "server-final as a challenge verified");
	ok(out != NULL && len == 0, "answered with an empty response");
	free(out);
	out = NULL;
	is_int(xt_sasl_done(s), 0, "not done before success");
	is_int(xt_sasl_finish(s, "", 0, NULL), XT_OK, "then empty success");
	is_int(xt_sasl_done(s), 1, "done");
	xt_sasl_free(s);

	s = upto_final(v1);
	is_int(xt_sasl_step(s, "v=rmF9pqV8S7suAoZWja4dJRkFsKq=", 30, &out,
	    &len, &e), XT_EAUTH, "forged server-final as a challenge refused");
	is_str(e.msg, "server signature invalid", "its message");
	ok(out == NULL, "no response given");
	is_int(xt_sasl_finish(s, "", 0, NULL), XT_EAUTH,
	    "and success after it refused");
	is_int(xt_sasl_done(s), 0, "not done");
	xt_sasl_free(s);

	/* A third challenge after a verified server-final. */
	s = upto_final(v1);
	xt_sasl_step(s, v1->sfinal, strlen(v1->sfinal), &out, &len, NULL);
	free(out);
	out = NULL;
	is_int(xt_sasl_step(s, "x", 1, &out, &len, &e), XT_EAUTH,
	    "a challenge after the server-final refused");
	is_str(e.msg, "unexpected sasl challenge", "its message");
	xt_sasl_free(s);

	/* Random nonce: 24 base64 characters, different each time. */
	{
		char *a = NULL, *b = NULL;
		struct xt_sasl *t = NULL;

		o.nonce = NULL;
		xt_sasl_new(&s, &o, NULL);
		xt_sasl_new(&t, &o, NULL);
		xt_sasl_initial(s, &a, &len, NULL);
		xt_sasl_initial(t, &b, &len, NULL);
		ok(a != NULL && strncmp(a, "n,,n=user,r=", 12) == 0 &&
		    strlen(a) == 12 + 24, "random nonce of 24 characters");
		ok(a != NULL && b != NULL && strcmp(a, b) != 0,
		    "two random nonces differ");
		ok(a != NULL && strchr(a + 12, ',') == NULL,
		    "random nonce has no comma");
		free(a);
		free(b);
		xt_sasl_free(s);
		xt_sasl_free(t);
	}
}

static void
new_fails(const struct xt_sasl_opts *o, int code, const char *msg,
    const char *what)
{
	struct xt_sasl *s = (struct xt_sasl *)&s;
	struct xt_error e = { 0, "" };

	is_int(xt_sasl_new(&s, o, &e), code, what);
	ok(s == NULL, "no object");
	if (msg != NULL)
		is_str(e.msg, msg, "its message");
}

static void
test_new(void)
{
	struct xt_sasl_opts o;

	opts(&vecs[3], &o);
	o.cbdata = NULL;
	new_fails(&o, XT_EINVAL, NULL, "-plus without cbdata refused");
	opts(&vecs[3], &o);
	o.cbtype = NULL;
	new_fails(&o, XT_EINVAL, NULL, "-plus without cbtype refused");
	o.cbtype = "tls,unique";
	new_fails(&o, XT_EINVAL, NULL, "-plus with a bad cbtype refused");
	opts(&vecs[0], &o);
	o.nonce = "abc,def";
	new_fails(&o, XT_EINVAL, NULL, "nonce with a comma refused");
	o.nonce = "";
	new_fails(&o, XT_EINVAL, NULL, "empty nonce refused");
	opts(&vecs[0], &o);
	o.mech = XT_SASL_NONE;
	new_fails(&o, XT_EINVAL, NULL, "no mechanism refused");
	opts(&vecs[0], &o);
	o.password = "";
	new_fails(&o, XT_EINVAL, "password is empty", "empty password refused");
	opts(&vecs[0], &o);
	o.user = "";
	new_fails(&o, XT_EINVAL, "username is empty", "empty username refused");
	opts(&vecs[0], &o);
	o.password = NULL;
	new_fails(&o, XT_EINVAL, NULL, "no password refused");
	new_fails(NULL, XT_EINVAL, NULL, "no options refused");
}

/* The PLAIN initial response for a user, password and authzid. */
static int
plain(const char *user, const char *pw, const char *authzid, char **out,
    size_t *len, struct xt_error *e)
{
	struct xt_sasl_opts o;
	struct xt_sasl *s = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	o.mech = XT_SASL_PLAIN;
	o.user = user;
	o.password = pw;
	o.authzid = authzid;
	*out = NULL;
	if ((rc = xt_sasl_new(&s, &o, e)) == XT_OK)
		rc = xt_sasl_initial(s, out, len, e);
	xt_sasl_free(s);
	return rc;
}

static int
plain_is(const char *user, const char *pw, const char *authzid,
    const char *want, size_t wantlen, const char *what)
{
	char *out = NULL;
	size_t len = 0;
	int rc, same;

	rc = plain(user, pw, authzid, &out, &len, NULL);
	same = rc == XT_OK && out != NULL && len == wantlen &&
	    memcmp(out, want, len) == 0 && out[len] == '\0';
	ok(same, "%s", what);
	if (out != NULL) {
		xt_wipe(out, len);
		free(out);
	}
	return same;
}

static void
test_plain(void)
{
	struct xt_sasl_opts o;
	struct xt_sasl *s = NULL;
	struct xt_error e = { 0, "" };
	char *out = NULL, ascii[96];
	size_t len, i;
	int rc;

	plain_is("user", "pencil", NULL, "\0user\0pencil", 12,
	    "plain: NUL user NUL password");
	plain_is("user", "pencil", "", "\0user\0pencil", 12,
	    "plain: empty authzid as none");
	plain_is("user", "pencil", "admin@example.org",
	    "admin@example.org\0user\0pencil", 29, "plain: with authzid");
	plain_is("us=er,x", "pen,cil=", NULL, "\0us=er,x\0pen,cil=", 17,
	    "plain: no saslname escaping");
	/* RFC 4013 section 3 examples. */
	plain_is("user", "I\xc2\xadX", NULL, "\0user\0IX", 8,
	    "saslprep: soft hyphen mapped to nothing");
	plain_is("user", "\xc2\xaa", NULL, "\0user\0a", 7,
	    "saslprep: feminine ordinal to a (nfkc)");
	plain_is("user", "\xe2\x85\xa8", NULL, "\0user\0IX", 8,
	    "saslprep: roman numeral nine to IX (nfkc)");
	plain_is("\xe2\x85\xa8", "pencil", NULL, "\0IX\0pencil", 10,
	    "saslprep: on the username too");
	plain_is("user", "a\xc2\xa0" "b", NULL, "\0user\0a b", 9,
	    "saslprep: no-break space to space");
	plain_is("user", "\xc8\xa1", NULL, "\0user\0\xc8\xa1", 8,
	    "saslprep: unassigned code point allowed (query)");
	plain_is("user", "\xef\xac\x80\xef\xac\x80\xef\xac\x80\xef\xac\x80",
	    NULL, "\0user\0ffffffff", 14, "saslprep: nfkc that lengthens");
	/* The ASCII shortcut must agree with libidn. */
	for (i = 0; i < 95; i++)
		ascii[i] = (char)(0x20 + i);
	ascii[95] = '\0';
	{
		char prepped[192], want[5 + 1 + 95];

		strcpy(prepped, ascii);
		ok(stringprep(prepped, sizeof(prepped), 0,
		    stringprep_saslprep) == STRINGPREP_OK &&
		    strcmp(prepped, ascii) == 0,
		    "libidn saslprep keeps printable ascii");
		memcpy(want, "\0user\0", 6);
		memcpy(want + 6, ascii, 95);
		plain_is("user", ascii, NULL, want, 6 + 95,
		    "every printable ascii byte kept");
	}
	rc = plain("user", "\x07" "bell", NULL, &out, &len, &e);
	is_int(rc, XT_EINVAL, "saslprep: control character refused");
	is_str(e.msg, "password is not valid saslprep", "its message");
	free(out);
	rc = plain("user", "\xd8\xa7" "1", NULL, &out, &len, &e);
	is_int(rc, XT_EINVAL, "saslprep: bidi rule refused");
	is_str(e.msg, "password is not valid saslprep", "its message");
	free(out);
	rc = plain("user", "\xff\xfe", NULL, &out, &len, &e);
	is_int(rc, XT_EINVAL, "saslprep: invalid utf-8 refused");
	is_str(e.msg, "password is not valid saslprep", "its message");
	free(out);
	rc = plain("us\x7f" "er", "pencil", NULL, &out, &len, &e);
	is_int(rc, XT_EINVAL, "saslprep: del in the username refused");
	is_str(e.msg, "username is not valid saslprep", "its message");
	free(out);
	rc = plain("user", "\xc2\xad", NULL, &out, &len, &e);
	is_int(rc, XT_EINVAL, "password mapped to nothing refused");
	free(out);

	memset(&o, 0, sizeof(o));
	o.mech = XT_SASL_PLAIN;
	o.user = "user";
	o.password = "pencil";
	xt_sasl_new(&s, &o, NULL);
	is_int(xt_sasl_finish(s, "", 0, NULL), XT_EAUTH,
	    "plain: success before the initial response refused");
	xt_sasl_free(s);
	xt_sasl_new(&s, &o, NULL);
	xt_sasl_initial(s, &out, &len, NULL);
	xt_free_secret(out);
	out = NULL;
	is_int(xt_sasl_step(s, "x", 1, &out, &len, &e), XT_EAUTH,
	    "plain: a challenge is an error");
	ok(out == NULL, "plain: no response to it");
	is_int(xt_sasl_done(s), 0, "plain: not done");
	xt_sasl_free(s);
	xt_sasl_new(&s, &o, NULL);
	xt_sasl_initial(s, &out, &len, NULL);
	xt_free_secret(out);
	is_int(xt_sasl_done(s), 0, "plain: not done before success");
	is_int(xt_sasl_finish(s, "", 0, NULL), XT_OK, "plain: success");
	is_int(xt_sasl_done(s), 1, "plain: done after success");
	xt_sasl_free(s);
}

static void
test_pbkdf2(void)
{
	static const struct {
		unsigned long	 c;
		const char	*hex;
	} v[] = {
		{ 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6" },
		{ 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957" },
		{ 4096, "4b007901b765489abead49d926f721d065a429c1" }
	};
	unsigned char key[20];
	char hex[41];
	size_t i, j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(key, 0, sizeof(key));
		ok(gcry_kdf_derive("password", 8, GCRY_KDF_PBKDF2,
		    GCRY_MD_SHA1, "salt", 4, v[i].c, sizeof(key), key) == 0,
		    "pbkdf2-hmac-sha1 c=%lu derives", v[i].c);
		for (j = 0; j < sizeof(key); j++)
			snprintf(hex + 2 * j, 3, "%02x", key[j]);
		is_str(hex, v[i].hex, "rfc 6070 vector");
	}
}

static void
test_choose(void)
{
	static const char *all[] = {
		"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256",
		"SCRAM-SHA-256-PLUS", "DIGEST-MD5"
	};
	static const char *sha1[] = { "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1" };
	static const char *plainonly[] = { "PLAIN" };
	static const char *plusonly[] = { "SCRAM-SHA-256-PLUS" };
	static const char *unknown[] = { "DIGEST-MD5", "X-OAUTH2", NULL };
	static const char *lower[] = { "scram-sha-256" };
	static const char *ejd[] = { "SCRAM-SHA-256", "SCRAM-SHA-512-PLUS",
	    "SCRAM-SHA-512", "SCRAM-SHA-256-PLUS", "PLAIN" };
	static const struct {
		const char *const	*offered;
		size_t			 n;
		const char		*allowed;
		const char		*cbtype;
		int			 plain_ok;
		enum xt_sasl_mech	 want;
		const char		*what;
	} t[] = {
		{ all, 6, NULL, "tls-exporter", 1, XT_SASL_SCRAM_SHA256_PLUS,
		  "best of all" },
		{ ejd, 5, NULL, "tls-exporter", 1, XT_SASL_SCRAM_SHA512_PLUS,
		  "sha-512-plus first" },
		{ ejd, 5, NULL, NULL, 1, XT_SASL_SCRAM_SHA512,
		  "sha-512 over sha-256 without cbtype" },
		{ ejd, 5, "SCRAM-SHA-256,PLAIN", NULL, 1, XT_SASL_SCRAM_SHA256,
		  "--mechanisms leaves sha-512 out" },
		{ all, 6, NULL, NULL, 1, XT_SASL_SCRAM_SHA256,
		  "no -plus without cbtype" },
		{ all, 6, NULL, "", 1, XT_SASL_SCRAM_SHA256,
		  "no -plus with an empty cbtype" },
		{ sha1, 2, NULL, "tls-unique", 0, XT_SASL_SCRAM_SHA1_PLUS,
		  "sha-1-plus over sha-1" },
		{ sha1, 2, NULL, NULL, 0, XT_SASL_SCRAM_SHA1,
		  "sha-1 without cbtype" },
		{ plainonly, 1, NULL, NULL, 0, XT_SASL_NONE,
		  "plain refused without plain_ok" },
		{ plainonly, 1, NULL, NULL, 1, XT_SASL_PLAIN,
		  "plain with plain_ok" },
		{ plusonly, 1, NULL, NULL, 1, XT_SASL_NONE,
		  "-plus only offered, no cbtype" },
		{ plusonly, 1, NULL, "tls-exporter", 0,
		  XT_SASL_SCRAM_SHA256_PLUS, "-plus only offered, cbtype" },
		{ all, 6, "scram-sha-1, plain", "tls-exporter", 1,
		  XT_SASL_SCRAM_SHA1, "allowed list, case-insensitive" },
		{ all, 6, "PLAIN,SCRAM-SHA-1", NULL, 1, XT_SASL_SCRAM_SHA1,
		  "allowed list does not reorder" },
		{ all, 6, "PLAIN", NULL, 0, XT_SASL_NONE,
		  "allowed plain still needs plain_ok" },
		{ all, 6, "DIGEST-MD5,PLAIN", NULL, 1, XT_SASL_PLAIN,
		  "unknown allowed names ignored" },
		{ all, 6, "DIGEST-MD5", NULL, 1, XT_SASL_NONE,
		  "only unknown allowed names: nothing" },
		{ all, 6, "", NULL, 1, XT_SASL_NONE,
		  "empty allowed list: nothing" },
		{ all, 6, "SCRAM-SHA-1-PLUS,SCRAM-SHA-256", "tls-unique", 1,
		  XT_SASL_SCRAM_SHA1_PLUS, "allowed -plus kept first" },
		{ all, 6, "SCRAM-SHA-256-PLUS", NULL, 1, XT_SASL_NONE,
		  "allowed -plus still needs cbtype" },
		{ all, 6, "SCRAM-SHA-25", NULL, 1, XT_SASL_NONE,
		  "allowed names match whole" },
		{ all, 0, NULL, "tls-exporter", 1, XT_SASL_NONE,
		  "empty offer" },
		{ NULL, 0, NULL, "tls-exporter", 1, XT_SASL_NONE, "no offer" },
		{ unknown, 3, NULL, "tls-exporter", 1, XT_SASL_NONE,
		  "only unknown mechanisms offered" },
		{ lower, 1, NULL, NULL, 0, XT_SASL_SCRAM_SHA256,
		  "offered names compared without case" }
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(xt_sasl_choose(t[i].offered, t[i].n, t[i].allowed,
		    t[i].cbtype, t[i].plain_ok), t[i].want, t[i].what);
}

static void
test_check_list(void)
{
	struct xt_error e = { 0, "" };

	is_int(xt_sasl_check_list("SCRAM-SHA-1", &e), XT_OK, "one name");
	is_int(xt_sasl_check_list(" plain ,scram-sha-256-plus,", &e), XT_OK,
	    "names in any case, blanks and an empty item");
	is_int(xt_sasl_check_list("SCRAM-SHA-1, DIGEST-MD5", &e), XT_EINVAL,
	    "a mechanism of no tool here");
	ok(strncmp(e.msg, "mechanisms: DIGEST-MD5: not one the tools speak",
	    47) == 0, "names it: %s", e.msg);
	is_int(xt_sasl_check_list("SCRAM-SHA-1-", &e), XT_EINVAL,
	    "a prefix is not a name");
	is_int(xt_sasl_check_list(" , ", &e), XT_EINVAL, "no name at all");
	ok(strcmp(e.msg, "mechanisms: an empty list allows no login") == 0,
	    "says so: %s", e.msg);
}

static void
test_names(void)
{
	static const struct {
		enum xt_sasl_mech	 m;
		const char		*name;
	} t[] = {
		{ XT_SASL_SCRAM_SHA256_PLUS, "SCRAM-SHA-256-PLUS" },
		{ XT_SASL_SCRAM_SHA1_PLUS, "SCRAM-SHA-1-PLUS" },
		{ XT_SASL_SCRAM_SHA256, "SCRAM-SHA-256" },
		{ XT_SASL_SCRAM_SHA1, "SCRAM-SHA-1" },
		{ XT_SASL_PLAIN, "PLAIN" }
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		is_str(xt_sasl_mech_name(t[i].m), t[i].name, "mech name");
		is_int(xt_sasl_mech_byname(t[i].name), t[i].m, "mech by name");
	}
	is_str(xt_sasl_mech_name(XT_SASL_NONE), NULL, "no name for none");
	is_str(xt_sasl_mech_name((enum xt_sasl_mech)99), NULL,
	    "no name out of range");
	is_int(xt_sasl_mech_byname("Scram-Sha-1-Plus"), XT_SASL_SCRAM_SHA1_PLUS,
	    "by name ignores case");
	is_int(xt_sasl_mech_byname("DIGEST-MD5"), XT_SASL_NONE, "unknown name");
	is_int(xt_sasl_mech_byname("SCRAM-SHA-1-PLUSX"), XT_SASL_NONE,
	    "longer name");
	is_int(xt_sasl_mech_byname(""), XT_SASL_NONE, "empty name");
	is_int(xt_sasl_mech_byname(NULL), XT_SASL_NONE, "NULL name");
}

static void
test_b64(void)
{
	/* RFC 4648 section 10. */
	static const char *const t[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" }
	};
	static const char *const bad[] = {
		"Zm9", "Zm9v!", "Zm 9v", "Zm9v\n", "Zm9v\r\nYg==", "Z===",
		"Zg=a", "Zm9v\tYg=="
	};
	unsigned char bin[256], *dec = NULL;
	char *enc = NULL;
	size_t i, len = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		is_int(xt_b64_encode(t[i][0], strlen(t[i][0]), &enc), XT_OK,
		    "b64 encode");
		is_str(enc, t[i][1], "rfc 4648 encoding");
		free(enc);
		enc = NULL;
		is_int(xt_b64_decode(t[i][1], strlen(t[i][1]), &dec, &len),
		    XT_OK, "b64 decode");
		ok(dec != NULL && len == strlen(t[i][0]) &&
		    memcmp(dec, t[i][0], len) == 0, "rfc 4648 decoding of '%s'",
		    t[i][1]);
		free(dec);
		dec = NULL;
	}
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	for (i = 1; i <= sizeof(bin); i += 37) {
		xt_b64_encode(bin, i, &enc);
		ok(enc != NULL && xt_b64_decode(enc, strlen(enc), &dec,
		    &len) == XT_OK && len == i && memcmp(dec, bin, i) == 0,
		    "b64 round trip of %zu binary bytes", i);
		free(enc);
		free(dec);
		enc = NULL;
		dec = NULL;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dec = (unsigned char *)&dec;
		ok(xt_b64_decode(bad[i], strlen(bad[i]), &dec, &len) != XT_OK,
		    "invalid b64 '%s' rejected", i == 3 ? "Zm9v\\n" :
		    i == 4 ? "Zm9v\\r\\nYg==" : i == 7 ? "Zm9v\\tYg==" :
		    bad[i]);
		ok(dec == NULL, "and gives nothing");
	}
}

int
main(void)
{
	if (xt_init(NULL) != XT_OK) {
		printf("Bail out! xt_init failed\n");
		return 1;
	}
	test_vectors();
	test_forgeries();
	test_states();
	test_new();
	test_plain();
	test_pbkdf2();
	test_choose();
	test_names();
	test_check_list();
	test_b64();
	return done();
}
