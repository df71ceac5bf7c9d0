/* nftrun.h - run an nftables script through libnftables. */
#ifndef HS_NFTRUN_H
#define HS_NFTRUN_H

#include <stddef.h>

/* Run script in the calling thread's network namespace.  On failure err
 * is "WHAT: " and the first line of nft's own error.  *output, if output
 * is not NULL, gets a malloc'd copy of what nft printed. */
int nftrun_script(const char *script, const char *what, char **output, char *err,
		  size_t errlen);

#endif
