/* syslog_relay.h - copy every message a server space sends to /dev/log to
 * audit spaces (the papers' "mkdup"; Linux has no such primitive).
 *
 * hsd binds a SOCK_DGRAM unix socket that is bind-mounted onto the server
 * space's /dev/log.  For each datagram it reads, with the sender's
 * SCM_CREDENTIALS (which the sender chooses: root in a space may claim any
 * uid/gid of its user namespace) and SCM_PIDFD (the kernel's handle on the
 * sending process, see syslog_sender.h), it
 *   - sends each registered audit receiver a copy prefixed with one line:
 *
 *       header  = "hsd-src space=" NAME " pid=" PID " uid=" ID " gid=" ID
 *                 " nspid=" NSPID [" claimed_uid=" ID " claimed_gid=" ID
 *                 [" claimed_pid=" DEC]] "\n"
 *       ID      = DEC | "host:" DEC | "?"
 *       PID, NSPID = DEC | "?"
 *
 *     PID is the sender's pid as hsd (the base) numbers it.  uid/gid are
 *     only ever the kernel's real ids of the sending process, as the server
 *     space numbers them (syslog_relay_set_idmap); "?" when the sender was
 *     gone before they could be read.  The claimed_* fields are the
 *     sender's SCM_CREDENTIALS, numbered the same way, present exactly when
 *     they differ from the real ids or those are "?" (claimed_pid only
 *     when the pid differs).  NSPID is the sender's pid in the server
 *     space's own PID namespace, "?" when it was gone.  Fields are split
 *     at single spaces; none contains a space (docs/monitors-net-syslog.md);
 *   - forwards the datagram unchanged to the normal destination (the base's
 *     /dev/log), with the sender's real ids (host numbers) where the kernel
 *     lets hsd pass them on, else with none: never with its claim.
 * The normal destination gets every datagram: when its queue is full the
 * relay keeps that one datagram, stops reading the server's socket until
 * the destination can take it (syslog_relay_waiting), and the server's own
 * sends then block as they would with a slow syslogd.  Copies to audit
 * receivers never wait: each has its own non-blocking sending socket (a
 * unix datagram is charged to the sender's socket until it is read, so one
 * stuck reader would otherwise starve the others), and a receiver that is
 * absent, refuses or is full loses that copy, counted.
 */
#ifndef HS_SYSLOG_RELAY_H
#define HS_SYSLOG_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYSLOG_RELAY_DEFAULT_FORWARD "/dev/log"
#define SYSLOG_RELAY_MAX_RECEIVERS 16
#define SYSLOG_RELAY_PATH_MAX 108 /* sizeof(sun_path), NUL included */
#define SYSLOG_RELAY_MSG_MAX 65536 /* longer datagrams are cut (and counted) */

struct syslog_relay;

struct syslog_relay_receiver_stats {
	char root[SYSLOG_RELAY_PATH_MAX];
	char path[SYSLOG_RELAY_PATH_MAX];
	uint64_t sent;
	uint64_t dropped;
};

struct syslog_relay_stats {
	uint64_t received;
	uint64_t truncated;       /* datagrams longer than SYSLOG_RELAY_MSG_MAX */
	uint64_t unverified;      /* sender's real ids unreadable (gone): uid=? */
	uint64_t forged;          /* SCM_CREDENTIALS differed from the real ids */
	uint64_t forwarded;
	uint64_t forward_dropped; /* normal destination absent or refusing */
	uint64_t forward_waits;   /* times the relay stopped reading: destination full */
	size_t nreceivers;
	struct syslog_relay_receiver_stats receivers[SYSLOG_RELAY_MAX_RECEIVERS];
};

/* Bind the relay socket at sock_path (a stale socket there is replaced;
 * anything else there is HS_EINPUT) for the server space space_name,
 * forwarding to forward_path (NULL = "/dev/log" of the caller's mount
 * namespace).  The socket is non-blocking with SO_PASSCRED, SO_PASSPIDFD
 * (where the kernel has it: 6.5+) and mode 0666, like /dev/log. */
int syslog_relay_open(const char *sock_path, const char *space_name, const char *forward_path,
		      struct syslog_relay **out, char *err, size_t errlen);

/* The server space's user namespace maps its ids 0..count-1 to the host
 * ids uid_base.. and gid_base..: headers then show the space's numbers,
 * and "host:N" for an id outside that range (a process from outside the
 * space).  count 0: no map, ids shown as hsd sees them.  A range passing
 * the last id (4294967294) is HS_EINPUT, and the map stays as it was. */
int syslog_relay_set_idmap(struct syslog_relay *r, uint32_t uid_base, uint32_t gid_base,
			   uint32_t count, char *err, size_t errlen);

/* The fd to poll for readability while the relay is not waiting (owned
 * by the relay). */
int syslog_relay_fd(const struct syslog_relay *r);
/* The sending socket of the normal destination: poll it for writability
 * while syslog_relay_waiting(), instead of syslog_relay_fd(). */
int syslog_relay_forward_fd(const struct syslog_relay *r);
/* A datagram waits for the normal destination to have room. */
bool syslog_relay_waiting(const struct syslog_relay *r);

/* Relay what is queued, up to a batch (a level-triggered poll calls again
 * while more is left), after resending a waiting datagram first.  Returns
 * with syslog_relay_waiting() set when the normal destination is full.
 * Losses are counted, not errors; only a failing relay socket is.  Any
 * file descriptors a sender attached are closed. */
int syslog_relay_handle(struct syslog_relay *r, char *err, size_t errlen);

/* Copy messages to the unix datagram socket at path inside the directory
 * root, e.g. root "/proc/AUDIT_INIT_PID/root", path "/run/hsd-syslog.sock"
 * (root NULL: "/").  path is resolved at every send, as openat2 with
 * RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS, so a receiver may appear, vanish
 * and come back, and a symlink planted on the way is never followed (that
 * copy is dropped).  Adding one that is registered already is success. */
int syslog_relay_add_receiver(struct syslog_relay *r, const char *root, const char *path,
			      char *err, size_t errlen);
/* Unregistering an unknown receiver is success. */
int syslog_relay_remove_receiver(struct syslog_relay *r, const char *root, const char *path,
				 char *err, size_t errlen);

void syslog_relay_stats(const struct syslog_relay *r, struct syslog_relay_stats *out);

/* Close everything and unlink the relay socket's path.  NULL is fine. */
void syslog_relay_close(struct syslog_relay *r);

#endif
