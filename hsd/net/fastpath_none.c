/* fastpath_none.c - the fast path when this hsd was built without eBPF
 * (cmake said so): published ports take the host's stack alone. */
#include "fastpath.h"

#include "err.h"

int fastpath_open(struct fastpath **out, char *err, size_t errlen)
{
	*out = NULL;
	return err_set(err, errlen, HS_ESYS, "fast path: not built into this hsd (see cmake's output)");
}

void fastpath_close(struct fastpath *fp)
{
	(void)fp;
}

int fastpath_sync(struct fastpath *fp, const char *uplink, uint32_t addr,
		  const struct portmap_rule *r, size_t n, const struct portmap_net *nets,
		  size_t nnets, char *err, size_t errlen)
{
	(void)fp, (void)uplink, (void)addr, (void)r, (void)n, (void)nets, (void)nnets, (void)err, (void)errlen;
	return HS_OK;
}

void fastpath_stop_in(struct fastpath *fp, const char *uplink)
{
	(void)fp, (void)uplink;
}

int fastpath_sync_mirrors(struct fastpath *fp, char *err, size_t errlen)
{
	(void)fp, (void)err, (void)errlen;
	return HS_OK;
}

int fastpath_status(struct fastpath *fp, char uplink[IF_NAMESIZE], uint64_t *out, size_t n)
{
	(void)fp, (void)out, (void)n;
	uplink[0] = '\0';
	return HS_ESYS;
}
