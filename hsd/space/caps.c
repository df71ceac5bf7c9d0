/* caps.c - the capabilities a space keeps.
 *
 * Spaces run as root in the initial user namespace, so what stops a server
 * space from mounting, loading modules, tracing or reconfiguring the host
 * is the capability set.  Server spaces keep what ordinary daemons need
 * (bind low ports, change uid, chown files, ping); audit spaces also keep
 * reading any file, which file IDS need.
 * Everything else, CAP_SYS_ADMIN and CAP_SYS_PTRACE first, is dropped from
 * the bounding set too, so no exec can regain it.
 */
#include "space.h"
#include "err.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t caps_allowed(enum space_kind kind)
{
	uint64_t keep = 1ull << CAP_CHOWN | 1ull << CAP_DAC_OVERRIDE |
			1ull << CAP_FOWNER | 1ull << CAP_FSETID | 1ull << CAP_KILL |
			1ull << CAP_SETGID | 1ull << CAP_SETUID | 1ull << CAP_SETPCAP |
			1ull << CAP_NET_BIND_SERVICE | 1ull << CAP_SYS_CHROOT |
			1ull << CAP_AUDIT_WRITE | 1ull << CAP_SETFCAP |
			1ull << CAP_NET_RAW; /* ping; raw sockets see only the space's netns */
	if (kind == SPACE_AUDIT)
		keep |= 1ull << CAP_DAC_READ_SEARCH;
	return keep;
}

int caps_limit(enum space_kind kind, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint64_t keep = caps_allowed(kind);

	for (int cap = 0; cap <= 63; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return err_sys(err, errlen, "drop capability %d", cap);
	}
	if (syscall(SYS_capget, &hdr, data))
		return err_sys(err, errlen, "capget");
	for (int i = 0; i < 2; i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));
		data[i].effective &= k;
		data[i].permitted &= k;
		data[i].inheritable &= k;
	}
	if (syscall(SYS_capset, &hdr, data))
		return err_sys(err, errlen, "capset");
	/* Ambient capabilities would survive exec of non-root programs. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}
