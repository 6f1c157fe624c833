/*
 * init.c: one-time initialisation of the three libraries, in the order
 * libgcrypt wants: version check, secure memory, then finished.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <signal.h>

#include <gcrypt.h>
#include <gnutls/gnutls.h>
#include <libxml/parser.h>

#include "xt.h"

int
xt_init(struct xt_error *e)
{
	static int done;
	struct rlimit rl = { 0, 0 };
	int rc;

	if (done)
		return XT_OK;
	/*
	 * A peer or a reader that goes away must give an error to report,
	 * not a silent death by SIGPIPE.
	 */
	signal(SIGPIPE, SIG_IGN);
	/* Passwords and keys must not end up in a core file. */
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0);
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		if (gcry_check_version(GCRYPT_VERSION) == NULL)
			return xt_error_set(e, XT_ECRYPTO,
			    "libgcrypt too old");
		/* Passwords and SASL keys live here; 64 KiB is plenty. */
		gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
		gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
		gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	if ((rc = gnutls_global_init()) < 0)
		return xt_error_set(e, XT_ETLS, "gnutls: %s",
		    gnutls_strerror(rc));
	xmlInitParser();
	xt_config_take_env();
	done = 1;
	return XT_OK;
}
