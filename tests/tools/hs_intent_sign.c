/* hs_intent_sign KEYFILE < INTENT.json: print the envelope of the intent
 * object read on stdin, signed with the operator key file KEYFILE (made by
 * hsctl keygen --operator).  Tests use it to sign as a key that is not an
 * operator's, which hsctl would only ever send to a hsd that refuses it. */
#include "err.h"
#include "intent.h"
#include "opkey.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	char err[HS_ERRLEN];
	struct opkey k;
	json_t *env = NULL;
	json_error_t jerr;

	if (argc != 2) {
		fprintf(stderr, "usage: hs_intent_sign KEYFILE < INTENT.json\n");
		return 2;
	}
	json_t *obj = json_loadf(stdin, 0, &jerr);
	if (!obj) {
		fprintf(stderr, "hs_intent_sign: stdin: %s\n", jerr.text);
		return 2;
	}
	int rc = opkey_read(argv[1], &k, err, sizeof(err));
	if (!rc)
		rc = intent_sign(obj, &k, &env, err, sizeof(err));
	opkey_wipe(&k);
	json_decref(obj);
	if (rc) {
		fprintf(stderr, "hs_intent_sign: %s\n", err);
		return err_exit_code(rc);
	}
	char *text = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	if (!text)
		return 1;
	puts(text);
	free(text);
	return 0;
}
