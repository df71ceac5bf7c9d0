/* disk.c - the state directory's reserve and the refusal of new work on a
 * full disk (disk.h). */
#include "disk.h"
#include "daemon.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define DISK_CHECK_MS 250
#define MIB (1ll << 20)

struct disk {
	uv_timer_t timer;
	char path[PATH_MAX];  /* STATE/reserve */
	int64_t reserve;      /* bytes; 0: no reserve kept */
	bool held;            /* the reserve file holds its bytes */
	bool released;        /* given back because the disk filled */
};

/* Free bytes as f_bavail counts them: ext4's blocks reserved for root
 * are the machine's last resort, not room for hsd to plan with. */
static int64_t disk_avail(const struct hsd *d)
{
	struct statvfs sv;
	if (statvfs(d->opt.state_dir, &sv))
		return -1;
	return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
}

/* Allocate the reserve's blocks for real: fallocate, not a sparse size. */
static int disk_take(struct disk *k)
{
	int fd = open(k->path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (fallocate(fd, 0, 0, (off_t)k->reserve) || fsync(fd))
		rc = -1;
	close(fd);
	if (rc) {
		/* Half a reserve is worth nothing and would hide the free space. */
		unlink(k->path);
		return -1;
	}
	k->held = true;
	return 0;
}

static void disk_release(struct disk *k)
{
	/* unlink frees the blocks at once: nothing else holds the file. */
	if (unlink(k->path) && errno != ENOENT)
		log_error("disk: cannot release the reserve %s: %m", k->path);
	k->held = false;
}

static void on_disk_check(uv_timer_t *t)
{
	struct hsd *d = t->data;
	struct disk *k = d->disk;
	int64_t avail = disk_avail(d);

	if (avail < 0 || k->reserve == 0)
		return;
	if (k->held && avail < k->reserve / 4) {
		disk_release(k);
		k->released = true;
		log_error("disk: %s is full (%lld KiB free): released the %lld MiB reserve for "
			  "running spaces and the store; new work is refused until %lld MiB are free",
			  d->opt.state_dir, (long long)(avail >> 10), (long long)(k->reserve / MIB),
			  (long long)(2 * k->reserve / MIB));
	} else if (!k->held && avail >= 2 * k->reserve) {
		if (disk_take(k) == 0) {
			if (k->released)
				log_info("disk: %s has room again: reserve of %lld MiB taken back, new work accepted",
					 d->opt.state_dir, (long long)(k->reserve / MIB));
			k->released = false;
		}
	}
}

int disk_init(struct hsd *d, char *err, size_t errlen)
{
	struct disk *k = calloc(1, sizeof(*k));

	if (!k)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	d->disk = k;
	k->reserve = (int64_t)d->opt.disk_reserve_mib * MIB;
	snprintf(k->path, sizeof(k->path), "%s/" DISK_RESERVE_FILE, d->opt.state_dir);
	if (k->reserve == 0) {
		unlink(k->path); /* one from an earlier hsd is of no use now */
	} else {
		/* An earlier hsd's reserve counts as held only if it is whole. */
		struct stat st;
		if (lstat(k->path, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size == (off_t)k->reserve && (int64_t)st.st_blocks * 512 >= k->reserve)
			k->held = true;
		else
			unlink(k->path);
		if (!k->held && disk_avail(d) >= 2 * k->reserve)
			disk_take(k);
		if (!k->held)
			log_warn("disk: %s: not enough room for the %lld MiB reserve; new work is refused "
				 "until %lld MiB are free", d->opt.state_dir,
				 (long long)(k->reserve / MIB), (long long)(2 * k->reserve / MIB));
	}
	uv_timer_init(d->loop, &k->timer);
	k->timer.data = d;
	uv_timer_start(&k->timer, on_disk_check, DISK_CHECK_MS, DISK_CHECK_MS);
	return 0;
}

static void disk_closed(uv_handle_t *h)
{
	free(h->data);
}

void disk_free(struct hsd *d)
{
	struct disk *k = d->disk;

	if (!k)
		return;
	d->disk = NULL;
	/* The reserve file stays: the next hsd finds it whole and keeps it. */
	uv_timer_stop(&k->timer);
	k->timer.data = k;
	uv_close((uv_handle_t *)&k->timer, disk_closed);
}

int disk_admit(struct hsd *d, char *err, size_t errlen)
{
	struct disk *k = d->disk;
	int64_t avail = disk_avail(d);
	/* Without a reserve, at least a little room: an image's mkfs, a
	 * bundle, a few store pages. */
	int64_t want = k && k->reserve ? k->reserve : MIB;

	if (avail < 0)
		return err_sys(err, errlen, "store: statvfs %s", d->opt.state_dir);
	if (k && k->reserve && !k->held)
		return err_set(err, errlen, HS_ESYS,
			       "store: no space left on device (%s: %lld MiB free; new work waits until "
			       "%lld MiB are free, the rest is kept for running spaces)", d->opt.state_dir,
			       (long long)(avail / MIB), (long long)(2 * k->reserve / MIB));
	if (avail < want)
		return err_set(err, errlen, HS_ESYS,
			       "store: no space left on device (%s: %lld MiB free, %lld MiB wanted)",
			       d->opt.state_dir, (long long)(avail / MIB), (long long)(want / MIB));
	return 0;
}

json_t *disk_status_json(struct hsd *d)
{
	struct disk *k = d->disk;
	int64_t avail = disk_avail(d);

	return json_pack("{s:I, s:I, s:b, s:b}", "free", (json_int_t)avail,
			 "reserve", (json_int_t)(k ? k->reserve : 0), "reserve_held", k && k->held,
			 "full", k && k->reserve ? !k->held : avail < MIB);
}
