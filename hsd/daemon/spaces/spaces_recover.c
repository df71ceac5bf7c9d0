/*
 * spaces_recover.c - what an hsd killed in the middle of `space create`
 * leaves behind, undone by the next one before it adopts anything.
 *
 * spaces_create makes the space's filesystem, then inserts its record as
 * "starting", then launches it and marks it "running" just before the go.
 * So at start:
 *  - a record still "starting" is a create that never finished and was
 *    never answered: nobody asked for that space to exist, and its init
 *    exited when our end of its setup pipe closed.  It is removed, as its
 *    create would have on failure, so the name is free again.
 *  - a filesystem whose name has no record is a create cut before the
 *    insert (or a destroy after it removed the record, which removes the
 *    files first): removed.
 * A record already "running" stays: that space was made, and its death is
 * handled like any other (marked stopped, kept for `space start`).
 */
#include "spaces_int.h"
#include "daemon.h"
#include "err.h"
#include "layerfs.h"
#include "log.h"
#include "space.h"
#include "store.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static bool has_record(const struct space_row *rows, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return true;
	return false;
}

/* Names under STATE/sub (minus suffix) that are space names without a
 * record: their files are removed. */
static void remove_orphans(struct hsd *d, const char *sub, const char *suffix,
			   const struct space_row *rows, size_t n)
{
	char dir[PATH_MAX], name[SPACE_NAME_MAX + 1], err[HS_ERRLEN];
	size_t slen = strlen(suffix);
	struct dirent *e;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/%s", d->opt.state_dir, sub);
	if (!(dp = opendir(dir)))
		return;
	while ((e = readdir(dp))) {
		size_t len = strlen(e->d_name);

		if (len <= slen || len - slen > SPACE_NAME_MAX ||
		    strcmp(e->d_name + len - slen, suffix) != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - slen), e->d_name);
		/* lost+found and anything else that is no space's name. */
		if (space_name_check(name, err, sizeof(err)) || has_record(rows, n, name))
			continue;
		if (space_files_remove(d, name, err, sizeof(err)))
			log_warn("space %s: files of an interrupted create: %s", name, err);
		else
			log_warn("space %s: removed the files of a create that was interrupted "
				 "before its record", name);
	}
	closedir(dp);
}

int spaces_recover(struct hsd *d, char *err, size_t errlen)
{
	struct space_row *rows;
	size_t n;
	int rc;

	if ((rc = store_space_list(d->store, &rows, &n, err, errlen)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		char why[HS_ERRLEN];

		if (strcmp(rows[i].state, "starting") != 0)
			continue;
		if (space_remove(d, rows[i].name, why, sizeof(why))) {
			log_error("space %s: removing an interrupted create: %s", rows[i].name, why);
			continue;
		}
		store_event(d->store, "space.create.interrupted", rows[i].name, "", NULL, 0);
		log_warn("space %s: its create was interrupted before it answered; removed",
			 rows[i].name);
	}
	space_rows_free(rows, n);
	/* Again: only what has a record now keeps its files. */
	if ((rc = store_space_list(d->store, &rows, &n, err, errlen)))
		return rc;
	remove_orphans(d, LAYERFS_IMAGES, ".img", rows, n);
	remove_orphans(d, LAYERFS_DIR, "", rows, n);
	space_rows_free(rows, n);
	return 0;
}
