/* log.c - leveled logging.
 *
 * The logger is process state by nature (syslog is too), so it is the one
 * global the daemon keeps; the libraries below it never log.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static struct {
	bool foreground;
	enum log_level level;
	const char *ident;
} logger = { true, LOG_LVL_INFO, "hsd" };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_open(const char *ident, bool foreground, enum log_level level)
{
	logger.ident = ident;
	logger.foreground = foreground;
	logger.level = level;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_close(void)
{
	if (!logger.foreground)
		closelog();
}

int log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;

	if (level > logger.level)
		return;
	va_start(ap, fmt);
	if (logger.foreground) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s[%s] ", stamp, ts.tv_nsec / 1000000,
			logger.ident, level_names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(prio[level], fmt, ap);
	}
	va_end(ap);
}
