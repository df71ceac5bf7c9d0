/* migrations.h - the schema migrations embedded from schema/NNN_*.sql. */
#ifndef HS_MIGRATIONS_H
#define HS_MIGRATIONS_H

struct migration {
	int version;      /* NNN of the file name; 1, 2, 3 ... without gaps */
	const char *name; /* file name, for messages */
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

#endif
