/* cmd_keygen.c - hsctl keygen: a WireGuard key pair in the state dir. */
#include "hsctl.h"
#include "err.h"
#include "fsutil.h"
#include "keys.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct keygen_opts {
	const char *state_dir;
	bool show;
};

static int keygen_opt(int c, const char *arg, void *ctx)
{
	struct keygen_opts *o = ctx;
	if (c == 's')
		o->state_dir = arg;
	else if (c == 'S')
		o->show = true;
	return 0;
}

int cmd_keygen(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl keygen [--state-dir DIR] [--show] [--json]\n"
		"Writes a new WireGuard key pair into DIR (default /var/lib/hsd):\n"
		"private.key (0600) and public.key; prints the public key.  Refuses to\n"
		"replace an existing key.  --show prints the public key of the existing one.\n";
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "show", no_argument, NULL, 'S' },
		{ 0 },
	};
	struct keygen_opts o = { .state_dir = "/var/lib/hsd" };
	uint8_t priv[KEY_LEN], pub[KEY_LEN];
	char err[HS_ERRLEN], b64[KEY_B64_LEN + 1];
	int rc = hsctl_getopt(h, argc, argv, usage, opts, keygen_opt, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind < argc) {
		fprintf(stderr, "hsctl keygen: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (o.show) {
		rc = key_read_private(o.state_dir, priv, err, sizeof(err));
		if (!rc)
			key_public_of(priv, pub);
	} else if (!(rc = fs_mkdir_p(o.state_dir, 0700, err, sizeof(err))) &&
		   !(rc = key_generate(priv, pub, err, sizeof(err)))) {
		rc = key_write_pair(o.state_dir, priv, err, sizeof(err));
	}
	memset(priv, 0, sizeof(priv));
	if (rc) {
		fprintf(stderr, "hsctl keygen: %s\n", err);
		return err_exit_code(rc);
	}
	key_to_base64(pub, b64);
	if (h->json) {
		json_t *j = json_pack("{s:s, s:s}", "public_key", b64, "state_dir", o.state_dir);
		hsctl_print_json(j);
		json_decref(j);
	} else {
		printf("%s\n", b64);
	}
	return 0;
}
