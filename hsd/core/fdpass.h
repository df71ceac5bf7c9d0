/* fdpass.h - hand a file descriptor to another process over a Unix
 * socket: one byte of data carrying the fd as SCM_RIGHTS. */
#ifndef HS_FDPASS_H
#define HS_FDPASS_H

/* Send fd over sock without blocking (flags added to MSG_NOSIGNAL).
 * 0, or -errno (EAGAIN: the receiver is not reading; EPIPE: it is gone). */
int fdpass_send(int sock, int fd, int flags);
/* Receive one message without blocking.  1 with *fd set (close-on-exec),
 * 0 when a byte came without an fd, -ENOTCONN at EOF, -errno else. */
int fdpass_recv(int sock, int *fd);

#endif
