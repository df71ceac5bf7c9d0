/* test_bundle_sig.c - operator keys (opkey.c) and the signatures of
 * bundles (bundle_sig.c): what verifies, and every way of not verifying. */
#include <criterion/criterion.h>

#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_sig.h"
#include "cluster.h"
#include "err.h"
#include "opkey.h"

static char root[64];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void setup_root(void)
{
	cr_assert_eq(sodium_init() >= 0, 1);
	strcpy(root, "/tmp/test_bundle_sig.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
}

static void teardown_root(void)
{
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#define HASH_A "052297601a3d035fde54fd23f8ab40444d6e49dd95fa92735d17a5aab23e2026"
#define HASH_B "052297601a3d035fde54fd23f8ab40444d6e49dd95fa92735d17a5aab23e2027"

/* A cluster whose operators are the given keys (only what the check reads). */
static void cluster_of(struct cluster *c, const struct opkey *const *keys, size_t n)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->name, "three");
	for (size_t i = 0; i < n; i++)
		memcpy(c->operators[i], keys[i]->pub, OPKEY_PUB_LEN);
	c->noperators = n;
}

static void new_key(struct opkey *k)
{
	char err[HS_ERRLEN];
	cr_assert_eq(opkey_generate(k, err, sizeof(err)), 0, "%s", err);
}

static void expect_check(const struct bundle_sig *s, const char *id, const char *hash,
			 const struct cluster *c, const char *want)
{
	char err[HS_ERRLEN] = "";
	int rc = bundle_sig_check(s, id, hash, c, err, sizeof(err));

	if (!want) {
		cr_assert_eq(rc, 0, "unexpected refusal: %s", err);
		return;
	}
	cr_assert_eq(rc, HS_EINPUT, "accepted, want \"%s\"", want);
	cr_assert_not_null(strstr(err, want), "message \"%s\" lacks \"%s\"", err, want);
	cr_assert_null(strchr(err, '\n'));
}

TestSuite(sig, .init = setup_root, .fini = teardown_root);

Test(sig, sign_and_verify)
{
	struct opkey op, other;
	const struct opkey *ops[] = { &other, &op };
	struct bundle_sig s;
	struct cluster c;
	char err[HS_ERRLEN];

	new_key(&op);
	new_key(&other);
	cluster_of(&c, ops, 2);
	cr_assert_eq(bundle_sig_make(&op, "aide-1", HASH_A, &s, err, sizeof(err)), 0);
	cr_assert(memcmp(s.key, op.pub, OPKEY_PUB_LEN) == 0);
	expect_check(&s, "aide-1", HASH_A, &c, NULL);
}

Test(sig, tampered_hash_and_other_id)
{
	struct opkey op;
	const struct opkey *ops[] = { &op };
	struct bundle_sig s;
	struct cluster c;
	char err[HS_ERRLEN];

	new_key(&op);
	cluster_of(&c, ops, 1);
	cr_assert_eq(bundle_sig_make(&op, "aide-1", HASH_A, &s, err, sizeof(err)), 0);
	expect_check(&s, "aide-1", HASH_A, &c, NULL); /* control */
	expect_check(&s, "aide-1", HASH_B, &c, "bundle aide-1: signature does not match content hash " HASH_B);
	expect_check(&s, "aide-2", HASH_A, &c, "bundle aide-2: signature does not match");
	/* One flipped bit of the signature itself. */
	s.sig[10] ^= 1;
	expect_check(&s, "aide-1", HASH_A, &c, "does not match");
}

Test(sig, key_not_an_operator)
{
	struct opkey op, stranger;
	const struct opkey *ops[] = { &op };
	struct bundle_sig s;
	struct cluster c;
	char err[HS_ERRLEN], b64[OPKEY_PUB_B64_LEN + 1], want[160];

	new_key(&op);
	new_key(&stranger);
	cluster_of(&c, ops, 1);
	/* A valid signature, by a key the cluster does not list. */
	cr_assert_eq(bundle_sig_make(&stranger, "aide-1", HASH_A, &s, err, sizeof(err)), 0);
	opkey_pub_b64(stranger.pub, b64);
	snprintf(want, sizeof(want), "bundle aide-1: signature: key %s is not an operator of cluster three", b64);
	expect_check(&s, "aide-1", HASH_A, &c, want);
	/* Claiming an operator's key does not make the stranger's signature
	 * the operator's. */
	memcpy(s.key, op.pub, OPKEY_PUB_LEN);
	expect_check(&s, "aide-1", HASH_A, &c, "does not match");
	/* Revocation: the operator's own good signature, once the key is no
	 * longer listed (a reload with other operators). */
	cr_assert_eq(bundle_sig_make(&op, "aide-1", HASH_A, &s, err, sizeof(err)), 0);
	expect_check(&s, "aide-1", HASH_A, &c, NULL);
	ops[0] = &stranger;
	cluster_of(&c, ops, 1);
	expect_check(&s, "aide-1", HASH_A, &c, "is not an operator of cluster three");
}

Test(sig, domain_separated)
{
	struct opkey op;
	const struct opkey *ops[] = { &op };
	struct bundle_sig s;
	struct cluster c;
	char msg[256];
	int n;

	new_key(&op);
	cluster_of(&c, ops, 1);
	n = bundle_sig_message("aide-1", HASH_A, msg, sizeof(msg));
	cr_assert_str_eq(msg, "hsd-bundle-sig-v1\naide-1\n" HASH_A "\n");
	cr_assert_eq(n, (int)strlen(msg));
	/* The same key signing the bare "ID\nHASH\n" (another kind of
	 * message, say) does not make a bundle signature. */
	memcpy(s.key, op.pub, OPKEY_PUB_LEN);
	opkey_sign(&op, "aide-1\n" HASH_A "\n", strlen("aide-1\n" HASH_A "\n"), s.sig);
	expect_check(&s, "aide-1", HASH_A, &c, "does not match");
	/* Nor does the prefix of another version of the format. */
	opkey_sign(&op, "hsd-bundle-sig-v2\naide-1\n" HASH_A "\n", strlen(msg), s.sig);
	expect_check(&s, "aide-1", HASH_A, &c, "does not match");
	/* Control: the exact message verifies. */
	opkey_sign(&op, msg, (size_t)n, s.sig);
	expect_check(&s, "aide-1", HASH_A, &c, NULL);
	/* A newline smuggled into an id cannot shift the fields. */
	expect_check(&s, "aide-1\n" HASH_A, "", &c, "does not match");
}

static void expect_parse(const char *text, const char *want)
{
	struct bundle_sig s;
	char err[HS_ERRLEN] = "";
	int rc = bundle_sig_parse(text, strlen(text), &s, err, sizeof(err));

	cr_assert_eq(rc, HS_EINPUT, "accepted \"%s\"", text);
	cr_assert(strncmp(err, "signature", 9) == 0, "message \"%s\"", err);
	cr_assert_not_null(strstr(err, want), "message \"%s\" lacks \"%s\"", err, want);
}

Test(sig, file_roundtrip_and_malformed)
{
	struct opkey op;
	struct bundle_sig s, back;
	char err[HS_ERRLEN], key[OPKEY_PUB_B64_LEN + 1], *text, buf[512];

	new_key(&op);
	cr_assert_eq(bundle_sig_make(&op, "aide-1", HASH_A, &s, err, sizeof(err)), 0);
	text = bundle_sig_format(&s);
	cr_assert_not_null(text);
	cr_assert_eq(text[strlen(text) - 1], '\n');
	cr_assert_eq(bundle_sig_parse(text, strlen(text), &back, err, sizeof(err)), 0, "%s", err);
	cr_assert(memcmp(&s, &back, sizeof(s)) == 0);
	free(text);
	opkey_pub_b64(op.pub, key);

	expect_parse("", "not JSON");
	expect_parse("{\"key\": ", "not JSON");
	expect_parse("[]", "key");
	expect_parse("{}", "key: missing");
	snprintf(buf, sizeof(buf), "{\"key\": \"%s\"}", key);
	expect_parse(buf, "sig: missing");
	snprintf(buf, sizeof(buf), "{\"key\": \"%s\", \"sig\": \"AAAA\"}", key);
	expect_parse(buf, "sig: missing or not a base64 64-byte signature");
	snprintf(buf, sizeof(buf), "{\"key\": \"%s\", \"sig\": 7}", key);
	expect_parse(buf, "sig:");
	snprintf(buf, sizeof(buf), "{\"key\": \"%.43s\", \"sig\": \"x\"}", key);
	expect_parse(buf, "key:");
	snprintf(buf, sizeof(buf), "{\"key\": \"%s\", \"key\": \"%s\"}", key, key);
	expect_parse(buf, "not JSON"); /* duplicate keys */
	snprintf(buf, sizeof(buf), "{\"key\": \"%s\", \"sig\": \"\", \"by\": \"me\"}", key);
	expect_parse(buf, "unknown key \"by\"");
	char *big = calloc(1, BUNDLE_SIG_TEXT_MAX + 2);
	memset(big, ' ', BUNDLE_SIG_TEXT_MAX + 1);
	expect_parse(big, "larger than");
	free(big);
}

Test(sig, pub_parse_is_strict)
{
	struct opkey op;
	uint8_t pub[OPKEY_PUB_LEN];
	char b64[OPKEY_PUB_B64_LEN + 1], bad[OPKEY_PUB_B64_LEN + 2];

	new_key(&op);
	opkey_pub_b64(op.pub, b64);
	cr_assert_eq(opkey_pub_parse(b64, pub), 0);
	cr_assert(memcmp(pub, op.pub, sizeof(pub)) == 0);
	snprintf(bad, sizeof(bad), "%s\n", b64);
	cr_assert_eq(opkey_pub_parse(bad, pub), HS_EINPUT);
	snprintf(bad, sizeof(bad), "%.43s", b64); /* no padding */
	cr_assert_eq(opkey_pub_parse(bad, pub), HS_EINPUT);
	cr_assert_eq(opkey_pub_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", pub), HS_EINPUT);
	cr_assert_eq(opkey_pub_parse(NULL, pub), HS_EINPUT);
}

TestSuite(keyfile, .init = setup_root, .fini = teardown_root);

Test(keyfile, write_read_refuse)
{
	struct opkey k, back;
	char path[128], pub[160], err[HS_ERRLEN], line[128], b64[OPKEY_PUB_B64_LEN + 2];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/op.key", root);
	snprintf(pub, sizeof(pub), "%s/op.key.pub", root);
	new_key(&k);
	cr_assert_eq(opkey_write(path, &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	f = fopen(pub, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	opkey_pub_b64(k.pub, b64);
	strcat(b64, "\n");
	cr_assert_str_eq(line, b64);
	cr_assert_eq(opkey_read(path, &back, err, sizeof(err)), 0, "%s", err);
	cr_assert(memcmp(back.pub, k.pub, OPKEY_PUB_LEN) == 0);
	cr_assert(memcmp(back.sec, k.sec, OPKEY_SEC_LEN) == 0);

	/* Never replaced. */
	struct opkey k2;
	new_key(&k2);
	cr_assert_eq(opkey_write(path, &k2, err, sizeof(err)), HS_EINPUT);
	cr_assert_not_null(strstr(err, "already exists"));
	cr_assert_eq(opkey_read(path, &back, err, sizeof(err)), 0);
	cr_assert(memcmp(back.pub, k.pub, OPKEY_PUB_LEN) == 0);

	/* A key others can read is refused. */
	cr_assert_eq(chmod(path, 0640), 0);
	cr_assert_eq(opkey_read(path, &back, err, sizeof(err)), HS_ESTATE);
	cr_assert_not_null(strstr(err, "0640"), "%s", err);
	cr_assert_eq(chmod(path, 0600), 0);

	/* A file whose public half is not its seed's. */
	uint8_t sec[OPKEY_SEC_LEN];
	memcpy(sec, k.sec, sizeof(sec));
	memcpy(sec + 32, k2.pub, 32);
	sodium_bin2base64(line, sizeof(line), sec, sizeof(sec), sodium_base64_VARIANT_ORIGINAL);
	snprintf(path, sizeof(path), "%s/spliced.key", root);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", line);
	fclose(f);
	chmod(path, 0600);
	cr_assert_eq(opkey_read(path, &back, err, sizeof(err)), HS_ESTATE);
	cr_assert_not_null(strstr(err, "does not match"), "%s", err);

	snprintf(path, sizeof(path), "%s/none.key", root);
	cr_assert_eq(opkey_read(path, &back, err, sizeof(err)), HS_EINPUT);
}

/* The signature file sits beside bundle.json without being part of the
 * bundle: the loader ignores it by that one name, and its hash is the
 * same with or without it. */
TestSuite(loader, .init = setup_root, .fini = teardown_root);

static void put(const char *dir, const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

#define MANIFEST(files)                                                                     \
	"{\"name\":\"demo\",\"version\":\"1\",\"command\":[\"sh\",\"run.sh\"],\"files\":" files \
	",\"monitors\":[\"serverfs\"],\"alert\":{\"pattern\":\"^ALERT \"},"                    \
	"\"probe\":{\"kind\":\"file\",\"deadline_s\":20}}"

Test(loader, ignores_bundle_sig_only)
{
	char dir[128], err[HS_ERRLEN], hash[BUNDLE_HASH_HEX + 1];
	struct bundle b;

	snprintf(dir, sizeof(dir), "%s/demo-1", root);
	cr_assert_eq(mkdir(dir, 0755), 0);
	put(dir, "bundle.json", MANIFEST("[\"run.sh\"]"));
	put(dir, "run.sh", "echo hi\n");
	cr_assert_eq(bundle_load_dir(dir, &b, err, sizeof(err)), 0, "%s", err);
	memcpy(hash, b.hash, sizeof(hash));
	bundle_free(&b);
	put(dir, BUNDLE_SIG_FILE, "anything\n");
	cr_assert_eq(bundle_load_dir(dir, &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(b.hash, hash);
	bundle_free(&b);
	/* Control: any other unlisted name is still refused. */
	put(dir, "bundle.sig2", "anything\n");
	cr_assert_eq(bundle_load_dir(dir, &b, err, sizeof(err)), HS_EINPUT);
	cr_assert_not_null(strstr(err, "bundle.sig2"), "%s", err);
	bundle_free(&b);
}

Test(loader, bundle_sig_cannot_be_listed)
{
	char dir[128], err[HS_ERRLEN];
	struct bundle b;

	snprintf(dir, sizeof(dir), "%s/demo-1", root);
	cr_assert_eq(mkdir(dir, 0755), 0);
	put(dir, "bundle.json", MANIFEST("[\"run.sh\",\"bundle.sig\"]"));
	put(dir, "run.sh", "echo hi\n");
	put(dir, BUNDLE_SIG_FILE, "x\n");
	cr_assert_eq(bundle_load_dir(dir, &b, err, sizeof(err)), HS_EINPUT);
	cr_assert_not_null(strstr(err, "files[1]"), "%s", err);
	cr_assert_not_null(strstr(err, "signature"), "%s", err);
	bundle_free(&b);
}
