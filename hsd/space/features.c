/* features.c - what the kernel must offer before hsd runs a space.
 *
 * Each is tried, not inferred from a version: a kernel may be configured
 * without one, or a distribution may have backported it. */
#include "space.h"
#include "err.h"
#include "nsrun.h"
#include "sandbox.h"
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* An idmapped clone of the root filesystem: what every space's base is. */
static int check_idmap(int userns, char *err, size_t errlen)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return err_sys(err, errlen, "open_tree (kernel 5.2+) is needed");
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)))
		rc = err_sys(err, errlen,
			     "the root filesystem cannot be mounted idmapped (kernel 5.12+ and a filesystem that supports it)");
	close(fd);
	return rc;
}

/* The seccomp filter, in a child that ends at once (nsrun). */
static int try_seccomp(void *arg, char *err, size_t errlen)
{
	(void)arg;
	return sandbox_seccomp(err, errlen);
}

int space_features_check(uint32_t uid_base, char *err, size_t errlen)
{
	char map[64], why[HS_ERRLEN];
	int userns, rc;

	snprintf(map, sizeof(map), "0 %u %u\n", uid_base, USERNS_SPAN);
	if ((rc = userns_create(map, &userns, why, sizeof(why))))
		goto refuse;
	rc = check_idmap(userns, why, sizeof(why));
	close(userns);
	if (rc)
		goto refuse;
	if (sandbox_landlock_abi() < 6) {
		rc = err_set(why, sizeof(why), HS_ESYS,
			     "Landlock ABI 6 (kernel 6.12+, lsm=landlock) is needed, this kernel has %d",
			     sandbox_landlock_abi());
		goto refuse;
	}
	if ((rc = nsrun(try_seccomp, NULL, why, sizeof(why))))
		goto refuse;
	return 0;
refuse:
	return err_set(err, errlen, HS_ESYS, "spaces cannot be confined on this kernel: %s", why);
}
