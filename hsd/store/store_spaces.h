/* store_spaces.h - the spaces and publish tables. */
#ifndef HS_STORE_SPACES_H
#define HS_STORE_SPACES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define SPACE_ROW_NAME 33

struct space_row {
	char name[SPACE_ROW_NAME];
	char kind[8];                /* "server" | "audit" */
	char parent[SPACE_ROW_NAME]; /* "" = the base */
	char state[16];              /* "starting" | "running" | "stopped" */
	int64_t created_at;          /* unix ms */
	int64_t pid;                 /* init, 0 when not running */
	uint64_t pid_start;
	int64_t netidx;              /* link network number, -1 for none */
	json_t *spec;                /* {"argv": [...], "memory": N, "pids": N} */
	char cmd_exit[224];          /* "" | "exited N" | "killed SIG" | "failed: REASON" (009) */
};

struct publish_row {
	char space[SPACE_ROW_NAME];
	char proto[4]; /* "tcp" | "udp" */
	int host_port, port;
};

void space_row_clear(struct space_row *r);
void space_rows_free(struct space_row *rows, size_t n);

/* Insert a space and its published ports in one transaction.  A host port
 * already taken makes the whole insert fail (HS_EINPUT naming the owner). */
int store_space_insert(struct store *st, const struct space_row *r,
		       const struct publish_row *pub, size_t npub, char *err,
		       size_t errlen);
/* 1 and *out filled if found, 0 if not. */
int store_space_get(struct store *st, const char *name, struct space_row *out,
		    char *err, size_t errlen);
int store_space_list(struct store *st, struct space_row **out, size_t *n,
		     char *err, size_t errlen);
int store_space_set_state(struct store *st, const char *name, const char *state,
			  int64_t pid, uint64_t pid_start, char *err, size_t errlen);
/* What became of a running space's command (migration 009): text as in
 * space_row.cmd_exit.  A "failed: ..." already there is kept. */
int store_space_set_exit(struct store *st, const char *name, const char *text,
			 char *err, size_t errlen);
int store_space_set_parent(struct store *st, const char *name, const char *parent,
			   char *err, size_t errlen);
int store_space_delete(struct store *st, const char *name, char *err, size_t errlen);
/* Names of the spaces that inherit from name (malloc'd, comma-separated;
 * NULL when none). */
int store_space_children(struct store *st, const char *name, char **out,
			 char *err, size_t errlen);
/* The lowest link network number no space uses. */
int store_space_free_netidx(struct store *st, int64_t *out, char *err, size_t errlen);

/* Published ports: of one space (space != NULL) or of all. */
int store_publish_list(struct store *st, const char *space,
		       struct publish_row **out, size_t *n, char *err, size_t errlen);
/* Who publishes proto/host_port: 1 and owner filled, or 0. */
int store_publish_owner(struct store *st, const char *proto, int host_port,
			char *owner, size_t len, char *err, size_t errlen);

/* Monitors: audit space -> server spaces it watches. */
int store_monitor_add(struct store *st, const char *audit, const char *server,
		      char *err, size_t errlen);
/* The other side of every pair matching audit (server == NULL) or server
 * (audit == NULL), as a JSON array of names (new reference). */
int store_monitor_list(struct store *st, const char *audit, const char *server,
		       json_t **out, char *err, size_t errlen);

#endif
