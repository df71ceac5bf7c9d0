/* test_caps.c - the capabilities each kind of space keeps (caps.c).
 *
 * caps_of is checked against the policy caps.c documents, capability by
 * capability, so a change to it must change this file too.  caps_limit is
 * checked by acting: root makes a device node and writes another user's
 * file before the limit (the controls) and cannot after it.  Criterion
 * runs each test in a process of its own, so the drop ends with the test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "err.h"
#include "space.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CAP(c) (1ull << (c))

static char err[HS_ERRLEN];
static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hs-caps-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char p[128];
	const char *names[] = { "null", "other" };
	for (size_t i = 0; i < N(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

TestSuite(caps, .init = setup, .fini = teardown, .timeout = 30);

static const char *cap_name(int c)
{
	static const char *const names[] = {
		[CAP_CHOWN] = "CHOWN", [CAP_DAC_OVERRIDE] = "DAC_OVERRIDE",
		[CAP_DAC_READ_SEARCH] = "DAC_READ_SEARCH", [CAP_FOWNER] = "FOWNER",
		[CAP_FSETID] = "FSETID", [CAP_KILL] = "KILL", [CAP_SETGID] = "SETGID",
		[CAP_SETUID] = "SETUID", [CAP_SETPCAP] = "SETPCAP",
		[CAP_LINUX_IMMUTABLE] = "LINUX_IMMUTABLE",
		[CAP_NET_BIND_SERVICE] = "NET_BIND_SERVICE", [CAP_NET_BROADCAST] = "NET_BROADCAST",
		[CAP_NET_ADMIN] = "NET_ADMIN", [CAP_NET_RAW] = "NET_RAW", [CAP_IPC_LOCK] = "IPC_LOCK",
		[CAP_IPC_OWNER] = "IPC_OWNER", [CAP_SYS_MODULE] = "SYS_MODULE",
		[CAP_SYS_RAWIO] = "SYS_RAWIO", [CAP_SYS_CHROOT] = "SYS_CHROOT",
		[CAP_SYS_PTRACE] = "SYS_PTRACE", [CAP_SYS_PACCT] = "SYS_PACCT",
		[CAP_SYS_ADMIN] = "SYS_ADMIN", [CAP_SYS_BOOT] = "SYS_BOOT",
		[CAP_SYS_NICE] = "SYS_NICE", [CAP_SYS_RESOURCE] = "SYS_RESOURCE",
		[CAP_SYS_TIME] = "SYS_TIME", [CAP_SYS_TTY_CONFIG] = "SYS_TTY_CONFIG",
		[CAP_MKNOD] = "MKNOD", [CAP_LEASE] = "LEASE", [CAP_AUDIT_WRITE] = "AUDIT_WRITE",
		[CAP_AUDIT_CONTROL] = "AUDIT_CONTROL", [CAP_SETFCAP] = "SETFCAP",
		[CAP_MAC_OVERRIDE] = "MAC_OVERRIDE", [CAP_MAC_ADMIN] = "MAC_ADMIN",
		[CAP_SYSLOG] = "SYSLOG", [CAP_WAKE_ALARM] = "WAKE_ALARM",
		[CAP_BLOCK_SUSPEND] = "BLOCK_SUSPEND", [CAP_AUDIT_READ] = "AUDIT_READ",
		[CAP_PERFMON] = "PERFMON", [CAP_BPF] = "BPF",
		[CAP_CHECKPOINT_RESTORE] = "CHECKPOINT_RESTORE",
	};
	return c >= 0 && (size_t)c < N(names) && names[c] ? names[c] : "?";
}

/* Exactly want, naming each capability too many or missing. */
static void expect_set(const char *kind, uint64_t got, uint64_t want)
{
	for (int c = 0; c < 64; c++) {
		cr_expect(!(got & CAP(c)) || (want & CAP(c)), "%s keeps CAP_%s (%d)", kind,
			  cap_name(c), c);
		cr_expect(!(want & CAP(c)) || (got & CAP(c)), "%s lacks CAP_%s (%d)", kind,
			  cap_name(c), c);
	}
}

Test(caps, server_set_is_the_documented_one)
{
	expect_set("server", caps_of(SPACE_SERVER),
		   CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_FOWNER) | CAP(CAP_FSETID) |
			   CAP(CAP_SETUID) | CAP(CAP_SETGID) | CAP(CAP_KILL) | CAP(CAP_SETPCAP) |
			   CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_SYS_CHROOT));
}

Test(caps, audit_set_is_the_documented_one)
{
	expect_set("audit", caps_of(SPACE_AUDIT),
		   CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_NET_RAW) | CAP(CAP_KILL) | CAP(CAP_SETUID) |
			   CAP(CAP_SETGID));
}

/* The ones caps.c names as gone first, and those that reach the kernel or
 * the host past any namespace: neither kind may hold one. */
Test(caps, no_kind_holds_a_capability_past_its_namespaces)
{
	static const int never[] = {
		CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_NET_ADMIN, CAP_MKNOD, CAP_SETFCAP,
		CAP_AUDIT_WRITE, CAP_AUDIT_CONTROL, CAP_AUDIT_READ, CAP_SYS_MODULE,
		CAP_SYS_RAWIO, CAP_SYS_BOOT, CAP_SYS_TIME, CAP_SYS_RESOURCE, CAP_SYS_NICE,
		CAP_SYS_PACCT, CAP_SYS_TTY_CONFIG, CAP_LINUX_IMMUTABLE, CAP_IPC_LOCK,
		CAP_IPC_OWNER, CAP_LEASE, CAP_MAC_ADMIN, CAP_MAC_OVERRIDE, CAP_SYSLOG,
		CAP_WAKE_ALARM, CAP_BLOCK_SUSPEND, CAP_PERFMON, CAP_BPF,
		CAP_CHECKPOINT_RESTORE, CAP_NET_BROADCAST,
	};
	const enum space_kind kinds[] = { SPACE_SERVER, SPACE_AUDIT };
	for (size_t k = 0; k < N(kinds); k++) {
		uint64_t set = caps_of(kinds[k]);
		for (size_t i = 0; i < N(never); i++)
			cr_expect(!(set & CAP(never[i])), "%s keeps CAP_%s",
				  kinds[k] == SPACE_AUDIT ? "audit" : "server", cap_name(never[i]));
		cr_expect_eq(set >> (CAP_LAST_CAP + 1), 0, "bits past CAP_LAST_CAP");
	}
}

/* An IDS may be taken over by what it parses: it reads, never writes or
 * re-owns another's file; a server crafts no packets. */
Test(caps, audit_cannot_write_what_it_does_not_own_and_server_has_no_raw_sockets)
{
	const int write_caps[] = { CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN, CAP_FSETID };
	for (size_t i = 0; i < N(write_caps); i++)
		cr_expect(!(caps_of(SPACE_AUDIT) & CAP(write_caps[i])), "audit keeps CAP_%s",
			  cap_name(write_caps[i]));
	cr_expect(!(caps_of(SPACE_SERVER) & CAP(CAP_NET_RAW)), "server keeps CAP_NET_RAW");
}

/* ---- caps_limit, acting ---- */

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: the controls use root's capabilities");
}

static uint64_t bounding(void)
{
	uint64_t set = 0;
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			set |= CAP(c);
	return set;
}

static void current(uint64_t *eff, uint64_t *perm, uint64_t *inh)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data)); /* valgrind 3.19 sees capget fill one of the two */
	cr_assert_eq(syscall(SYS_capget, &hdr, data), 0);
	*eff = data[0].effective | (uint64_t)data[1].effective << 32;
	*perm = data[0].permitted | (uint64_t)data[1].permitted << 32;
	*inh = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
}

static void expect_only(uint64_t keep)
{
	uint64_t eff, perm, inh;
	current(&eff, &perm, &inh);
	cr_expect_eq(eff & ~keep, 0, "effective beyond the set: %#llx", (unsigned long long)eff);
	cr_expect_eq(perm & ~keep, 0, "permitted beyond the set: %#llx", (unsigned long long)perm);
	cr_expect_eq(inh & ~keep, 0, "inheritable beyond the set: %#llx", (unsigned long long)inh);
	cr_expect_eq(bounding() & ~keep, 0, "bounding set beyond the set: %#llx",
		     (unsigned long long)bounding());
	cr_expect_eq(eff, keep, "a kept capability was lost: %#llx", (unsigned long long)eff);
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		cr_expect_neq(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0), 1,
			      "ambient CAP_%s", cap_name(c));
}

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

Test(caps, server_limit_leaves_no_mknod)
{
	char dev[128];
	need_root();
	path(dev, sizeof(dev), "null");
	/* control: full root may make a device node */
	cr_assert(bounding() & CAP(CAP_MKNOD), "no CAP_MKNOD to begin with");
	cr_assert_eq(mknod(dev, S_IFCHR | 0600, makedev(1, 3)), 0, "control: %s", strerror(errno));
	cr_assert_eq(unlink(dev), 0);

	cr_assert_eq(caps_limit(caps_of(SPACE_SERVER), err, sizeof(err)), 0, "%s", err);
	expect_only(caps_of(SPACE_SERVER));
	errno = 0;
	cr_expect_eq(mknod(dev, S_IFCHR | 0600, makedev(1, 3)), -1, "made a device node");
	cr_expect_eq(errno, EPERM);
}

Test(caps, audit_limit_reads_but_cannot_write_or_chown_anothers_file)
{
	char other[128], buf[8];
	int fd;
	need_root();
	path(other, sizeof(other), "other");
	fd = open(other, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "secret", 6), 6);
	close(fd);
	cr_assert_eq(chown(other, 4242, 4242), 0);
	/* control: full root writes and re-owns it */
	fd = open(other, O_WRONLY | O_APPEND | O_CLOEXEC);
	cr_assert_geq(fd, 0, "control: %s", strerror(errno));
	close(fd);
	cr_assert_eq(chown(other, 4243, 4243), 0, "control: %s", strerror(errno));

	cr_assert_eq(caps_limit(caps_of(SPACE_AUDIT), err, sizeof(err)), 0, "%s", err);
	expect_only(caps_of(SPACE_AUDIT));
	fd = open(other, O_RDONLY | O_CLOEXEC);
	cr_expect_geq(fd, 0, "DAC_READ_SEARCH should read it: %s", strerror(errno));
	if (fd >= 0) {
		cr_expect_eq(read(fd, buf, sizeof(buf)), 6);
		close(fd);
	}
	errno = 0;
	fd = open(other, O_WRONLY | O_APPEND | O_CLOEXEC);
	cr_expect_eq(fd, -1, "opened another's 0600 file for writing");
	cr_expect_eq(errno, EACCES);
	if (fd >= 0)
		close(fd);
	errno = 0;
	cr_expect_eq(chown(other, 0, 0), -1, "re-owned another's file");
	cr_expect_eq(errno, EPERM);
	errno = 0;
	cr_expect_eq(chmod(other, 0666), -1, "changed another's file mode");
	cr_expect_eq(errno, EPERM);
}

Test(caps, limit_zero_leaves_nothing)
{
	need_root();
	cr_assert_eq(caps_limit(0, err, sizeof(err)), 0, "%s", err);
	expect_only(0);
}
