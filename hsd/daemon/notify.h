/* notify.h - telling systemd (Type=notify) when hsd is ready.
 *
 * The sd_notify protocol, without libsystemd: one datagram of
 * "KEY=VALUE" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a
 * path, or an abstract name written with a leading '@').  Without
 * $NOTIFY_SOCKET (not started by systemd) it does nothing.  Failures are
 * ignored: systemd then reports a start timeout, which is the signal.
 */
#ifndef HS_NOTIFY_H
#define HS_NOTIFY_H

/* state: e.g. "READY=1\nSTATUS=...". */
void notify_systemd(const char *state);

#endif
