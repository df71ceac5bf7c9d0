/* mirror_bpf.c - the classifier that picks which of a server's IPv4
 * packets its veth copies (see mirror.h); the filter's mirred action
 * makes the copy and classification goes on.
 *
 * The egress program leaves out what arrived on a server veth: that was
 * copied as it came in (a space talking to another, or to a published
 * port of another), and a second copy would show one packet twice.  The
 * kernel sets ingress_ifindex when a packet is received, so no space can
 * forge it; a packet the host made has 0 there and is copied.
 *
 * Hand-assembled (a few instructions, no map): the mirror needs no
 * compiler at run time and works where the eBPF trace monitor is off. */
#include "mirror_int.h"

#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>

#include "err.h"
#include "tc.h"

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i;
	memset(&i, 0, sizeof(i));
	i.code = code;
	i.dst_reg = dst & 0xf;
	i.src_reg = src & 0xf;
	i.off = off;
	i.imm = imm;
	return i;
}

int mirror_prog_load(const int *skip, size_t nskip, char *err, size_t errlen)
{
	if (nskip > MIRROR_SKIP_MAX)
		return err_set(err, errlen, HS_EINPUT, "mirror: %zu server veths, at most %d",
			       nskip, MIRROR_SKIP_MAX);
	struct bpf_insn p[MIRROR_SKIP_MAX + 5];
	size_t n = 0;
	if (nskip) {
		/* r2 = skb->ingress_ifindex */
		p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1,
			      offsetof(struct __sk_buff, ingress_ifindex), 0);
		/* if r2 == skip[i] jump to "r0 = 0", past the rest of the
		 * comparisons and the 2 instructions of "match". */
		for (size_t i = 0; i < nskip; i++)
			p[n++] = insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_2, 0,
				      (int16_t)(nskip - 1 - i + 2), skip[i]);
	}
	/* A classic cls_bpf program answers -1 for "match, run the actions"
	 * and 0 for "no match": the packet goes on either way. */
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, -1);
	p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	if (nskip) { /* the verifier refuses code no path reaches */
		p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
		p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	return tc_prog_load(p, n, "hsd_mirror", err, errlen);
}
