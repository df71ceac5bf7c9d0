#!/bin/sh
# hsroute_exports.sh LIB: every symbol the archive defines for others is
# hsr_-prefixed, so nothing of hsroute's can clash with hsd's own names
# (route_add, link_find ...).  Prints the others and fails on any.
nm -g --defined-only "$1" | awk 'NF == 3 && $3 !~ /^hsr_/ { print "not hsr_-prefixed: " $3; bad = 1 }
	END { exit bad }'
