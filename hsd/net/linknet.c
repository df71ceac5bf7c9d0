/* linknet.c - the /30-per-space address plan (see linknet.h). */
#include "linknet.h"

#include <stdbool.h>
#include <stdio.h>

#include "addr.h"
#include "err.h"
#include "ifnames.h"

int linknet_plan_init(struct linknet_plan *plan, const char *range, char *err, size_t errlen)
{
	const char *why = NULL;
	bool hostbits = false;
	uint32_t ip;
	uint8_t len;
	if (!range)
		range = LINKNET_DEFAULT_RANGE;
	if (addr_parse_cidr4(range, &ip, &len, &hostbits, &why) < 0) {
		if (hostbits) {
			char net[ADDR_CIDR_STRLEN];
			addr_format_cidr4(ip & addr_mask4(len), len, net, sizeof(net));
			return err_set(err, errlen, HS_EINPUT,
				       "link range \"%.40s\": host bits set (did you mean %s?)",
				       range, net);
		}
		return err_set(err, errlen, HS_EINPUT, "link range \"%.40s\": %s", range,
			       why ? why : "not a.b.c.d/len");
	}
	/* Shorter than /8 would swallow public space; longer than /30 holds
	 * no link at all. */
	if (len < 8 || len > LINKNET_PLEN)
		return err_set(err, errlen, HS_EINPUT,
			       "link range \"%.40s\": prefix length must be 8..30", range);
	plan->range = ip;
	plan->len = len;
	return HS_OK;
}

uint32_t linknet_capacity(const struct linknet_plan *plan)
{
	unsigned bits = LINKNET_PLEN - plan->len;
	if (bits >= 14)
		return LINKNET_MAX_SPACES;
	return 1u << bits;
}

int linknet_for(const struct linknet_plan *plan, uint32_t n, struct linknet *out, char *err,
		size_t errlen)
{
	uint32_t cap = linknet_capacity(plan);
	if (n >= cap)
		return err_set(err, errlen, HS_EINPUT,
			       "link range holds %u server spaces; number %u is beyond it", cap, n);
	out->subnet = plan->range + (n << 2);
	out->base_addr = out->subnet + 1;
	out->space_addr = out->subnet + 2;
	out->plen = LINKNET_PLEN;
	return HS_OK;
}

void linknet_host_ifname(uint32_t n, char *buf, size_t buflen)
{
	snprintf(buf, buflen, IFNAME_SERVER "%u", n);
}
