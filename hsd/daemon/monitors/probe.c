/* probe.c - harmless events an IDS instance must report.
 *
 *   file    /var/lib/hsd-probe/TOKEN appears in each watched server space
 *   packet  a UDP datagram "hsd-probe TOKEN" leaves each watched server
 *           space for its gateway's port 9 (crossing the mirrored veth)
 *   syslog  "hsd-probe TOKEN" is logged through each server's /dev/log relay
 *   exec    a process in each server space opens /var/lib/hsd-probe/TOKEN
 * The server is hostile: a probe enters it holding nothing of hsd's (no fd,
 * no capability; for files it is the space's root, not the host's), never
 * follows a link the server planted (openat2 RESOLVE_IN_ROOT |
 * RESOLVE_NO_SYMLINKS; the exec probe's reads excepted, see there), never
 * blocks on what it finds there (O_NONBLOCK,
 * MSG_DONTWAIT), and leaves nothing running: the exec probe's process is
 * a child of a keeper outside the space that waits for it.  Probe
 * processes belong to no Landlock domain, so the space can neither trace
 * nor signal them.
 */
#include "probe.h"
#include "daemon.h"
#include "err.h"
#include "fsutil.h"
#include "linknet.h"
#include "nsrun.h"
#include "spaces.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROBE_NS_ALL (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | \
		      CLONE_NEWIPC | CLONE_NEWUTS)

struct probe_job {
	pid_t init;
	const char *token;
	uint32_t gateway; /* packet: the server's gateway (base side of its veth) */
};

/* The probe directory inside the space (made if missing), resolved in
 * its root with no symlink followed. */
static int probe_dir(char *err, size_t errlen)
{
	const char *leaf = strrchr(BUNDLE_PROBE_DIR, '/') + 1;
	char parent[64];
	int pfd, fd;

	snprintf(parent, sizeof(parent), "%.*s", (int)(leaf - BUNDLE_PROBE_DIR), BUNDLE_PROBE_DIR);
	if ((pfd = fs_open_in_root(AT_FDCWD, parent, O_DIRECTORY)) < 0)
		return err_sys(err, errlen, "probe: open %s in the space", parent);
	if (mkdirat(pfd, leaf, 0755) && errno != EEXIST) {
		int rc = err_sys(err, errlen, "probe: mkdir " BUNDLE_PROBE_DIR);
		close(pfd);
		return rc;
	}
	fd = fs_open_in_root(pfd, leaf, O_DIRECTORY);
	close(pfd);
	if (fd < 0)
		return err_sys(err, errlen, "probe: open " BUNDLE_PROBE_DIR " in the space");
	return fd;
}

/* As the space's root with no capability: root owns the probe path in
 * every space that has not changed it, and the server may not make the
 * probe write anywhere else. */
static int probe_file(void *arg, char *err, size_t errlen)
{
	const struct probe_job *j = arg;
	char text[96];
	struct stat st;
	int rc, dir, fd;

	if ((rc = nsrun_enter(j->init, CLONE_NEWUSER | CLONE_NEWNS, err, errlen)) ||
	    (rc = caps_limit(0, err, errlen)))
		return rc;
	if ((dir = probe_dir(err, errlen)) < 0)
		return dir;
	/* New content each time: a repeated probe is a change an IDS sees. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int n = snprintf(text, sizeof(text), "hsd-probe %s %lld.%09ld\n", j->token,
			 (long long)ts.tv_sec, ts.tv_nsec);
	fd = openat(dir, j->token, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	close(dir);
	if (fd < 0)
		return err_sys(err, errlen, "probe: create " BUNDLE_PROBE_DIR "/%s", j->token);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		rc = err_set(err, errlen, HS_ESTATE, "probe: " BUNDLE_PROBE_DIR "/%s is not a file", j->token);
	else if (ftruncate(fd, 0) || write(fd, text, (size_t)n) != n)
		rc = err_sys(err, errlen, "probe: write " BUNDLE_PROBE_DIR "/%s", j->token);
	close(fd);
	return rc;
}

static int probe_packet(void *arg, char *err, size_t errlen)
{
	const struct probe_job *j = arg;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = htonl(j->gateway) };
	char text[64];
	int rc, fd;

	if ((rc = nsrun_enter(j->init, CLONE_NEWNET, err, errlen)) || (rc = caps_limit(0, err, errlen)))
		return rc;
	int n = snprintf(text, sizeof(text), "hsd-probe %s", j->token);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return err_sys(err, errlen, "probe: socket");
	rc = sendto(fd, text, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) == n
		     ? 0 : err_sys(err, errlen, "probe: send");
	close(fd);
	return rc;
}

/* The keeper: outside the space, it enters the space's namespaces and
 * forks the probe process into them, which opens the probe path a few
 * times (waiting first, so that a tracer rescanning the space finds it),
 * and reaps it.  Returns to the caller, which exits. */
static void probe_exec_keeper(const struct probe_job *j)
{
	char err[HS_ERRLEN], path[128];
	int status;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (nsrun_enter(j->init, PROBE_NS_ALL, err, sizeof(err)) || caps_limit(0, err, sizeof(err)))
		return;
	snprintf(path, sizeof(path), BUNDLE_PROBE_DIR "/%s", j->token);
	pid_t pid = fork();
	if (pid == 0) {
		/* A plain openat, the event the bundles' rules look for: it reads
		 * as the space's root without capabilities, nothing the space
		 * could not read itself, whatever it planted on the way. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* libuv's fork handler gave this child a new pipe of its own. */
		syscall(SYS_close_range, 3, ~0u, 0);
		for (int i = 0; i < 3; i++) {
			usleep(600 * 1000);
			int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				close(fd);
		}
		_exit(0);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
}

static void keeper_closed(uv_handle_t *h)
{
	free(h);
}

static void on_keeper_exit(uv_poll_t *p, int status, int events)
{
	siginfo_t si;
	int fd = (int)(intptr_t)p->data;
	(void)status;
	(void)events;
	syscall(SYS_waitid, P_PIDFD, fd, &si, WEXITED | WNOHANG, NULL);
	close(fd);
	uv_poll_stop(p);
	uv_close((uv_handle_t *)p, keeper_closed);
}

/* The keeper runs apart from hsd's loop (the probe lasts seconds); its
 * exit is reaped through its pidfd. */
static int probe_exec(struct hsd *d, const struct probe_job *j, char *err, size_t errlen)
{
	uv_poll_t *poll = calloc(1, sizeof(*poll));
	int fd;

	if (!poll)
		return err_set(err, errlen, HS_ESYS, "out of memory");
	pid_t pid = fork();
	if (pid < 0) {
		free(poll);
		return err_sys(err, errlen, "probe: fork");
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(1);
		syscall(SYS_close_range, 3, ~0u, 0);
		probe_exec_keeper(j);
		_exit(0);
	}
	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) {
		free(poll);
		return err_sys(err, errlen, "probe: pidfd");
	}
	poll->data = (void *)(intptr_t)fd;
	uv_poll_init(d->loop, poll, fd);
	uv_poll_start(poll, UV_READABLE, on_keeper_exit);
	return 0;
}

static int probe_syslog(struct hsd *d, const char *server, const char *token,
			char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[96];
	int fd, rc;

	spaces_run_path(d, server, "log.sock", sa.sun_path, sizeof(sa.sun_path));
	int n = snprintf(msg, sizeof(msg), "<13>hsd-probe: hsd-probe %s", token);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return err_sys(err, errlen, "probe: socket");
	rc = sendto(fd, msg, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof(sa)) == n
		     ? 0 : err_sys(err, errlen, "probe: syslog of %s", server);
	close(fd);
	return rc;
}

int probe_cause(struct hsd *d, const char *audit, enum bundle_probe kind,
		const char *token, char *err, size_t errlen)
{
	json_t *servers, *v;
	size_t i, done = 0;
	int rc = store_monitor_list(d->store, audit, NULL, &servers, err, errlen);

	if (rc)
		return rc;
	json_array_foreach(servers, i, v) {
		const char *name = json_string_value(v);
		struct space_view r;
		if (!spaces_find(d, name, &r))
			continue;
		struct probe_job j = { r.init->pid, token, 0 };
		switch (kind) {
		case BUNDLE_PROBE_FILE:
			rc = nsrun(probe_file, &j, err, errlen);
			break;
		case BUNDLE_PROBE_EXEC:
			if (!(rc = nsrun(probe_file, &j, err, errlen)))
				rc = probe_exec(d, &j, err, errlen);
			break;
		case BUNDLE_PROBE_SYSLOG:
			rc = probe_syslog(d, name, token, err, errlen);
			break;
		case BUNDLE_PROBE_PACKET: {
			struct linknet ln;
			if ((rc = spaces_linknet(d, name, &ln, err, errlen)) == HS_ENOENT) {
				rc = 0; /* destroyed meanwhile */
				continue;
			}
			j.gateway = ln.base_addr;
			if (!rc)
				rc = nsrun(probe_packet, &j, err, errlen);
			break;
		}
		}
		if (rc)
			break;
		done++;
	}
	json_decref(servers);
	if (!rc && !done)
		rc = err_set(err, errlen, HS_ESTATE, "probe: %s watches no running server space", audit);
	return rc;
}
