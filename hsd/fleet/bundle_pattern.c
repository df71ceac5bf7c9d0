/* bundle_pattern.c - how far an alert pattern can grow inside regcomp.
 *
 * glibc's regcomp copies the tree of a repeated piece once per repetition
 * ("x+" becomes "xx*", "x{3}" three copies), so repetitions of repetitions
 * multiply: "A" followed by a hundred "+" asked the fuzzer's hsd for more
 * than 2 GiB before regcomp returned.  A bundle's pattern is checked here
 * first: the size its expansion can reach is estimated from the syntax
 * (each piece's size times its repetition factor, summed over sequences
 * and alternatives, multiplied through nested groups) and a pattern past
 * the limit is refused, in bounded time, before regcomp sees it.  So is
 * a repetition stacked right on another ("a++", "a+?"): POSIX leaves it
 * undefined, and the fuzzer found glibc taking seconds on a pattern of
 * them well inside the size limit.
 */
#include "bundle_int.h"
#include "err.h"

#include <ctype.h>
#include <stdlib.h>

#define SAT(x, lim) ((x) > (lim) ? (lim) + 1 : (x))

struct pat {
	const char *s;
	size_t limit;
	int depth;
	bool stacked; /* a repetition right after a repetition */
};

static size_t pat_seq(struct pat *p);

/* An interval's largest count, "{n}", "{n,}" or "{n,m}"; p->s is past
 * the "{" on entry, past the "}" on return. */
static size_t pat_interval(struct pat *p)
{
	size_t n = 0, m = 0;
	bool comma = false;

	for (; *p->s && *p->s != '}'; p->s++) {
		if (*p->s == ',') {
			comma = true;
		} else if (isdigit((unsigned char)*p->s)) {
			size_t *v = comma ? &m : &n;
			*v = SAT(*v * 10 + (size_t)(*p->s - '0'), p->limit);
		}
	}
	if (*p->s == '}')
		p->s++;
	/* "{n,}" is n copies and a star */
	return comma && m ? m : n + 1;
}

/* One atom: a group, a bracket expression, an escaped or plain char. */
static size_t pat_atom(struct pat *p)
{
	char c = *p->s++;

	if (c == '(') {
		if (p->depth == 32)
			return p->limit + 1; /* deeper than any pattern needs */
		p->depth++;
		size_t n = pat_seq(p);
		p->depth--;
		if (*p->s == ')')
			p->s++;
		return n ? n : 1;
	}
	if (c == '[') {
		/* "[]...]" and "[^]...]" hold a literal ']' first. */
		if (*p->s == '^')
			p->s++;
		if (*p->s == ']')
			p->s++;
		while (*p->s && *p->s != ']')
			p->s++;
		if (*p->s)
			p->s++;
		return 1;
	}
	if (c == '\\' && *p->s)
		p->s++;
	return 1;
}

/* A sequence of pieces and alternatives, up to ")" or the end. */
static size_t pat_seq(struct pat *p)
{
	size_t total = 0;

	while (*p->s && *p->s != ')') {
		if (*p->s == '|') {
			p->s++;
			continue;
		}
		size_t n = pat_atom(p);
		for (int reps = 0;; reps++) {
			size_t f;
			if (*p->s == '+')
				f = 2;
			else if (*p->s == '*' || *p->s == '?')
				f = 1;
			else if (*p->s == '{' && isdigit((unsigned char)p->s[1]))
				f = 0;
			else
				break;
			/* "a++", "a+?", "a{2}*": undefined in POSIX EREs, of no
			 * use to an IDS, and what makes glibc's regcomp slowest. */
			if (reps)
				p->stacked = true;
			if (f) {
				p->s++;
			} else {
				p->s++;
				f = pat_interval(p);
			}
			n = SAT(n * f, p->limit);
		}
		total = SAT(total + n, p->limit);
	}
	return total;
}

int bundle_pattern_check(const char *re, size_t limit, char *err, size_t errlen)
{
	struct pat p = { re, limit, 0, false };
	size_t n = 0;

	while (*p.s) {
		n = SAT(n + pat_seq(&p), limit);
		if (*p.s == ')')
			p.s++; /* unbalanced: regcomp says so */
	}
	if (p.stacked)
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: alert.pattern: a repetition of a repetition (\"a++\", "
			       "\"a+?\", \"a{2}*\") is refused");
	if (n > limit)
		return err_set(err, errlen, HS_EINPUT,
			       "bundle.json: alert.pattern: repetitions of repetitions expand past %zu "
			       "pieces (regcomp copies each repeated part)", limit);
	return 0;
}
