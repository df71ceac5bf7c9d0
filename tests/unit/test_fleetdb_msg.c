/* test_fleetdb_msg.c - the hsd <-> hsfleetdb channel's checks: a message
 * is read only when its size is its type's and every text ends in its
 * field (proto/fleetdb_msg.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "fleetdb_msg.h"

static uint64_t buf[FLEETDB_MSG_MAX / 8 + 1];

static int check(size_t len, uint16_t *type)
{
	char err[HS_ERRLEN] = "";
	const void *body;
	int rc = fleetdb_msg_check(buf, len, type, &body, err, sizeof(err));
	if (rc)
		cr_assert(strstr(err, "fleetdb message") && !strchr(err, '\n'), "message: %s", err);
	return rc;
}

Test(fleetdb_msg, round_trip)
{
	struct fleetdb_request req = { .id = 7, .op = FLEETDB_OP_CLAIM };
	uint16_t type = 0;

	strcpy(req.ids, "aide");
	strcpy(req.target, "aide-2");
	size_t n = fleetdb_msg_pack(buf, FLEETDB_MSG_REQUEST, &req, sizeof(req));
	cr_assert_eq(check(n, &type), 0);
	cr_assert_eq(type, FLEETDB_MSG_REQUEST);
}

Test(fleetdb_msg, sizes_and_types)
{
	struct fleetdb_reply rep = { .id = 1 };
	uint16_t type;
	size_t n = fleetdb_msg_pack(buf, FLEETDB_MSG_REPLY, &rep, sizeof(rep));

	cr_assert_eq(check(n - 1, &type), HS_EINPUT, "short");
	cr_assert_eq(check(4, &type), HS_EINPUT, "shorter than a header");
	/* A request's length with a reply's type. */
	n = fleetdb_msg_pack(buf, FLEETDB_MSG_REPLY, &rep, sizeof(struct fleetdb_request));
	cr_assert_eq(check(n, &type), HS_EINPUT);
	n = fleetdb_msg_pack(buf, 99, &rep, sizeof(rep));
	cr_assert_eq(check(n, &type), HS_EINPUT, "unknown type");
}

Test(fleetdb_msg, texts_end_in_their_field)
{
	struct fleetdb_reply rep = { .id = 1 };
	struct fleetdb_config cfg = { .nvoters = 1 };
	uint16_t type;

	memset(rep.holder, 'x', sizeof(rep.holder));
	size_t n = fleetdb_msg_pack(buf, FLEETDB_MSG_REPLY, &rep, sizeof(rep));
	cr_assert_eq(check(n, &type), HS_EINPUT, "holder without its NUL");
	memset(rep.holder, 0, sizeof(rep.holder));
	rep.nmembers = FLEETDB_MEMBERS_MAX + 1;
	n = fleetdb_msg_pack(buf, FLEETDB_MSG_REPLY, &rep, sizeof(rep));
	cr_assert_eq(check(n, &type), HS_EINPUT, "more members than the array");
	memset(cfg.voters[0].name, 'v', sizeof(cfg.voters[0].name));
	n = fleetdb_msg_pack(buf, FLEETDB_MSG_CONFIG, &cfg, sizeof(cfg));
	cr_assert_eq(check(n, &type), HS_EINPUT, "voter name without its NUL");
	cfg.nvoters = CLUSTER_VOTERS_MAX + 1;
	memset(cfg.voters[0].name, 0, sizeof(cfg.voters[0].name));
	n = fleetdb_msg_pack(buf, FLEETDB_MSG_CONFIG, &cfg, sizeof(cfg));
	cr_assert_eq(check(n, &type), HS_EINPUT, "more voters than the array");
}

/* A rollout's state and the claims list: the largest fields, from
 * another host through the fleet database. */
Test(fleetdb_msg, claims_and_state_end_in_their_field)
{
	static struct fleetdb_reply rep;
	static struct fleetdb_request req;
	uint16_t type;

	rep.nclaims = 1;
	strcpy(rep.claims[0].ids, "aide");
	size_t n = fleetdb_msg_pack(buf, FLEETDB_MSG_REPLY, &rep, sizeof(rep));
	cr_assert_eq(check(n, &type), 0, "one claim");
	memset(rep.claims[0].target, 't', sizeof(rep.claims[0].target));
	n = fleetdb_msg_pack(buf, FLEETDB_MSG_REPLY, &rep, sizeof(rep));
	cr_assert_eq(check(n, &type), HS_EINPUT, "a claim's target without its NUL");
	memset(rep.claims[0].target, 0, sizeof(rep.claims[0].target));
	rep.nclaims = FLEETDB_CLAIMS_MAX + 1;
	n = fleetdb_msg_pack(buf, FLEETDB_MSG_REPLY, &rep, sizeof(rep));
	cr_assert_eq(check(n, &type), HS_EINPUT, "more claims than the array");
	rep.nclaims = 0;
	memset(rep.snap, '{', sizeof(rep.snap));
	n = fleetdb_msg_pack(buf, FLEETDB_MSG_REPLY, &rep, sizeof(rep));
	cr_assert_eq(check(n, &type), HS_EINPUT, "a taken state without its NUL");

	req.op = FLEETDB_OP_SAVE;
	memset(req.snap, '{', sizeof(req.snap) - 1);
	n = fleetdb_msg_pack(buf, FLEETDB_MSG_REQUEST, &req, sizeof(req));
	cr_assert_eq(check(n, &type), 0, "a state filling its field");
	memset(req.from, 'f', sizeof(req.from));
	n = fleetdb_msg_pack(buf, FLEETDB_MSG_REQUEST, &req, sizeof(req));
	cr_assert_eq(check(n, &type), HS_EINPUT, "a takeover's holder without its NUL");
}
