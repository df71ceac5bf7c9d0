/* wg.h - backend-neutral WireGuard device configuration.
 *
 * Two backends speak the same structures: the kernel module over generic
 * netlink (wg_genl.c) and wireguard-go over its UAPI socket (wg_uapi.c).
 *
 * A set request only changes what it names: a device field is applied when
 * its WG_DEV_F_HAS_* flag is set, a peer is created or updated, and allowed
 * IPs are appended unless WG_PEER_F_REPLACE_ALLOWEDIPS.  There is no
 * "replace peers": reloads apply differences only.  Every set request is
 * validated as a whole before anything is sent, because the UAPI applies
 * lines as it parses them and stops half-way on an error.
 *
 * Keys never appear on a command line or in an error message.
 */
#ifndef HS_WG_H
#define HS_WG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "keys.h"

#define WG_IFNAMSIZ 16      /* IFNAMSIZ, with the NUL */
#define WG_MAX_PEERS (1u << 20) /* MAX_PEERS_PER_DEVICE */

struct wg_allowedip {
	sa_family_t family; /* AF_INET or AF_INET6 */
	uint8_t cidr;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

enum wg_peer_flags {
	WG_PEER_F_REMOVE = 1u << 0,              /* delete this peer */
	WG_PEER_F_UPDATE_ONLY = 1u << 1,         /* never create it */
	WG_PEER_F_REPLACE_ALLOWEDIPS = 1u << 2,  /* else append */
	WG_PEER_F_HAS_KEEPALIVE = 1u << 3,       /* persistent_keepalive set */
	WG_PEER_F_HAS_PRESHARED_KEY = 1u << 4,   /* all-zero removes it */
};

struct wg_peer {
	uint8_t public_key[KEY_LEN];
	uint8_t preshared_key[KEY_LEN];
	uint32_t flags;                   /* enum wg_peer_flags */
	struct sockaddr_storage endpoint; /* ss_family 0: leave unchanged */
	uint16_t persistent_keepalive;    /* seconds, 0 = off */
	struct wg_allowedip *allowed;
	size_t n_allowed;
	/* Filled by get only. */
	struct timespec last_handshake; /* 0 = never */
	uint64_t rx_bytes, tx_bytes;
};

enum wg_device_flags {
	WG_DEV_F_HAS_PRIVATE_KEY = 1u << 0, /* all-zero removes it */
	WG_DEV_F_HAS_LISTEN_PORT = 1u << 1,
	WG_DEV_F_HAS_FWMARK = 1u << 2,      /* 0 removes it */
	WG_DEV_F_HAS_PUBLIC_KEY = 1u << 3,  /* get only */
};

struct wg_device {
	uint32_t flags; /* enum wg_device_flags */
	uint8_t private_key[KEY_LEN];
	uint8_t public_key[KEY_LEN]; /* get only */
	uint16_t listen_port;
	uint32_t fwmark;
	struct wg_peer *peers;
	size_t n_peers;
};

/* A wireguard-go process serving one interface (pid 0 for the kernel). */
struct wg_proc {
	pid_t pid;
	unsigned long long start_time; /* /proc/PID/stat field 22 */
	int is_child;                  /* we forked it and may waitpid() it */
};

/* ifname: the interface name.  nsfd: the network namespace the interface
 * is in now, or -1 for the caller's (only the kernel backend needs it; the
 * UAPI socket is a file path).  Results: 0 or HS_E*, one line in err. */
struct wg_backend {
	const char *name; /* "kernel" or "userspace" */
	int (*create)(const char *ifname, struct wg_proc *proc, char *err,
		      size_t errlen);
	int (*set)(const char *ifname, int nsfd, const struct wg_device *dev,
		   char *err, size_t errlen);
	/* out is overwritten; release it with wg_device_free(). */
	int (*get)(const char *ifname, int nsfd, struct wg_device *out,
		   char *err, size_t errlen);
	int (*destroy)(const char *ifname, int nsfd, struct wg_proc *proc,
		       char *err, size_t errlen);
};

extern const struct wg_backend wg_backend_kernel;
extern const struct wg_backend wg_backend_userspace;

/* The kernel backend when the genl family "wireguard" resolves in the
 * caller's network namespace, else wireguard-go. */
const struct wg_backend *wg_backend_detect(void);

/* Check a whole set request; HS_EINPUT names the first problem. */
int wg_device_validate(const struct wg_device *dev, char *err, size_t errlen);

/* Free what get allocated and wipe the keys; dev is left empty. */
void wg_device_free(struct wg_device *dev);

/* The smallest set request turning cur (from get) into want, for a device
 * hsd owns whole: peers in cur but not in want are removed; existing peers
 * get update_only with only the fields that differ; allowed IPs are
 * appended when want's list contains cur's, else replaced.  A private key,
 * listen port or fwmark is sent only if it differs (re-sending the same key
 * would still be harmless; an equal listen port keeps the socket).  delta
 * owns its memory (wg_device_free); it is empty (flags 0, no peers) when
 * nothing differs. */
int wg_device_diff(const struct wg_device *cur, const struct wg_device *want,
		   struct wg_device *delta, char *err, size_t errlen);
int wg_device_is_empty(const struct wg_device *dev);

/* Helpers shared by the backends. */
int wg_ifname_valid(const char *ifname, char *err, size_t errlen);
int wg_key_is_zero(const uint8_t key[KEY_LEN]);
int wg_key_from_hex(const char *hex, uint8_t key[KEY_LEN]);
/* "192.0.2.1:51820" or "[2001:db8::1]:51820"; 0 or -1. */
int wg_endpoint_format(const struct sockaddr_storage *ss, char *out,
		       size_t outlen);
int wg_endpoint_parse(const char *text, struct sockaddr_storage *ss);
/* "10.0.0.0/8"; 0 or -1 (host bits may be set, as wg(8) allows). */
int wg_allowedip_parse(const char *text, struct wg_allowedip *aip);
int wg_allowedip_format(const struct wg_allowedip *aip, char *out,
			size_t outlen);
/* Append to a peer array / allowed-ip array growing by doubling. */
struct wg_peer *wg_device_add_peer(struct wg_device *dev);
struct wg_allowedip *wg_peer_add_allowed(struct wg_peer *peer);

#endif
