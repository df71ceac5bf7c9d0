/* hsctl.h - the command-line client of hsd. */
#ifndef HS_HSCTL_H
#define HS_HSCTL_H

#include <jansson.h>
#include <stdbool.h>

#define HSCTL_DEFAULT_SOCKET "/run/hsd/hsd.sock"

struct hsctl {
	const char *socket;
	bool json;
};

struct hsctl_cmd {
	const char *name;
	int (*fn)(struct hsctl *h, int argc, char **argv); /* returns an exit code */
	const char *summary;
};

/* One request, one reply.  Returns an exit code; prints errors itself. */
int hsctl_call(struct hsctl *h, const char *cmd, json_t *args /* stolen */,
	       json_t **result /* new reference */);

/* The same in two halves, for requests held side by side (alerts --all
 * --follow): send on a new connection (*fd), then receive on it (closes
 * it).  Exit codes, errors printed, as hsctl_call. */
int hsctl_send(struct hsctl *h, const char *cmd, json_t *args /* stolen */, int *fd);
int hsctl_recv(struct hsctl *h, int fd, json_t **result /* new reference */);

/* Parse a subcommand's options: the common ones (--json, --socket PATH,
 * --help) plus its own, anywhere among its words (they are permuted: the
 * words that are not options end up from argv[optind] on, in order; "--"
 * ends the options).  Returns -1 when help was printed (exit 0), an exit
 * code > 0 on a bad option, or 0.  argv[0] is the subcommand's name. */
struct option;
int hsctl_getopt(struct hsctl *h, int argc, char **argv, const char *usage,
		 const struct option *extra, int (*on_opt)(int c, const char *arg, void *ctx),
		 void *ctx);
/* The same for a subcommand that ends with a command of its own (space
 * create, space exec): options stop at the first word that is not one, so
 * the command keeps its own options. */
int hsctl_getopt_cmd(struct hsctl *h, int argc, char **argv, const char *usage,
		     const struct option *extra, int (*on_opt)(int c, const char *arg, void *ctx),
		     void *ctx);
/* For the subcommands that parse their own words: is argv[i] a common
 * option (--json, --socket PATH, --socket=PATH)?  Returns the words it
 * took (1 or 2), 0 if it is not one, -2 (printed; exit 2) if --socket has
 * no value.  argv[0] names the subcommand in the message. */
int hsctl_common_opt(struct hsctl *h, int argc, char **argv, int i);
/* A whole number in min..max: digits only, no sign, blank or suffix.
 * Returns 0, or 2 after printing "hsctl CMD: FIELD: ..." (one line). */
int hsctl_number(const char *cmd, const char *field, const char *s, long min, long max,
		 long *out);

void hsctl_print_json(const json_t *v);

/* An operator-signed intent (intent_sign.c): asks hsd for the plan
 * (intent.plan with plan_args, stolen), checks it starts bundle (unless
 * NULL: an undo, whose bundle hsd finds), signs it with the key at key_path
 * (NULL: $HSD_OPERATOR_KEY).  Returns an exit code; prints errors. */
int hsctl_intent(struct hsctl *h, const char *key_path, json_t *plan_args, const char *bundle,
		 json_t **env);

/* suggest.c: the name in names (NULL-terminated) within one or two edits
 * of word, or NULL; hsctl_unknown prints the one-line refusal with it and
 * returns 2. */
const char *hsctl_suggest(const char *word, const char *const *names);
int hsctl_unknown(const char *where, const char *what, const char *word,
		  const char *const *names);

int cmd_status(struct hsctl *h, int argc, char **argv);
int cmd_metrics(struct hsctl *h, int argc, char **argv);
int cmd_keygen(struct hsctl *h, int argc, char **argv);
int cmd_space(struct hsctl *h, int argc, char **argv);
int cmd_routes(struct hsctl *h, int argc, char **argv);
int cmd_bundle(struct hsctl *h, int argc, char **argv);
int cmd_deploy(struct hsctl *h, int argc, char **argv);
int cmd_alerts(struct hsctl *h, int argc, char **argv);
int cmd_rollout(struct hsctl *h, int argc, char **argv);
int cmd_instance(struct hsctl *h, int argc, char **argv);
int cmd_inventory(struct hsctl *h, int argc, char **argv);
int cmd_peers(struct hsctl *h, int argc, char **argv);
int cmd_reload(struct hsctl *h, int argc, char **argv);

#endif
