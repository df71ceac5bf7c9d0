/* fuzz_trace_request.c - the trace protocol as the broker and hstrace read
 * it: the reader's first frame (trace_request_parse: only "trace" is ever
 * accepted) and event/stats frames turned into text (trace_format_event). */
#include "err.h"
#include "fuzz_frames.h"
#include "trace.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_msg(json_t *msg)
{
	struct trace_request rq;
	char err[HS_ERRLEN];

	if (trace_request_parse(msg, &rq, err, sizeof(err)) == 0) {
		const char *op = json_string_value(json_object_get(msg, "op"));
		FUZZ_ASSERT(op && strcmp(op, "trace") == 0);
		FUZZ_ASSERT(rq.whole_space != (rq.target > 0));
		FUZZ_ASSERT(rq.target >= 0);
	}
	/* Lines cut at every small size, and the full one. */
	static const size_t sizes[] = {1, 2, 7, 40, 4096};
	char line[4096];
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		memset(line, 'Z', sizeof(line));
		if (trace_format_event(msg, line, sizes[i]) == 0)
			FUZZ_ASSERT(memchr(line, '\0', sizes[i]) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	frames_drive(data, size, TRACE_FRAME_MAX, on_msg);
	return 0;
}
