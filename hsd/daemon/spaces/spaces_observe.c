/* spaces_observe.c - what the other parts of hsd see of the spaces: a
 * running space looked up or walked (a view, never the record hsd keeps
 * of it), and the space's life told to whoever registered.
 *
 * The monitors and the IDS instances used to be called by name from
 * spaces.c; now they register at start-up, and the spaces depend on
 * neither (docs/ARCHITECTURE.md, "Daemon domains").
 */
#include "spaces.h"
#include "spaces_int.h"
#include "daemon.h"
#include "err.h"

#include <string.h>

int spaces_observe(struct hsd *d, space_observer fn, void *ctx, char *err, size_t errlen)
{
	struct spaces *s = d->spaces;

	if (s->nobservers == SPACES_OBSERVERS_MAX)
		return err_set(err, errlen, HS_ESYS, "spaces: more than %d observers",
			       SPACES_OBSERVERS_MAX);
	s->observers[s->nobservers].fn = fn;
	s->observers[s->nobservers].ctx = ctx;
	s->nobservers++;
	return 0;
}

/* In the order of registration: daemon.c registers the monitors before
 * the instances, so on SPACE_STOPPED an audit space's relays, trace
 * sockets and mirror go before its instance reads the last of its
 * console, as when spaces.c called them one after the other. */
void spaces_announce(struct hsd *d, enum space_event ev, const char *name,
		     enum space_kind kind, const struct space_proc *init)
{
	const struct space_view v = { name, kind, init };
	struct spaces *s = d->spaces;

	for (size_t i = 0; i < s->nobservers; i++)
		s->observers[i].fn(d, ev, &v, s->observers[i].ctx);
}

static void view_of(const struct space_rt *r, struct space_view *out)
{
	*out = (struct space_view){ r->name, r->kind, &r->proc };
}

bool spaces_find(struct hsd *d, const char *name, struct space_view *out)
{
	const struct space_rt *r = spaces_running(d, name);

	if (r)
		view_of(r, out);
	return r != NULL;
}

bool spaces_is_running(struct hsd *d, const char *name)
{
	return spaces_running(d, name) != NULL;
}

const struct space_rt *spaces_next(struct hsd *d, const struct space_rt *it,
				   struct space_view *out)
{
	const struct space_rt *r = it ? it->next : d->spaces->running;

	if (r)
		view_of(r, out);
	return r;
}

const char *spaces_hstrace(const struct hsd *d)
{
	return d->spaces->hstrace;
}
