/* alert_syslog.c - a copy of every stored alert for the host's syslog
 * (alert_syslog.h). */
#include "alert_syslog.h"
#include "daemon.h"
#include "textesc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ALERT_SYSLOG_PRI (4 * 8 + 1) /* LOG_AUTH | LOG_ALERT */
#define ALERT_SYSLOG_MAX 8192        /* a datagram /dev/log readers take whole */

void alert_syslog_init(struct alert_syslog *a)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}

void alert_syslog_free(struct alert_syslog *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

void alert_syslog_send(struct hsd *d, struct alert_syslog *a, const char *instance,
		       const char *line, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char msg[ALERT_SYSLOG_MAX], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (a->fd < 0)
		a->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd < 0 || strlen(d->opt.syslog_forward) >= sizeof(sun.sun_path)) {
		a->dropped++;
		return;
	}
	strcpy(sun.sun_path, d->opt.syslog_forward);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(msg, sizeof(msg), "<%d>%s hsd[%d]: alert host=%s instance=%s: ",
		     ALERT_SYSLOG_PRI, stamp, (int)getpid(), d->cluster.hosts[d->self].name,
		     instance);
	if (n < 0 || (size_t)n >= sizeof(msg)) {
		a->dropped++;
		return;
	}
	/* Cut, never split: a longer alert is whole in the store. */
	textesc_encode(msg + n, sizeof(msg) - (size_t)n, line, len, TEXTESC_TERM);
	if (sendto(a->fd, msg, strlen(msg), MSG_DONTWAIT, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		a->dropped++;
	else
		a->sent++;
}
