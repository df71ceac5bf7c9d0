/* fuzz_util.h - small helpers shared by the fuzz targets (header only, so
 * each target stays one file plus this). */
#ifndef HS_FUZZ_UTIL_H
#define HS_FUZZ_UTIL_H
#include <stdio.h>
#include <stdlib.h>

/* A property the code under test promises was broken: abort so libFuzzer
 * saves the input as a crash reproducer. */
#define FUZZ_ASSERT(cond)                                                     \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: property failed: %s\n",       \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

#endif
