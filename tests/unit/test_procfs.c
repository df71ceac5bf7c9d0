/* test_procfs.c - the /proc readers every part shares (hsd/core/procfs.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "err.h"
#include "procfs.h"

/* Fields 3..22 of a stat line after the command: state, then 18 fields,
 * then the start time. */
#define STAT_TAIL " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 99 100\n"

Test(procfs, start_time_after_a_command_with_spaces_and_parens)
{
	unsigned long long start = 0;
	char state = 0;

	cr_assert_eq(procfs_stat_parse("77 (a) b) (c) S" STAT_TAIL, &start, &state), 0);
	cr_assert_eq(start, 4242);
	cr_assert_eq(state, 'S');
	cr_assert_eq(procfs_stat_parse("77 (x) Z" STAT_TAIL, &start, &state), 0);
	cr_assert_eq(state, 'Z');
}

Test(procfs, stat_text_cut_short_is_an_error)
{
	unsigned long long start;

	cr_assert_eq(procfs_stat_parse("77 (a) S 1 2 3", &start, NULL), HS_ESYS);
	cr_assert_eq(procfs_stat_parse("77 (a S" STAT_TAIL, &start, NULL), HS_ESYS);
	cr_assert_eq(procfs_stat_parse("77 (a)", &start, NULL), HS_ESYS);
	cr_assert_eq(procfs_stat_parse("", &start, NULL), HS_ESYS);
}

Test(procfs, own_start_time_matches_proc_self_stat)
{
	unsigned long long a, b;
	char state, buf[1024];

	cr_assert_eq(procfs_start_time(getpid(), &a, &state), 0);
	cr_assert_eq(state, 'R');
	cr_assert_eq(procfs_read("/proc/self/stat", buf, sizeof(buf)), 0);
	cr_assert_eq(procfs_stat_parse(buf, &b, NULL), 0);
	cr_assert_eq(a, b);
	cr_assert_gt(a, 0);
	cr_assert_eq(procfs_start_time(-1, &a, NULL), HS_ESYS);
}

static const char status[] = "Name:\tx\nPid:\t10\nPPid:\t1\nNSpid:\t10\t7\t3\n"
			     "Uid:\t0\t5\t6\t7\nNStgid:\t10\t7\n";

Test(procfs, field_by_index_last_and_count)
{
	long v = 0;
	unsigned n = 0;

	cr_assert_eq(procfs_field(status, "Pid", 0, &v, NULL), 0);
	cr_assert_eq(v, 10, "Pid read from PPid or NSpid");
	cr_assert_eq(procfs_field(status, "NSpid", -1, &v, &n), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(n, 3);
	cr_assert_eq(procfs_field(status, "NSpid", 1, &v, NULL), 0);
	cr_assert_eq(v, 7);
	cr_assert_eq(procfs_field(status, "NSpid", 3, &v, NULL), HS_ESYS);
	cr_assert_eq(procfs_field(status, "Uid", 0, &v, NULL), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(procfs_field(status, "Name", 0, &v, NULL), HS_ESYS, "no number");
	cr_assert_eq(procfs_field(status, "Gid", 0, &v, NULL), HS_ESYS, "no such line");
}

Test(procfs, a_line_cut_off_by_the_buffer_does_not_count)
{
	long v = 0;

	cr_assert_eq(procfs_field("Pid:\t10\nNSpid:\t10\t7", "NSpid", -1, &v, NULL), HS_ESYS);
	cr_assert_eq(procfs_field("Pid:\t12", "Pid", 0, &v, NULL), HS_ESYS);
	/* A number never runs on into the next line. */
	cr_assert_eq(procfs_field("NSpid:\t\n5\n", "NSpid", 0, &v, NULL), HS_ESYS);
}
