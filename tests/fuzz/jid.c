/*
 * jid.c: libFuzzer target for xt_jid_parse. Whatever parses must print
 * (xt_jid_full) to a string that parses again to an equal JID; anything
 * else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xt_jid j, k;
	char *s, *full;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (xt_jid_parse(s, &j, NULL) == XT_OK) {
		if ((full = xt_jid_full(&j)) == NULL)
			abort();
		if (xt_jid_parse(full, &k, NULL) != XT_OK)
			abort();
		if (!xt_jid_equal(&j, &k, 0))
			abort();
		xt_jid_free(&k);
		free(full);
		xt_jid_free(&j);
	}
	free(s);
	return 0;
}
