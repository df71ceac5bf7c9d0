/* hs_escape.h - what the escape attempts' two files share. */
#ifndef HS_ESCAPE_H
#define HS_ESCAPE_H

#include <stdbool.h>

#define UNUSED __attribute__((unused))

extern const char *attempt;

/* Print the verdict line; return the exit code (0: it succeeded). */
int verdict(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A syscall's result: >= 0 is success, else refused with errno's text. */
int sysres(const char *what, long rc);
/* For calls made to fail after the kernel's checks: anything but EPERM
 * reached the kernel. */
int reached(const char *what, long rc);
int setup_fail(const char *what);
long num(const char *s);
bool file_has(const char *path, const char *needle, const char *skip);

/* hs_escape_net.c: the network, resources, and running attempts inside a
 * space's Landlock domain. */
int a_tcp(char **av);
int a_spoof(char **av);
int a_udprecv(char **av);
int a_forkmany(char **av);
int a_memhog(char **av);
int a_fill(char **av);
int a_serve(char **av);
int a_call(char **av);

#endif
