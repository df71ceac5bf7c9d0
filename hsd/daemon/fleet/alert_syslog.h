/* alert_syslog.h - a copy of every stored alert for the host's syslog.
 *
 * rsyslog, journald or a SIEM agent (Wazuh, ...) on the host forward what
 * arrives on /dev/log; so each alert hsd stores is also sent there (to
 * --syslog-forward, default /dev/log) as one datagram:
 *
 *   <33>Dec  6 04:40:00 hsd[PID]: alert host=a instance=aide@1: LINE
 *
 * facility auth, severity alert (as Snort logs its alerts), LINE escaped
 * for a terminal (textesc.h TERM: printable, one line).  The store stays
 * the record: a copy the syslog does not take (not running, queue full)
 * is counted as dropped, never retried, and never holds an alert back.
 */
#ifndef HS_ALERT_SYSLOG_H
#define HS_ALERT_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

struct hsd;

struct alert_syslog {
	int fd; /* -1 until the first alert */
	uint64_t sent, dropped;
};

void alert_syslog_init(struct alert_syslog *a);
void alert_syslog_free(struct alert_syslog *a);
void alert_syslog_send(struct hsd *d, struct alert_syslog *a, const char *instance,
		       const char *line, size_t len);

#endif
