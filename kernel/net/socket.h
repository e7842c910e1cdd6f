/* The socket layer (net/socket.c): AF_INET stream and datagram sockets over lwIP's netconn API,
 * with Linux's semantics and errno values. Callers (linux/sys_socket.c) pass kernel copies of
 * addresses and checked user buffers. Functions return 0 (or a byte count) or a negative errno.
 * Readiness changes are signalled through file_ready_changed() (fs/ready.c). */
#ifndef NET_SOCKET_H
#define NET_SOCKET_H

#include "mote/types.h"

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_TYPE_MASK 0xf
#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

/* Linux's struct sockaddr_in: port and address in network order. */
struct sockaddr_in_k {
    uint16_t family;
    uint16_t port;
    uint32_t addr;
    uint8_t zero[8];
};
_Static_assert(sizeof(struct sockaddr_in_k) == 16, "sockaddr_in is 16 bytes");

/* One buffer of a transfer: struct iovec's layout (and lwIP's struct netvector's). */
struct kiov {
    void *base;
    size_t len;
};

struct sock;

/* type: SOCK_STREAM or SOCK_DGRAM. Starts the stack on first use (net_start). */
int sock_create(int type, struct sock **out);
void sock_close(struct sock *s);
int sock_type(const struct sock *s);

int sock_bind(struct sock *s, const struct sockaddr_in_k *a);
int sock_listen(struct sock *s, int backlog);
/* The next connection (*out, a new socket) and its peer address. */
int sock_accept(struct sock *s, bool nonblock, struct sock **out, struct sockaddr_in_k *peer);
/* AF_UNSPEC dissolves a datagram socket's association. Blocking: waits for the handshake. */
int sock_connect(struct sock *s, const struct sockaddr_in_k *a, bool nonblock);
/* to: a datagram's destination (NULL: the connected peer). -EPIPE: the caller raises SIGPIPE
 * unless MSG_NOSIGNAL. */
long sock_send(struct sock *s, const struct kiov *iov, int n, int flags,
               const struct sockaddr_in_k *to, bool nonblock);
/* from (may be NULL) gets a datagram's source; *mflags (may be NULL) gets MSG_TRUNC. */
long sock_recv(struct sock *s, const struct kiov *iov, int n, int flags,
               struct sockaddr_in_k *from, int *mflags, bool nonblock);
int sock_shutdown(struct sock *s, int how);
int sock_name(struct sock *s, bool peer, struct sockaddr_in_k *a);
/* Options: val is a kernel copy of the user's bytes (len of them); getsockopt fills at most
 * *len bytes and sets *len. */
int sock_setopt(struct sock *s, int level, int name, const void *val, unsigned len);
int sock_getopt(struct sock *s, int level, int name, void *val, unsigned *len);
/* At the program's end, before power-off (its sockets closed): waits, two seconds at most, until
 * TCP has delivered what the program sent, FINs included, as Linux would go on doing after the
 * process is gone. Returns at once if the program made no socket. */
void sock_exit_flush(void);
/* POLL* bits ready now. */
unsigned sock_poll(struct sock *s);
/* Bytes (stream) or the next datagram's size ready to read, for FIONREAD. */
int sock_readable_bytes(struct sock *s);

#endif
