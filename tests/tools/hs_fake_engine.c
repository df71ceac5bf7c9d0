/* hs_fake_engine.c - a route engine gone hostile, for hsd to start in
 * hsengine's place (HSD_HSENGINE): it reads what hsd tells it, then sends
 * the messages HS_FAKE_ENGINE lists, as code an attacker runs in the
 * engine would, and then keeps the channel open.
 *
 *   HS_FAKE_ENGINE="route A.B.C.D/LEN LINK ... junk"
 *     route: ENGINE_MSG_ROUTE install of the prefix through the LINK-th
 *            link hsd announced (0: the first)
 *     junk:  a datagram that is no message
 *     req CMD HOST [INSTANCE]: a PEER_REQUEST as if host index HOST had
 *            sent CMD (for instance.*, on INSTANCE), with no intent
 *
 * hsd's replies to its requests are printed on stderr (hsd's log):
 *     hs_fake_engine: reply to N: rc R: TEXT
 */
#include "engine_msg.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHAN 3

int main(void)
{
	static uint8_t buf[ENGINE_MSG_MAX];
	uint32_t links[64];
	size_t nlinks = 0;
	char err[256];
	const char *script = getenv("HS_FAKE_ENGINE");

	/* What hsd sends at start: CONFIG, then a LINK_ADD per link. */
	for (;;) {
		struct pollfd p = { CHAN, POLLIN, 0 };
		if (poll(&p, 1, nlinks ? 300 : 5000) <= 0)
			break;
		ssize_t n = recv(CHAN, buf, sizeof(buf), 0);
		struct engine_msg m;
		if (n <= 0)
			return 0;
		if (engine_msg_check(buf, (size_t)n, &m, err, sizeof(err)) == 0 &&
		    m.type == ENGINE_MSG_LINK_ADD && nlinks < 64) {
			struct engine_link l;
			memcpy(&l, m.body, sizeof(l));
			links[nlinks++] = l.link_id;
		}
	}
	char *copy = strdup(script ? script : ""), *save = NULL;
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!strcmp(w, "junk")) {
			send(CHAN, "junk", 4, 0);
			continue;
		}
		if (!strcmp(w, "req")) {
			static int64_t id;
			char *cmd = strtok_r(NULL, " ", &save), *host = strtok_r(NULL, " ", &save);
			struct engine_peer_request r = { .conn = 1, .id = ++id };
			if (!cmd || !host || !(r.t.cmd = peer_cmd_id(cmd)))
				return 2;
			r.host = (uint32_t)atoi(host);
			if (!strncmp(cmd, "instance.", 9)) {
				char *inst = strtok_r(NULL, " ", &save);
				if (!inst)
					return 2;
				snprintf(r.t.instance, sizeof(r.t.instance), "%s", inst);
				snprintf(r.t.bundle, sizeof(r.t.bundle), "%s", inst);
			}
			engine_msg_send(CHAN, ENGINE_MSG_PEER_REQUEST, &r, sizeof(r), NULL, 0, 0, err,
					sizeof(err));
			continue;
		}
		char *pfx = strtok_r(NULL, " ", &save), *link = strtok_r(NULL, " ", &save);
		char *slash = pfx ? strchr(pfx, '/') : NULL;
		struct in_addr a;
		if (strcmp(w, "route") || !slash || !link)
			return 2;
		*slash = 0;
		if (inet_pton(AF_INET, pfx, &a) != 1 || (size_t)atoi(link) >= nlinks)
			return 2;
		struct engine_route r = { ENGINE_ROUTE_INSTALL, links[atoi(link)], ntohl(a.s_addr),
					  (uint32_t)atoi(slash + 1) };
		engine_msg_send(CHAN, ENGINE_MSG_ROUTE, &r, sizeof(r), NULL, 0, 0, err, sizeof(err));
	}
	free(copy);
	for (;;) {
		ssize_t n = recv(CHAN, buf, sizeof(buf), 0);
		struct engine_msg m;
		if (n <= 0)
			break;
		if (engine_msg_check(buf, (size_t)n, &m, err, sizeof(err)) == 0 &&
		    m.type == ENGINE_MSG_PEER_REPLY) {
			struct engine_peer_reply r;
			memcpy(&r, m.body, sizeof(r));
			fprintf(stderr, "hs_fake_engine: reply to %lld: rc %d: %.*s\n", (long long)r.id,
				r.rc, (int)m.count, (const char *)m.items);
		}
	}
	return 0;
}
