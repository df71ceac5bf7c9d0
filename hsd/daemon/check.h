/* check.h - hsd --check: what hsd would start with, validated and told,
 * with nothing changed (check.c). */
#ifndef HS_CHECK_H
#define HS_CHECK_H

#include <stddef.h>
#include <stdio.h>

struct hsd_options;

/* 0 and the plan on out; or an hs_rc and one line naming what is wrong. */
int hsd_check(const struct hsd_options *opt, FILE *out, char *err, size_t errlen);

#endif
