/* wg_uapi_proc.c - running, adopting and stopping wireguard-go. */
#include "wg_uapi.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "procfs.h"

extern char **environ;

const char *wg_uapi_program = "wireguard-go";

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 3000

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

unsigned long long wg_uapi_start_time(pid_t pid)
{
	unsigned long long start;
	char state;

	/* A zombie no longer serves anything. */
	if (procfs_start_time(pid, &start, &state) || state == 'Z' || state == 'X')
		return 0;
	return start;
}

int wg_uapi_alive(const struct wg_proc *proc)
{
	if (!proc || proc->pid <= 0)
		return 0;
	unsigned long long st = wg_uapi_start_time(proc->pid);
	return st && st == proc->start_time;
}

/* 1 if ifname's socket answers get=1, 0 if absent or refusing, < 0
 * otherwise.  *pid gets the listener.  A refusing socket is stale and
 * removed, as wg(8) does, only when remove_stale: while a wireguard-go we
 * started comes up, its socket refuses between bind and listen, and
 * removing it then makes it give up ("Failed to listen on uapi socket"). */
static int sock_answers(const char *ifname, pid_t *pid, int remove_stale,
			char *err, size_t errlen)
{
	char path[108];
	struct stat st;
	struct wg_device dev;

	int rc = wg_uapi_sock_path(ifname, path, sizeof(path), err, errlen);
	if (rc)
		return rc;
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return err_set(err, errlen, HS_ESTATE, "%s is not a socket",
			       path);
	int fd = wg_uapi_connect(ifname, pid, err, errlen);
	if (fd < 0) {
		if (errno == ECONNREFUSED) {
			if (remove_stale)
				unlink(path);
			return 0;
		}
		return fd;
	}
	close(fd);
	rc = wg_uapi_get(ifname, &dev, err, errlen);
	wg_device_free(&dev);
	return rc ? rc : 1;
}

/* PATH lookup done before fork: the child only calls execve. */
static int find_program(char *out, size_t outlen)
{
	const char *prog = wg_uapi_program;
	if (strchr(prog, '/')) {
		snprintf(out, outlen, "%s", prog);
		return access(out, X_OK);
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		int w = snprintf(out, outlen, "%.*s/%s", (int)n, path, prog);
		if (w > 0 && (size_t)w < outlen && access(out, X_OK) == 0)
			return 0;
		path += n;
		if (*path == ':')
			path++;
	}
	return -1;
}

/* The child's environment: ours plus settings for wireguard-go.  The
 * foreground variable also silences its "use the kernel module" banner.
 * It logs errors only, beside its socket; HSD_WG_LOG_LEVEL=verbose (the
 * simulator's, for tests) adds every handshake sent, taken or refused. */
static char **child_env(void)
{
	const char *level = getenv("HSD_WG_LOG_LEVEL");
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 3, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "WG_PROCESS_FOREGROUND=", 22) &&
		    strncmp(environ[i], "LOG_LEVEL=", 10) &&
		    strncmp(environ[i], "WG_TUN_FD=", 10) &&
		    strncmp(environ[i], "WG_UAPI_FD=", 11))
			env[k++] = environ[i];
	env[k++] = "WG_PROCESS_FOREGROUND=1";
	env[k++] = level && !strcmp(level, "verbose") ? "LOG_LEVEL=verbose" : "LOG_LEVEL=error";
	return env;
}

/* ": LAST LINE" of what the program wrote to log_fd, or "" (for an error
 * message: why wireguard-go gave up is in its own words there). */
static void log_tail(int log_fd, char *out, size_t outlen)
{
	char buf[512];
	off_t end = log_fd >= 0 ? lseek(log_fd, 0, SEEK_END) : -1;
	ssize_t n = end > 0 ? pread(log_fd, buf, sizeof(buf) - 1,
				    end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0)
			    : -1;

	out[0] = 0;
	if (n <= 0)
		return;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	char *line = strrchr(buf, '\n');
	snprintf(out, outlen, ": %.*s", (int)(outlen > 3 ? outlen - 3 : 0), line ? line + 1 : buf);
}

int wg_uapi_start(const char *ifname, int log_fd, struct wg_proc *proc,
		  char *err, size_t errlen)
{
	char prog[4096];
	pid_t old = 0;

	memset(proc, 0, sizeof(*proc));
	int rc = sock_answers(ifname, &old, 1, err, errlen);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return err_set(err, errlen, HS_ESTATE,
			       "wireguard-go (pid %d) already serves %s",
			       (int)old, ifname);
	if (find_program(prog, sizeof(prog)))
		return err_set(err, errlen, HS_ESYS, "%s not found in PATH",
			       wg_uapi_program);
	char *argv[] = { prog, "-f", (char *)ifname, NULL };
	char **env = child_env();
	if (!env)
		return err_sys(err, errlen, "starting wireguard-go");
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		free(env);
		return err_sys(err, errlen, "opening /dev/null");
	}
	int out = log_fd >= 0 ? log_fd : devnull;

	pid_t pid = fork();
	if (pid < 0) {
		rc = err_sys(err, errlen, "fork for wireguard-go");
		free(env);
		close(devnull);
		return rc;
	}
	if (pid == 0) {
		/* Its own session: terminal signals aimed at hsd miss it, and
		 * it outlives an hsd restart to be adopted. */
		setsid();
		if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		closefrom(3);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(prog, argv, env);
		_exit(127);
	}
	free(env);
	close(devnull);
	proc->pid = pid;
	proc->is_child = 1;
	proc->start_time = wg_uapi_start_time(pid);

	/* Wait for the socket to answer, or for the child to die. */
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
		int status;
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			proc->pid = 0;
			char why[160];
			log_tail(log_fd, why, sizeof(why));
			if (WIFEXITED(status))
				return err_set(err, errlen, HS_ESYS,
					       "wireguard-go for %s exited with "
					       "status %d%s", ifname,
					       WEXITSTATUS(status), why);
			return err_set(err, errlen, HS_ESYS,
				       "wireguard-go for %s died of signal %d",
				       ifname, WTERMSIG(status));
		}
		pid_t lis = 0;
		char e2[HS_ERRLEN];
		if (sock_answers(ifname, &lis, 0, e2, sizeof(e2)) == 1) {
			if (lis != pid) {
				wg_uapi_stop(ifname, proc, NULL, 0);
				return err_set(err, errlen, HS_ESTATE,
					       "another process (pid %d) took "
					       "over %s's socket", (int)lis,
					       ifname);
			}
			if (!proc->start_time)
				proc->start_time = wg_uapi_start_time(pid);
			return HS_OK;
		}
		sleep_ms(20);
	}
	wg_uapi_stop(ifname, proc, NULL, 0);
	return err_set(err, errlen, HS_ESYS,
		       "wireguard-go for %s did not answer within %d ms", ifname,
		       START_TIMEOUT_MS);
}

int wg_uapi_adopt(const char *ifname, struct wg_proc *proc, char *err,
		  size_t errlen)
{
	pid_t pid = 0;

	memset(proc, 0, sizeof(*proc));
	int rc = sock_answers(ifname, &pid, 1, err, errlen);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return err_set(err, errlen, HS_ESTATE,
			       "no wireguard-go serves %s", ifname);
	proc->pid = pid;
	proc->start_time = wg_uapi_start_time(pid);
	if (!proc->start_time)
		return err_set(err, errlen, HS_ESTATE,
			       "wireguard-go for %s (pid %d) vanished",
			       ifname, (int)pid);
	return HS_OK;
}

int wg_uapi_check(struct wg_proc *proc, char *how, size_t howlen)
{
	int status;

	if (!proc || proc->pid <= 0) {
		snprintf(how, howlen, "is not running");
		return 0;
	}
	if (proc->is_child) {
		/* waitpid on this pid only: other children are not ours to
		 * reap here. */
		pid_t w = waitpid(proc->pid, &status, WNOHANG);
		if (w == proc->pid) {
			if (WIFSIGNALED(status))
				snprintf(how, howlen, "(pid %d) was killed by signal %d",
					 (int)proc->pid, WTERMSIG(status));
			else
				snprintf(how, howlen, "(pid %d) exited with status %d",
					 (int)proc->pid, WEXITSTATUS(status));
			return 0;
		}
		if (w == 0)
			return 1;
	}
	if (wg_uapi_alive(proc))
		return 1;
	snprintf(how, howlen, "(pid %d) is gone", (int)proc->pid);
	return 0;
}

/* Gone yet?  Reaps our child; for others, asks /proc. */
static int proc_gone(struct wg_proc *proc)
{
	if (proc->is_child) {
		pid_t w = waitpid(proc->pid, NULL, WNOHANG);
		if (w == proc->pid || (w < 0 && errno == ECHILD))
			return 1; /* reaped here, or by the caller's loop */
	}
	return !wg_uapi_alive(proc);
}

int wg_uapi_stop(const char *ifname, struct wg_proc *proc, char *err,
		 size_t errlen)
{
	char path[108];
	int rc = HS_OK;

	if (proc && proc->pid > 0 && !proc_gone(proc)) {
		kill(proc->pid, SIGTERM);
		int waited = 0;
		while (!proc_gone(proc) && waited < STOP_TIMEOUT_MS) {
			sleep_ms(10);
			waited += 10;
		}
		if (waited >= STOP_TIMEOUT_MS) {
			kill(proc->pid, SIGKILL);
			for (waited = 0; !proc_gone(proc) && waited < 2000;
			     waited += 10)
				sleep_ms(10);
			if (!proc_gone(proc))
				rc = err_set(err, errlen, HS_ESYS,
					     "wireguard-go pid %d for %s "
					     "survived SIGKILL",
					     (int)proc->pid, ifname);
		}
	}
	if (proc && !rc)
		memset(proc, 0, sizeof(*proc));
	/* wireguard-go unlinks its socket on a clean exit, not on SIGKILL. */
	if (wg_uapi_sock_path(ifname, path, sizeof(path), NULL, 0) == 0) {
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
			int fd = wg_uapi_connect(ifname, NULL, NULL, 0);
			if (fd >= 0)
				close(fd); /* somebody else serves it now */
			else
				unlink(path);
		}
	}
	return rc;
}

/* --- the userspace backend --- */

static int us_create(const char *ifname, struct wg_proc *proc, char *err,
		     size_t errlen)
{
	/* wireguard-go's own words (errors only) go beside its socket, so a
	 * failed start can say why. */
	char path[256];
	snprintf(path, sizeof(path), WG_UAPI_DIR "/%s.log", ifname);
	mkdir(WG_UAPI_DIR, 0755);
	int log_fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int rc = wg_uapi_start(ifname, log_fd, proc, err, errlen);
	if (log_fd >= 0)
		close(log_fd);
	return rc;
}

static int us_set(const char *ifname, int nsfd, const struct wg_device *dev,
		  char *err, size_t errlen)
{
	(void)nsfd; /* the socket is a path, not a netns object */
	return wg_uapi_set(ifname, dev, err, errlen);
}

static int us_get(const char *ifname, int nsfd, struct wg_device *out,
		  char *err, size_t errlen)
{
	(void)nsfd;
	return wg_uapi_get(ifname, out, err, errlen);
}

static int us_destroy(const char *ifname, int nsfd, struct wg_proc *proc,
		      char *err, size_t errlen)
{
	struct wg_proc found;
	(void)nsfd;
	/* After a restart the caller may not know the pid: find it. */
	if (!proc || proc->pid <= 0) {
		if (wg_uapi_adopt(ifname, &found, NULL, 0))
			return wg_uapi_stop(ifname, NULL, err, errlen);
		proc = &found;
	}
	return wg_uapi_stop(ifname, proc, err, errlen);
}

const struct wg_backend wg_backend_userspace = {
	.name = "userspace",
	.create = us_create,
	.set = us_set,
	.get = us_get,
	.destroy = us_destroy,
};
