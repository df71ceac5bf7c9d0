/* caps.c - the capabilities a space keeps.
 *
 * Every space runs in a user namespace of its own (userns.h), so these are
 * capabilities over the space's own namespaces and ids only; what remains
 * is what its kind needs, and each is listed with why:
 *   server  CHOWN, DAC_OVERRIDE, FOWNER, FSETID: root managing its own files
 *           (package installs, daemons' data directories);
 *           SETUID, SETGID: daemons drop to their own users;
 *           KILL: signal those users' processes;
 *           SETPCAP: drop capabilities further in children;
 *           NET_BIND_SERVICE: listen on ports below 1024 (published 80:80);
 *           SYS_CHROOT: daemons that chroot their workers (sshd, named).
 *           No NET_RAW: a server cannot craft packets; ping works through
 *           ICMP datagram sockets (ping_group_range is open in its netns).
 *   audit   DAC_READ_SEARCH: read every file of the views, whoever owns it;
 *           NET_RAW: capture on mon0;
 *           KILL: its init stops the IDS's processes that run as other users;
 *           SETUID, SETGID: an IDS drops to a user of its own after opening
 *           its capture (tcpdump, ngrep, snort -u), which is what it should
 *           do with what it parses.  A second seccomp filter keeps those
 *           ids inside the space's own range (sandbox_seccomp_ids): its
 *           user namespace also maps the ids of the servers it watches.
 *           Nothing else: an IDS may be compromised by what it parses, so it
 *           cannot write what it does not own.
 * Everything else - SYS_ADMIN, SYS_PTRACE, NET_ADMIN, MKNOD, SETFCAP,
 * AUDIT_WRITE first - leaves the bounding set too, so no exec regains it.
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

#define CAP(c) (1ull << (c))

uint64_t caps_of(enum space_kind kind)
{
	if (kind == SPACE_AUDIT)
		return CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_NET_RAW) | CAP(CAP_KILL) |
		       CAP(CAP_SETUID) | CAP(CAP_SETGID);
	return CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_FOWNER) | CAP(CAP_FSETID) |
	       CAP(CAP_KILL) | CAP(CAP_SETGID) | CAP(CAP_SETUID) | CAP(CAP_SETPCAP) |
	       CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_SYS_CHROOT);
}

int caps_limit(uint64_t keep, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	/* Ambient capabilities would survive exec of non-root programs. */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (int cap = 0; cap <= 63; cap++) {
		if (keep & CAP(cap))
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
	return 0;
}
