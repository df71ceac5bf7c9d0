/* intent_sign.c - hsctl's half of an operator-signed intent: ask hsd for
 * the plan, check it is what the operator asked for, sign it. */
#include "hsctl.h"
#include "err.h"
#include "intent.h"

#include "opkey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hsctl_intent(struct hsctl *h, const char *key_path, json_t *plan_args, const char *bundle,
		 json_t **env)
{
	struct opkey k;
	char err[HS_ERRLEN];
	json_t *r;
	int rc;

	*env = NULL;
	if (!key_path)
		key_path = getenv("HSD_OPERATOR_KEY");
	if (!key_path || !*key_path) {
		json_decref(plan_args);
		fprintf(stderr, "hsctl: --key: an operator key signs what hsd is to do on the "
				"fleet (hsctl keygen --operator FILE; or set HSD_OPERATOR_KEY)\n");
		return 2;
	}
	/* The key is read first: no request for a plan nobody can sign. */
	if ((rc = opkey_read(key_path, &k, err, sizeof(err)))) {
		json_decref(plan_args);
		fprintf(stderr, "hsctl: --key: %s\n", err);
		return err_exit_code(rc);
	}
	if ((rc = hsctl_call(h, "intent.plan", plan_args, &r))) {
		opkey_wipe(&k);
		return rc;
	}
	json_t *plan = json_object_get(r, "intent");
	const char *got = json_string_value(json_object_get(plan, "bundle"));
	if (bundle && (!got || strcmp(got, bundle))) {
		/* hsd is not trusted to choose what the operator signs. */
		rc = err_set(err, sizeof(err), HS_ESYS, "hsd planned %s, not %s: not signed",
			     got ? got : "nothing", bundle);
	} else {
		rc = intent_sign(plan, &k, env, err, sizeof(err));
	}
	opkey_wipe(&k);
	json_decref(r);
	if (rc) {
		fprintf(stderr, "hsctl: intent: %s\n", err);
		return err_exit_code(rc);
	}
	return 0;
}
