/*
 * esession.h: what lib/esession.c (the protocol), lib/esform.c (data
 * forms as the profile normalises them) and lib/esstore.c (Alice's
 * stored secrets and replay log) share; nothing outside them includes it.
 */
#ifndef XT_ESESSION_H
#define XT_ESESSION_H

#include <gcrypt.h>

#define ES_NONCE_LEN	16

/* A growing string; oom is set once an append failed. */
struct es_str {
	char	*s;
	size_t	 len, cap;
	int	 oom;
};

void	 es_put(struct es_str *b, const char *s, size_t n);
void	 es_puts(struct es_str *b, const char *s);
/* & < > (and " in attributes) as entities. */
void	 es_put_esc(struct es_str *b, const char *s, int attr);

/* content(x, except) of PROTOCOLS.md 1.12; owned, NULL on ENOMEM. */
char	*es_content(const struct xt_node *x, const char *const *except);
/* The field var of form x, or NULL. */
const struct xt_node *es_field(const struct xt_node *x, const char *var);
/* The values a field offers (<value/>, or those of its <option/>s). */
int	 es_values(const struct xt_node *f, char **out, int max);
void	 es_free_values(char **v, int n);
/* The one value of a field, owned; NULL if none or several. */
char	*es_value(const struct xt_node *x, const char *var);
/* Does the field offer s? */
int	 es_offers(const struct xt_node *x, const char *var, const char *s);
/* Append <field var= [type=]> with values (as options, or not). */
int	 es_add_field(struct xt_node *x, const char *var, const char *type,
	    const char *const *vals, int nvals, int options);
int	 es_add_one(struct xt_node *x, const char *var, const char *type,
	    const char *v, int options);

/* Alice's secrets for one publication. */
struct xt_es_secret {
	char		*jid;
	unsigned char	 na[ES_NONCE_LEN];
	int64_t		 expires;
	int		 n;
	int		 group[3];
	gcry_mpi_t	 x[3];		/* secure */
};

void	 es_hexify(const unsigned char *b, size_t n, char *out);
/* dir/HEX(N_A) and, with suffix, its companions; owned. */
char	*es_store_path(const char *dir, const unsigned char *na,
	    const char *suffix);
/* Read back what xt_es_secret_save wrote for nonce na. */
int	 es_secret_load(const char *dir, const unsigned char *na,
	    struct xt_es_secret **sp, struct xt_error *e);
/* Overwrite a file with zeros, fsync, unlink. */
int	 es_shred(const char *path);
/* Has d or N_B come before? 1 yes, 0 no, or a negative code. */
int	 es_seen(const char *dir, const unsigned char *na, const char *d,
	    const char *nb, struct xt_error *e);
/* Remember d and N_B, fsync'd. */
int	 es_remember(const char *dir, const unsigned char *na, const char *d,
	    const char *nb, struct xt_error *e);
/*
 * The key of Bob's <KeyValue/> in s[0..len), which need not end in a NUL
 * (1.12: exactly <KeyValue><RSAKeyValue><Modulus>..., nothing around it),
 * as DER SPKI in *spki; XT_EINVAL if it is not one.
 */
int	 es_keyvalue(const char *s, size_t len, unsigned char **spki,
	    size_t *spkilen);

#endif
