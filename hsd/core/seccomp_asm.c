/* seccomp_asm.c - labels resolved into classic BPF jumps (seccomp_asm.h). */
#include "seccomp_asm.h"

#include <sys/prctl.h>

#include "err.h"

void seccomp_asm_put(struct seccomp_asm *a, uint16_t code, uint32_t k, unsigned t, unsigned f)
{
	if (a->n >= SECCOMP_ASM_CAP || t >= SECCOMP_ASM_LABELS || f >= SECCOMP_ASM_LABELS) {
		a->full = true;
		return;
	}
	a->ins[a->n] = (struct sock_filter){.code = code, .jt = 0, .jf = 0, .k = k};
	a->to_t[a->n] = (uint8_t)t;
	a->to_f[a->n] = (uint8_t)f;
	a->n++;
}

void seccomp_asm_load(struct seccomp_asm *a, size_t off)
{
	seccomp_asm_put(a, BPF_LD | BPF_W | BPF_ABS, (uint32_t)off, 0, 0);
}

void seccomp_asm_jeq(struct seccomp_asm *a, uint32_t k, unsigned t, unsigned f)
{
	seccomp_asm_put(a, BPF_JMP | BPF_JEQ | BPF_K, k, t, f);
}

void seccomp_asm_jge(struct seccomp_asm *a, uint32_t k, unsigned t, unsigned f)
{
	seccomp_asm_put(a, BPF_JMP | BPF_JGE | BPF_K, k, t, f);
}

void seccomp_asm_jset(struct seccomp_asm *a, uint32_t k, unsigned t, unsigned f)
{
	seccomp_asm_put(a, BPF_JMP | BPF_JSET | BPF_K, k, t, f);
}

void seccomp_asm_ret(struct seccomp_asm *a, uint32_t action)
{
	seccomp_asm_put(a, BPF_RET | BPF_K, action, 0, 0);
}

void seccomp_asm_place(struct seccomp_asm *a, unsigned l)
{
	if (l == SECCOMP_ASM_NEXT || l >= SECCOMP_ASM_LABELS || a->placed[l]) {
		a->full = true;
		return;
	}
	a->at[l] = a->n;
	a->placed[l] = true;
}

/* The offset of a jump from instruction i to label l, or -1. */
static int jump_to(const struct seccomp_asm *a, size_t i, unsigned l)
{
	if (l == SECCOMP_ASM_NEXT)
		return 0;
	if (!a->placed[l] || a->at[l] <= i || a->at[l] >= a->n || a->at[l] - i - 1 > 255)
		return -1;
	return (int)(a->at[l] - i - 1);
}

int seccomp_asm_link(struct seccomp_asm *a)
{
	if (a->full)
		return -1;
	for (size_t i = 0; i < a->n; i++) {
		int t = jump_to(a, i, a->to_t[i]), f = jump_to(a, i, a->to_f[i]);
		if (t < 0 || f < 0)
			return -1;
		a->ins[i].jt = (uint8_t)t;
		a->ins[i].jf = (uint8_t)f;
	}
	return 0;
}

int seccomp_asm_install(struct seccomp_asm *a, bool nnp, const char *who, char *err,
			size_t errlen)
{
	if (seccomp_asm_link(a))
		return err_set(err, errlen, HS_ESYS, "%s: the seccomp program does not fit", who);
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(err, errlen, "%s: prctl(PR_SET_NO_NEW_PRIVS)", who);
	struct sock_fprog fprog = {.len = (unsigned short)a->n, .filter = a->ins};
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0)
		return err_sys(err, errlen, "%s: install the seccomp program (%zu instructions)",
			       who, a->n);
	return 0;
}
