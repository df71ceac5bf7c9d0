/* bundle.h - IDS bundles: load, validate, hash, copy and transfer.
 *
 * A bundle is a directory NAME-VERSION/ holding bundle.json and the files
 * it lists (format: docs/bundles.md).  Everything that reads a bundle
 * validates it completely; bundles arriving from other hosts are
 * untrusted and are checked again, byte for byte, against their hash.
 */
#ifndef HS_BUNDLE_H
#define HS_BUNDLE_H

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUNDLE_NAME_MAX 32
#define BUNDLE_VERSION_MAX 32
#define BUNDLE_ID_MAX (BUNDLE_NAME_MAX + 1 + BUNDLE_VERSION_MAX)
#define BUNDLE_HASH_HEX 64
#define BUNDLE_MANIFEST "bundle.json"
/* The operator's signature beside bundle.json (bundle_sig.h): not part of
 * the bundle, its content or its hash, and never a listed file. */
#define BUNDLE_SIG_FILE "bundle.sig"
#define BUNDLE_MANIFEST_MAX (64 * 1024)         /* bytes of bundle.json */
#define BUNDLE_FILES_MAX 256                    /* listed files */
#define BUNDLE_BYTES_MAX (16u * 1024 * 1024)    /* listed files together */
#define BUNDLE_PATH_MAX 255                     /* one listed path */
#define BUNDLE_DEADLINE_MAX 600
#define BUNDLE_TOKEN_LEN 16                     /* probe token: [a-z0-9]{16} */
#define BUNDLE_PROBE_DIR "/var/lib/hsd-probe"   /* file and exec probes */

enum bundle_monitor {
	BUNDLE_MON_SERVERFS = 1u << 0,
	BUNDLE_MON_DSERVERFS = 1u << 1,
	BUNDLE_MON_PACKETS = 1u << 2,
	BUNDLE_MON_SYSLOG = 1u << 3,
	BUNDLE_MON_TRACE = 1u << 4,
};

enum bundle_probe {
	BUNDLE_PROBE_FILE,
	BUNDLE_PROBE_PACKET,
	BUNDLE_PROBE_SYSLOG,
	BUNDLE_PROBE_EXEC,
};

struct bundle {
	char name[BUNDLE_NAME_MAX + 1];
	char version[BUNDLE_VERSION_MAX + 1];
	char id[BUNDLE_ID_MAX + 2];   /* "name-version" */
	char hash[BUNDLE_HASH_HEX + 1]; /* hex sha256 (docs/bundles.md); "" until hashed */
	json_t *manifest;             /* the parsed bundle.json (owned) */
	char *description;
	char **files;                 /* listed paths, in manifest order */
	size_t nfiles;
	char **command;               /* argv, NULL-terminated (ncommand + 1 slots) */
	size_t ncommand;
	unsigned monitors;            /* BUNDLE_MON_* bits */
	char *alert_pattern;
	regex_t alert_re;             /* compiled alert_pattern (REG_EXTENDED) */
	bool alert_re_ok;
	enum bundle_probe probe;
	int deadline_s;
	bool inherit;
};

/* Parse, validate and hash the bundle directory dir, whose last path
 * component must be NAME-VERSION.  HS_EINPUT for anything wrong with the
 * bundle, HS_ESYS if it cannot be read.  out is zeroed first and must be
 * released with bundle_free() (also after a failure). */
int bundle_load_dir(const char *dir, struct bundle *out, char *err, size_t errlen);

/* Parse and validate bundle.json text only (no file checks, no hash). */
int bundle_parse_manifest(const char *text, size_t len, struct bundle *out, char *err,
			  size_t errlen);

/* sha256 of the bundle's content as found in dir, lower-case hex. */
int bundle_hash_dir(const char *dir, const struct bundle *b, char out[BUNDLE_HASH_HEX + 1],
		    char *err, size_t errlen);

/* Copy bundle.json and the listed files from src_dir to dst_dir through
 * dst_dir.tmp-XXXXXX and one rename, so dst_dir is complete or absent.
 * The copy must hash to b->hash (the source may have changed since it was
 * loaded: HS_EINPUT).  An existing dst_dir with the same hash: 0, nothing
 * written; with another hash or unreadable: HS_ESTATE. */
int bundle_copy(const struct bundle *b, const char *src_dir, const char *dst_dir,
		char *err, size_t errlen);

/* Remove a bundle directory tree this process wrote (best effort): a
 * copy or unpack whose row could not be stored. */
void bundle_rm_tree(const char *path);

/* {"id", "hash", "files": {path: base64}} with bundle.json among files,
 * for transfer over the mesh.  The content read must hash to b->hash. */
int bundle_pack(const char *dir, const struct bundle *b, json_t **out, char *err,
		size_t errlen);

/* A received bundle's files, decoded, not yet checked against a manifest. */
struct bundle_blob;
struct bundle_files {
	struct bundle_blob *v;
	size_t n;
};
void bundle_files_free(struct bundle_files *f);

/* The form of bundle_pack's message from another host (bundle_wire.c):
 * id, hash, and every file decoded, each path one a manifest could list,
 * sizes within a bundle's.  Nothing of bundle.json is parsed. */
int bundle_msg_decode(json_t *msg, char id[BUNDLE_ID_MAX + 2], char hash[BUNDLE_HASH_HEX + 1],
		      struct bundle_files *out, char *err, size_t errlen);
/* The files as flat records (bundle_wire.c), and back with the same
 * checks as bundle_msg_decode.  encode: 0 or HS_ESYS. */
int bundle_files_encode(const struct bundle_files *f, uint8_t **out, size_t *outlen);
int bundle_files_decode(const uint8_t *buf, size_t len, struct bundle_files *out, char *err,
			size_t errlen);
/* Write received files as dst_root/ID once they hash to hash (checked
 * first), then bundle.json names id and lists exactly the other files;
 * loads the stored bundle into out. */
int bundle_unpack_files(const char *id, const char *hash, struct bundle_files *f,
			const char *dst_root, struct bundle *out, char *err, size_t errlen);

/* Inverse of bundle_pack for a message from another host: validates the
 * message, the manifest, every path and size, and the hash before writing
 * anything, then writes dst_root/NAME-VERSION atomically (same rules as
 * bundle_copy for an existing directory) and loads it into out. */
int bundle_unpack(json_t *msg, const char *dst_root, struct bundle *out, char *err,
		  size_t errlen);

/* Do line's len bytes (NULs included) match the alert pattern? */
bool bundle_line_is_alert(const struct bundle *b, const char *line, size_t len);

/* Does line report the probe carrying token: an alert line containing it? */
bool bundle_line_reports(const struct bundle *b, const char *line, size_t len,
			 const char *token);

/* Is s 1..max of A-Z a-z 0-9 '.' '_' '-' (a version, and the words of an
 * intent)? */
bool bundle_word_ok(const char *s, size_t max);
/* Exactly len lower-case hex digits (a content hash, an intent id). */
bool bundle_hex_ok(const char *s, size_t len);

/* Is token a well-formed probe token ([a-z0-9]{16})? */
bool bundle_token_ok(const char *token);

/* Fill token (BUNDLE_TOKEN_LEN + 1 bytes) with a fresh random token. */
void bundle_token_new(char token[BUNDLE_TOKEN_LEN + 1]);

const char *bundle_probe_name(enum bundle_probe p);
/* Name of one BUNDLE_MON_* bit, or NULL. */
const char *bundle_monitor_name(unsigned bit);

void bundle_free(struct bundle *b);

#endif
