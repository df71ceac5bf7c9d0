/*
 * bench_hsroute.c - hsroute on 1000-node graphs in the simulator.
 *
 * For each graph, runs the same scenario twice in one process: with the
 * feasibility condition (hsroute) and without it (RIP-like: split
 * horizon, poisoned reverse, triggered updates, nothing else), and
 * prints convergence times in virtual seconds, control traffic and the
 * number of forwarding loops seen after any event.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hsr_sim.h"

#define NODES		1000
#define EXTRA_LINKS	2000	/* + 999 tree links */
#define FAIL_LINKS	30
#define FAIL_NODES	5
#define STEP_MS		50
#define MAX_WAIT_MS	60000

struct phase {
	const char *name;
	double conv_s;		/* -1: not converged within MAX_WAIT_MS */
	double bytes_link_min;
	uint64_t loops;
};

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Runs until converged (or the limit); returns seconds since t0. */
static double
converge(struct hsr_sim *s, uint64_t t0)
{
	uint64_t t = hsr_sim_now(s);

	while (t < t0 + MAX_WAIT_MS) {
		t += STEP_MS;
		hsr_sim_run_until(s, t);
		if (hsr_sim_converged(s))
			return (double)(hsr_sim_converged_since(s) - t0) / 1000.0;
	}
	return -1;
}

/* Traffic over [now, now + win_ms], per link per minute. */
static double
traffic(struct hsr_sim *s, uint64_t win_ms, uint64_t *loops)
{
	struct hsr_sim_stats st;

	hsr_sim_reset_traffic(s);
	hsr_sim_run_until(s, hsr_sim_now(s) + win_ms);
	hsr_sim_stats(s, &st);
	*loops = st.loops;
	return (double)st.bytes_sent / hsr_sim_n_links(s) * 60000.0 / (double)win_ms;
}

static uint64_t
loops_now(struct hsr_sim *s)
{
	struct hsr_sim_stats st;

	hsr_sim_stats(s, &st);
	return st.loops;
}

/*
 * Measures one event: convergence from t0, then traffic and loops over
 * the 12 s window starting at t0 (longer if convergence takes longer).
 */
static void
measure(struct hsr_sim *s, struct phase *ph, const char *name, uint64_t t0)
{
	struct hsr_sim_stats st;
	uint64_t l0;

	hsr_sim_run_until(s, t0 - 1);
	hsr_sim_reset_traffic(s);
	l0 = loops_now(s);
	ph->name = name;
	ph->conv_s = converge(s, t0);
	if (hsr_sim_now(s) < t0 + 12000)
		hsr_sim_run_until(s, t0 + 12000);
	hsr_sim_stats(s, &st);
	ph->bytes_link_min = (double)st.bytes_sent / hsr_sim_n_links(s) *
	    60000.0 / (double)(hsr_sim_now(s) - t0 + 1);
	ph->loops = st.loops - l0;
}

static void
run(const char *graph, bool rip, struct phase *ph)
{
	struct hsr_sim_config c = { .n_nodes = NODES, .seed = 42 };
	struct hsr_sim *s;
	uint32_t fl[FAIL_LINKS], fn[FAIL_NODES];
	uint64_t rs = 7, t0, l0, l1;
	char err[128];

	c.router.flags = rip ? HSR_F_NO_FEASIBILITY : 0;
	if ((s = hsr_sim_create(&c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "sim: %s\n", err);
		exit(1);
	}
	if (graph[0] == 'r')
		hsr_sim_graph_random(s, EXTRA_LINKS, 100, 300, 2, 30, 1234);
	else
		hsr_sim_graph_grid(s, 40, 25, 256, 5);
	for (int i = 0; i < FAIL_LINKS; i++)
		fl[i] = (uint32_t)(rnd(&rs) % hsr_sim_n_links(s));
	for (int i = 0; i < FAIL_NODES; i++)
		fn[i] = (uint32_t)(rnd(&rs) % NODES);

	hsr_sim_start(s, 1);
	measure(s, &ph[0], "cold start (all nodes at t=0)", 1);

	hsr_sim_run_until(s, 12000);
	ph[1].name = "steady state (16 s window)";
	ph[1].conv_s = 0;
	l0 = loops_now(s);
	ph[1].bytes_link_min = traffic(s, 16000, &l1);
	ph[1].loops = l1 - l0;

	t0 = hsr_sim_now(s) + 1000;
	for (int i = 0; i < FAIL_LINKS; i++)
		hsr_sim_link_event(s, fl[i], false, t0);
	measure(s, &ph[2], "30 random links fail", t0);

	t0 = hsr_sim_now(s) + 1000;
	for (int i = 0; i < FAIL_NODES; i++)
		hsr_sim_node_event(s, fn[i], false, t0);
	measure(s, &ph[3], "5 random nodes stop", t0);

	t0 = hsr_sim_now(s) + 1000;
	for (int i = 0; i < FAIL_LINKS; i++)
		hsr_sim_link_event(s, fl[i], true, t0);
	for (int i = 0; i < FAIL_NODES; i++)
		hsr_sim_node_event(s, fn[i], true, t0);
	measure(s, &ph[4], "links and nodes restored", t0);

	hsr_sim_destroy(s);
}

struct job {
	const char *graph;
	bool rip;
	struct phase ph[8];
};

static struct job jobs[4];
static int next_job;
static pthread_mutex_t job_mu = PTHREAD_MUTEX_INITIALIZER;

/* Each simulator is self-contained, so runs go in parallel. */
static void *
worker(void *arg)
{
	(void)arg;
	for (;;) {
		int j;

		pthread_mutex_lock(&job_mu);
		j = next_job++;
		pthread_mutex_unlock(&job_mu);
		if (j >= 4)
			return NULL;
		run(jobs[j].graph, jobs[j].rip, jobs[j].ph);
	}
}

static void
fmt_conv(char *b, size_t n, double v)
{
	if (v < 0)
		snprintf(b, n, "> %d", MAX_WAIT_MS / 1000);
	else
		snprintf(b, n, "%.2f", v);
}

int
main(void)
{
	static const char *graphs[] = { "random 1000 nodes", "grid 40x25" };
	clock_t c0 = clock();
	time_t w0 = time(NULL);
	pthread_t th[2];

	for (int j = 0; j < 4; j++) {
		jobs[j].graph = graphs[j / 2];
		jobs[j].rip = j % 2;
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);

	printf("hsroute simulator benchmark: %d nodes, hello 1 s, dead 2.6 s, "
	    "periodic update 16 s, triggered updates batched 20 ms\n", NODES);
	printf("conv = virtual seconds until every router is on a shortest "
	    "path; bytes = payload per link per minute (both directions; add "
	    "60 B/packet of IP/UDP/WireGuard overhead)\n\n");
	for (int g = 0; g < 2; g++) {
		const struct phase *a = jobs[2 * g].ph, *b = jobs[2 * g + 1].ph;

		printf("%-39s | %-28s | %-28s\n", graphs[g],
		    "feasibility (hsroute)", "RIP-like (no feasibility)");
		printf("%-39s | %8s %11s %7s | %8s %11s %7s\n", "phase",
		    "conv s", "bytes/l/min", "loops", "conv s", "bytes/l/min",
		    "loops");
		for (int i = 0; i < 5; i++) {
			char ca[32], cb[32];

			fmt_conv(ca, sizeof(ca), a[i].conv_s);
			fmt_conv(cb, sizeof(cb), b[i].conv_s);
			printf("%-39s | %8s %11.0f %7" PRIu64 " | %8s %11.0f %7"
			    PRIu64 "\n", a[i].name, ca, a[i].bytes_link_min,
			    a[i].loops, cb, b[i].bytes_link_min, b[i].loops);
		}
		printf("\n");
	}
	printf("wall %ld s, cpu %.1f s (2 threads)\n", (long)(time(NULL) - w0),
	    (double)(clock() - c0) / CLOCKS_PER_SEC);
	return 0;
}
