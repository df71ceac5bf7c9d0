/* syslog_sender.h - the kernel's identity of the process behind a pidfd,
 * for the syslog relay (syslog_relay.c).
 *
 * A datagram's SCM_CREDENTIALS are chosen by the sender: root (in its user
 * namespace) may attach any uid/gid it could setuid to.  The SCM_PIDFD the
 * kernel attaches beside them names the sending process itself, so the
 * process's real ids are read through it: with the PIDFD_GET_INFO ioctl
 * (kernel 6.13+), else from /proc/PID/status, trusted only because the
 * pidfd still has a live task after the read (the pid cannot have been
 * reused while its task exists).  All numbers are as hsd's own PID and
 * user namespaces (and its /proc) number them.
 */
#ifndef HS_SYSLOG_SENDER_H
#define HS_SYSLOG_SENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct syslog_sender {
	pid_t pid;      /* the pidfd's pid; 0 = gone (reaped) or unknown */
	long nspid;     /* the same process in its own PID namespace; 0 = unknown */
	bool ids;       /* uid and gid below are the kernel's */
	uint32_t uid;   /* real uid */
	uint32_t gid;   /* real gid */
};

enum syslog_sender_how {
	SYSLOG_SENDER_AUTO, /* PIDFD_GET_INFO, /proc where the kernel lacks it */
	SYSLOG_SENDER_PROC, /* /proc only (the fallback, chosen by tests) */
};

/* Fill *out for the process of pidfd.  A sender that is gone is a result,
 * not an error: out->ids stays false (and pid 0 once it is reaped).  Uses
 * no heap: it runs once per datagram. */
void syslog_sender_identify(int pidfd, enum syslog_sender_how how, struct syslog_sender *out);

#endif
