/* The socket layer's private parts (net/socket.c, net/sockopt.c): the socket itself. */
#ifndef NET_SOCKET_PRIV_H
#define NET_SOCKET_PRIV_H

#include "lwip/api.h"
#include "mote/types.h"

struct sock {
    struct netconn *conn;
    int type;
    bool bound, listening, connecting, connected;
    bool shut_rd, shut_wr;
    bool rd_eof;     /* stream: the peer's FIN was read (or the connection died) */
    bool reset;      /* stream: the connection died (reset, aborted) */
    int rd_err;      /* stream: the error to report on the next read (once) */
    int so_error;    /* SO_ERROR: a failed non-blocking connect */
    bool nodelay;    /* TCP_NODELAY, kept for listeners (their pcb has no flags) */
    struct pbuf *rx; /* stream: received bytes not read yet, from rx_off */
    uint16_t rx_off;
    struct netbuf *rxd;      /* datagram: the next one */
    struct netconn *pending; /* listener: the next connection */
    int acc_err;             /* listener: an aborted connection to report */
    int rcvbuf, sndbuf;      /* SO_RCVBUF / SO_SNDBUF as set (doubled, as Linux does) */
    uint64_t rcvtimeo_ns, sndtimeo_ns;
};

/* A non-blocking connect that has ended becomes connected, or leaves so_error. */
void sock_sync_connect(struct sock *s);

#endif
