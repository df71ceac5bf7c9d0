/* spaces_status.c - what became of a running space's command.
 *
 * hsinit (hsd/init/hsinit.c) stays up when the command ends and says so on
 * its status pipe, one line each: "failed: exec CMD: REASON" (the command
 * could not be run), "exited N" or "killed SIG" (it ended and nothing it
 * left runs on).  hsd reads the pipe (the init's copy of its read end after
 * a restart, space_adopt), keeps what it read in the store (cmd_exit,
 * migration 009) and shows it in place of "running".  The pipe's writer is
 * inside the space: every line is checked, and what does not parse is
 * dropped.
 */
#include "spaces_int.h"
#include "daemon.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A number in lo..hi, digits only. */
static bool small_number(const char *s, int lo, int hi, int *out)
{
	int v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9' && v <= hi; p++)
		v = v * 10 + (*p - '0');
	if (p == s || *p || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* One line from the pipe, in the form the store keeps, or false. */
static bool status_line(char *line, char *out, size_t len)
{
	int n;

	if (!strncmp(line, "exited ", 7) && small_number(line + 7, 0, 255, &n))
		return snprintf(out, len, "exited %d", n), true;
	if (!strncmp(line, "killed ", 7) && small_number(line + 7, 1, 64, &n))
		return snprintf(out, len, "killed %d", n), true;
	if (strncmp(line, "failed: ", 8) || !line[8])
		return false;
	for (char *p = line + 8; *p; p++) /* one line of text; hsctl escapes it again */
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	size_t l = strlen(line);
	if (l >= len)
		l = len - 1; /* the store keeps one short line */
	memcpy(out, line, l);
	out[l] = 0;
	return true;
}

static void on_status(uv_poll_t *p, int status, int events)
{
	struct space_rt *r = p->data;
	char err[HS_ERRLEN], text[sizeof(((struct space_row *)0)->cmd_exit)];
	ssize_t n;

	(void)events;
	if (status < 0) {
		uv_poll_stop(p);
		return;
	}
	while ((n = read(r->proc.status_fd, r->status_buf + r->status_len,
			 sizeof(r->status_buf) - 1 - r->status_len)) > 0) {
		char *line = r->status_buf, *nl;
		r->status_len += (size_t)n;
		r->status_buf[r->status_len] = 0;
		while ((nl = memchr(line, '\n', r->status_len - (size_t)(line - r->status_buf)))) {
			*nl = 0;
			if (!status_line(line, text, sizeof(text))) {
				log_warn("space %s: status pipe: a line that is no status dropped", r->name);
			} else if (store_space_set_exit(r->d->store, r->name, text, err, sizeof(err))) {
				log_error("space %s: %s", r->name, err);
			} else {
				log_info("space %s: its command %s", r->name, text);
			}
			line = nl + 1;
		}
		size_t rest = r->status_len - (size_t)(line - r->status_buf);
		if (rest == sizeof(r->status_buf) - 1)
			rest = 0; /* no line is that long: dropped */
		memmove(r->status_buf, line, rest);
		r->status_len = rest;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		uv_poll_stop(p); /* init is gone (its pidfd tells) */
}

void spaces_status_watch(struct space_rt *r)
{
	if (r->proc.status_fd < 0 || uv_poll_init(r->d->loop, &r->status_poll, r->proc.status_fd))
		return;
	r->status_poll.data = r;
	r->status_watched = true;
	r->handles++;
	uv_poll_start(&r->status_poll, UV_READABLE, on_status);
}

void spaces_status_close(struct space_rt *r, uv_close_cb closed)
{
	if (r->status_watched)
		uv_close((uv_handle_t *)&r->status_poll, closed);
	r->status_watched = false;
}

void spaces_status_json(const struct space_row *row, json_t *j)
{
	int n;

	if (strcmp(row->state, "running") || !row->cmd_exit[0]) {
		json_object_set_new(j, "status", json_string(row->state));
		return;
	}
	if (!strncmp(row->cmd_exit, "failed: ", 8)) {
		json_object_set_new(j, "state", json_string("failed"));
		json_object_set_new(j, "error", json_string(row->cmd_exit + 8));
		json_object_set_new(j, "status", json_string(row->cmd_exit));
		return;
	}
	json_object_set_new(j, "state", json_string("exited"));
	if (sscanf(row->cmd_exit, "exited %d", &n) == 1) {
		json_object_set_new(j, "exit_code", json_integer(n));
		json_object_set_new(j, "status", json_sprintf("exited (%d)", n));
	} else if (sscanf(row->cmd_exit, "killed %d", &n) == 1) {
		json_object_set_new(j, "signal", json_integer(n));
		json_object_set_new(j, "status", json_sprintf("exited (signal %d)", n));
	}
}
