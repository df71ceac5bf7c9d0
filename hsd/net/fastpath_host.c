/* fastpath_host.c - what the fast path needs of the host without eBPF,
 * so that every build has it: the uplink, and taking an earlier hsd's
 * programs off for an hsd that runs without them (--no-fastpath, or
 * programs the kernel refused): left attached, they would go on with
 * maps nobody keeps. */
#include "fastpath.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "netns.h"
#include "tc.h"

void fastpath_uplink(const struct sockaddr_storage *endpoint, char name[IF_NAMESIZE])
{
	const struct sockaddr_in *want = (const struct sockaddr_in *)endpoint;
	struct ifaddrs *ifs = NULL;

	name[0] = '\0';
	if (endpoint->ss_family == AF_INET && (ntohl(want->sin_addr.s_addr) >> 24) != 127 &&
	    getifaddrs(&ifs) == 0) {
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == want->sin_addr.s_addr) {
				snprintf(name, IF_NAMESIZE, "%s", i->ifa_name);
				break;
			}
		freeifaddrs(ifs);
	}
	if (name[0])
		return;
	/* /proc/net/route: "Iface Destination Gateway Flags ... Mask ...",
	 * hex in network order; the default route has both 0. */
	FILE *f = fopen("/proc/net/route", "re");
	char line[256], ifn[IF_NAMESIZE];
	unsigned long dst, mask;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%15s %lx %*x %*x %*d %*d %*d %lx", ifn, &dst, &mask) == 3 &&
		    dst == 0 && mask == 0) {
			snprintf(name, IF_NAMESIZE, "%s", ifn);
			break;
		}
	if (f)
		fclose(f);
}

void fastpath_detach(const char *uplink, const struct portmap_net *nets, size_t nnets)
{
	struct mnl_socket *nl;
	unsigned idx;

	if (nl_open_in(-1, &nl, NULL, 0))
		return;
	if (uplink[0] && (idx = if_nametoindex(uplink)))
		tc_filter_del(nl, (int)idx, TC_DIR_INGRESS, FASTPATH_PRIO, 0, NULL, 0);
	for (size_t i = 0; i < nnets; i++)
		if ((idx = if_nametoindex(nets[i].host_if)))
			tc_filter_del(nl, (int)idx, TC_DIR_INGRESS, FASTPATH_PRIO, 0, NULL, 0);
	mnl_socket_close(nl);
}
