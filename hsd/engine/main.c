/* main.c - hsengine: hsd's unprivileged route engine (engine.h). */
#include "engine.h"
#include "engine_peer.h"
#include "err.h"

#include <jansson.h>
#include <sodium.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char err[HS_ERRLEN];
	struct stat st;
	int rc;

	(void)argv;
	/* Not a moment longer than hsd: a new hsd binds the same peer port,
	 * and a lingering engine would keep it.  (Set here, not by hsd: a
	 * change of uid clears it.)  The channel's end covers the rest. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Only hsd starts it, and never as root: the confinement starts with
	 * the uid hsd gave it (hsd/daemon/mesh/engine_sup.c). */
	if (argc != 1 || getuid() == 0 || geteuid() == 0 || fstat(ENGINE_CHAN_FD, &st) ||
	    !S_ISSOCK(st.st_mode) || fstat(ENGINE_ROUTE_FD, &st) || !S_ISSOCK(st.st_mode) ||
	    fstat(ENGINE_PEER_FD, &st) || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "hsengine: started by hsd only: an unprivileged uid, the channel "
				"on fd %d, the route socket on fd %d, the peer socket on fd %d\n",
			ENGINE_CHAN_FD, ENGINE_ROUTE_FD, ENGINE_PEER_FD);
		return 2;
	}
	/* Nothing else of hsd's reaches the engine, even by mistake; and it
	 * is exec'd from an fd, so it names itself for ps and pgrep. */
	syscall(SYS_close_range, ENGINE_PEER_FD + 1, ~0u, 0);
	prctl(PR_SET_NAME, "hsengine", 0, 0, 0);
	/* Whatever reads randomness does it now, before the sandbox: jansson
	 * seeds its hash tables, libsodium picks its implementations. */
	json_object_seed(0);
	if (sodium_init() < 0) {
		fprintf(stderr, "hsengine: libsodium cannot start\n");
		return 1;
	}
	if ((rc = engine_sandbox(err, sizeof(err))) ||
	    (rc = engine_run(ENGINE_CHAN_FD, ENGINE_ROUTE_FD, ENGINE_PEER_FD, err, sizeof(err)))) {
		fprintf(stderr, "hsengine: %s\n", err);
		return 1;
	}
	return 0;
}
