/* test_seccomp_ids.c - the audit spaces' id filter (sandbox_seccomp_ids),
 * attacked call by call and argument by argument.
 *
 * An audit space's user namespace also maps the servers' ids (userns.h),
 * and it keeps CAP_SETUID/CAP_SETGID so that an IDS can drop to a user of
 * its own.  The filter keeps every id a set*id call switches to below the
 * space's own range.  Here a root child takes the filter alone and asks
 * for an id at the limit in each argument of each call: EPERM.  The
 * control is the same call without the filter, which succeeds (root may
 * take any id); ids below the limit and -1 ("unchanged") pass the filter.
 * test_escape.sh attacks setuid from inside a real audit space.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "sandbox.h"

#define LIMIT 65536u
#define HIGH ((long)LIMIT)   /* the first id of another range */
#define LOW 1000L            /* an id of the space's own */
#define KEEP (-1L)           /* unchanged */
#define SETUP_FAILED 250

struct call {
	const char *name;
	long nr;
	int nargs;
};

static const struct call calls[] = {
	{ "setuid", __NR_setuid, 1 },	    { "setgid", __NR_setgid, 1 },
	{ "setfsuid", __NR_setfsuid, 1 },   { "setfsgid", __NR_setfsgid, 1 },
	{ "setreuid", __NR_setreuid, 2 },   { "setregid", __NR_setregid, 2 },
	{ "setresuid", __NR_setresuid, 3 }, { "setresgid", __NR_setresgid, 3 },
};

/* The call with args in a child (filtered or not): 0, or its errno.
 * setfsuid/setfsgid never fail: they return the id before, and the
 * filter's EPERM shows as -1. */
static int in_child(bool filtered, const struct call *c, const long a[3])
{
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		char err[HS_ERRLEN];
		if (filtered && sandbox_seccomp_ids(LIMIT, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			_exit(SETUP_FAILED);
		}
		long r = syscall(c->nr, a[0], a[1], a[2]);
		_exit(r == -1 ? errno : 0);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "%s: killed by signal %d", c->name, WTERMSIG(st));
	cr_assert_neq(WEXITSTATUS(st), SETUP_FAILED, "%s: the filter did not install", c->name);
	return WEXITSTATUS(st);
}

Test(seccomp_ids, every_argument_of_every_call)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: the controls take ids as root");
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		const struct call *c = &calls[i];
		for (int at = 0; at < c->nargs; at++) {
			long a[3] = { KEEP, KEEP, KEEP };
			if (c->nargs == 1)
				a[0] = LOW;
			a[at] = HIGH;
			cr_expect_eq(in_child(false, c, a), 0, "control: %s with %ld in argument %d",
				     c->name, HIGH, at);
			cr_expect_eq(in_child(true, c, a), EPERM, "%s with %ld in argument %d passed",
				     c->name, HIGH, at);
			a[at] = (long)LIMIT - 1;
			cr_expect_eq(in_child(true, c, a), 0, "%s with %ld in argument %d refused",
				     c->name, (long)LIMIT - 1, at);
			/* the others valid ids, not "unchanged": each argument
			 * is checked whatever the ones after it hold */
			for (int o = 0; o < c->nargs; o++)
				a[o] = o == at ? HIGH : LOW;
			cr_expect_eq(in_child(true, c, a), EPERM,
				     "%s with %ld in argument %d among own ids passed", c->name,
				     HIGH, at);
		}
		long low[3] = { LOW, c->nargs > 1 ? LOW : KEEP, c->nargs > 2 ? LOW : KEEP };
		cr_expect_eq(in_child(true, c, low), 0, "%s to its own ids refused", c->name);
	}
}

/* -1 is "unchanged" only as a 32-bit id; the kernel reads the low word,
 * and so does the filter: high bits cannot hide an id. */
Test(seccomp_ids, high_bits_do_not_hide_an_id)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	const struct call *c = &calls[6]; /* setresuid */
	long a[3] = { KEEP, (long)(0x100000000ull | LIMIT), KEEP };
	cr_expect_eq(in_child(true, c, a), EPERM, "an id behind high bits passed");
}
