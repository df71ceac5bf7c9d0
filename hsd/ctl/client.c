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

int hsctl_call(struct hsctl *h, const char *cmd, json_t *args, json_t **result)
{
	char err[HS_ERRLEN];
	json_t *req = ctl_request_new(1, cmd, args), *reply = NULL, *res;
	bool more;
	int fd, rc;

	*result = NULL;
	if ((fd = hsctl_connect(h->socket, err, sizeof(err))) < 0) {
		json_decref(req);
		fprintf(stderr, "hsctl: %s\n", err);
		return err_exit_code(fd);
	}
	rc = frame_write_fd(fd, req, FRAME_MAX_CTL, err, sizeof(err));
	if (!rc)
		rc = frame_read_fd(fd, FRAME_MAX_CTL, &reply, err, sizeof(err));
	if (!rc)
		rc = ctl_reply_parse(reply, 1, &res, &more, err, sizeof(err));
	if (!rc && !(rc = hsctl_term(res, err, sizeof(err))))
		*result = json_incref(res);
	json_decref(reply);
	json_decref(req);
	close(fd);
	if (rc) {
		/* The error text may carry a peer's words too. */
		char shown[4 * HS_ERRLEN];
		textesc_encode(shown, sizeof(shown), err, strlen(err), TEXTESC_TERM | TEXTESC_ESCAPED);
		fprintf(stderr, "hsctl: %s\n", shown);
	}
	return err_exit_code(rc);
}

int hsctl_getopt(struct hsctl *h, int argc, char **argv, const char *usage,
		 const struct option *extra,
		 int (*on_opt)(int c, const char *arg, void *ctx), void *ctx)
{
	struct option opts[32];
	size_t n = 0;
	int c;

	opts[n++] = (struct option){ "json", no_argument, NULL, 'J' };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	for (; extra && extra->name && n < 31; extra++)
		opts[n++] = *extra;
	opts[n] = (struct option){ 0 };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'J') {
			h->json = true;
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

void hsctl_print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (s) {
		puts(s);
		free(s);
	}
}
