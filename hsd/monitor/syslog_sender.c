/* syslog_sender.c - a syslog sender's real identity through its pidfd (see
 * syslog_sender.h). */
#include "syslog_sender.h"
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Headers older than Linux 6.13 lack PIDFD_GET_INFO (and <linux/pidfd.h>
 * clashes with glibc's <fcntl.h> here, so it is not included).  This is
 * the ioctl's first layout (PIDFD_INFO_SIZE_VER0, 64 bytes); later kernels
 * grew the struct and still take this size, as the size is part of the
 * request number. */
#ifndef PIDFS_IOCTL_MAGIC
#define PIDFS_IOCTL_MAGIC 0xFF
#endif
#ifndef PIDFD_GET_INFO
struct pidfd_info {
	__u64 mask;
	__u64 cgroupid;
	__u32 pid;
	__u32 tgid;
	__u32 ppid;
	__u32 ruid;
	__u32 rgid;
	__u32 euid;
	__u32 egid;
	__u32 suid;
	__u32 sgid;
	__u32 fsuid;
	__u32 fsgid;
	__u32 spare0[1];
};
#define PIDFD_GET_INFO _IOWR(PIDFS_IOCTL_MAGIC, 11, struct pidfd_info)
#endif
#ifndef PIDFD_INFO_CREDS
#define PIDFD_INFO_CREDS (1UL << 1)
#endif

/* The pidfd's own fdinfo names its process with no race: Pid is -1 once
 * the task is reaped, which is also when its number may be reused. */
static bool pidfd_pids(int pidfd, long *pid, long *nspid)
{
	char path[48], buf[512];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	if (procfs_read(path, buf, sizeof(buf)) || procfs_field(buf, "Pid", 0, pid, NULL))
		return false;
	/* One pid per PID namespace level: the sender's own is the last. */
	if (procfs_field(buf, "NSpid", -1, nspid, NULL))
		*nspid = 0;
	return true;
}

/* Real uid and gid (the first of the four numbers on each line) from
 * /proc/PID/status; only worth something if the pidfd proves afterwards
 * that PID was still its process. */
static bool status_ids(long pid, uint32_t *uid, uint32_t *gid)
{
	char path[40], buf[2048];
	long u, g;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (procfs_read(path, buf, sizeof(buf)) || procfs_field(buf, "Uid", 0, &u, NULL) ||
	    procfs_field(buf, "Gid", 0, &g, NULL) || u < 0 || g < 0 || u > UINT32_MAX || g > UINT32_MAX)
		return false;
	*uid = (uint32_t)u;
	*gid = (uint32_t)g;
	return true;
}

void syslog_sender_identify(int pidfd, enum syslog_sender_how how, struct syslog_sender *out)
{
	long pid, nspid;
	memset(out, 0, sizeof(*out));
	if (pidfd < 0 || !pidfd_pids(pidfd, &pid, &nspid) || pid <= 0)
		return; /* reaped (or not in our PID namespace) */
	out->pid = (pid_t)pid;
	out->nspid = nspid > 0 ? nspid : 0;

	if (how == SYSLOG_SENDER_AUTO) {
		struct pidfd_info info;
		memset(&info, 0, sizeof(info));
		info.mask = PIDFD_INFO_CREDS;
		if (ioctl(pidfd, PIDFD_GET_INFO, &info) == 0 && (info.mask & PIDFD_INFO_CREDS)) {
			out->ids = true;
			out->uid = info.ruid;
			out->gid = info.rgid;
			return;
		}
		if (errno == ESRCH)
			return; /* reaped since: its ids went with it */
		/* ENOTTY / EINVAL: a kernel (or valgrind) without the ioctl. */
	}

	uint32_t uid, gid;
	long again, ns;
	if (!status_ids(pid, &uid, &gid))
		return;
	/* Still a live task after the read: the number was its own throughout,
	 * as a pid is reused only once its task is reaped. */
	if (!pidfd_pids(pidfd, &again, &ns) || again != pid)
		return;
	out->ids = true;
	out->uid = uid;
	out->gid = gid;
}
