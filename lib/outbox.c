/*
 * outbox.c: stanzas sent and not yet acknowledged by the server under
 * Stream Management (XEP-0198), kept so that a tool can send them again
 * on a new stream when the old one was lost.
 */
#include <stdlib.h>

#include "xt.h"

struct xt_outbox_item {
	struct xt_node		*st;
	size_t			 size;	/* as the caller counted it */
	uint32_t		 seq;	/* the session's count once sent */
	struct xt_outbox_item	*next;
};

int
xt_outbox_send(struct xt_outbox *ob, struct xt_session *s,
    struct xt_node *st, size_t size)
{
	struct xt_outbox_item *it;
	uint32_t sent, acked;

	if ((it = malloc(sizeof(*it))) == NULL) {
		xt_node_free(st);
		return XT_ENOMEM;
	}
	it->st = st;
	it->size = size;
	it->next = NULL;
	if (ob->tail != NULL)
		ob->tail->next = it;
	else
		ob->head = it;
	ob->tail = it;
	ob->n++;
	ob->bytes += size;
	/* Kept before it is sent: a failed write is sent again too. */
	xt_session_sm_count(s, &sent, &acked);
	it->seq = sent + 1;
	return xt_session_send(s, st);
}

size_t
xt_outbox_prune(struct xt_outbox *ob, const struct xt_session *s)
{
	struct xt_outbox_item *it;
	uint32_t sent, acked;

	xt_session_sm_count(s, &sent, &acked);
	/*
	 * Acknowledged: not after the server's count (distances from what
	 * was sent, which wrap as the counts do). Without Stream Management
	 * both counts are 0 and nothing is kept.
	 */
	while ((it = ob->head) != NULL && sent - it->seq >= sent - acked) {
		ob->head = it->next;
		if (ob->head == NULL)
			ob->tail = NULL;
		ob->n--;
		ob->bytes -= it->size;
		xt_node_free(it->st);
		free(it);
	}
	return ob->n;
}

int
xt_outbox_resend(struct xt_outbox *ob, struct xt_session *s)
{
	struct xt_outbox_item *it;
	uint32_t sent, acked;
	int rc;

	for (it = ob->head; it != NULL; it = it->next) {
		xt_session_sm_count(s, &sent, &acked);
		it->seq = sent + 1;
		if ((rc = xt_session_send(s, it->st)) < 0)
			return rc;
	}
	return XT_OK;
}

void
xt_outbox_clear(struct xt_outbox *ob)
{
	struct xt_outbox_item *it;

	while ((it = ob->head) != NULL) {
		ob->head = it->next;
		xt_node_free(it->st);
		free(it);
	}
	ob->tail = NULL;
	ob->n = 0;
	ob->bytes = 0;
}
