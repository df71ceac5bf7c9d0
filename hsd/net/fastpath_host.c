/* fastpath_host.c - what the fast path needs of the host without eBPF,
 * so that every build has it: the uplink, and taking an earlier hsd's
 * programs off for an hsd that runs without them (--no-fastpath, or
 * programs the kernel refused): left attached, they would go on with
 * maps nobody keeps. */
#include "fastpath.h"

#include <arpa/inet.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "netns.h"
#include "tc.h"

/* The programs write and read Ethernet headers. */
static bool is_ethernet(const char *ifname)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool yes;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	yes = ioctl(fd, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER;
	close(fd);
	return yes;
}

void fastpath_uplink(const struct sockaddr_storage *endpoint, char name[IF_NAMESIZE],
		     uint32_t *addr)
{
	const struct sockaddr_in *want = (const struct sockaddr_in *)endpoint;
	struct ifaddrs *ifs = NULL;
	FILE *f;

	name[0] = '\0';
	*addr = 0;
	if (getifaddrs(&ifs))
		return;
	if (endpoint->ss_family == AF_INET)
		for (struct ifaddrs *i = ifs; i && !*addr; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == want->sin_addr.s_addr &&
			    strcmp(i->ifa_name, "lo")) {
				snprintf(name, IF_NAMESIZE, "%s", i->ifa_name);
				*addr = ntohl(want->sin_addr.s_addr);
			}
	/* /proc/net/route: "Iface Destination Gateway Flags ... Mask ...",
	 * hex in network order; the default route has both 0. */
	if (!*addr && (f = fopen("/proc/net/route", "re"))) {
		char line[256], ifn[IF_NAMESIZE];
		unsigned long dst, mask;
		bool found = false;
		while (!found && fgets(line, sizeof(line), f))
			found = sscanf(line, "%15s %lx %*x %*x %*d %*d %*d %lx", ifn, &dst, &mask) == 3 &&
				dst == 0 && mask == 0;
		fclose(f);
		for (struct ifaddrs *i = ifs; i && !*addr && found; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !strcmp(i->ifa_name, ifn)) {
				snprintf(name, IF_NAMESIZE, "%s", ifn);
				*addr = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
			}
	}
	freeifaddrs(ifs);
	if (*addr && !is_ethernet(name)) {
		name[0] = '\0';
		*addr = 0;
	}
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
