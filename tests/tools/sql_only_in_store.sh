#!/bin/sh
# sql_only_in_store.sh SOURCE_DIR: SQLite is called from hsd/store/ only
# (docs/ARCHITECTURE.md, "Store"); prints each call found elsewhere.
cd "$1" || exit 2
! grep -rn --include='*.c' --include='*.h' 'sqlite3_[a-z]' hsd proto hsroute | grep -v '^hsd/store/'
