/* client.c - talking to hsd over its control socket. */
#include "hsctl.h"
#include "ctl.h"
#include "err.h"
#include "frame.h"
#include "textesc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int hsctl_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, errlen, HS_EINPUT, "--socket: path too long");
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return err_sys(err, errlen, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int rc = err_sys(err, errlen, "cannot reach hsd at %s (is it running?)", path);
		close(fd);
		return rc;
	}
	return fd;
}

/* Every string of a reply in its terminal form (textesc.h, TERM|ESCAPED),
 * in place.  Much of what hsd answers comes from elsewhere (peers' status,
 * probe errors, alerts an IDS made from hostile input), and it reaches the
 * operator's terminal through tables, --json and jq -r alike.  hsd escapes
 * alerts already; well-formed escapes pass unchanged. */
static int hsctl_term(json_t *v, char *err, size_t errlen)
{
	const char *key;
	json_t *m;
	size_t i;
	int rc = 0;

	if (json_is_string(v)) {
		char *s;
		if ((rc = textesc_dup(json_string_value(v), json_string_length(v),
				      TEXTESC_TERM | TEXTESC_ESCAPED, &s, err, errlen)))
			return rc;
		if (json_string_set(v, s))
			rc = err_set(err, errlen, HS_ESYS, "out of memory");
		free(s);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, m)
			if ((rc = hsctl_term(m, err, errlen)))
				break;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if ((rc = hsctl_term(m, err, errlen)))
				break;
	}
	return rc;
}

/* Print err for the operator: it may carry a peer's words too. */
static void hsctl_err(const char *err)
{
	char shown[4 * HS_ERRLEN];
	textesc_encode(shown, sizeof(shown), err, strlen(err), TEXTESC_TERM | TEXTESC_ESCAPED);
	fprintf(stderr, "hsctl: %s\n", shown);
}

int hsctl_send(struct hsctl *h, const char *cmd, json_t *args, int *fd)
{
	char err[HS_ERRLEN];
	json_t *req = ctl_request_new(1, cmd, args);
	int rc;

	if ((*fd = hsctl_connect(h->socket, err, sizeof(err))) < 0) {
		json_decref(req);
		fprintf(stderr, "hsctl: %s\n", err);
		return err_exit_code(*fd);
	}
	rc = frame_write_fd(*fd, req, FRAME_MAX_CTL, err, sizeof(err));
	json_decref(req);
	if (rc) {
		close(*fd);
		*fd = -1;
		hsctl_err(err);
	}
	return err_exit_code(rc);
}

int hsctl_recv(struct hsctl *h, int fd, json_t **result)
{
	char err[HS_ERRLEN];
	json_t *reply = NULL, *res;
	int rc;

	(void)h;
	*result = NULL;
	rc = frame_read_fd(fd, FRAME_MAX_CTL, &reply, err, sizeof(err));
	if (!rc)
		rc = ctl_reply_parse(reply, 1, &res, err, sizeof(err));
	if (!rc && !(rc = hsctl_term(res, err, sizeof(err))))
		*result = json_incref(res);
	json_decref(reply);
	close(fd);
	if (rc)
		hsctl_err(err);
	return err_exit_code(rc);
}

int hsctl_call(struct hsctl *h, const char *cmd, json_t *args, json_t **result)
{
	int fd, rc;

	*result = NULL;
	if ((rc = hsctl_send(h, cmd, args, &fd)))
		return rc;
	return hsctl_recv(h, fd, result);
}

int hsctl_common_opt(struct hsctl *h, int argc, char **argv, int i)
{
	const char *a = argv[i];

	if (!strcmp(a, "--json")) {
		h->json = true;
		return 1;
	}
	if (!strncmp(a, "--socket=", 9)) {
		h->socket = a + 9;
		return 1;
	}
	if (strcmp(a, "--socket"))
		return 0;
	if (i + 1 >= argc) {
		fprintf(stderr, "hsctl %s: --socket: missing value (PATH)\n", argv[0]);
		return -2;
	}
	h->socket = argv[i + 1];
	return 2;
}

int hsctl_number(const char *cmd, const char *field, const char *s, long min, long max,
		 long *out)
{
	long v = 0;
	const char *p = s;

	/* Digits only: no sign, no blanks, no suffix ("3abc" is not 3). */
	for (; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (*p - '0');
	if (p == s || *p || v < min || v > max) {
		fprintf(stderr, "hsctl %s: %s: \"%.40s\" is not a number in %ld..%ld\n", cmd, field,
			s, min, max);
		return 2;
	}
	*out = v;
	return 0;
}

/* Not a character: no subcommand's own option can collide with it. */
#define OPT_SOCKET 0x1000

static int getopt_common(struct hsctl *h, int argc, char **argv, const char *usage,
			 const struct option *extra,
			 int (*on_opt)(int c, const char *arg, void *ctx), void *ctx,
			 bool in_order)
{
	struct option opts[32];
	size_t n = 0;
	int c;

	opts[n++] = (struct option){ "json", no_argument, NULL, 'J' };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n++] = (struct option){ "socket", required_argument, NULL, OPT_SOCKET };
	for (; extra && extra->name && n < 31; extra++)
		opts[n++] = *extra;
	opts[n] = (struct option){ 0 };
	/* 0, not 1: glibc then starts afresh, ordering included (main's
	 * parse stopped at the command, this one may permute). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, in_order ? "+" : "", opts, NULL)) != -1) {
		if (c == 'J') {
			h->json = true;
		} else if (c == OPT_SOCKET) {
			h->socket = optarg;
		} else if (c == 'h') {
			printf("%s", usage);
			return -1;
		} else if (c == '?' || c == ':' || !on_opt) {
			fprintf(stderr, "hsctl %s: %s: unknown option or missing value\n",
				argv[0], argv[optind - 1]);
			return 2;
		} else {
			int rc = on_opt(c, optarg, ctx);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int hsctl_getopt(struct hsctl *h, int argc, char **argv, const char *usage,
		 const struct option *extra,
		 int (*on_opt)(int c, const char *arg, void *ctx), void *ctx)
{
	return getopt_common(h, argc, argv, usage, extra, on_opt, ctx, false);
}

int hsctl_getopt_cmd(struct hsctl *h, int argc, char **argv, const char *usage,
		     const struct option *extra,
		     int (*on_opt)(int c, const char *arg, void *ctx), void *ctx)
{
	return getopt_common(h, argc, argv, usage, extra, on_opt, ctx, true);
}

void hsctl_print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (s) {
		puts(s);
		free(s);
	}
}
