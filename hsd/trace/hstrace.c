/* hstrace - watch syscalls of a server space from inside an audit space.
 *
 *   hstrace [--socket PATH] [--json] [--count N] [--syscalls a,b]
 *           [--slow MS] [--backend auto|ptrace|ebpf] space|PID
 *
 * Talks to the trace broker (hsd) over its socket; the broker does the
 * tracing (eBPF, or ptrace) outside the audit space and only ever sends
 * events back.  The backend serving it is named on stderr.
 * Exit: 0 done (SIGINT, --count, the traced processes ended), 2 bad
 * input, 1 broker or connection error.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "frame.h"
#include "trace.h"

#define HSTRACE_SOCKET "/run/hsd-trace.sock"
#define HSTRACE_FINAL_WAIT_MS 3000

struct opts {
	const char *socket;
	bool json;
	long long count; /* 0 = unlimited */
	long slow_ms;
	const char *syscalls;
	const char *backend; /* NULL: the broker's default (auto) */
	const char *target;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hstrace [--socket PATH] [--json] [--count N] [--syscalls a,b]\n"
		   "               [--slow MS] [--backend auto|ptrace|ebpf] space|PID\n");
}

static int parse_num(const char *s, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return HS_EINPUT;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"count", required_argument, NULL, 'c'},
		{"syscalls", required_argument, NULL, 'e'},
		{"slow", required_argument, NULL, 'w'},
		{"backend", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long long v;
	int c;
	*o = (struct opts){.socket = HSTRACE_SOCKET};
	while ((c = getopt_long(argc, argv, "s:jc:e:w:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'c':
			if (parse_num(optarg, 1LL << 62, &v) || !v)
				return err_set(err, errlen, HS_EINPUT, "--count: want a positive number");
			o->count = v;
			break;
		case 'e':
			o->syscalls = optarg;
			break;
		case 'w':
			if (parse_num(optarg, 3600000, &v))
				return err_set(err, errlen, HS_EINPUT, "--slow: want milliseconds");
			o->slow_ms = (long)v;
			break;
		case 'b':
			o->backend = optarg; /* checked by the request parser */
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return err_set(err, errlen, HS_EINPUT, "bad option (see --help)");
		}
	}
	if (optind + 1 != argc)
		return err_set(err, errlen, HS_EINPUT, "want exactly one target: space or a PID");
	o->target = argv[optind];
	return 0;
}

/* The request, validated locally with the broker's own parser so a typo
 * is exit 2 before anything connects. */
static int build_request(const struct opts *o, json_t **out, char *err, size_t errlen)
{
	long long pid;
	json_t *req = json_pack("{s:i,s:s}", "v", TRACE_PROTO_V, "op", "trace");
	if (!req)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	if (strcmp(o->target, "space") == 0)
		json_object_set_new(req, "target", json_string("space"));
	else if (parse_num(o->target, 1LL << 31, &pid) == 0)
		json_object_set_new(req, "target", json_integer(pid));
	else {
		json_decref(req);
		return err_set(err, errlen, HS_EINPUT, "target: want \"space\" or a PID");
	}
	if (o->syscalls) {
		json_t *list = json_array();
		char *copy = strdup(o->syscalls), *save = NULL;
		for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
		     tok = strtok_r(NULL, ",", &save))
			json_array_append_new(list, json_string(tok));
		free(copy);
		json_object_set_new(req, "syscalls", list);
	}
	if (o->backend)
		json_object_set_new(req, "backend", json_string(o->backend));
	struct trace_request rq;
	int rc = trace_request_parse(req, &rq, err, errlen);
	if (rc) {
		json_decref(req);
		return rc;
	}
	*out = req;
	return 0;
}

static int connect_broker(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, errlen, HS_EINPUT, "--socket: path too long");
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, errlen, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = err_sys(err, errlen, "connect %s", path);
		close(fd);
		return rc;
	}
	return fd;
}

struct client {
	int fd;
	const struct opts *o;
	struct frame_reader fr;
	long long events;
	long long dropped; /* from the latest stats frame */
	bool final, ok, draining;
};

static void print_json(const json_t *m)
{
	char *s = json_dumps(m, JSON_COMPACT);
	if (s)
		puts(s);
	free(s);
}

/* An event counted; --slow and --count applied.  1 to go on, 0 when done. */
static int on_event(struct client *c)
{
	c->events++;
	if (c->o->slow_ms) {
		struct timespec ts = {c->o->slow_ms / 1000, (c->o->slow_ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
	}
	return c->o->count && c->events >= c->o->count ? 0 : 1;
}

/* Handle one frame: 1 to go on, 0 when done, HS_ESYS for a broker error
 * before tracing started. */
static int on_frame(struct client *c, const json_t *m, char *err, size_t errlen)
{
	const json_t *stats = json_object_get(m, "stats");
	const char *error = json_string_value(json_object_get(m, "error"));
	char line[8192];

	if (error) {
		if (!c->ok)
			return err_set(err, errlen, HS_ESYS, "broker: %s", error);
		fprintf(stderr, "hstrace: broker: %s\n", error);
		return 1;
	}
	if (json_is_true(json_object_get(m, "ok"))) {
		const char *why = json_string_value(json_object_get(m, "ebpf_error"));
		c->ok = true;
		fprintf(stderr, "hstrace: backend %s, %lld threads%s%s\n",
			json_string_value(json_object_get(m, "backend")) ?: "ptrace",
			(long long)json_integer_value(json_object_get(m, "threads")),
			why ? "; no eBPF: " : "", why ? why : "");
		return 1;
	}
	if (json_is_object(stats)) {
		c->dropped = (long long)json_integer_value(json_object_get(stats, "dropped"));
		if (c->o->json)
			print_json(m);
		c->final = json_is_true(json_object_get(m, "final"));
		return c->final ? 0 : 1;
	}
	if (c->draining)
		return 1; /* after --count or SIGINT: only the final stats matter */
	if (c->o->json)
		print_json(m);
	else if (trace_format_event(m, line, sizeof(line)) == 0)
		puts(line);
	return on_event(c);
}

/* With --json an event frame is printed as it came, never parsed: the
 * broker writes jansson's compact spelling, which print_json would write
 * back byte for byte.  Parsing and writing back each event cost hstrace
 * more than the session's encoding at a busy server's rate.  Events are
 * the frames that begin with their time. */
static bool json_event(const struct client *c, const uint8_t *p, size_t n)
{
	static const char head[] = "{\"t\":";
	return c->o->json && c->ok && n > sizeof(head) - 1 && memcmp(p, head, sizeof(head) - 1) == 0;
}

/* One frame's bytes: an event passed through (json_event), anything else
 * parsed and handled by on_frame. */
static int on_bytes(struct client *c, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	json_t *m;
	int rc;

	if (json_event(c, p, n)) {
		if (c->draining)
			return 1;
		fwrite(p, 1, n, stdout);
		putchar('\n');
		return on_event(c);
	}
	if (frame_parse(p, n, &m, err, errlen) < 0)
		return HS_ESYS;
	rc = on_frame(c, m, err, errlen);
	json_decref(m);
	return rc;
}

/* Read frames until done; timeout_ms < 0 waits forever (but SIGINT). */
static int pump(struct client *c, int timeout_ms, char *err, size_t errlen)
{
	uint8_t buf[65536];
	for (;;) {
		const uint8_t *f;
		size_t fn;
		int rc;
		while ((rc = frame_reader_take(&c->fr, &f, &fn, err, errlen)) == 1) {
			rc = on_bytes(c, f, fn, err, errlen);
			if (rc <= 0)
				return rc;
		}
		if (rc < 0)
			return HS_ESYS;
		if (interrupted && timeout_ms < 0)
			return 0;
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int n = poll(&p, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		ssize_t r = read(c->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_sys(err, errlen, "read from broker");
		if (r == 0)
			return c->ok ? 0 : err_set(err, errlen, HS_ESYS, "broker closed the connection");
		if (frame_reader_feed(&c->fr, buf, (size_t)r, err, errlen))
			return HS_ESYS;
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	char err[HS_ERRLEN];
	json_t *req = NULL;
	struct sigaction sa = {.sa_handler = on_sigint};
	int rc = parse_opts(argc, argv, &o, err, sizeof(err));
	if (!rc)
		rc = build_request(&o, &req, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "hstrace: %s\n", err);
		if (rc == HS_EINPUT)
			usage(stderr);
		return err_exit_code(rc);
	}
	/* no SA_RESTART: SIGINT must interrupt a blocking poll */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct client c = {.o = &o};
	c.fd = connect_broker(o.socket, err, sizeof(err));
	if (c.fd < 0) {
		json_decref(req);
		fprintf(stderr, "hstrace: %s\n", err);
		return err_exit_code(c.fd);
	}
	frame_reader_init(&c.fr, TRACE_FRAME_MAX);
	rc = frame_write_fd(c.fd, req, TRACE_FRAME_MAX, err, sizeof(err));
	json_decref(req);
	if (!rc)
		rc = pump(&c, -1, err, sizeof(err));
	if (!rc && !c.final) {
		/* Done on our side: closing our half ends the session, and the
		 * broker answers with its final stats. */
		shutdown(c.fd, SHUT_WR);
		c.draining = true;
		pump(&c, HSTRACE_FINAL_WAIT_MS, err, sizeof(err));
	}
	frame_reader_free(&c.fr);
	close(c.fd);
	if (rc) {
		fprintf(stderr, "hstrace: %s\n", err);
		return err_exit_code(rc);
	}
	fprintf(stderr, "hstrace: %lld events, %lld dropped by the broker\n", c.events, c.dropped);
	return 0;
}
