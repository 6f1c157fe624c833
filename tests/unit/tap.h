/*
 * tap.h: a few lines of TAP for the unit test programs.
 * ok() prints one test line; done() prints the plan and returns the
 * exit status (1 if any test failed).
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int __attribute__((unused))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

/* String equality with a diagnostic on failure; NULLs compare equal. */
static int __attribute__((unused))
is_str(const char *got, const char *want, const char *what)
{
	int same = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	if (!ok(same, "%s", what))
		printf("#   got: '%s'\n#  want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
	return same;
}

static int __attribute__((unused))
is_int(long got, long want, const char *what)
{
	if (!ok(got == want, "%s", what))
		printf("#   got: %ld\n#  want: %ld\n", got, want);
	return got == want;
}

static int __attribute__((unused))
done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
