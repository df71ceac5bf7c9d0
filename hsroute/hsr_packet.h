/*
 * hsr_packet.h - hsroute's wire format (packet.c): its own codec.
 *
 * A packet is a 10-byte header followed by TLVs; all integers are big
 * endian.  Decoding validates the whole packet before the caller acts on
 * any of it, so a bad TLV at the end cannot leave half-applied state.
 * See docs/hsroute.md for the field-by-field layout.
 */
#ifndef HSR_PACKET_H
#define HSR_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RP_MAGIC0	0x48	/* 'H' */
#define RP_MAGIC1	0x52	/* 'R' */
#define RP_VERSION	1
#define RP_HDR_LEN	10
#define RP_MAX_LEN	(RP_HDR_LEN + 0xFFFF)

enum rp_tlv_type {
	RP_T_PAD = 0,
	RP_T_HELLO = 1,
	RP_T_IHU = 2,
	RP_T_UPDATE = 3,
	RP_T_SEQREQ = 4,
	RP_T_ROUTEREQ = 5,
};

/* Value lengths of the known TLVs (excluding the 2-byte type/length). */
#define RP_HELLO_LEN	4
#define RP_IHU_LEN	8
#define RP_UPDATE_LEN	16
#define RP_SEQREQ_LEN	12
#define RP_ROUTEREQ_LEN	6

#define RP_ROUTEREQ_F_ALL 0x01	/* route request: send the full table */

/* Reasons a packet is rejected; stable numbers, used as counters. */
enum rp_err {
	RP_OK = 0,
	RP_E_SHORT,		/* shorter than the header */
	RP_E_MAGIC,
	RP_E_VERSION,
	RP_E_LENGTH,		/* header body length != bytes present */
	RP_E_SENDER,		/* sender router-id 0 */
	RP_E_TLV_TRUNC,		/* TLV header or value runs past the end */
	RP_E_TLV_LEN,		/* known TLV with the wrong length */
	RP_E_METRIC,		/* metric above infinity */
	RP_E_PLEN,		/* prefix length > 32 */
	RP_E_HOSTBITS,		/* bits set past the prefix length */
	RP_E_ROUTER_ID,		/* router-id 0 inside a TLV */
	RP_E_INTERVAL,		/* interval 0 */
	RP_E_HOPCOUNT,		/* seqno request with hop count 0 */
	RP_E_FLAGS,		/* reserved or inconsistent flags */
	RP_E__MAX
};

struct rp_header {
	uint8_t version;
	uint8_t flags;
	uint32_t sender;	/* router-id of the sender */
	uint16_t body_len;
};

struct rp_hello {
	uint16_t seqno;
	uint16_t interval_ms;
};

struct rp_ihu {
	uint32_t router_id;	/* the neighbour we hear on this link */
	uint16_t rxcost;
	uint16_t interval_ms;
};

struct rp_update {
	uint32_t prefix;	/* host byte order */
	uint8_t plen;
	uint8_t flags;
	uint16_t metric;
	uint16_t seqno;
	uint16_t interval_cs;	/* centiseconds until the next update */
	uint32_t router_id;	/* originator (the "source") */
};

struct rp_seqreq {
	uint32_t prefix;
	uint8_t plen;
	uint8_t hop_count;
	uint16_t seqno;
	uint32_t router_id;
};

struct rp_routereq {
	uint32_t prefix;
	uint8_t plen;
	uint8_t flags;
};

struct rp_tlv {
	uint8_t type;
	uint8_t len;
	union {
		struct rp_hello hello;
		struct rp_ihu ihu;
		struct rp_update update;
		struct rp_seqreq seqreq;
		struct rp_routereq routereq;
	} u;
};

/* Writer: fills a caller buffer; put functions return -1 when full. */
struct rp_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

void	hsr_pkt_writer_init(struct rp_writer *, uint8_t *buf, size_t cap,
	    uint32_t sender);
int	hsr_pkt_put_hello(struct rp_writer *, const struct rp_hello *);
int	hsr_pkt_put_ihu(struct rp_writer *, const struct rp_ihu *);
int	hsr_pkt_put_update(struct rp_writer *, const struct rp_update *);
int	hsr_pkt_put_seqreq(struct rp_writer *, const struct rp_seqreq *);
int	hsr_pkt_put_routereq(struct rp_writer *, const struct rp_routereq *);
/* Patches the body length; returns the packet length. */
size_t	hsr_pkt_writer_finish(struct rp_writer *);
/* True when nothing but the header has been written. */
bool	hsr_pkt_writer_empty(const struct rp_writer *);

/* Reader. */
struct rp_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
	uint16_t infinity;	/* metrics above this are rejected */
};

/*
 * Checks the header and every TLV.  Returns 0 and fills hdr and it (ready
 * to iterate), or -1 with *err set.  Nothing is read past buf + len.
 */
int	hsr_pkt_parse(const uint8_t *buf, size_t len, uint16_t infinity,
	    struct rp_header *hdr, struct rp_iter *it, enum rp_err *err);
/* Next TLV: 1 = got one, 0 = end, -1 = malformed (*err set). */
int	hsr_pkt_next(struct rp_iter *, struct rp_tlv *, enum rp_err *err);

bool	hsr_pkt_prefix_valid(uint32_t prefix, uint8_t plen, enum rp_err *err);
const char *hsr_pkt_err_str(enum rp_err);

#endif
