/* portmap_sys.c - running the nft script, sysctls and the port-in-use
 * check (see portmap.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "link.h"
#include "netns.h"
#include "nftrun.h"
#include "portmap.h"

int portmap_apply(const char *table, const struct portmap_rule *r, size_t n,
		  const struct portmap_net *nets, size_t nnets, char *err, size_t errlen)
{
	char *script;
	int rc = portmap_render(table, r, n, nets, nnets, &script, err, errlen);
	if (rc)
		return rc;
	rc = nftrun_script(script, "publish: apply nftables table", NULL, err, errlen);
	free(script);
	return rc;
}

int portmap_flush(const char *table, char *err, size_t errlen)
{
	/* Rendering an empty set validates the name the same way. */
	char *script;
	int rc = portmap_render(table, NULL, 0, NULL, 0, &script, err, errlen);
	if (rc)
		return rc;
	free(script);
	char cmd[4 * PORTMAP_TABLE_MAX + 128];
	/* add first so that delete never fails on an absent table. */
	snprintf(cmd, sizeof(cmd),
		 "add table ip %s\ndelete table ip %s\nadd table ip6 %s\ndelete table ip6 %s\n",
		 table, table, table, table);
	return nftrun_script(cmd, "publish: delete nftables table", NULL, err, errlen);
}

/* Scan one /proc/net/{tcp,udp}[6] table for a socket on port; for TCP
 * only listeners (state 0A) count.  A missing file (no IPv6) is empty. */
static int scan_proc(const char *name, uint16_t port, bool listen_only, bool *found, char *err,
		     size_t errlen)
{
	char path[64];
	/* thread-self: the table of the namespace this thread is in now. */
	snprintf(path, sizeof(path), "/proc/thread-self/net/%s", name);
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return HS_OK;
		return err_sys(err, errlen, "publish: open %s", path);
	}
	char line[512];
	bool header = true;
	while (fgets(line, sizeof(line), f)) {
		if (header) {
			header = false;
			continue;
		}
		unsigned lport, state;
		if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &lport, &state) != 2)
			continue;
		if (lport == port && (!listen_only || state == 0x0A)) {
			*found = true;
			break;
		}
	}
	fclose(f);
	return HS_OK;
}

int portmap_port_in_use(uint8_t proto, uint16_t port, bool *in_use, char *err, size_t errlen)
{
	*in_use = false;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return err_set(err, errlen, HS_EINPUT, "publish: protocol %u is not tcp or udp",
			       proto);
	bool tcp = proto == IPPROTO_TCP;
	int rc = scan_proc(tcp ? "tcp" : "udp", port, tcp, in_use, err, errlen);
	if (rc == HS_OK && !*in_use)
		rc = scan_proc(tcp ? "tcp6" : "udp6", port, tcp, in_use, err, errlen);
	return rc;
}

static int write_sysctl(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, errlen, "publish: open %s", path);
	int rc = HS_OK;
	if (write(fd, "1\n", 2) != 2)
		rc = err_sys(err, errlen, "publish: write %s", path);
	close(fd);
	return rc;
}

int portmap_enable_forwarding(char *err, size_t errlen)
{
	return write_sysctl("/proc/sys/net/ipv4/ip_forward", err, errlen);
}

int portmap_enable_localnet(const char *host_if, char *err, size_t errlen)
{
	const char *why;
	if (!link_name_valid(host_if, &why))
		return err_set(err, errlen, HS_EINPUT, "publish: \"%.16s\": %s",
			       host_if ? host_if : "", why);
	char path[96];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", host_if);
	return write_sysctl(path, err, errlen);
}

int portmap_disable_ipv6(int netns_fd, const char *ifname, char *err, size_t errlen)
{
	const char *why;
	if (!link_name_valid(ifname, &why))
		return err_set(err, errlen, HS_EINPUT, "publish: \"%.16s\": %s",
			       ifname ? ifname : "", why);
	/* The tree exists in every netns or in none (ipv6.disable=1). */
	if (access("/proc/sys/net/ipv6", F_OK) != 0 && errno == ENOENT)
		return HS_OK;
	char key[96];
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6", ifname);
	return netns_sysctl_set(netns_fd, key, "1\n", err, errlen);
}

int portmap_allow_ping(int netns_fd, char *err, size_t errlen)
{
	/* gids, as the kernel reads them in the writer's user namespace (the
	 * initial one): this covers every gid any space can map. */
	return netns_sysctl_set(netns_fd, "net/ipv4/ping_group_range", "0 2147483647\n", err,
				errlen);
}
