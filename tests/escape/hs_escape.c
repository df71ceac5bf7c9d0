/* hs_escape.c - one confinement escape attempt per run, for
 * tests/integration/test_escape.sh.
 *
 *   hs_escape ATTEMPT [ARGS]
 *
 * Exit 0: the attempt SUCCEEDED (the action worked), 1: it was refused,
 * 2: bad usage or a setup step unrelated to the boundary failed.  One line
 * on stdout says what happened, with the errno text.
 *
 * Some attempts cannot safely succeed even where no boundary stands (a
 * module, a kexec image, a reboot): those pass arguments the kernel
 * rejects only AFTER its permission checks, and count as "succeeded" any
 * result but EPERM, i.e. the call reached the kernel's own code.  A seccomp
 * deny-list answers EPERM before that.  Every such attempt says so below.
 *
 * Two helpers carry attempts into a space's Landlock domain, where its own
 * processes live (`hsctl space exec` runs outside it): "serve SOCK" runs in
 * the space's command and "call SOCK CMD..." asks it to run CMD there.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/mount.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hs_escape.h"

const char *attempt = "?"; /* the attempt running, for verdict lines */

/* Print the verdict line; return the exit code. */
int verdict(bool ok, const char *fmt, ...)
{
	va_list ap;
	printf("%s: %s: ", attempt, ok ? "SUCCEEDED" : "refused");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return ok ? 0 : 1;
}

/* A syscall's result: >= 0 is success, else refused with errno's text. */
int sysres(const char *what, long rc)
{
	if (rc >= 0)
		return verdict(true, "%s returned %ld", what, rc);
	return verdict(false, "%s: %s", what, strerror(errno));
}

/* For calls made to fail after the kernel's permission checks: anything
 * but EPERM means the call got past every filter into the kernel. */
int reached(const char *what, long rc)
{
	if (rc >= 0)
		return verdict(true, "%s returned %ld", what, rc);
	int e = errno;
	return verdict(e != EPERM, "%s: %s (%s)", what, strerror(e),
		       e == EPERM ? "stopped before the kernel's own checks" : "reached the kernel");
}

int setup_fail(const char *what)
{
	printf("%s: setup: %s: %s\n", attempt, what, strerror(errno));
	return 2;
}

long num(const char *s)
{
	return strtol(s, NULL, 0);
}

/* The first line of path holding needle (and not ending in skip). */
bool file_has(const char *path, const char *needle, const char *skip)
{
	char line[512];
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		size_t n = strlen(line), k = skip ? strlen(skip) : 0;
		if (strstr(line, needle) && !(skip && n > k && !strncmp(line + n - k - 1, skip, k)))
			return fclose(f), true;
	}
	if (f)
		fclose(f);
	return false;
}

/* ---- exec safety, processes --------------------------------------------- */

/* envhas NAME: our own environment holds NAME. */
static int a_envhas(char **av)
{
	char buf[65536];
	int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return setup_fail("read /proc/self/environ");
	size_t len = strlen(av[0]);
	buf[n] = 0;
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
		if (!strncmp(buf + i, av[0], len) && buf[i + len] == '=')
			return verdict(true, "%s is in the environment", av[0]);
	}
	return verdict(false, "%s is not in the environment", av[0]);
}

/* sleeper SECS FILE: write our pid to FILE and sleep (a target). */
static int a_sleeper(char **av)
{
	FILE *f = fopen(av[1], "w");
	if (!f)
		return setup_fail(av[1]);
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	sleep((unsigned)num(av[0]));
	return 0;
}

/* ptrace-attach PID / ptrace-seize PID: become its tracer, then let go. */
static int a_ptrace(char **av, bool seize)
{
	pid_t pid = (pid_t)num(av[0]);
	long rc = seize ? ptrace(PTRACE_SEIZE, pid, 0, 0) : ptrace(PTRACE_ATTACH, pid, 0, 0);
	if (rc < 0)
		return verdict(false, "%s %d: %s", seize ? "PTRACE_SEIZE" : "PTRACE_ATTACH", (int)pid,
			       strerror(errno));
	if (!seize)
		waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return verdict(true, "traced pid %d", (int)pid);
}

/* The start of pid's first readable mapping, or fallback. */
static unsigned long first_mapping(const char *pid, unsigned long fallback)
{
	char path[64], line[512];
	unsigned long lo = fallback;
	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	FILE *m = fopen(path, "re");
	while (m && fgets(line, sizeof(line), m))
		if (sscanf(line, "%lx-%*x r", &lo) == 1 && strstr(line, " r"))
			break;
	if (m)
		fclose(m);
	return lo;
}

/* memread PID: read its memory through /proc/PID/mem at a mapped address. */
static int a_memread(char **av)
{
	char path[64], buf[16];
	snprintf(path, sizeof(path), "/proc/%s/mem", av[0]);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return verdict(false, "open %s: %s", path, strerror(errno));
	unsigned long lo = first_mapping(av[0], 0);
	ssize_t n = pread(fd, buf, sizeof(buf), (off_t)lo);
	if (n <= 0)
		return verdict(false, "read %s at %#lx: %s", av[0], lo, n < 0 ? strerror(errno) : "nothing");
	return verdict(true, "read %zd bytes of pid %s at %#lx", n, av[0], lo);
}

/* vmread PID: process_vm_readv at its first readable mapping. */
static int a_vmread(char **av)
{
	char buf[16];
	unsigned long lo = first_mapping(av[0], 0x400000);
	struct iovec l = { buf, sizeof(buf) }, r = { (void *)lo, sizeof(buf) };
	return sysres("process_vm_readv", process_vm_readv((pid_t)num(av[0]), &l, 1, &r, 1, 0));
}

/* getfd PID FD: take a copy of its fd with pidfd_getfd. */
static int a_getfd(char **av)
{
	int pfd = (int)syscall(SYS_pidfd_open, (pid_t)num(av[0]), 0);
	if (pfd < 0)
		return verdict(false, "pidfd_open %s: %s", av[0], strerror(errno));
	return sysres("pidfd_getfd", syscall(SYS_pidfd_getfd, pfd, (int)num(av[1]), 0));
}

/* tiocsti: push a byte into our terminal's input (then flush it away). */
static int a_tiocsti(char **av UNUSED)
{
	char c = '#';
	long rc = ioctl(0, TIOCSTI, &c);
	int e = errno;
	tcflush(0, TCIFLUSH);
	errno = e;
	return sysres("ioctl(TIOCSTI)", rc);
}

/* tioclinux: TIOCLINUX (read the shift state) on our terminal; a pty is
 * no console, so "reached" (EINVAL, ENOTTY) counts. */
static int a_tioclinux(char **av UNUSED)
{
	char sub[2] = { 6 /* TIOCL_GETSHIFTSTATE */, 0 };
	return reached("ioctl(TIOCLINUX)", ioctl(0, TIOCLINUX, sub));
}

/* ---- files and devices ------------------------------------------------- */

/* read PATH: a file yields at least one byte, a directory one entry. */
static int a_read(char **av)
{
	int fd = open(av[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return verdict(false, "open %s: %s", av[0], strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		DIR *d = fdopendir(fd);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				return verdict(true, "%s lists %s", av[0], e->d_name);
		return verdict(false, "%s is an empty directory", av[0]);
	}
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return verdict(false, "read %s: %s", av[0], n < 0 ? strerror(errno) : "empty");
	return verdict(true, "read %zd bytes of %s", n, av[0]);
}

/* openw PATH: open for writing, writing nothing.  ETXTBSY counts as
 * success: the path led to a writable file that is only executing now
 * (CVE-2019-5736 waits for that to end). */
static int a_openw(char **av)
{
	int fd = open(av[0], O_WRONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 || errno == ETXTBSY)
		return verdict(true, "%s opens for writing%s", av[0], fd < 0 ? " (ETXTBSY: busy)" : "");
	return verdict(false, "open %s for writing: %s", av[0], strerror(errno));
}

/* write PATH: append a line (created if missing). */
static int a_write(char **av)
{
	int fd = open(av[0], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return verdict(false, "open %s: %s", av[0], strerror(errno));
	ssize_t n = write(fd, "hs_escape\n", 10);
	return n == 10 ? verdict(true, "wrote %s", av[0])
		       : verdict(false, "write %s: %s", av[0], strerror(errno));
}

/* mknod-blk MAJ MIN DIR: make the disk's block device and open it. */
static int a_mknod_blk(char **av)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/hsesc-blk.%d", av[2], (int)getpid());
	if (mknod(path, S_IFBLK | 0600, makedev((unsigned)num(av[0]), (unsigned)num(av[1]))))
		return verdict(false, "mknod %s: %s", path, strerror(errno));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int e = errno;
	unlink(path);
	if (fd < 0)
		return verdict(false, "open %s: %s", path, strerror(e));
	return verdict(true, "opened block device %s:%s", av[0], av[1]);
}

/* suid DIR: a setuid-root copy of us in DIR, run by uid 1000, gets euid 0. */
static int a_suid(char **av)
{
	char path[4096], buf[65536];
	snprintf(path, sizeof(path), "%s/hsesc-suid.%d", av[0], (int)getpid());
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	ssize_t n;
	if (in < 0 || out < 0)
		return setup_fail(path);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return setup_fail("copy");
	close(out);
	if (chown(path, 0, 0) || chmod(path, 04755)) {
		unlink(path);
		return setup_fail("chmod 4755");
	}
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(3);
		execl(path, path, "euid0", (char *)NULL);
		_exit(4);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	unlink(path);
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
		return setup_fail("run the copy as uid 1000");
	return WEXITSTATUS(st) == 0 ? verdict(true, "the setuid copy ran with euid 0")
				    : verdict(false, "the setuid copy kept euid 1000");
}

/* chroot MARKER: the double-chroot escape, then look for MARKER. */
static int a_chroot(char **av)
{
	char jail[64];
	snprintf(jail, sizeof(jail), "/tmp/hsesc-jail.%d", (int)getpid());
	if (mkdir(jail, 0700) && errno != EEXIST)
		return setup_fail(jail);
	if (chroot(jail)) {
		rmdir(jail);
		return verdict(false, "chroot %s: %s", jail, strerror(errno));
	}
	for (int i = 0; i < 64; i++)
		if (chdir(".."))
			break;
	bool back = chroot(".") == 0;
	bool out = back && access(av[0], F_OK) == 0;
	int e = errno;
	if (back) /* the jail is a child of /tmp wherever we ended */
		rmdir(jail);
	return out ? verdict(true, "out of the jail: %s is visible", av[0])
		   : verdict(false, "%s not visible after the escape (%s)", av[0], strerror(e));
}

/* ---- the kernel's surface ---------------------------------------------- */

/* keyhold DESC SECS: in a session keyring of our own, a key anybody may
 * view; it goes with us. */
static int a_keyhold(char **av)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0)
		return setup_fail("join a session keyring");
	long k = syscall(SYS_add_key, "user", av[0], "hsesc-secret", 12, KEY_SPEC_SESSION_KEYRING);
	if (k < 0 || syscall(SYS_keyctl, KEYCTL_SETPERM, k, 0x3f3f0001) < 0)
		return setup_fail("add the key");
	printf("%ld\n", k);
	fflush(stdout);
	sleep((unsigned)num(av[1]));
	return 0;
}

/* obh PATH: open_by_handle_at with PATH's mount; the handle is PATH's own,
 * or (name_to_handle_at refused) a forged one for inode 2, ext4's root,
 * as "shocker" did. */
static int a_obh(char **av)
{
	struct { struct file_handle fh; unsigned char b[128]; } h;
	int mnt, mfd = open(av[0], O_RDONLY | O_CLOEXEC);
	if (mfd < 0)
		return verdict(false, "open %s: %s", av[0], strerror(errno));
	h.fh.handle_bytes = sizeof(h.b);
	const char *how = "its own handle";
	if (name_to_handle_at(AT_FDCWD, av[0], &h.fh, &mnt, 0)) {
		uint32_t ino_gen[2] = { 2, 0 };
		h.fh.handle_type = 1; /* FILEID_INO32_GEN */
		h.fh.handle_bytes = sizeof(ino_gen);
		memcpy(h.fh.f_handle, ino_gen, sizeof(ino_gen));
		how = "a forged handle (name_to_handle_at refused)";
	}
	int fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return verdict(false, "open_by_handle_at with %s: %s", how, strerror(errno));
	return verdict(true, "open_by_handle_at with %s opened an inode", how);
}

/* mount proc|tmpfs|bind: mount on a fresh directory under /tmp ("bind"
 * binds /), unmounted again at once. */
static int a_mount(char **av)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/hsesc-mnt.%d", (int)getpid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		return setup_fail(dir);
	int rc;
	if (!strcmp(av[0], "bind"))
		rc = mount("/", dir, NULL, MS_BIND | MS_REC, NULL);
	else
		rc = mount(av[0], dir, av[0], 0, NULL);
	int e = errno;
	if (rc == 0)
		umount2(dir, MNT_DETACH);
	rmdir(dir);
	errno = e;
	return sysres(av[0], rc);
}

/* cgv1: mount a v1 hierarchy (memory) and open its release_agent for
 * writing, writing nothing. */
static int a_cgv1(char **av UNUSED)
{
	char dir[64], agent[96];
	snprintf(dir, sizeof(dir), "/tmp/hsesc-cg.%d", (int)getpid());
	snprintf(agent, sizeof(agent), "%s/release_agent", dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return setup_fail(dir);
	if (mount("cgroup", dir, "cgroup", 0, "memory")) {
		int e = errno;
		rmdir(dir);
		return verdict(false, "mount cgroup v1: %s", strerror(e));
	}
	int fd = open(agent, O_WRONLY | O_CLOEXEC);
	int e = errno;
	if (fd >= 0)
		close(fd);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return fd >= 0 ? verdict(true, "release_agent opens for writing")
		       : verdict(false, "open release_agent: %s", strerror(e));
}

/* caphost: CAP_DAC_READ_SEARCH held in the initial user namespace. */
static int a_caphost(char **av UNUSED)
{
	char line[256];
	unsigned long long eff = 0;
	bool init_ns = false;
	FILE *f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "CapEff: %llx", &eff);
	if (f)
		fclose(f);
	f = fopen("/proc/self/uid_map", "re");
	unsigned a, b, c;
	if (f && fscanf(f, "%u %u %u", &a, &b, &c) == 3)
		init_ns = a == 0 && b == 0 && c == 4294967295u;
	if (f)
		fclose(f);
	bool has = eff & (1ull << 2);
	return verdict(has && init_ns, "CAP_DAC_READ_SEARCH %s, %s user namespace",
		       has ? "held" : "not held", init_ns ? "the initial" : "a nested");
}

/* Attempts that are one call each.  kexec: 17 segments is one more than
 * the kernel takes, EINVAL only after the CAP_SYS_BOOT check, nothing
 * loaded or unloaded.  initmod, finitmod: a zeroed image is no module
 * (ENOEXEC, or ENOSYS without module support).  reboot: wrong magic numbers, EINVAL
 * only after the CAP_SYS_BOOT check.  userkeyring: uid 0's user keyring,
 * shared by every process of that user.  addkey: in our own process
 * keyring, gone when we exit. */
static int a_simple(char **av)
{
	static char buf[4096];
	const char *a = attempt;
	if (!strcmp(a, "unshare-user"))
		return sysres("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
	if (!strcmp(a, "addkey"))
		return sysres("add_key", syscall(SYS_add_key, "user", "hsesc", "x", 1,
						 KEY_SPEC_PROCESS_KEYRING));
	if (!strcmp(a, "userkeyring"))
		return sysres("keyctl(GET_KEYRING_ID, @u)",
			      syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0));
	if (!strcmp(a, "uffd"))
		return sysres("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
	if (!strcmp(a, "kexec"))
		return reached("kexec_load(17 segments)", syscall(SYS_kexec_load, 0UL, 17UL, NULL, 0UL));
	if (!strcmp(a, "initmod"))
		return reached("init_module(garbage)", syscall(SYS_init_module, buf, 256UL, ""));
	if (!strcmp(a, "reboot"))
		return reached("reboot(bad magic)", syscall(SYS_reboot, 0, 0, 0, NULL));
	if (!strcmp(a, "syslog"))
		return sysres("syslog(READ_ALL)", klogctl(3, buf, sizeof(buf)));
	if (!strcmp(a, "rawsock"))
		return sysres("socket(AF_INET, SOCK_RAW)",
			      socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
	if (!strcmp(a, "setuid"))
		return sysres("setuid", setuid((uid_t)num(av[0])));
	if (!strcmp(a, "setgid"))
		return sysres("setgid", setgid((gid_t)num(av[0])));
	if (!strcmp(a, "umount"))
		return sysres("umount2", umount2(av[0], MNT_DETACH));
	if (!strcmp(a, "persona")) { /* then back to what we had */
		int old = personality(0xffffffff);
		long rc = personality(ADDR_NO_RANDOMIZE);
		if (rc >= 0)
			personality((unsigned long)old);
		return sysres("personality(ADDR_NO_RANDOMIZE)", rc);
	}
	if (!strcmp(a, "euid0")) /* run through a setuid copy (suid) */
		return geteuid() == 0 ? 0 : 1;
	if (!strcmp(a, "open")) /* a device node, say */
		return sysres("open", open(av[0], O_RDONLY | O_CLOEXEC | O_NONBLOCK));
	if (!strcmp(a, "kill0")) { /* 0, or EPERM: a process we can see */
		if (kill((pid_t)num(av[0]), 0) == 0 || errno == EPERM)
			return verdict(true, "pid %s exists here", av[0]);
		return verdict(false, "kill(%s, 0): %s", av[0], strerror(errno));
	}
	if (!strcmp(a, "setns")) {
		int fd = open(av[0], O_RDONLY | O_CLOEXEC);
		return sysres("setns", fd < 0 ? -1 : setns(fd, 0));
	}
	if (!strcmp(a, "unixconn")) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", av[0]);
		int sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		return sysres("connect", sk < 0 ? -1 : connect(sk, (struct sockaddr *)&sa, sizeof(sa)));
	}
	if (!strcmp(a, "clone3-user")) {
		struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
		long pid = syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return sysres("clone3(CLONE_NEWUSER)", pid);
	}
	if (!strcmp(a, "bpf")) {
		union bpf_attr at = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4,
				      .max_entries = 1 };
		return sysres("bpf(BPF_MAP_CREATE)", syscall(SYS_bpf, BPF_MAP_CREATE, &at, sizeof(at)));
	}
	if (!strcmp(a, "perf")) {
		struct perf_event_attr pa = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(pa),
					      .config = PERF_COUNT_SW_CPU_CLOCK, .disabled = 1 };
		return sysres("perf_event_open", syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0));
	}
	if (!strcmp(a, "iouring")) {
		struct io_uring_params p = { 0 };
		return sysres("io_uring_setup", syscall(SYS_io_uring_setup, 2, &p));
	}
	if (!strcmp(a, "finitmod")) { /* as initmod, from an fd */
		int fd = memfd_create("hsesc-mod", MFD_CLOEXEC);
		if (fd < 0 || write(fd, buf, 256) != 256)
			return setup_fail("memfd");
		return reached("finit_module(garbage)", syscall(SYS_finit_module, fd, "", 0));
	}
	if (!strcmp(a, "keyfind")) /* the host's key shows in /proc/keys */
		return verdict(file_has("/proc/keys", av[0], NULL), "looked for %s in /proc/keys", av[0]);
	if (!strcmp(a, "ipv6")) /* an interface but lo has an IPv6 address */
		return verdict(file_has("/proc/net/if_inet6", " ", "lo"), "looked for an IPv6 address beyond lo");
	if (!strcmp(a, "kcore")) { /* /proc/kcore yields an ELF header */
		char h[4] = { 0 };
		int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
		return verdict(fd >= 0 && read(fd, h, 4) == 4 && !memcmp(h, "\177ELF", 4),
			       "looked for an ELF core in /proc/kcore%s%s", fd < 0 ? ": " : "", fd < 0 ? strerror(errno) : "");
	}
	if (!strcmp(a, "devdisk")) { /* /dev holds a block device */
		DIR *d = opendir("/dev");
		struct dirent *e;
		struct stat st;
		while (d && (e = readdir(d)))
			if (!fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISBLK(st.st_mode))
				return verdict(true, "/dev/%s is a block device", e->d_name);
		return verdict(false, "no block device in /dev");
	}
	if (!strcmp(a, "fsopen")) { /* a detached tmpfs through the new mount API */
		int fs = (int)syscall(SYS_fsopen, "tmpfs", 0);
		if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
			return verdict(false, "fsopen/fsconfig: %s", strerror(errno));
		return sysres("fsmount", syscall(SYS_fsmount, fs, 0, 0));
	}
	return 2;
}

/* name, arguments it needs at least, function (NULL: ptrace). */
static const struct {
	const char *name;
	int nargs;
	int (*fn)(char **av);
} attempts[] = {
	{ "envhas", 1, a_envhas }, { "sleeper", 2, a_sleeper }, { "ptrace-attach", 1, NULL },
	{ "ptrace-seize", 1, NULL }, { "memread", 1, a_memread }, { "vmread", 1, a_vmread },
	{ "getfd", 2, a_getfd }, { "kill0", 1, a_simple }, { "tiocsti", 0, a_tiocsti },
	{ "tioclinux", 0, a_tioclinux }, { "read", 1, a_read }, { "open", 1, a_simple },
	{ "openw", 1, a_openw }, { "write", 1, a_write }, { "mknod-blk", 3, a_mknod_blk },
	{ "devdisk", 0, a_simple }, { "euid0", 0, a_simple }, { "suid", 1, a_suid },
	{ "chroot", 1, a_chroot }, { "unshare-user", 0, a_simple },
	{ "clone3-user", 0, a_simple }, { "setns", 1, a_simple }, { "addkey", 0, a_simple },
	{ "userkeyring", 0, a_simple }, { "keyhold", 2, a_keyhold }, { "keyfind", 1, a_simple },
	{ "bpf", 0, a_simple }, { "perf", 0, a_simple }, { "uffd", 0, a_simple },
	{ "kexec", 0, a_simple }, { "initmod", 0, a_simple }, { "finitmod", 0, a_simple },
	{ "obh", 1, a_obh }, { "iouring", 0, a_simple }, { "fsopen", 0, a_simple },
	{ "mount", 1, a_mount }, { "umount", 1, a_simple }, { "cgv1", 0, a_cgv1 },
	{ "syslog", 0, a_simple }, { "persona", 0, a_simple }, { "kcore", 0, a_simple },
	{ "reboot", 0, a_simple }, { "caphost", 0, a_caphost }, { "setuid", 1, a_simple },
	{ "setgid", 1, a_simple }, { "tcp", 3, a_tcp }, { "unixconn", 1, a_simple },
	{ "rawsock", 0, a_simple }, { "spoof", 4, a_spoof }, { "udprecv", 3, a_udprecv },
	{ "ipv6", 0, a_simple }, { "forkmany", 1, a_forkmany }, { "memhog", 1, a_memhog },
	{ "fill", 2, a_fill }, { "serve", 1, a_serve }, { "call", 2, a_call },
};

int main(int argc, char **argv)
{
	size_t n = sizeof(attempts) / sizeof(*attempts);
	if (argc >= 2)
		for (size_t i = 0; i < n; i++) {
			if (strcmp(argv[1], attempts[i].name))
				continue;
			if (argc - 2 < attempts[i].nargs)
				break;
			attempt = argv[1];
			if (!attempts[i].fn)
				return a_ptrace(argv + 2, !strcmp(attempt, "ptrace-seize"));
			return attempts[i].fn(argv + 2);
		}
	fprintf(stderr, "usage: hs_escape ATTEMPT [ARGS] (exit 0: it succeeded, 1: refused);"
			" the arguments are described with each attempt's function\n");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", attempts[i].name, i + 1 < n ? " " : "\n");
	return 2;
}
