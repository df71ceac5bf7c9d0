/* test_seccomp_asm.c - the seccomp assembler refuses every program it
 * cannot link whole, and installs nothing (not even no_new_privs) then. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/prctl.h>

#include "err.h"
#include "seccomp_asm.h"

enum { L_A = 1, L_B };

Test(seccomp_asm, links_forward_jumps_by_label)
{
	struct seccomp_asm a = {.n = 0};
	seccomp_asm_load(&a, SECCOMP_ASM_NR);
	seccomp_asm_jeq(&a, 1, L_B, SECCOMP_ASM_NEXT);
	seccomp_asm_jeq(&a, 2, L_A, L_B);
	seccomp_asm_place(&a, L_A);
	seccomp_asm_ret(&a, SECCOMP_RET_ALLOW);
	seccomp_asm_place(&a, L_B);
	seccomp_asm_ret(&a, SECCOMP_RET_KILL_PROCESS);
	cr_assert_eq(seccomp_asm_link(&a), 0);
	cr_expect_eq(a.n, 5);
	cr_expect_eq(a.ins[1].jt, 2); /* 1 -> 4 */
	cr_expect_eq(a.ins[1].jf, 0);
	cr_expect_eq(a.ins[2].jt, 0); /* 2 -> 3 */
	cr_expect_eq(a.ins[2].jf, 1); /* 2 -> 4 */
}

static void refused(struct seccomp_asm *a, const char *what)
{
	cr_expect_eq(seccomp_asm_link(a), -1, "%s was linked", what);
	char err[HS_ERRLEN] = "";
	cr_expect_eq(seccomp_asm_install(a, true, "test", err, sizeof(err)), HS_ESYS, "%s", what);
	cr_expect_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0,
		     "%s: no_new_privs was set for a program never installed", what);
	cr_expect_eq(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0, "%s: a filter went in", what);
}

Test(seccomp_asm, never_placed)
{
	struct seccomp_asm a = {.n = 0};
	seccomp_asm_jeq(&a, 1, L_A, SECCOMP_ASM_NEXT);
	seccomp_asm_ret(&a, SECCOMP_RET_ALLOW);
	refused(&a, "a jump to a label never placed");
}

Test(seccomp_asm, placed_twice)
{
	struct seccomp_asm a = {.n = 0};
	seccomp_asm_jeq(&a, 1, L_A, SECCOMP_ASM_NEXT);
	seccomp_asm_place(&a, L_A);
	seccomp_asm_ret(&a, SECCOMP_RET_ALLOW);
	seccomp_asm_place(&a, L_A);
	seccomp_asm_ret(&a, SECCOMP_RET_KILL_PROCESS);
	refused(&a, "a label placed twice");
}

Test(seccomp_asm, backwards_and_past_the_end)
{
	struct seccomp_asm a = {.n = 0};
	seccomp_asm_place(&a, L_A);
	seccomp_asm_jeq(&a, 1, L_A, SECCOMP_ASM_NEXT);
	seccomp_asm_ret(&a, SECCOMP_RET_ALLOW);
	refused(&a, "a jump backwards");

	struct seccomp_asm b = {.n = 0};
	seccomp_asm_jeq(&b, 1, L_A, SECCOMP_ASM_NEXT);
	seccomp_asm_ret(&b, SECCOMP_RET_ALLOW);
	seccomp_asm_place(&b, L_A);
	refused(&b, "a jump past the end");
}

Test(seccomp_asm, too_long_or_a_bad_label)
{
	static struct seccomp_asm a, b, c;
	seccomp_asm_jeq(&a, 1, L_A, SECCOMP_ASM_NEXT);
	for (int i = 0; i < 256; i++)
		seccomp_asm_load(&a, SECCOMP_ASM_NR);
	seccomp_asm_place(&a, L_A);
	seccomp_asm_ret(&a, SECCOMP_RET_ALLOW);
	refused(&a, "a program longer than its room");

	for (int i = 0; i < SECCOMP_ASM_CAP - 1; i++)
		seccomp_asm_load(&b, SECCOMP_ASM_NR);
	seccomp_asm_ret(&b, SECCOMP_RET_ALLOW);
	cr_expect_eq(seccomp_asm_link(&b), 0, "a program that just fits was refused");
	cr_expect_eq(b.n, SECCOMP_ASM_CAP);

	seccomp_asm_jeq(&c, 1, SECCOMP_ASM_LABELS, SECCOMP_ASM_NEXT);
	seccomp_asm_ret(&c, SECCOMP_RET_ALLOW);
	refused(&c, "a label out of range");
}
