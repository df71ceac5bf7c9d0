/* peer_auth.h - hsd-to-hsd messages authenticated end to end by the hosts'
 * WireGuard keys.
 *
 * WireGuard authenticates each hop, but a request may cross several hosts
 * of the mesh, and every link accepts any overlay source address: a relay
 * could speak as any host behind it.  So each request and reply also
 * carries a MAC under a key only its two ends can compute, the X25519
 * agreement of one host's private key with the other's public key (both
 * from cluster.json): whoever holds neither private key cannot make one.
 *
 * Request: {..., "auth":{"to":"b","ts":MS,"nonce":"32 hex","mac":"64 hex"}}
 * Reply:   {..., "auth":{"nonce":"the request's","mac":"64 hex"}}
 *
 * The MAC is BLAKE2b-256 keyed with the pair's key over a label and the
 * message's compact, key-sorted JSON with "auth" minus "mac".  A request
 * is fresh when its ts is within PEER_AUTH_WINDOW_MS of the receiver's
 * clock and its nonce was not seen (struct peer_replay); a reply answers
 * the request whose nonce it carries.  Pure: no I/O, no clock (now is an
 * argument), so it is unit-tested and fuzzed.  docs/peer-protocol.md.
 */
#ifndef HS_PEER_AUTH_H
#define HS_PEER_AUTH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PEER_AUTH_KEY 32
#define PEER_AUTH_NONCE 16
#define PEER_AUTH_WINDOW_MS 60000
#define PEER_REPLAY_MAX 16384 /* nonces kept per generation (per host) */

/* The pair's key; HS_EINPUT if peer_pub is a low-order point. */
int peer_auth_key(const uint8_t my_priv[32], const uint8_t my_pub[32],
		  const uint8_t peer_pub[32], uint8_t key[PEER_AUTH_KEY],
		  char *err, size_t errlen);

/* Adds "auth" to req (a built request) for host `to`; the nonce chosen is
 * returned, to check the reply with. */
int peer_auth_seal_request(json_t *req, const char *to, int64_t now_ms,
			   const uint8_t key[PEER_AUTH_KEY],
			   uint8_t nonce[PEER_AUTH_NONCE], char *err,
			   size_t errlen);
/* Checks req's "auth" (addressed to me, ts within the window, MAC) and
 * removes it.  HS_EINPUT naming what failed; req unchanged then. */
int peer_auth_open_request(json_t *req, const char *me, int64_t now_ms,
			   const uint8_t key[PEER_AUTH_KEY],
			   uint8_t nonce[PEER_AUTH_NONCE], char *err,
			   size_t errlen);

int peer_auth_seal_reply(json_t *rep, const uint8_t nonce[PEER_AUTH_NONCE],
			 const uint8_t key[PEER_AUTH_KEY], char *err,
			 size_t errlen);
/* Checks that rep answers the request of this nonce; removes "auth". */
int peer_auth_open_reply(json_t *rep, const uint8_t nonce[PEER_AUTH_NONCE],
			 const uint8_t key[PEER_AUTH_KEY], char *err,
			 size_t errlen);

/*
 * Nonces seen, in two generations that rotate every 2 windows: a nonce
 * accepted stays known for as long as its ts is acceptable.
 */
struct peer_replay_gen {
	uint8_t (*slot)[PEER_AUTH_NONCE]; /* all zero: empty */
	size_t cap, n;
};

struct peer_replay {
	struct peer_replay_gen gen[2]; /* [0] current */
	int64_t rotated_ms;
};

void peer_replay_init(struct peer_replay *, int64_t now_ms);
void peer_replay_free(struct peer_replay *);
/* 0 and remembered if new; HS_EINPUT if seen; HS_ESTATE if full (more
 * than PEER_REPLAY_MAX requests in a window); HS_ESYS out of memory. */
int peer_replay_check(struct peer_replay *, const uint8_t nonce[PEER_AUTH_NONCE],
		      int64_t now_ms, char *err, size_t errlen);

#endif
