/* suggest.c - "did you mean": the known word nearest a mistyped one. */
#include "hsctl.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SUGGEST_MAX 32 /* longer words are never a typo of a command */

/* Edits (insert, delete, replace, swap two neighbours) from a to b. */
static size_t distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];

	if (n > SUGGEST_MAX || m > SUGGEST_MAX)
		return SIZE_MAX;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

const char *hsctl_suggest(const char *word, const char *const *names)
{
	/* One edit in a short word, two in a longer one: more is another word. */
	size_t limit = strlen(word) <= 4 ? 1 : 2, best = SIZE_MAX;
	const char *pick = NULL;

	for (; *names; names++) {
		size_t dist = distance(word, *names);
		if (dist <= limit && dist < best) {
			best = dist;
			pick = *names;
		}
	}
	return pick;
}

int hsctl_unknown(const char *where, const char *what, const char *word,
		  const char *const *names)
{
	const char *s = hsctl_suggest(word, names);

	if (s)
		fprintf(stderr, "%s: unknown %s \"%s\" (did you mean \"%s\"?)\n", where, what, word, s);
	else
		fprintf(stderr, "%s: unknown %s \"%s\" (see %s --help)\n", where, what, word, where);
	return 2;
}
