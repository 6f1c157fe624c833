/*
 * account.c: the options every tool that logs in shares (DESIGN.md 2),
 * and the way from them to a connected session: config file, account,
 * password, session. Above both config and session, so that neither
 * knows the other.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

#define TIMEOUT_MAX	2000000		/* seconds: some three weeks */

int
xt_account_option(struct xt_account *a, int ch, const char *name,
    const char *arg, struct xt_error *e)
{
	char *end;
	long v;
	int rc;

	switch (ch) {
	case 'a':
		a->account = arg;
		return 1;
	case 'c':
		a->cfgfile = arg;
		return 1;
	case 'r':
		rc = xt_config_set(&a->cfg, "resource", arg, e);
		return rc < 0 ? rc : 1;
	case 'p':
		return xt_error_set(e, XT_EINVAL, "passwords are not taken on "
		    "the command line; use --password-file or "
		    "password_command");
	case XT_OPT_CONF:
		/* A setting of the config file, by the option's name. */
		rc = xt_config_set(&a->cfg, name, arg ? arg : "yes", e);
		return rc < 0 ? rc : 1;
	case XT_OPT_TIMEOUT:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end != '\0' || end == arg || v < 0 ||
		    v > TIMEOUT_MAX)
			return xt_error_set(e, XT_EINVAL, "--timeout: not a "
			    "number of seconds: %s", arg);
		a->timeout = v;
		return 1;
	case XT_OPT_DEBUG:
		a->debug = 1;
		return 1;
	}
	return 0;
}

int
xt_account_resolve(struct xt_account *a, struct xt_error *e)
{
	int rc;

	/* -a first, so that the config file's jid does not override it. */
	if (a->account != NULL &&
	    (rc = xt_config_set(&a->cfg, "jid", a->account, e)) < 0)
		return rc;
	if ((rc = xt_config_load(&a->cfg, a->cfgfile, e)) < 0 ||
	    (rc = xt_config_account(&a->cfg, a->account, e)) < 0)
		return rc;
	return XT_OK;
}

int
xt_account_login(struct xt_account *a, struct xt_session_opts *so,
    struct xt_session **sp, struct xt_error *e)
{
	char *pw = NULL;
	int rc;

	*sp = NULL;
	if ((rc = xt_config_password(&a->cfg, &pw, e)) < 0)
		return rc;
	xt_config_session(&a->cfg, pw, so);
	*sp = xt_session_new(so);
	xt_free_secret(pw);	/* the session keeps its own copy */
	if (*sp == NULL)
		return xt_error_set(e, XT_ENOMEM, "out of memory");
	if ((rc = xt_session_connect(*sp)) < 0)
		xt_error_set(e, rc, "%s", xt_session_errmsg(*sp));
	return rc;
}
