/*
 * spaces_logs.c - hsctl space logs: the lines of a space's console.
 *
 * The console (STATE/layers/NAME/console.log, spaces_console.c) is written
 * by the space, so each line is escaped for a terminal (textesc.h TERM)
 * before it leaves hsd.  A reader asks for the last N lines, or for what
 * follows an offset it was given; with "wait" the reply is held until the
 * console grows (inotify on the file) or 10 s pass, so `--follow` sees a
 * line when it is written without asking again and again.  Only whole
 * lines are sent, except one longer than a reply can hold.  The holes the
 * trimming punched (runs of NUL) are skipped.
 */
#include "control.h"
#include "daemon.h"
#include "done.h"
#include "err.h"
#include "spaces.h"
#include "spaces_int.h"
#include "store.h"
#include "textesc.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOGS_READ_MAX (1 << 20) /* bytes read for one reply */
#define LOGS_HOLE 16            /* a run of this many NULs is a punched hole */
#define LOGS_WAIT_MS 10000

struct logs_wait {
	uv_fs_event_t ev;
	uv_timer_t timer;
	struct hsd *d;
	char path[PATH_MAX];
	int64_t from;
	struct done dn;
	int open;
	bool fired;
	struct logs_wait *next;
};

/* Appends line to arr, escaped, without a hole's NULs at its start. */
static void add_line(json_t *arr, const char *p, size_t n)
{
	size_t z = 0;
	char *esc;

	while (z < n && p[z] == 0)
		z++;
	if (z >= LOGS_HOLE || z == n) {
		p += z;
		n -= z;
	}
	if (n && textesc_dup(p, n, TEXTESC_TERM, &esc, NULL, 0) == 0) {
		json_array_append_new(arr, json_string(esc));
		free(esc);
	}
}

/*
 * The reply for path: from >= 0, the whole lines after offset from; from
 * < 0, the last `last` whole lines.  {"lines": [...], "offset": where the
 * next read starts, "size": the console's size}.
 */
static int logs_read(const char *path, int64_t from, long last, json_t **result,
		     char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	json_t *lines = json_array();
	char *buf = NULL;
	int64_t start;
	ssize_t n = 0;

	if (fd < 0 || fstat(fd, &st) || !lines) {
		int rc = err_sys(err, errlen, "space logs: %s", path);
		if (fd >= 0)
			close(fd);
		json_decref(lines);
		return rc;
	}
	start = from >= 0 ? (from > st.st_size ? st.st_size : from)
			  : (st.st_size > LOGS_READ_MAX ? st.st_size - LOGS_READ_MAX : 0);
	size_t want = (size_t)(st.st_size - start < LOGS_READ_MAX ? st.st_size - start : LOGS_READ_MAX);
	if (want && (!(buf = malloc(want)) || (n = pread(fd, buf, want, start)) < 0)) {
		int rc = err_sys(err, errlen, "space logs: %s", path);
		close(fd);
		free(buf);
		json_decref(lines);
		return rc;
	}
	close(fd);
	/* Whole lines only; a chunk with no newline at all is one line cut. */
	size_t end = (size_t)n;
	while (end > 0 && buf[end - 1] != '\n')
		end--;
	if (end == 0 && (size_t)n == LOGS_READ_MAX)
		end = (size_t)n;
	size_t first = 0, count = 0;
	for (size_t i = 0; i < end; i++)
		count += buf[i] == '\n';
	/* Tail mode: skip to the last `last` lines (the first may be cut). */
	for (size_t skip = from < 0 && count > (size_t)last ? count - (size_t)last : 0; skip; first++)
		skip -= buf[first] == '\n';
	for (size_t i = first, b = first; i < end; i++)
		if (buf[i] == '\n' || i + 1 == end) {
			add_line(lines, buf + b, i - b + (buf[i] != '\n'));
			b = i + 1;
		}
	free(buf);
	*result = json_pack("{s:o, s:I, s:I}", "lines", lines, "offset", (json_int_t)(start + (int64_t)end),
			    "size", (json_int_t)st.st_size);
	return *result ? 0 : err_set(err, errlen, HS_ESYS, "out of memory");
}

static void wait_closed(uv_handle_t *h)
{
	struct logs_wait *w = h->data;

	if (--w->open == 0)
		free(w);
}

/* Answers the held request with what is there now, and lets go of it. */
static void wait_fire(struct logs_wait *w, const char *stopping)
{
	char err[HS_ERRLEN];
	json_t *r = NULL;
	int rc;

	if (w->fired)
		return;
	w->fired = true;
	for (struct logs_wait **pp = &w->d->spaces->log_waits; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	if (stopping)
		rc = err_set(err, sizeof(err), HS_ESYS, "%s", stopping);
	else
		rc = logs_read(w->path, w->from, 0, &r, err, sizeof(err));
	done_fire(&w->dn, rc, r, err);
	uv_fs_event_stop(&w->ev);
	uv_close((uv_handle_t *)&w->ev, wait_closed);
	uv_close((uv_handle_t *)&w->timer, wait_closed);
}

static void on_change(uv_fs_event_t *e, const char *file, int events, int status)
{
	(void)file;
	(void)events;
	(void)status;
	wait_fire(e->data, NULL);
}

static void on_timeout(uv_timer_t *t)
{
	wait_fire(t->data, NULL);
}

int spaces_logs(struct hsd *d, const char *name, int64_t from, long last, bool wait,
		const struct done *dn, json_t **result, char *err, size_t errlen)
{
	struct space_row row;
	struct logs_wait *w;
	char path[PATH_MAX];
	int rc = store_space_get(d->store, name, &row, err, errlen);

	if (rc <= 0)
		return rc ? rc : err_set(err, errlen, HS_ENOENT, "name: no space \"%s\"", name);
	space_row_clear(&row);
	space_path(d, name, "console.log", path, sizeof(path));
	if ((rc = logs_read(path, from, last, result, err, errlen)) || !wait || from < 0 ||
	    json_array_size(json_object_get(*result, "lines")) > 0)
		return rc;
	/* Nothing new yet: hold the reply until the console grows. */
	json_decref(*result);
	*result = NULL;
	if (!(w = calloc(1, sizeof(*w))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	w->d = d;
	w->from = from;
	w->dn = *dn;
	snprintf(w->path, sizeof(w->path), "%s", path);
	uv_fs_event_init(d->loop, &w->ev);
	uv_timer_init(d->loop, &w->timer);
	w->ev.data = w->timer.data = w;
	w->open = 2;
	w->next = d->spaces->log_waits;
	d->spaces->log_waits = w;
	if (uv_fs_event_start(&w->ev, on_change, path, 0))
		uv_timer_start(&w->timer, on_timeout, 500, 0); /* no inotify: look once more */
	else
		uv_timer_start(&w->timer, on_timeout, LOGS_WAIT_MS, 0);
	return RPC_DEFERRED;
}

void spaces_logs_stop(struct hsd *d)
{
	while (d->spaces->log_waits)
		wait_fire(d->spaces->log_waits, "hsd is stopping");
}
