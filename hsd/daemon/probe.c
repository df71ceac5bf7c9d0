/* probe.c - harmless events an IDS instance must report.
 *
 *   file    /var/lib/hsd-probe/TOKEN appears in each watched server space
 *   packet  a UDP datagram "hsd-probe TOKEN" leaves each watched server
 *           space for its gateway's port 9 (crossing the mirrored veth)
 *   syslog  "hsd-probe TOKEN" is logged through each server's /dev/log relay
 *   exec    a process in each server space opens /var/lib/hsd-probe/TOKEN
 * Each is done from a child inside the server's namespaces, so hsd itself
 * never moves.
 */
#include "probe.h"
#include "daemon.h"
#include "err.h"
#include "linknet.h"
#include "nsrun.h"
#include "spaces_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct probe_job {
	pid_t init;
	const char *token;
	uint32_t gateway; /* packet: the server's gateway (base side of its veth) */
};

static int probe_file(void *arg, char *err, size_t errlen)
{
	const struct probe_job *j = arg;
	char path[128], text[64];
	int rc = nsrun_enter(j->init, CLONE_NEWNS, err, errlen), fd;

	if (rc)
		return rc;
	if (mkdir(BUNDLE_PROBE_DIR, 0755) && errno != EEXIST)
		return err_sys(err, errlen, "probe: mkdir " BUNDLE_PROBE_DIR);
	snprintf(path, sizeof(path), BUNDLE_PROBE_DIR "/%s", j->token);
	/* New content each time: a repeated probe is a change an IDS sees. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int n = snprintf(text, sizeof(text), "hsd-probe %s %lld.%09ld\n", j->token,
			 (long long)ts.tv_sec, ts.tv_nsec);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return err_sys(err, errlen, "probe: create %s", path);
	rc = write(fd, text, (size_t)n) == n ? 0 : err_sys(err, errlen, "probe: write %s", path);
	close(fd);
	return rc;
}

static int probe_packet(void *arg, char *err, size_t errlen)
{
	const struct probe_job *j = arg;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = htonl(j->gateway) };
	char text[64];
	int rc = nsrun_enter(j->init, CLONE_NEWNET, err, errlen), fd;

	if (rc)
		return rc;
	int n = snprintf(text, sizeof(text), "hsd-probe %s", j->token);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return err_sys(err, errlen, "probe: socket");
	rc = sendto(fd, text, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) == n
		     ? 0 : err_sys(err, errlen, "probe: send");
	close(fd);
	return rc;
}

/* A process of the space's own (a fork inside its PID namespace) opens
 * the probe path; it waits first so a tracer rescanning the space finds
 * it, and its parent does not wait for it (the space's init reaps it). */
static int probe_exec(void *arg, char *err, size_t errlen)
{
	const struct probe_job *j = arg;
	char path[128];
	int rc = nsrun_enter(j->init, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
				      CLONE_NEWIPC | CLONE_NEWUTS, err, errlen);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), BUNDLE_PROBE_DIR "/%s", j->token);
	pid_t pid = fork();
	if (pid < 0)
		return err_sys(err, errlen, "probe: fork");
	if (pid == 0) {
		for (int i = 0; i < 3; i++) {
			usleep(600 * 1000);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				close(fd);
		}
		_exit(0);
	}
	return 0;
}

static int probe_syslog(struct hsd *d, const char *server, const char *token,
			char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[96];
	int fd, rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/syslog/%s.sock", d->opt.run_dir, server);
	int n = snprintf(msg, sizeof(msg), "<13>hsd-probe: hsd-probe %s", token);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return err_sys(err, errlen, "probe: socket");
	rc = sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa)) == n
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
		struct space_rt *r;
		for (r = d->spaces->running; r && strcmp(r->name, name); r = r->next)
			;
		if (!r)
			continue;
		struct probe_job j = { r->proc.pid, token, 0 };
		switch (kind) {
		case BUNDLE_PROBE_FILE:
			rc = nsrun(probe_file, &j, err, errlen);
			break;
		case BUNDLE_PROBE_EXEC:
			if (!(rc = nsrun(probe_file, &j, err, errlen)))
				rc = nsrun(probe_exec, &j, err, errlen);
			break;
		case BUNDLE_PROBE_SYSLOG:
			rc = probe_syslog(d, name, token, err, errlen);
			break;
		case BUNDLE_PROBE_PACKET: {
			struct space_row row;
			struct linknet ln;
			if (store_space_get(d->store, name, &row, err, errlen) != 1)
				continue;
			rc = linknet_for(&d->spaces->plan, (uint32_t)row.netidx, &ln, err, errlen);
			space_row_clear(&row);
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
