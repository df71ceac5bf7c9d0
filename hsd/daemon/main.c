/* main.c - hsd: the per-host HyperSpector daemon. */
#include "daemon.h"
#include "disk.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "check.h"

#include <getopt.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hsd [--join CLUSTER.json --host NAME] [--state-dir DIR] [--run-dir DIR]\n"
		"           [--foreground] [--log-level error|warn|info|debug]\n"
		"\n"
		"Runs this host's spaces, monitors and mesh.  Without --join, a single-host\n"
		"cluster of this machine.\n"
		"\n"
		"  --join FILE       cluster description (see docs/cluster-json.md)\n"
		"  --host NAME       this host's name in FILE (default: the hostname)\n"
		"  --state-dir DIR   persistent state (default /var/lib/hsd)\n"
		"  --run-dir DIR     control socket and pid file (default /run/hsd)\n"
		"  --foreground      log to stderr instead of syslog\n"
		"  --log-level L     default info\n"
		"  --syslog-forward PATH  where server spaces' syslog goes (default /dev/log)\n"
		"  --subuid START:COUNT   host uids and gids for the spaces' user namespaces,\n"
		"                    65536 per space (default " USERNS_POOL_DEFAULT ")\n"
		"  --disk-reserve MIB  kept free on the state directory's file system for\n"
		"                    running spaces and the store; new work is refused when\n"
		"                    it is needed (default 32, 0: none)\n"
		"  --metrics ADDR:PORT  serve GET /metrics (Prometheus) there, e.g.\n"
		"                    127.0.0.1:9469 (default: off; hsctl metrics shows it)\n"
		"  --no-fastpath     published TCP ports go through the host's netfilter\n"
		"                    (DNAT) for every packet, not only for new connections\n"
		"                    (docs/networking.md, \"Fast path\")\n"
		"  --check           validate cluster.json and the key, print what this host\n"
		"                    would do (links, ports, state), change nothing\n"
		"  --version         print the version\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "join", required_argument, NULL, 'j' },
		{ "host", required_argument, NULL, 'H' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "syslog-forward", required_argument, NULL, 'S' },
		{ "subuid", required_argument, NULL, 'u' },
		{ "disk-reserve", required_argument, NULL, 'D' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "no-fastpath", no_argument, NULL, 'F' },
		{ "check", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct hsd_options opt = {
		.state_dir = "/var/lib/hsd",
		.run_dir = "/run/hsd",
		.log_level = LOG_LVL_INFO,
		.syslog_forward = "/dev/log",
		.disk_reserve_mib = DISK_RESERVE_MIB_DEFAULT,
	};
	char err[HS_ERRLEN], hostname[256];
	struct hsd d;
	int c, rc;
	bool check = false;

	userns_pool_parse(USERNS_POOL_DEFAULT, &opt.pool, NULL, 0);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': opt.join = optarg; break;
		case 'H': opt.host = optarg; break;
		case 's': opt.state_dir = optarg; break;
		case 'r': opt.run_dir = optarg; break;
		case 'f': opt.foreground = true; break;
		case 'S': opt.syslog_forward = optarg; break;
		case 'u':
			if (userns_pool_parse(optarg, &opt.pool, err, sizeof(err))) {
				fprintf(stderr, "hsd: %s\n", err);
				return 2;
			}
			break;
		case 'l':
			if ((opt.log_level = log_level_parse(optarg)) < 0) {
				fprintf(stderr, "hsd: --log-level: unknown level \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'D': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 0 || v > 65536) {
				fprintf(stderr, "hsd: --disk-reserve: want MiB, 0..65536\n");
				return 2;
			}
			opt.disk_reserve_mib = (int)v;
			break;
		}
		case 'M': {
			struct sockaddr_storage ss;
			char why[HS_ERRLEN];
			if (metrics_http_parse(optarg, &ss, why, sizeof(why))) {
				fprintf(stderr, "hsd: %s\n", why);
				return 2;
			}
			opt.metrics = optarg;
			break;
		}
		case 'F': opt.no_fastpath = true; break;
		case 'C': check = true; break;
		case 'V': printf("hsd %s\n", HSD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "hsd: %s: unknown option or missing value (see hsd --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hsd: unexpected argument \"%s\" (see hsd --help)\n", argv[optind]);
		return 2;
	}
	if (opt.join && !opt.host) {
		if (gethostname(hostname, sizeof(hostname) - 1)) {
			fprintf(stderr, "hsd: --host: not given and no hostname\n");
			return 2;
		}
		hostname[sizeof(hostname) - 1] = 0;
		opt.host = hostname;
	}
	if (check) {
		if ((rc = hsd_check(&opt, stdout, err, sizeof(err))))
			fprintf(stderr, "hsd: %s\n", err);
		return err_exit_code(rc);
	}
	log_open("hsd", opt.foreground, (enum log_level)opt.log_level);
	if ((rc = hsd_init(&d, &opt, err, sizeof(err)))) {
		fprintf(stderr, "hsd: %s\n", err);
		if (!opt.foreground)
			log_error("%s", err);
		hsd_free(&d);
		log_close();
		return err_exit_code(rc);
	}
	hsd_run(&d);
	hsd_free(&d);
	log_info("stopped");
	log_close();
	return 0;
}
