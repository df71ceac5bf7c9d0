/* exec_relay.h - hsctl's relay for `hsctl space exec` (exec_relay.c). */
#ifndef HS_EXEC_RELAY_H
#define HS_EXEC_RELAY_H

#include "spexec.h"

/* Relay until the command has exited and its output is read; its exit
 * status (128 + signal when killed) into *status.  -1 on a relay failure. */
int exec_relay(struct spexec_proc *p, int *status);

#endif
