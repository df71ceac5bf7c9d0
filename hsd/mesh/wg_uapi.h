/* wg_uapi.h - the cross-platform userspace API (wireguard-go).
 *
 * The protocol (wireguard.com/xplatform): a stream UNIX socket at
 * /var/run/wireguard/IFNAME.sock; "get=1\n\n" returns key=value lines and
 * "errno=0\n\n"; "set=1\n" + lines + "\n" returns "errno=N\n\n", where
 * wireguard-go writes N negative.  Keys are 64 lowercase hex characters.
 * wireguard-go fixes the directory, so interface names are unique per host
 * (per mount namespace, to be exact: simulated hosts each have their /run).
 */
#ifndef HS_WG_UAPI_H
#define HS_WG_UAPI_H

#include "wg.h"

#define WG_UAPI_DIR "/var/run/wireguard"

/* The socket path for ifname; HS_EINPUT for a bad name. */
int wg_uapi_sock_path(const char *ifname, char *out, size_t outlen, char *err,
		      size_t errlen);

/* Serialise a (validated) set request.  *out is malloc'd, holds keys and
 * must be released with wg_uapi_buf_free(). */
int wg_uapi_format_set(const struct wg_device *dev, char **out, size_t *len,
		       char *err, size_t errlen);
void wg_uapi_buf_free(char *buf, size_t len);

/* Parse a whole get reply (up to and including the blank line).  A nonzero
 * errno in it is reported as HS_ESYS with the error's text. */
int wg_uapi_parse_get(const char *text, size_t len, struct wg_device *out,
		      char *err, size_t errlen);
/* Parse "errno=N\n\n"; *remote gets N (0 = success, wireguard-go sends
 * negative values, wg(8) positive ones: both are accepted). */
int wg_uapi_parse_errno(const char *text, size_t len, int *remote, char *err,
			size_t errlen);

/* One round trip on the socket: validate + set, or get. */
int wg_uapi_set(const char *ifname, const struct wg_device *dev, char *err,
		size_t errlen);
int wg_uapi_get(const char *ifname, struct wg_device *out, char *err,
		size_t errlen);
/* Connect to ifname's socket: the fd, or HS_ESYS.  *peer_pid (if non-NULL)
 * gets the listening process from SO_PEERCRED. */
int wg_uapi_connect(const char *ifname, pid_t *peer_pid, char *err,
		    size_t errlen);

/* --- wireguard-go supervision (wg_uapi_proc.c) --- */

/* The program run; a test may point it elsewhere before starting. */
extern const char *wg_uapi_program;

/* Start "wireguard-go -f IFNAME" as a child in the caller's network
 * namespace (its UDP socket will live there), stdout/stderr to log_fd
 * (-1: /dev/null), and wait until its socket answers get=1.  A stale
 * socket is removed; a live one is HS_ESTATE (adopt it instead). */
int wg_uapi_start(const char *ifname, int log_fd, struct wg_proc *proc,
		  char *err, size_t errlen);
/* Re-adopt the wireguard-go already serving ifname (after an hsd restart):
 * its socket must answer get=1; the pid comes from SO_PEERCRED. */
int wg_uapi_adopt(const char *ifname, struct wg_proc *proc, char *err,
		  size_t errlen);
/* 1 if proc's pid still runs the same process (start time matches). */
int wg_uapi_alive(const struct wg_proc *proc);
/* Supervision: 1 if proc still runs; 0 if it is gone, and then how (e.g.
 * "(pid 12) was killed by signal 9").  A child of ours is reaped, by its
 * pid only; an adopted process is judged by its /proc start time. */
int wg_uapi_check(struct wg_proc *proc, char *how, size_t howlen);
/* Start time of pid from /proc, or 0. */
unsigned long long wg_uapi_start_time(pid_t pid);
/* SIGTERM (SIGKILL after 3 s) proc if it is still the same process, reap
 * it if it is our child, and remove a leftover socket. */
int wg_uapi_stop(const char *ifname, struct wg_proc *proc, char *err,
		 size_t errlen);

#endif
