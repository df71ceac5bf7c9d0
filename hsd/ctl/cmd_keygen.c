/* cmd_keygen.c - hsctl keygen: a WireGuard key pair in the state dir, or
 * an operator's signing key (--operator FILE). */
#include "hsctl.h"
#include "err.h"
#include "fsutil.h"
#include "keys.h"
#include "opkey.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct keygen_opts {
	const char *state_dir;
	const char *operator_file;
	bool show;
};

static int keygen_opt(int c, const char *arg, void *ctx)
{
	struct keygen_opts *o = ctx;
	if (c == 's')
		o->state_dir = arg;
	else if (c == 'S')
		o->show = true;
	else if (c == 'O')
		o->operator_file = arg;
	return 0;
}

/* An operator key pair: FILE (secret, 0600) and FILE.pub; prints the
 * public key, which goes into cluster.json's "operators". */
static int keygen_operator(struct hsctl *h, const struct keygen_opts *o)
{
	char err[HS_ERRLEN], b64[OPKEY_PUB_B64_LEN + 1];
	struct opkey k;
	int rc;

	if (o->show)
		rc = opkey_read(o->operator_file, &k, err, sizeof(err));
	else if (!(rc = opkey_generate(&k, err, sizeof(err))))
		rc = opkey_write(o->operator_file, &k, err, sizeof(err));
	opkey_wipe(&k);
	if (rc) {
		fprintf(stderr, "hsctl keygen: %s\n", err);
		return err_exit_code(rc);
	}
	opkey_pub_b64(k.pub, b64);
	if (h->json) {
		json_t *j = json_pack("{s:s, s:s}", "operator_key", b64, "file", o->operator_file);
		hsctl_print_json(j);
		json_decref(j);
	} else {
		printf("%s\n", b64);
	}
	return 0;
}

int cmd_keygen(struct hsctl *h, int argc, char **argv)
{
	static const char usage[] =
		"usage: hsctl keygen [--state-dir DIR] [--show] [--json]\n"
		"       hsctl keygen --operator FILE [--show] [--json]\n"
		"Writes a new WireGuard key pair into DIR (default /var/lib/hsd):\n"
		"private.key (0600) and public.key; prints the public key.  Refuses to\n"
		"replace an existing key.  --show prints the public key of the existing one.\n"
		"--operator writes an operator's ed25519 signing key instead: FILE (0600)\n"
		"and FILE.pub; put the printed public key into cluster.json's \"operators\".\n";
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "show", no_argument, NULL, 'S' },
		{ "operator", required_argument, NULL, 'O' },
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
	if (o.operator_file)
		return keygen_operator(h, &o);
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
