/* seccomp_asm.h - a tiny assembler for classic BPF seccomp filters, shared
 * by the spaces' deny-list, the helpers' allow-lists (hsd/space/sandbox.c)
 * and the trace session's filter (hsd/monitor/trace_seccomp.c).
 *
 * A jump names a label, a small number the caller enumerates (0 is "the
 * next instruction"), resolved once the program is complete, so that a
 * filter reads top to bottom.  Classic BPF jumps only forward.
 */
#ifndef HS_SECCOMP_ASM_H
#define HS_SECCOMP_ASM_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a program (the kernel takes up to BPF_MAXINSNS, 4096) and for
 * the labels of one. */
#define SECCOMP_ASM_CAP 256
#define SECCOMP_ASM_LABELS 16
#define SECCOMP_ASM_NEXT 0

/* Argument words are read as 32-bit halves of seccomp_data's u64s. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "seccomp_asm.h: SECCOMP_ASM_ARG_LO/HI assume a little-endian seccomp_data"
#endif

#define SECCOMP_ASM_NR offsetof(struct seccomp_data, nr)
#define SECCOMP_ASM_ARCH offsetof(struct seccomp_data, arch)
#define SECCOMP_ASM_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define SECCOMP_ASM_ARG_HI(i) (SECCOMP_ASM_ARG_LO(i) + 4) /* little endian */

struct seccomp_asm {
	struct sock_filter ins[SECCOMP_ASM_CAP];
	uint8_t to_t[SECCOMP_ASM_CAP], to_f[SECCOMP_ASM_CAP];
	size_t n;
	size_t at[SECCOMP_ASM_LABELS];
	bool placed[SECCOMP_ASM_LABELS];
	bool full; /* an instruction did not fit: the program is refused */
};

/* One instruction; t and f are the labels of a conditional jump. */
void seccomp_asm_put(struct seccomp_asm *a, uint16_t code, uint32_t k, unsigned t, unsigned f);
/* A = the 32-bit word at off of struct seccomp_data. */
void seccomp_asm_load(struct seccomp_asm *a, size_t off);
void seccomp_asm_jeq(struct seccomp_asm *a, uint32_t k, unsigned t, unsigned f);
void seccomp_asm_jge(struct seccomp_asm *a, uint32_t k, unsigned t, unsigned f);
void seccomp_asm_jset(struct seccomp_asm *a, uint32_t k, unsigned t, unsigned f);
void seccomp_asm_ret(struct seccomp_asm *a, uint32_t action);
/* Label l is the next instruction (once per label: a second place is
 * refused at link time). */
void seccomp_asm_place(struct seccomp_asm *a, unsigned l);

/* Resolve every jump.  -1 if an instruction did not fit, a label was
 * placed twice or never, or a jump goes backwards, past the end or
 * further than 255. */
int seccomp_asm_link(struct seccomp_asm *a);

/* Link the program and install it on the calling thread (and the threads
 * it makes later), setting no_new_privs first when nnp (without it, the
 * kernel wants CAP_SYS_ADMIN); nothing is set if the link fails.  who
 * names the filter in err.  Returns 0 or HS_ESYS. */
int seccomp_asm_install(struct seccomp_asm *a, bool nnp, const char *who, char *err,
			size_t errlen);

#endif
