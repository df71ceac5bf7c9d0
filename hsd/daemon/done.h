/* done.h - how a long operation (stopping a space, verifying an instance)
 * reports its end, whoever asked: hsctl through the control socket,
 * another hsd, or the rollout coordinator itself. */
#ifndef HS_DONE_H
#define HS_DONE_H

#include <jansson.h>
#include <stdbool.h>

struct done {
	/* result is stolen; err is the message when rc != 0. */
	void (*fn)(void *arg, int rc, json_t *result, const char *err);
	void *arg;
};

static inline bool done_pending(const struct done *dn)
{
	return dn->fn != NULL;
}

/* Report once; later calls do nothing. */
static inline void done_fire(struct done *dn, int rc, json_t *result, const char *err)
{
	void (*fn)(void *, int, json_t *, const char *) = dn->fn;
	dn->fn = NULL;
	if (fn)
		fn(dn->arg, rc, result, err);
	else
		json_decref(result);
}

struct control_call;
/* A done that answers a deferred control call. */
struct done done_control(struct control_call *call);

#endif
