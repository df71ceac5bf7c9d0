/* fuzz_ctl_frame.c - the control socket's framing and message decoders
 * (ctl_request_parse in hsd, ctl_reply_parse in hsctl). */
#include "ctl.h"
#include "fuzz_frames.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_msg(json_t *msg)
{
	struct ctl_request rq;
	char err[HS_ERRLEN];

	if (ctl_request_parse(msg, &rq, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(rq.cmd[0] != '\0' && strlen(rq.cmd) <= CTL_CMD_MAX);
		FUZZ_ASSERT(json_is_object(rq.args));
		/* What hsd would answer must be a reply hsctl accepts. */
		json_t *ok = ctl_reply_ok(rq.id, json_object());
		json_t *res;
		FUZZ_ASSERT(ok && ctl_reply_parse(ok, rq.id, &res, err, sizeof(err)) == 0);
		json_decref(ok);
		json_t *bad = ctl_reply_error(rq.id, HS_EINPUT, "no");
		FUZZ_ASSERT(bad && ctl_reply_parse(bad, rq.id, &res, err, sizeof(err)) ==
					   HS_EINPUT);
		json_decref(bad);
	}
	/* hsctl's side: match the reply's own id and any other. */
	json_t *res;
	json_t *id = json_object_get(msg, "id");
	int64_t want = json_is_integer(id) ? json_integer_value(id) : 1;
	if (ctl_reply_parse(msg, want, &res, err, sizeof(err)) == 0)
		FUZZ_ASSERT(json_is_object(res));
	ctl_reply_parse(msg, want + 1, &res, err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	frames_drive(data, size, FRAME_MAX_CTL, on_msg);
	return 0;
}
