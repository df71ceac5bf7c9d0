/* instances.c - IDS instances: a bundle running in an audit space.
 *
 * An instance of NAME-VERSION runs in the audit space "NAME@VERSION", which
 * monitors every server space of the host.  Its files are seeded into the
 * space's own layer at /bundle before it starts.  hsd reads the space's
 * console (the command's stdout and stderr) line by line: lines matching
 * the bundle's alert pattern become alerts, and a line that also carries
 * the token of a pending probe verifies the instance.
 */
#include "instances.h"
#include "bundles.h"
#include "control.h"
#include "done.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "probe.h"
#include "spaces.h"
#include "store_alerts.h"
#include "store_instances.h"
#include "alert_syslog.h"
#include "alerts.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAIL_MS 200
#define LINE_MAX_BYTES 4096
#define PROBE_REPEAT_MS 2000

struct instance {
	int64_t id;                  /* row in instances */
	char space[SPACE_ROW_NAME];  /* NAME@VERSION */
	struct bundle b;
	int fd;                      /* the space's console.log */
	char line[LINE_MAX_BYTES];
	size_t len;
	int64_t read_off;            /* console offset after the bytes read */
	int64_t done_off;            /* ... after the last whole line handled */
	int64_t saved_off;           /* done_off as last written to the store */
	bool held;                   /* an alert could not be stored: read again later */
	bool offset_failing;         /* the offset could not be stored (logged once) */
	/* A probe waiting for its report. */
	char token[BUNDLE_TOKEN_LEN + 1];
	uint64_t deadline;           /* uv_now() ms */
	struct done verify_done;     /* who waits for the report */
	uint64_t probe_started;
	uint64_t next_probe;         /* the probe is caused again until reported */
	struct instance *next;
};

struct instances {
	struct instance *list;
	uv_timer_t tail;
	struct alert_syslog syslog; /* a copy of each stored alert */
};

static struct instance *inst_find(struct hsd *d, const char *space)
{
	for (struct instance *i = d->instances->list; i; i = i->next)
		if (strcmp(i->space, space) == 0)
			return i;
	return NULL;
}

/* The line is kept byte for byte, with its length: an IDS may print a NUL
 * or bytes that are not UTF-8 (a file name chosen by an attacker), and the
 * alert must survive whole.  Readers escape it (textesc.h).  An alert the
 * store refuses (a full disk) is not dropped: the caller reads its line
 * again later, so it is logged once, not at every try. */
static int alert_store(struct hsd *d, struct instance *in, const char *line, size_t len,
		       bool probe)
{
	char err[HS_ERRLEN];
	int rc = store_alert_add(d->store, d->cluster.hosts[d->self].name, in->space, line, len,
				 probe, err, sizeof(err));

	if (rc && !in->held)
		log_error("instance %s: alert not stored, kept in its console and tried again: %s",
			  in->space, err);
	else if (!rc && in->held)
		log_info("instance %s: alerts stored again", in->space);
	in->held = rc != 0;
	if (!rc) {
		alert_syslog_send(d, &d->instances->syslog, in->space, line, len);
		alerts_added(d);
	}
	return rc;
}

static void verify_done(struct hsd *d, struct instance *in, int rc, const char *why)
{
	uint64_t ms = uv_now(d->loop) - in->probe_started;
	char err[HS_ERRLEN];

	in->token[0] = 0;
	/* The probe's answer stands whatever the store says: the instance
	 * did report the token.  A record that failed is logged. */
	if (!rc && store_instance_set_verified(d->store, in->id, why, err, sizeof(err)))
		log_error("instance %s: verification not recorded: %s", in->space, err);
	if (store_event(d->store, rc ? "instance.probe_failed" : "instance.verified", in->space,
			why, err, sizeof(err)))
		log_error("instance %s: event not recorded: %s", in->space, err);
	done_fire(&in->verify_done, rc, rc ? NULL : json_pack("{s:s, s:s, s:I}", "instance", in->space,
		  "token", why, "ms", (json_int_t)ms), why);
}

/* line is len bytes (NULs included), NUL-terminated after them.  Fails
 * when its alert could not be stored: the line is to be read again. */
static int inst_line(struct hsd *d, struct instance *in, const char *line, size_t len)
{
	if (!bundle_line_is_alert(&in->b, line, len))
		return 0;
	/* The probe mark is decided here, by the one test that verifies the
	 * probe, while its token is pending: it marks the verifying line and
	 * nothing else.  A token in a later line (the token is no secret: the
	 * server sees the probe's file) marks nothing, so an attacker cannot
	 * make hsctl alerts hide a real alert by writing one. */
	bool reports = in->token[0] && bundle_line_reports(&in->b, line, len, in->token);
	if (alert_store(d, in, line, len, reports))
		return HS_ESYS;
	if (reports) {
		char token[BUNDLE_TOKEN_LEN + 1];
		snprintf(token, sizeof(token), "%s", in->token);
		verify_done(d, in, 0, token);
	}
	return 0;
}

/* Remember how far the console was handled, so a restarted hsd resumes
 * there.  Written after the lines' alerts: a crash in between stores those
 * alerts twice rather than never. */
static void inst_save_offset(struct hsd *d, struct instance *in)
{
	char err[HS_ERRLEN];

	if (in->done_off == in->saved_off)
		return;
	/* A stale offset costs alerts stored twice after a restart, never
	 * lost ones: logged once while it lasts. */
	if (store_instance_offset(d->store, in->id, in->done_off, err, sizeof(err))) {
		if (!in->offset_failing)
			log_error("instance %s: console offset not stored: %s", in->space, err);
		in->offset_failing = true;
		return;
	}
	in->saved_off = in->done_off;
	in->offset_failing = false;
}

/* How far the console of space was handled (its alerts taken), or -1
 * when no instance reads it: what lies below may be dropped from disk
 * (spaces_console_reader). */
static int64_t instances_console_done(struct hsd *d, const char *space, void *ctx)
{
	struct instance *in = d->instances ? inst_find(d, space) : NULL;
	(void)ctx;
	return in ? in->done_off : -1;
}

/* Read what the console gained since last time; split it into lines.
 * An alert the store refuses stops the reading at its line: the console
 * is read again from there at the next tick, and done_off (what the
 * console trim keeps and the stored offset) never passes it. */
static void inst_read(struct hsd *d, struct instance *in)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(in->fd, buf, sizeof(buf))) > 0) {
		int64_t base = in->read_off;
		in->read_off += n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n' && in->len < sizeof(in->line) - 1) {
				in->line[in->len++] = buf[i];
				continue;
			}
			if (buf[i] != '\n')
				continue; /* an overlong line is cut, the rest skipped */
			in->line[in->len] = 0;
			if (inst_line(d, in, in->line, in->len)) {
				/* The line began right after done_off. */
				in->len = 0;
				in->read_off = in->done_off;
				if (lseek(in->fd, (off_t)in->done_off, SEEK_SET) < 0)
					log_error("instance %s: console: cannot read again: %m", in->space);
				goto out;
			}
			in->len = 0;
			in->done_off = base + i + 1;
		}
	}
out:
	inst_save_offset(d, in);
}

static void inst_tail(struct hsd *d, struct instance *in)
{
	inst_read(d, in);
	/* An IDS may still be starting (AIDE building its database) when the
	 * probe first happens: repeat it, same token, until reported. */
	if (in->token[0] && uv_now(d->loop) >= in->next_probe && uv_now(d->loop) < in->deadline) {
		char why[HS_ERRLEN];
		in->next_probe = uv_now(d->loop) + PROBE_REPEAT_MS;
		if (probe_cause(d, in->space, in->b.probe, in->token, why, sizeof(why)))
			log_warn("instance %s: probe: %s", in->space, why);
	}
	if (in->token[0] && uv_now(d->loop) >= in->deadline) {
		char why[128];
		snprintf(why, sizeof(why), "probe: %s did not report token %s within %d s",
			 in->space, in->token, in->b.deadline_s);
		verify_done(d, in, HS_ESTATE, why);
	}
}

static void on_tail(uv_timer_t *t)
{
	struct hsd *d = t->data;
	for (struct instance *in = d->instances->list; in; in = in->next)
		inst_tail(d, in);
}

/* Watch an instance's console from byte offset from; -1: from its current
 * end (nothing known of what was read before). */
static int inst_watch(struct hsd *d, int64_t id, const char *space, const char *bundle_id,
		      int64_t from, char *err, size_t errlen)
{
	struct instance *in = calloc(1, sizeof(*in));
	char path[PATH_MAX];
	int rc;

	if (!in)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	in->id = id;
	snprintf(in->space, sizeof(in->space), "%s", space);
	if ((rc = bundles_load(d, bundle_id, &in->b, err, errlen))) {
		free(in);
		return rc;
	}
	space_path(d, space, "console.log", path, sizeof(path));
	if ((in->fd = open(path, O_RDONLY | O_CLOEXEC | O_CREAT, 0600)) < 0) {
		rc = err_sys(err, errlen, "instance %s: console %s", space, path);
		bundle_free(&in->b);
		free(in);
		return rc;
	}
	off_t end = lseek(in->fd, 0, SEEK_END);
	/* A console shorter than the offset is not the one it was read from. */
	if (from < 0 || end < 0 || from > (int64_t)end)
		from = end < 0 ? 0 : (int64_t)end;
	lseek(in->fd, (off_t)from, SEEK_SET);
	in->read_off = in->done_off = from;
	in->saved_off = -1; /* written at the first read */
	in->next = d->instances->list;
	d->instances->list = in;
	inst_save_offset(d, in);
	return 0;
}

static void inst_forget(struct hsd *d, const char *space)
{
	for (struct instance **p = &d->instances->list; *p; p = &(*p)->next)
		if (strcmp((*p)->space, space) == 0) {
			struct instance *in = *p;
			*p = in->next;
			done_fire(&in->verify_done, HS_ESTATE, NULL, "instance stopped");
			close(in->fd);
			bundle_free(&in->b);
			free(in);
			return;
		}
}

/* The instance's audit space stopped (spaces_observe): stop reading it,
 * record the stop. */
static void instances_on_space(struct hsd *d, enum space_event ev, const struct space_view *s,
			       void *ctx)
{
	const char *space = s->name;
	char err[HS_ERRLEN];
	struct instance *in;

	(void)ctx;
	if (ev != SPACE_STOPPED || s->kind != SPACE_AUDIT || !d->instances ||
	    !(in = inst_find(d, space)))
		return;
	/* What it printed since the last tick, up to its end, still counts:
	 * an old version's last alerts arrive as it is being retired. */
	inst_read(d, in);
	inst_forget(d, space);
	/* The space is gone whatever the store says: a row left running
	 * is logged, not a reason to keep reading a console. */
	if (store_instance_set_stopped(d->store, space, err, sizeof(err)))
		log_error("instance %s: stop not recorded: %s", space, err);
}

int instances_init(struct hsd *d, char *err, size_t errlen)
{
	struct store_instance *rows;
	size_t n;
	int rc;

	if (!(d->instances = calloc(1, sizeof(*d->instances))))
		return err_set(err, errlen, HS_ESYS, "out of memory");
	alert_syslog_init(&d->instances->syslog);
	uv_timer_init(d->loop, &d->instances->tail);
	d->instances->tail.data = d;
	uv_timer_start(&d->instances->tail, on_tail, TAIL_MS, TAIL_MS);
	if ((rc = spaces_observe(d, instances_on_space, NULL, err, errlen)) ||
	    (rc = spaces_console_reader(d, instances_console_done, NULL, err, errlen)))
		return rc;
	if ((rc = store_instance_list(d->store, true, &rows, &n, err, errlen)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		char why[HS_ERRLEN], id[sizeof(rows[i].bundle) + sizeof(rows[i].version)];
		snprintf(id, sizeof(id), "%s-%s", rows[i].bundle, rows[i].version);
		/* Re-adopted: go on where the hsd before us stopped reading
		 * (console_offset -1: from the console's end). */
		if (inst_watch(d, rows[i].id, rows[i].space, id, rows[i].console_offset, why,
			       sizeof(why)))
			log_warn("instance %s: %s", rows[i].space, why);
	}
	free(rows);
	return 0;
}

void instances_free(struct hsd *d)
{
	alerts_stop(d); /* held by the alerts this stops storing */
	if (!d->instances)
		return;
	while (d->instances->list)
		inst_forget(d, d->instances->list->space);
	uv_close((uv_handle_t *)&d->instances->tail, NULL);
	uv_run(d->loop, UV_RUN_NOWAIT);
	alert_syslog_free(&d->instances->syslog);
	free(d->instances);
	d->instances = NULL;
}

/* Record a started instance and begin reading its console. */
static int inst_record(struct hsd *d, const struct bundle *b, const char *space, int64_t from,
		       json_t **result, char *err, size_t errlen)
{
	char why[HS_ERRLEN];
	int64_t id;
	int rc = store_instance_insert(d->store, b->name, b->version, space, &id, err, errlen);

	/* An earlier console of the same space was read by whoever ran it;
	 * from is where it ended when this start began. */
	if (!rc)
		rc = inst_watch(d, id, space, b->id, from, err, errlen);
	if (!rc) {
		/* The instance runs and is recorded: a lost event is logged. */
		if (store_event(d->store, "instance.start", space, b->hash, why, sizeof(why)))
			log_error("instance %s: event not recorded: %s", space, why);
		*result = json_pack("{s:s, s:s}", "instance", space, "bundle", b->id);
	}
	return rc;
}

/* The console's length before a start: what the instance prints from its
 * first line on is read (the console is appended to, never truncated). */
static int64_t console_size(struct hsd *d, const char *space)
{
	char path[PATH_MAX];
	struct stat sb;

	space_path(d, space, "console.log", path, sizeof(path));
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* Seed the bundle's files into the new space's own layer at /bundle. */
static int seed_bundle(const char *upper, void *arg, char *err, size_t errlen)
{
	const struct bundle_seed *s = arg;
	char dst[PATH_MAX];

	snprintf(dst, sizeof(dst), "%s/bundle", upper);
	return bundle_copy(s->b, s->dir, dst, err, errlen);
}

int instances_start(struct hsd *d, const char *bundle_id, const char *inherit,
		    json_t **result, char *err, size_t errlen)
{
	char space[SPACE_ROW_NAME], dir[PATH_MAX], servers[1024] = "", env_servers[1100];
	char env_inst[96], env_host[64];
	struct space_row *rows;
	size_t nrows, nmon = 0;
	struct bundle b;
	int rc;

	/* Every start, local or asked by a peer or a rollout: the files must
	 * still hash to what an operator of this moment signed. */
	if ((rc = bundles_load_signed(d, bundle_id, &b, err, errlen)))
		return rc;
	if (strlen(b.name) + 1 + strlen(b.version) >= sizeof(space)) {
		bundle_free(&b);
		return err_set(err, errlen, HS_EINPUT,
			       "bundle: %s@%s is longer than a space name may be (%zu)",
			       b.name, b.version, sizeof(space) - 1);
	}
	memcpy(space, b.name, strlen(b.name));
	space[strlen(b.name)] = '@';
	strcpy(space + strlen(b.name) + 1, b.version);
	if (inst_find(d, space)) { /* asked again (a restarted coordinator) */
		*result = json_pack("{s:s, s:s, s:b}", "instance", space, "bundle", b.id, "existing", 1);
		bundle_free(&b);
		return 0;
	}
	struct space_row old;
	if (store_space_get(d->store, space, &old, NULL, 0) == 1) {
		/* A stopped earlier instance of this very version (kept because
		 * a newer one inherits from it): going back starts it again,
		 * with its files, e.g. the IDS's database. */
		space_row_clear(&old);
		json_t *sp = NULL;
		int64_t from = console_size(d, space);
		rc = spaces_start(d, space, &sp, err, errlen);
		json_decref(sp);
		if (!rc)
			rc = inst_record(d, &b, space, from, result, err, errlen);
		bundle_free(&b);
		return rc;
	}
	if ((rc = store_space_list(d->store, &rows, &nrows, err, errlen))) {
		bundle_free(&b);
		return rc;
	}
	const char **mon = calloc(nrows + 1, sizeof(*mon));
	for (size_t i = 0; mon && i < nrows; i++)
		if (strcmp(rows[i].kind, "server") == 0) {
			mon[nmon++] = rows[i].name;
			size_t len = strlen(servers);
			snprintf(servers + len, sizeof(servers) - len, "%s%s", len ? " " : "", rows[i].name);
		}
	snprintf(env_servers, sizeof(env_servers), "HSD_SERVERS=%s", servers);
	snprintf(env_inst, sizeof(env_inst), "HSD_INSTANCE=%s", space);
	snprintf(env_host, sizeof(env_host), "HSD_HOST=%s", d->cluster.hosts[d->self].name);
	/* env VARS... sh -c 'cd /bundle && exec "$@"' hsd-bundle COMMAND... */
	char **argv = calloc(b.ncommand + 9, sizeof(*argv)); /* 8 fixed, the command, NULL */
	if (!mon || !argv) {
		rc = err_set(err, errlen, HS_ESYS, "out of memory");
		goto out;
	}
	size_t k = 0;
	argv[k++] = (char *)"env";
	argv[k++] = env_servers;
	argv[k++] = env_inst;
	argv[k++] = env_host;
	argv[k++] = (char *)"sh";
	argv[k++] = (char *)"-c";
	argv[k++] = (char *)"cd /bundle && exec \"$@\"";
	argv[k++] = (char *)"hsd-bundle";
	for (size_t i = 0; i < b.ncommand; i++)
		argv[k++] = b.command[i];
	bundles_dir(d, b.id, dir, sizeof(dir));
	struct bundle_seed seed = { &b, dir };
	struct space_req req = {
		.name = space, .kind = SPACE_AUDIT, .inherit = inherit ? inherit : "base",
		.monitor = mon, .nmonitor = nmon, .argv = argv,
		.prepare = seed_bundle, .prepare_arg = &seed,
	};
	json_t *sp = NULL;
	int64_t from = console_size(d, space);
	if ((rc = spaces_create(d, &req, &sp, err, errlen)))
		goto out;
	json_decref(sp);
	rc = inst_record(d, &b, space, from, result, err, errlen);
out:
	free(argv);
	free(mon);
	space_rows_free(rows, nrows);
	bundle_free(&b);
	return rc;
}

int instances_verify(struct hsd *d, const char *space, const struct done *dn,
		     char *err, size_t errlen)
{
	struct instance *in = inst_find(d, space);
	int rc;

	if (!in)
		return err_set(err, errlen, HS_EINPUT, "instance: no running instance \"%s\"", space);
	if (in->token[0]) {
		/* Asked again (the first asker gave up waiting): the new asker
		 * takes over the probe under way. */
		done_fire(&in->verify_done, HS_ESTATE, NULL, "instance: probe taken over by a new request");
		in->verify_done = *dn;
		return RPC_DEFERRED;
	}
	bundle_token_new(in->token);
	in->probe_started = uv_now(d->loop);
	in->deadline = in->probe_started + (uint64_t)in->b.deadline_s * 1000;
	in->next_probe = in->probe_started + PROBE_REPEAT_MS;
	if ((rc = probe_cause(d, in->space, in->b.probe, in->token, err, errlen))) {
		in->token[0] = 0;
		return rc;
	}
	in->verify_done = *dn;
	return RPC_DEFERRED;
}

int instances_watch(struct hsd *d, const char *space, struct instance_watch *out, char *err,
		    size_t errlen)
{
	const char *at = strrchr(space, '@');
	struct store_instance *rows;
	char name[sizeof(out->bundle)];
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!at || at == space || strlen(space) >= sizeof(out->bundle))
		return err_set(err, errlen, HS_EINPUT, "instance: want NAME@VERSION, not \"%s\"",
			       space);
	snprintf(out->bundle, sizeof(out->bundle), "%.*s-%s", (int)(at - space), space, at + 1);
	/* Running instances of this IDS (same name) that passed their probe. */
	snprintf(name, sizeof(name), "%.*s", (int)(at - space), space);
	if ((rc = store_instance_list_verified(d->store, name, &rows, &n, err, errlen)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (!spaces_is_running(d, rows[i].space))
			continue;
		if (!strcmp(rows[i].space, space))
			out->verified = true;
		else
			out->others_verified++;
	}
	free(rows);
	return HS_OK;
}

json_t *instances_syslog_json(struct hsd *d)
{
	const struct alert_syslog *a = d->instances ? &d->instances->syslog : NULL;

	return json_pack("{s:I, s:I}", "sent", (json_int_t)(a ? a->sent : 0),
			 "dropped", (json_int_t)(a ? a->dropped : 0));
}
