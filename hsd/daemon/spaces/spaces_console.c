/* spaces_console.c - a space's console log stays bounded on disk.
 *
 * init and the command write the console (STATE/layers/NAME/console.log)
 * through an O_APPEND fd that hsd does not hold, so it cannot rotate it.
 * Instead, when the file grows past the space's --log-size, hsd punches a
 * hole over its oldest part (FALLOC_FL_PUNCH_HOLE, keeping the size):
 * offsets stay valid, readers of the end see nothing change, and the disk
 * holds at most about --log-size.  What an IDS instance has not yet had
 * its alerts taken from is never dropped: the console's reader
 * (spaces_console_reader; the IDS instances register) says how far it
 * has read.
 */
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "spaces_int.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONSOLE_BLOCK 4096

static void console_trim(struct hsd *d, struct space_rt *r)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	space_path(d, r->name, "console.log", path, sizeof(path));
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	/* What the file holds on disk is the measure: holes punched earlier
	 * (by us or an hsd before us) hold nothing. */
	if (fstat(fd, &st) == 0 && (int64_t)st.st_blocks * 512 > r->log_max) {
		/* Keep the newest half, whole blocks, nothing unread. */
		int64_t cut = st.st_size - r->log_max / 2;
		struct spaces *s = d->spaces;
		int64_t done = s->console_reader ? s->console_reader(d, r->name, s->console_reader_ctx) : -1;
		if (done >= 0 && cut > done)
			cut = done;
		cut -= cut % CONSOLE_BLOCK;
		if (cut > 0 && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, cut))
			log_warn("space %s: console: cannot drop its oldest part: %m", r->name);
	}
	close(fd);
}

void spaces_console_trim(uv_timer_t *t)
{
	struct hsd *d = t->data;
	for (struct space_rt *r = d->spaces->running; r; r = r->next)
		console_trim(d, r);
}

int spaces_console_reader(struct hsd *d, space_console_reader fn, void *ctx, char *err,
			  size_t errlen)
{
	if (d->spaces->console_reader)
		return err_set(err, errlen, HS_ESTATE, "spaces: the console has a reader already");
	d->spaces->console_reader = fn;
	d->spaces->console_reader_ctx = ctx;
	return 0;
}
