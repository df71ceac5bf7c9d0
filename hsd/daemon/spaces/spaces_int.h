/* spaces_int.h - what the spaces files share among themselves. */
#ifndef HS_SPACES_INT_H
#define HS_SPACES_INT_H

#include <limits.h>
#include <uv.h>

#include "done.h"
#include "linknet.h"
#include "spaces.h"
#include "userns.h"

struct space_rt {
	char name[SPACE_ROW_NAME];
	enum space_kind kind;
	struct space_proc proc;
	struct hsd *d;
	uv_poll_t poll;        /* the init's pidfd: readable when it exits */
	uv_timer_t kill_timer; /* SIGKILL when a stop takes too long */
	int handles;           /* open uv handles; freed at 0 */
	struct done stop_done;   /* who waits for the stop */
	bool destroying;
	int64_t log_max;       /* bytes of console kept on disk */
	uv_poll_t status_poll; /* hsinit's status pipe (spaces_status.c) */
	bool status_watched;
	char status_buf[256];  /* a line being read from it */
	size_t status_len;
	struct space_rt *next;
};

struct spaces {
	struct space_rt *running;
	struct linknet_plan plan;
	struct fastpath *fastpath; /* NULL: published ports by DNAT alone */
	struct userns_pool pool; /* the spaces' id ranges (--subuid) */
	int hsinit_fd;           /* a sealed copy of hsinit, exec'd by every space */
	uv_timer_t console_timer; /* bounds the consoles on disk */
	char hsinit[PATH_MAX];
	char hstrace[PATH_MAX]; /* bound into audit spaces at /usr/local/bin */
	char instance[16]; /* random id of this store, names its cgroups */
	bool layerfs_ready;
	struct logs_wait *log_waits; /* space.logs replies held (spaces_logs.c) */
	struct {
		space_observer fn;
		void *ctx;
	} observers[SPACES_OBSERVERS_MAX]; /* spaces_observe.c */
	size_t nobservers;
	space_console_reader console_reader; /* spaces_console.c */
	void *console_reader_ctx;
};

/* The stored space called name: HS_ENOENT naming it when there is none. */
int space_get(struct hsd *d, const char *name, struct space_row *row,
	      char *err, size_t errlen);
/* spaces_limits.c: the request's limits (0: the default) checked. */
int space_limits_resolve(const struct space_spec_limits *in,
			 struct space_spec_limits *out, char *err, size_t errlen);

/* The running space called name, or NULL. */
struct space_rt *spaces_running(struct hsd *d, const char *name);

int space_remove(struct hsd *d, const char *name, char *err, size_t errlen);
/* The space's filesystem, image and run directory (absent is fine). */
int space_files_remove(struct hsd *d, const char *name, char *err, size_t errlen);

/* spaces_observe.c: tell every observer (spaces.h says when). */
void spaces_announce(struct hsd *d, enum space_event ev, const char *name,
		     enum space_kind kind, const struct space_proc *init);

/* spaces_recover.c: undo creates an hsd killed mid-way left (at start). */
int spaces_recover(struct hsd *d, char *err, size_t errlen);

/* spaces_logs.c: answers the held space.logs replies (hsd stops). */
void spaces_logs_stop(struct hsd *d);

/* spaces_console.c */
#define SPACES_CONSOLE_CHECK_MS 2000
void spaces_console_trim(uv_timer_t *t);

/* spaces_status.c: what became of the command (hsinit's status pipe). */
void spaces_status_watch(struct space_rt *r);
void spaces_status_close(struct space_rt *r, uv_close_cb closed);
/* state (as shown: "exited", "failed" for a running init whose command
 * ended), status ("exited (N)", "failed: REASON", or the state) and
 * exit_code, signal or error. */
void spaces_status_json(const struct space_row *row, json_t *j);

/* spaces_net.c */
int space_net_init(struct hsd *d, char *err, size_t errlen);
int space_publish_check(struct hsd *d, const struct space_req *req,
			struct publish_row **out, char *err, size_t errlen);
int space_net_up(struct hsd *d, const struct space_row *row,
		 const struct space_proc *proc, char *err, size_t errlen);
void space_net_down(struct hsd *d, const struct space_row *row, char *err,
		    size_t errlen);
/* Rewrite hsd's nftables table from the store: published ports of the
 * running server spaces, counting also_running (NULL or a space being
 * started) among them. */
int spaces_net_apply(struct hsd *d, const char *also_running, char *err,
		     size_t errlen);
void space_net_describe(struct hsd *d, const struct space_row *row, json_t *j);

#endif
