/* test_engine_msg.c - the hsd <-> route engine messages: what
 * engine_msg_check accepts, and that it refuses every wrong size, count,
 * type and route before a field is read. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine_msg.h"
#include "err.h"

static uint8_t buf[ENGINE_MSG_MAX];

/* A message as engine_msg_send writes it, built in buf. */
static size_t build(uint16_t type, uint32_t count, const void *body, size_t body_len,
		    size_t extra)
{
	struct engine_hdr h = { .type = type, .count = count };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), body, body_len);
	memset(buf + sizeof(h) + body_len, 0, extra);
	return sizeof(h) + body_len + extra;
}

static void refused(size_t len, const char *want)
{
	struct engine_msg m;
	char err[HS_ERRLEN] = "";
	cr_assert_eq(engine_msg_check(buf, len, &m, err, sizeof(err)), HS_EINPUT);
	cr_assert(strstr(err, want), "message \"%s\" lacks \"%s\"", err, want);
}

Test(engine_msg, send_and_check_round_trip)
{
	int sv[2];
	struct engine_route r = { ENGINE_ROUTE_INSTALL, 7, 0x0a630300, 24 };
	struct engine_msg m;
	char err[HS_ERRLEN];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	cr_assert_eq(engine_msg_send(sv[0], ENGINE_MSG_ROUTE, &r, sizeof(r), NULL, 0, 0, err,
				     sizeof(err)), 0);
	ssize_t n = recv(sv[1], buf, sizeof(buf), 0);
	cr_assert_eq(engine_msg_check(buf, (size_t)n, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.type, ENGINE_MSG_ROUTE);
	struct engine_route back;
	memcpy(&back, m.body, sizeof(back));
	cr_assert_eq(memcmp(&back, &r, sizeof(r)), 0);
	close(sv[0]);
	close(sv[1]);
}

Test(engine_msg, config_with_origins)
{
	struct engine_config c = { .router_id = 1 };
	struct engine_msg m;
	char err[HS_ERRLEN];
	size_t len = build(ENGINE_MSG_CONFIG, 3, &c, sizeof(c), 3 * sizeof(struct engine_origin));

	cr_assert_eq(engine_msg_check(buf, len, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.count, 3);
	cr_assert_eq((const uint8_t *)m.items, buf + sizeof(struct engine_hdr) + sizeof(c));
	refused(len - 1, "want");
	refused(len + 1, "want");
	build(ENGINE_MSG_CONFIG, ENGINE_MAX_ITEMS + 1, &c, sizeof(c), 0);
	refused(sizeof(struct engine_hdr) + sizeof(c), "count");
}

Test(engine_msg, refuses_short_unknown_and_padded)
{
	struct engine_link l = { 0 };
	refused(3, "shorter than a header");
	build(99, 0, &l, sizeof(l), 0);
	refused(sizeof(struct engine_hdr) + sizeof(l), "unknown type 99");
	size_t len = build(ENGINE_MSG_LINK_ADD, 0, &l, sizeof(l), 0);
	((struct engine_hdr *)buf)->pad = 1;
	refused(len, "count");
	build(ENGINE_MSG_LINK_ADD, 1, &l, sizeof(l), 0);
	refused(len, "count"); /* no items for this type */
}

Test(engine_msg, refuses_bad_routes)
{
	static const struct { uint32_t op, addr, len; } bad[] = {
		{ 0, 0x0a630300, 24 },          /* no such op */
		{ 3, 0x0a630300, 24 },
		{ ENGINE_ROUTE_INSTALL, 0x0a630301, 24 }, /* host bits */
		{ ENGINE_ROUTE_INSTALL, 0x0a630300, 33 },
		{ ENGINE_ROUTE_REMOVE, 1, 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct engine_route r = { bad[i].op, 1, bad[i].addr, bad[i].len };
		refused(build(ENGINE_MSG_ROUTE, 0, &r, sizeof(r), 0), "engine route");
	}
	struct engine_route all = { ENGINE_ROUTE_INSTALL, 1, 0, 0 }, host = { ENGINE_ROUTE_REMOVE, 1, 0x0a630301, 32 };
	struct engine_msg m;
	/* Well formed: whether hsd takes them is engine_sup.c's (overlay, own
	 * prefix), tested by test_engine.sh. */
	cr_assert_eq(engine_msg_check(buf, build(ENGINE_MSG_ROUTE, 0, &all, sizeof(all), 0), &m, NULL, 0), 0);
	cr_assert_eq(engine_msg_check(buf, build(ENGINE_MSG_ROUTE, 0, &host, sizeof(host), 0), &m, NULL, 0), 0);
}

Test(engine_msg, snapshot_sizes_follow_its_counts)
{
	struct engine_snapshot s = { .n_routes = 2, .n_neigh = 1 };
	struct engine_msg m;
	size_t items = 2 * sizeof(struct engine_route_info) + sizeof(struct engine_neigh_info);
	size_t len = build(ENGINE_MSG_SNAPSHOT, 0, &s, sizeof(s), items);

	cr_assert_eq(engine_msg_check(buf, len, &m, NULL, 0), 0);
	refused(len - sizeof(struct engine_neigh_info), "want");
	s.n_neigh = ENGINE_MAX_ITEMS + 1;
	refused(build(ENGINE_MSG_SNAPSHOT, 0, &s, sizeof(s), 0), "neighbours");
	s.n_neigh = 0;
	s.n_routes = 2 * ENGINE_MAX_ITEMS + 1;
	refused(build(ENGINE_MSG_SNAPSHOT, 0, &s, sizeof(s), 0), "routes");
	s.n_routes = 2;
	refused(build(ENGINE_MSG_SNAPSHOT, 1, &s, sizeof(s), 2 * sizeof(struct engine_route_info)), "count");
}

Test(engine_msg, peer_messages)
{
	struct engine_peer_request r = { .conn = 1, .id = 2, .host = 1 };
	struct engine_peer_reply rep = { .conn = 1, .id = 2 };
	struct engine_log l = { .level = ENGINE_LOG_WARN };
	struct engine_msg m;
	char err[HS_ERRLEN];
	size_t len;

	/* A request with its intent's host names: exactly count items. */
	len = build(ENGINE_MSG_PEER_REQUEST, 3, &r, sizeof(r), 3 * sizeof(struct peer_word));
	cr_assert_eq(engine_msg_check(buf, len, &m, err, sizeof(err)), 0, "%s", err);
	refused(len - 1, "want");
	refused(build(ENGINE_MSG_PEER_REQUEST, CLUSTER_HOSTS_MAX + 1, &r, sizeof(r), 0), "count");
	/* A reply's text: count bytes, no more than ENGINE_REPLY_MAX. */
	len = build(ENGINE_MSG_PEER_REPLY, 5, &rep, sizeof(rep), 5);
	cr_assert_eq(engine_msg_check(buf, len, &m, err, sizeof(err)), 0, "%s", err);
	refused(build(ENGINE_MSG_PEER_REPLY, ENGINE_REPLY_MAX + 1, &rep, sizeof(rep), 0), "count");
	/* A log line is bounded. */
	refused(build(ENGINE_MSG_LOG, ENGINE_LOG_MAX + 1, &l, sizeof(l), ENGINE_LOG_MAX + 1), "count");
	len = build(ENGINE_MSG_LOG, 4, &l, sizeof(l), 4);
	cr_assert_eq(engine_msg_check(buf, len, &m, err, sizeof(err)), 0, "%s", err);
}
