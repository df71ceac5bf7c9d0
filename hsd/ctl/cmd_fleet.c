/* cmd_fleet.c - hsctl bundle, deploy, instances (alerts: cmd_alerts.c). */
#include "hsctl.h"
#include "bundle.h"
#include "bundle_sig.h"
#include "ctl.h"
#include "err.h"
#include "fsutil.h"
#include "opkey.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int no_more_args(const char *cmd, int argc, int want)
{
	if (argc - optind != want) {
		fprintf(stderr, "hsctl %s: %s\n", cmd,
			argc - optind < want ? "missing argument (see --help)" : "unexpected argument");
		return 2;
	}
	return 0;
}

/* bundle add and bundle sign take options after DIR as well as before it:
 * "bundle add DIR --sig F" reads naturally.  Every option takes a value. */
struct bundle_args {
	const char *dir, *sig, *key, *out;
};

static int bundle_args(struct hsctl *h, const char *sub, int argc, char **argv,
		       const char *usage, struct bundle_args *a)
{
	static const char *const names[] = { "sig", "key", "out" };
	const char **slots[] = { &a->sig, &a->key, &a->out };
	bool add = !strcmp(sub, "add"); /* add takes --sig; sign --key and --out */

	memset(a, 0, sizeof(*a));
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i], *eq;
		bool found = false;
		int used = hsctl_common_opt(h, argc, argv, i);
		if (used < 0)
			return 2;
		if (used) {
			i += used - 1;
			continue;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(usage, stdout);
			return -1;
		}
		if (arg[0] != '-') {
			if (a->dir) {
				fprintf(stderr, "hsctl bundle %s: unexpected argument \"%s\"\n", sub, arg);
				return 2;
			}
			a->dir = arg;
			continue;
		}
		eq = strchr(arg, '=');
		for (size_t k = 0; k < 3 && !found; k++) {
			size_t n = strlen(names[k]);
			if (strncmp(arg, "--", 2) || strncmp(arg + 2, names[k], n) ||
			    (arg[2 + n] && arg[2 + n] != '=') || add != (k == 0))
				continue;
			if (!eq && i + 1 >= argc)
				break;
			*slots[k] = eq ? eq + 1 : argv[++i];
			found = true;
		}
		if (!found) {
			fprintf(stderr, "hsctl bundle %s: %s: unknown option or missing value\n", sub, arg);
			return 2;
		}
	}
	if (!a->dir) {
		fprintf(stderr, "hsctl bundle %s: missing argument DIR (see --help)\n", sub);
		return 2;
	}
	return 0;
}

/* Replaced whole: a re-signed bundle's old signature is of no use. */
static int write_sig(const char *path, const char *text, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644), rc = 0;

	if (fd < 0)
		return err_sys(err, errlen, "%s", path);
	if (fs_write_all(fd, text, strlen(text)) < 0)
		rc = err_sys(err, errlen, "%s: write", path);
	if (close(fd) < 0 && !rc)
		rc = err_sys(err, errlen, "%s: close", path);
	return rc;
}

/* hsctl bundle sign DIR --key FILE [--out SIGFILE]: hash DIR exactly as
 * hsd will (bundle_load_dir) and sign its id and hash. */
static int bundle_sign(struct hsctl *h, const struct bundle_args *a)
{
	char err[HS_ERRLEN], out[PATH_MAX], key[OPKEY_PUB_B64_LEN + 1], *text = NULL;
	struct bundle_sig sig;
	struct bundle b;
	struct opkey k;
	int rc;

	if (!a->key) {
		fprintf(stderr, "hsctl bundle sign: --key FILE is required\n");
		return 2;
	}
	if ((size_t)snprintf(out, sizeof(out), "%s", a->out ? a->out : a->dir) >= sizeof(out) ||
	    (!a->out && (size_t)snprintf(out, sizeof(out), "%s/" BUNDLE_SIG_FILE, a->dir) >= sizeof(out))) {
		fprintf(stderr, "hsctl bundle sign: path too long\n");
		return 2;
	}
	if ((rc = bundle_load_dir(a->dir, &b, err, sizeof(err)))) {
		fprintf(stderr, "hsctl bundle sign: %s: %s\n", a->dir, err);
		return err_exit_code(rc);
	}
	rc = opkey_read(a->key, &k, err, sizeof(err));
	if (!rc)
		rc = bundle_sig_make(&k, b.id, b.hash, &sig, err, sizeof(err));
	opkey_wipe(&k);
	if (!rc && !(text = bundle_sig_format(&sig)))
		rc = err_set(err, sizeof(err), HS_ESYS, "out of memory");
	if (!rc)
		rc = write_sig(out, text, err, sizeof(err));
	free(text);
	if (rc) {
		fprintf(stderr, "hsctl bundle sign: %s\n", err);
		bundle_free(&b);
		return err_exit_code(rc);
	}
	opkey_pub_b64(sig.key, key);
	if (h->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "id", b.id, "hash", b.hash, "key", key,
				      "sig_file", out);
		hsctl_print_json(j);
		json_decref(j);
	} else {
		printf("bundle %s hash %s signed by %s: %s\n", b.id, b.hash, key, out);
	}
	bundle_free(&b);
	return 0;
}

static int bundle_add(struct hsctl *h, const struct bundle_args *a)
{
	char path[PATH_MAX], sigfile[PATH_MAX + 16], err[HS_ERRLEN];
	json_t *args, *r;
	char *text = NULL;
	size_t len = 0;
	int rc;

	/* hsd reads the directory itself: give it an absolute path. */
	if (!realpath(a->dir, path)) {
		fprintf(stderr, "hsctl bundle add: %s: no such directory\n", a->dir);
		return 2;
	}
	snprintf(sigfile, sizeof(sigfile), "%s", a->sig ? a->sig : path);
	if (!a->sig)
		snprintf(sigfile, sizeof(sigfile), "%s/" BUNDLE_SIG_FILE, path);
	/* A missing file is for hsd to refuse, naming where we looked. */
	if (!(access(sigfile, F_OK) < 0 && errno == ENOENT) &&
	    (rc = fs_read_file(sigfile, BUNDLE_SIG_TEXT_MAX, &text, &len, err, sizeof(err)))) {
		fprintf(stderr, "hsctl bundle add: signature: %s\n", err);
		return err_exit_code(rc);
	}
	args = json_pack("{s:s, s:s}", "path", path, "sig_file", sigfile);
	if (text)
		json_object_set_new(args, "sig", json_stringn(text, len));
	free(text);
	if ((rc = hsctl_call(h, "bundle.add", args, &r)))
		return rc;
	if (h->json)
		hsctl_print_json(r);
	else
		printf("bundle %s stored\n", json_string_value(json_object_get(r, "id")));
	json_decref(r);
	return 0;
}

/* The signers, shortened: "ABCDEFGHIJK..." or "ABCDEFGHIJK... (revoked)". */
static void print_signers(json_t *signers)
{
	json_t *v;
	size_t i;

	if (!json_array_size(signers))
		fputs("unsigned", stdout);
	json_array_foreach(signers, i, v) {
		const char *key = json_string_value(json_object_get(v, "key"));
		printf("%s%.11s...%s", i ? ", " : "", key ? key : "?",
		       json_is_true(json_object_get(v, "operator")) ? "" : " (not an operator)");
	}
	putchar('\n');
}

int cmd_bundle(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl bundle add DIR [--sig SIGFILE] [--json]\n"
		"       hsctl bundle sign DIR --key KEYFILE [--out SIGFILE] [--json]\n"
		"       hsctl bundle list [--json]\n"
		"add checks the IDS bundle in DIR (NAME-VERSION/bundle.json and its files,\n"
		"see docs/bundles.md) and its operator signature (default DIR/bundle.sig)\n"
		"and stores both on this host.  sign hashes DIR as hsd does and writes the\n"
		"signature of its id and hash with the operator key KEYFILE (hsctl keygen\n"
		"--operator) to SIGFILE (default DIR/bundle.sig); it needs no hsd.\n";
	struct bundle_args a;
	json_t *r, *v;
	size_t i;
	int rc;

	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(sub, "add") || !strcmp(sub, "sign")) {
		if ((rc = bundle_args(h, sub, argc, argv, usage, &a)))
			return rc < 0 ? 0 : rc;
		return !strcmp(sub, "add") ? bundle_add(h, &a) : bundle_sign(h, &a);
	}
	if ((rc = hsctl_getopt(h, argc - 1, argv + 1, usage, NULL, NULL, NULL)))
		return rc < 0 ? 0 : rc;
	if (!strcmp(sub, "list")) {
		if ((rc = no_more_args("bundle list", argc - 1, 0)) ||
		    (rc = hsctl_call(h, "bundle.list", NULL, &r)))
			return rc;
		if (h->json) {
			hsctl_print_json(r);
		} else {
			printf("%-24s %-16s %-16s %s\n", "BUNDLE", "VERSION", "HASH", "SIGNED BY");
			json_array_foreach(json_object_get(r, "bundles"), i, v) {
				printf("%-24s %-16s %.16s ", json_string_value(json_object_get(v, "name")),
				       json_string_value(json_object_get(v, "version")),
				       json_string_value(json_object_get(v, "hash")));
				print_signers(json_object_get(v, "signers"));
			}
		}
		json_decref(r);
		return 0;
	}
	static const char *const subs[] = { "add", "sign", "list", NULL };
	return hsctl_unknown("hsctl bundle", "subcommand", sub, subs);
}

int cmd_deploy(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl deploy BUNDLE [--key FILE] [--ttl SECONDS] [--json]\n"
		"Starts the stored bundle NAME-VERSION on every host of the cluster, each in\n"
		"a new audit space NAME@VERSION watching its server spaces, and waits until\n"
		"every instance has reported its probe.  The operator key FILE (default\n"
		"$HSD_OPERATOR_KEY) signs it, as for hsctl rollout.  Exit status as hsctl rollout.\n";
	char **args = calloc((size_t)argc + 3, sizeof(*args));
	int n = 0, rc;

	for (int a = 1; a < argc; a++)
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			fputs(usage, stdout);
			free(args);
			return 0;
		}
	if (!args)
		return 1;
	/* hsctl rollout parses the rest: BUNDLE and options in any order. */
	args[n++] = (char *)"rollout";
	for (int a = 1; a < argc; a++)
		args[n++] = argv[a];
	args[n++] = (char *)"--deploy";
	args[n++] = (char *)"--wait";
	rc = cmd_rollout(h, n, args);
	free(args);
	return rc;
}

int cmd_instance(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl instance list [--json]\n"
		"The IDS instances of this host: bundle, version, space, state, last probe.\n";
	json_t *r, *v;
	size_t i;
	int rc;

	if (argc < 2 || strcmp(argv[1], "list")) {
		fputs(usage, argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	if ((rc = hsctl_getopt(h, argc - 1, argv + 1, usage, NULL, NULL, NULL)))
		return rc < 0 ? 0 : rc;
	if ((rc = no_more_args("instance list", argc - 1, 0)) ||
	    (rc = hsctl_call(h, "instance.list", NULL, &r)))
		return rc;
	if (h->json) {
		hsctl_print_json(r);
	} else {
		printf("%-20s %-10s %-20s %s\n", "INSTANCE", "STATE", "VERIFIED", "LAST PROBE");
		json_array_foreach(json_object_get(r, "instances"), i, v) {
			json_int_t ms = json_integer_value(json_object_get(v, "verified_ms"));
			char stamp[TIMEFMT_ISO8601_LEN] = "-";
			if (ms > 0 && timefmt_iso8601(ms, stamp, sizeof(stamp), NULL, 0))
				snprintf(stamp, sizeof(stamp), "?");
			printf("%-20s %-10s %-20s %s\n", json_string_value(json_object_get(v, "space")),
			       json_string_value(json_object_get(v, "state")), stamp,
			       json_string_value(json_object_get(v, "last_probe")));
		}
	}
	json_decref(r);
	return rc;
}
