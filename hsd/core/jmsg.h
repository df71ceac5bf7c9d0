/* jmsg.h - pieces of one-line messages about JSON input. */
#ifndef HS_JMSG_H
#define HS_JMSG_H

#include <jansson.h>
#include <stddef.h>

/* Copy s into buf with control and non-ASCII bytes escaped (\xNN), cut
 * short with "...": a message stays one printable line whatever the input
 * holds.  Returns buf. */
const char *jmsg_quote(const char *s, char *buf, size_t buflen);
/* "an object", "a string", ... for "must be a string, got an array". */
const char *jmsg_type(const json_t *v);

#endif
