/* fuzz_bundle_manifest.c - bundle.json (bundle_parse_manifest), including
 * the listed-paths rules and the alert pattern it compiles. */
#include "bundle.h"
#include "bundle_int.h"
#include "err.h"
#include "fuzz_util.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle b;
	char err[HS_ERRLEN];

	if (bundle_parse_manifest((const char *)data, size, &b, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(b.name[0] && b.version[0] && b.ncommand >= 1);
		FUZZ_ASSERT(b.command[b.ncommand] == NULL);
		FUZZ_ASSERT(b.nfiles <= BUNDLE_FILES_MAX);
		for (size_t i = 0; i < b.nfiles; i++) {
			/* No listed path may leave the bundle directory or
			 * hide: relative, every component non-empty and not
			 * starting with '.' (so never ".."). */
			const char *p = b.files[i];
			FUZZ_ASSERT(bundle_path_problem(p) == NULL);
			FUZZ_ASSERT(p[0] != '/' && strlen(p) <= BUNDLE_PATH_MAX);
			for (const char *c = p; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
				FUZZ_ASSERT(*c && *c != '/' && *c != '.');
		}
		FUZZ_ASSERT(b.deadline_s >= 0 && b.deadline_s <= BUNDLE_DEADLINE_MAX);
		/* The compiled pattern runs on hostile lines, NULs included.
		 * The copy is NUL-terminated although REG_STARTEND bounds the
		 * match: ASan's regexec interceptor reads to the NUL. */
		char *line = malloc(size + 1);
		FUZZ_ASSERT(line != NULL);
		memcpy(line, data, size);
		line[size] = '\0';
		bundle_line_is_alert(&b, line, size);
		bundle_line_reports(&b, line, size, "abcdefghij012345");
		free(line);
	}
	bundle_free(&b);
	return 0;
}
