/* peer_result.h - the result of a call to another host, as the route
 * engine hands it to hsd: not JSON, but the fields a fixed schema per
 * command names, in the schema's order.
 *
 * The engine reads the other host's reply, checks its MAC and parses its
 * JSON; then peer_result_encode keeps only the fields the command's schema
 * lists (a key it does not know is dropped, a known key of the wrong type
 * or over its bound fails the call) and writes them as records.  hsd
 * decodes the records against the same schema and builds the JSON its
 * callers take (peer_result_decode): no field name, type or length comes
 * from the other host.
 *
 * Records, host byte order: per field of the schema, u8 present, then
 * str: u32 length and the bytes (UTF-8, no NUL); int: i64; bool: u8 0/1;
 * objs: u32 count, each an object of the sub-schema; strs: u32 count, each
 * a str.  Pure: unit-tested and fuzzed.
 */
#ifndef HS_PEER_RESULT_H
#define HS_PEER_RESULT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Encode result (a JSON object) for cmd (enum peer_cmd_id): 0, HS_EINPUT
 * naming the field, or HS_ESYS. */
int peer_result_encode(uint32_t cmd, const json_t *result, uint8_t **out, size_t *outlen,
		       char *err, size_t errlen);

/* Decode records for cmd into a new JSON object: 0, or HS_EINPUT naming
 * what is wrong (every length and count is checked first), or HS_ESYS. */
int peer_result_decode(uint32_t cmd, const uint8_t *buf, size_t len, json_t **out, char *err,
		       size_t errlen);

#endif
