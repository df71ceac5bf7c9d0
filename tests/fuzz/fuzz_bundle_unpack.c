/* fuzz_bundle_unpack.c - a bundle arriving from another host (the "archive":
 * bundle_unpack of the {"id","hash","files":{path: base64}} message).
 *
 * The input is the message's JSON text.  A message whose only fault is its
 * hash is retried with the hash the error names, so the fuzzer reaches the
 * writing of the tree too.  Properties: a refused message leaves nothing
 * under the destination root (not even a temporary directory); an accepted
 * one leaves exactly NAME-VERSION there. */
#include "bundle.h"
#include "err.h"
#include "fuzz_util.h"
#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[PATH_MAX];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Number of entries in root; the name of the last one in one (if given). */
static int entries(char *one, size_t onelen)
{
	DIR *d = opendir(root);
	struct dirent *e;
	int n = 0;

	FUZZ_ASSERT(d != NULL);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (one)
			snprintf(one, onelen, "%s", e->d_name);
	}
	closedir(d);
	return n;
}

static void clean(void)
{
	if (root[0])
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void check(int rc, struct bundle *b)
{
	char name[256], path[PATH_MAX + 80];

	if (rc < 0) {
		FUZZ_ASSERT(entries(NULL, 0) == 0);
		return;
	}
	FUZZ_ASSERT(entries(name, sizeof(name)) == 1 && strcmp(name, b->id) == 0);
	snprintf(path, sizeof(path), "%s/%s", root, b->id);
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle b;
	char err[HS_ERRLEN], want[BUNDLE_HASH_HEX + 1];
	json_error_t je;

	if (!root[0]) {
		/* tests/fuzz/run points HSD_FUZZ_TMP into the build dir and
		 * empties it afterwards, also after a crash. */
		const char *tmp = getenv("HSD_FUZZ_TMP");
		snprintf(root, sizeof(root), "%s/hsd-fuzz-unpack-%d", tmp ? tmp : "/tmp",
			 (int)getpid());
		FUZZ_ASSERT(mkdir(root, 0700) == 0);
		atexit(clean);
	}
	json_t *msg = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (!msg)
		return 0;
	int rc = bundle_unpack(msg, root, &b, err, sizeof(err));
	check(rc, &b);
	bundle_free(&b);
	const char *at = strstr(err, "content hashes to ");
	if (rc < 0 && at && sscanf(at, "content hashes to %64[0-9a-f]", want) == 1 &&
	    json_is_object(msg)) {
		json_object_set_new(msg, "hash", json_string(want));
		rc = bundle_unpack(msg, root, &b, err, sizeof(err));
		check(rc, &b);
		bundle_free(&b);
	}
	json_decref(msg);
	return 0;
}
