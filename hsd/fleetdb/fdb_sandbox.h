/* fdb_sandbox.h - what hsfleetdb may still do once it runs. */
#ifndef HS_FDB_SANDBOX_H
#define HS_FDB_SANDBOX_H

#include <stddef.h>

/* Before any thread: not dumpable, no_new_privs, the Landlock domain of
 * the data directory (the working directory) and Raft's port, then the
 * seccomp allow-list.  Returns 0 or an HS_E* code with err filled. */
int fdb_confine(char *err, size_t errlen);

/* The allow-list alone (no_new_privs must be set): for tests. */
int fdb_seccomp(char *err, size_t errlen);

#endif
