/* AF_INET sockets on lwIP's netconn API (lwIP 2.1.3, api_lib.c), with Linux's semantics.
 * Every netconn is non-blocking: a blocking call is a loop of non-blocking attempts that sleeps
 * on the readiness generation (fs/ready.c) in between, and gives up when a signal comes (EINTR
 * or a restart, signal(7)). The netconn callback only signals that generation (on data,
 * connections, acknowledged sends, errors); readiness itself is asked of lwIP when someone
 * polls: poll fetches the next received pbuf, datagram or connection and keeps it here until it
 * is read, so "readable" is never a guess. Linux's errno values follow
 * socket(7), tcp(7), udp(7) and the man pages of each call. */
#include <errno.h>

#include "fs/vfs.h"
#include "linux/process.h" /* ERESTARTSYS */
#include "lwip/api.h"
#include "lwip/priv/tcp_priv.h" /* tcp_active_pcbs */
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/udp.h"
#include "mote/mm.h"
#include "mote/net.h"
#include "mote/sched.h"
#include "mote/string.h"
#include "mote/x86.h"
#include "net/socket.h"
#include "net/socket_priv.h"

static bool used; /* a socket was made: the program's end waits for their last bytes */

/* ---- readiness ---- */

static void sock_event(struct netconn *conn, enum netconn_evt evt, u16_t len)
{
    /* A MINUS event is our own doing (we took data, a write filled the buffer): nothing a
     * waiter could want. Everything else may make someone ready. */
    if (evt != NETCONN_EVT_RCVMINUS && evt != NETCONN_EVT_SENDMINUS)
        file_ready_changed();
}

static uint64_t deadline_of(uint64_t timeo_ns)
{
    return timeo_ns ? rdtsc() + ns_to_tsc(timeo_ns) : 0;
}

/* Sleeps until the readiness generation moves past gen. Returns 0 to try again, -EAGAIN once
 * the deadline (TSC, 0 = none) has passed, or, when a signal interrupts the wait, what Linux's
 * sock_intr_errno answers: -ERESTARTSYS (restarted under SA_RESTART) without a timeout, -EINTR
 * with one (signal(7)). The caller returns that unless it already moved data. */
static int sock_wait(uint64_t gen, uint64_t deadline)
{
    if (deadline && rdtsc() >= deadline)
        return -EAGAIN;
    if (file_ready_wait(gen, deadline) == -ERESTARTSYS)
        return deadline ? -EINTR : -ERESTARTSYS;
    return !deadline || rdtsc() < deadline ? 0 : -EAGAIN;
}

static int errno_of(err_t e)
{
    switch (e) {
    case ERR_OK: return 0;
    case ERR_MEM: case ERR_BUF: return -ENOBUFS;
    case ERR_TIMEOUT: return -ETIMEDOUT;
    case ERR_RTE: return -ENETUNREACH;
    case ERR_INPROGRESS: return -EINPROGRESS;
    case ERR_WOULDBLOCK: return -EAGAIN;
    case ERR_USE: return -EADDRINUSE;
    case ERR_ALREADY: return -EALREADY;
    case ERR_ISCONN: return -EISCONN;
    case ERR_CONN: case ERR_CLSD: return -ENOTCONN;
    case ERR_IF: return -ENETDOWN;
    case ERR_ABRT: return -ECONNABORTED;
    case ERR_RST: return -ECONNRESET;
    default: return -EINVAL;
    }
}

/* A non-blocking connect has ended: connected, or so_error says why not. */
void sock_sync_connect(struct sock *s)
{
    if (!s->connecting || s->conn->state == NETCONN_CONNECT)
        return;
    s->connecting = false;
    err_t e = netconn_err(s->conn);
    if (e == ERR_OK && s->conn->pcb.tcp) {
        s->connected = true;
        return;
    }
    /* A RST answering the SYN is a refusal; lwIP aborts after its SYN retries (a timeout). */
    s->so_error = e == ERR_ABRT ? ETIMEDOUT : e == ERR_OK || e == ERR_RST ? ECONNREFUSED
                                                                          : -errno_of(e);
    s->reset = true;
}

/* Stream: makes s->rx hold received bytes if any have arrived; notes end of file and errors. */
static void fill_rx(struct sock *s)
{
    if (s->rx || s->rd_eof || s->reset || s->shut_rd || !s->connected)
        return;
    struct pbuf *p = NULL;
    err_t e = netconn_recv_tcp_pbuf_flags(s->conn, &p, NETCONN_DONTBLOCK);
    if (e == ERR_OK && p) {
        s->rx = p;
        s->rx_off = 0;
    } else if (e == ERR_OK || e == ERR_CLSD || e == ERR_CONN) {
        s->rd_eof = true;
    } else if (e != ERR_WOULDBLOCK) {
        s->rd_err = -errno_of(e);
        s->reset = true;
    }
}

static void fill_rxd(struct sock *s)
{
    if (s->rxd || s->shut_rd)
        return;
    struct netbuf *nb = NULL;
    if (netconn_recv(s->conn, &nb) == ERR_OK)
        s->rxd = nb;
}

static void fill_accept(struct sock *s)
{
    if (s->pending || s->acc_err)
        return;
    struct netconn *nc = NULL;
    err_t e = netconn_accept(s->conn, &nc);
    if (e == ERR_OK)
        s->pending = nc;
    else if (e != ERR_WOULDBLOCK)
        s->acc_err = e == ERR_ABRT ? ECONNABORTED : -errno_of(e);
}

/* Stream: room in the send buffer, by lwIP's own "writable" thresholds (what its sent
 * callback signals on). */
static bool tcp_writable(struct sock *s)
{
    bool w = true; /* a dead connection: a write fails at once */
    LOCK_TCPIP_CORE();
    struct tcp_pcb *pcb = s->conn->pcb.tcp;
    if (pcb)
        w = tcp_sndbuf(pcb) > TCP_SNDLOWAT && tcp_sndqueuelen(pcb) < TCP_SNDQUEUELOWAT;
    UNLOCK_TCPIP_CORE();
    return w;
}

unsigned sock_poll(struct sock *s)
{
    unsigned r = 0;
    if (s->type == SOCK_DGRAM) {
        fill_rxd(s);
        return POLLOUT | (s->rxd ? POLLIN : 0);
    }
    if (s->listening) {
        fill_accept(s);
        return s->pending || s->acc_err ? POLLIN : 0;
    }
    sock_sync_connect(s);
    if (s->connecting)
        return 0;
    if (!s->connected) /* never connected, or the connect failed (Linux: TCP_CLOSE) */
        return POLLOUT | POLLHUP | (s->so_error ? POLLERR : 0) | (s->reset ? POLLIN : 0);
    fill_rx(s);
    if (s->rx || s->rd_eof || s->shut_rd || s->reset)
        r |= POLLIN;
    if (s->reset)
        r |= POLLOUT | POLLERR | POLLHUP;
    else if (!s->shut_wr && tcp_writable(s))
        r |= POLLOUT;
    if (s->rd_eof)
        r |= 0x2000; /* POLLRDHUP */
    if ((s->rd_eof || s->shut_rd) && s->shut_wr)
        r |= POLLHUP;
    return r;
}

int sock_readable_bytes(struct sock *s)
{
    sock_poll(s);
    if (s->type == SOCK_DGRAM)
        return s->rxd ? netbuf_len(s->rxd) : 0;
    return s->rx ? s->rx->tot_len - s->rx_off : 0;
}

/* ---- life ---- */

int sock_create(int type, struct sock **out)
{
    int rc = net_start();
    if (rc)
        return rc;
    struct sock *s = kzalloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->type = type;
    s->conn = netconn_new_with_callback(type == SOCK_STREAM ? NETCONN_TCP : NETCONN_UDP,
                                        sock_event);
    if (!s->conn) {
        kfree(s);
        return -ENOBUFS;
    }
    netconn_set_nonblocking(s->conn, 1);
    used = true;
    *out = s;
    return 0;
}

/* Whether a TCP connection still has bytes or a FIN of ours on the way. */
static bool tcp_sending(void)
{
    bool busy = false;
    LOCK_TCPIP_CORE();
    for (struct tcp_pcb *p = tcp_active_pcbs; p && !busy; p = p->next)
        busy = p->unsent || p->unacked || p->state == FIN_WAIT_1 || p->state == CLOSING ||
               p->state == LAST_ACK;
    UNLOCK_TCPIP_CORE();
    return busy;
}

void sock_exit_flush(void)
{
    if (!used)
        return;
    for (int i = 0; i < 200 && tcp_sending(); i++)
        thread_sleep_ns(10000000);
}

int sock_type(const struct sock *s)
{
    return s->type;
}

void sock_close(struct sock *s)
{
    if (s->rx)
        pbuf_free(s->rx);
    if (s->rxd)
        netbuf_delete(s->rxd);
    if (s->pending)
        netconn_delete(s->pending);
    netconn_delete(s->conn); /* TCP: an orderly close; the stack finishes sending */
    kfree(s);
}

/* ---- addresses ---- */

static void ip_of(ip_addr_t *ip, const struct sockaddr_in_k *a)
{
    ip_addr_set_ip4_u32(ip, a->addr);
}

int sock_bind(struct sock *s, const struct sockaddr_in_k *a)
{
    if (s->bound || s->connecting || s->connected || s->listening)
        return -EINVAL;
    ip_addr_t ip;
    ip_of(&ip, a);
    err_t e = netconn_bind(s->conn, &ip, lwip_ntohs(a->port));
    if (e != ERR_OK)
        return e == ERR_VAL ? -EINVAL : errno_of(e);
    s->bound = true;
    return 0;
}

int sock_name(struct sock *s, bool peer, struct sockaddr_in_k *a)
{
    memset(a, 0, sizeof(*a));
    a->family = AF_INET;
    if (peer && (s->type == SOCK_STREAM ? !s->connected || s->reset : !s->connected))
        return -ENOTCONN;
    ip_addr_t ip;
    u16_t port;
    if (netconn_getaddr(s->conn, &ip, &port, !peer) != ERR_OK)
        return peer ? -ENOTCONN : 0; /* a dead connection: 0.0.0.0:0 */
    a->addr = ip_addr_get_ip4_u32(&ip);
    a->port = lwip_htons(port);
    return 0;
}

/* ---- connections ---- */

int sock_listen(struct sock *s, int backlog)
{
    if (s->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    if (s->connected || s->connecting)
        return -EINVAL;
    /* lwIP aborts (RST) a connection that finds its listener's accept mailbox full, but drops
     * a SYN past the backlog (the client tries again): so the backlog never exceeds the
     * mailbox. Linux likewise caps it (somaxconn). */
    backlog = backlog < 1 ? 1 : MIN(backlog, DEFAULT_ACCEPTMBOX_SIZE);
    if (s->listening) {
        LOCK_TCPIP_CORE();
        if (s->conn->pcb.tcp)
            tcp_backlog_set(s->conn->pcb.tcp, (u8_t)backlog);
        UNLOCK_TCPIP_CORE();
        return 0;
    }
    if (!s->bound) { /* Linux binds an unbound listener to an ephemeral port */
        struct sockaddr_in_k any = {.family = AF_INET};
        int rc = sock_bind(s, &any);
        if (rc)
            return rc;
    }
    err_t e = netconn_listen_with_backlog(s->conn, (u8_t)backlog);
    if (e != ERR_OK)
        return errno_of(e);
    s->listening = true;
    return 0;
}

int sock_accept(struct sock *s, bool nonblock, struct sock **out, struct sockaddr_in_k *peer)
{
    if (!s->listening)
        return -EINVAL;
    uint64_t deadline = deadline_of(s->rcvtimeo_ns);
    for (;;) {
        uint64_t gen = file_ready_gen();
        fill_accept(s);
        if (s->acc_err) {
            int e = s->acc_err;
            s->acc_err = 0;
            return -e;
        }
        if (s->pending)
            break;
        int rc = nonblock ? -EAGAIN : sock_wait(gen, deadline);
        if (rc)
            return rc;
    }
    struct sock *n = kzalloc(sizeof(*n));
    if (!n)
        return -ENOMEM; /* the connection stays pending */
    n->conn = s->pending;
    s->pending = NULL;
    n->type = SOCK_STREAM;
    n->bound = n->connected = true;
    netconn_set_nonblocking(n->conn, 1);
    if (s->nodelay) {
        LOCK_TCPIP_CORE();
        if (n->conn->pcb.tcp)
            tcp_nagle_disable(n->conn->pcb.tcp);
        UNLOCK_TCPIP_CORE();
    }
    n->nodelay = s->nodelay;
    n->rcvbuf = s->rcvbuf;
    n->sndbuf = s->sndbuf;
    sock_name(n, true, peer);
    *out = n;
    return 0;
}

int sock_connect(struct sock *s, const struct sockaddr_in_k *a, bool nonblock)
{
    ip_addr_t ip;
    ip_of(&ip, a);
    if (s->type == SOCK_DGRAM) {
        if (a->family == AF_UNSPEC) {
            if (s->connected)
                netconn_disconnect(s->conn);
            s->connected = false;
            return 0;
        }
        err_t e = netconn_connect(s->conn, &ip, lwip_ntohs(a->port));
        if (e != ERR_OK)
            return errno_of(e);
        s->connected = s->bound = true;
        return 0;
    }
    if (s->listening || s->connected)
        return -EISCONN;
    if (!s->connecting) {
        if (a->family != AF_INET)
            return -EAFNOSUPPORT;
        if (s->reset) /* a failed connect leaves no pcb behind in lwIP */
            return -ECONNABORTED;
        err_t e = netconn_connect(s->conn, &ip, lwip_ntohs(a->port));
        if (e != ERR_OK && e != ERR_INPROGRESS)
            return errno_of(e);
        s->connecting = true;
        s->bound = true;
        if (nonblock)
            return -EINPROGRESS;
    } else if (nonblock) {
        return -EALREADY;
    }
    uint64_t deadline = deadline_of(s->sndtimeo_ns);
    for (;;) {
        uint64_t gen = file_ready_gen();
        sock_sync_connect(s);
        if (!s->connecting)
            break;
        int rc = sock_wait(gen, deadline); /* interrupted: the handshake goes on */
        if (rc)
            return rc == -EAGAIN ? -EINPROGRESS : rc; /* Linux: timed out by SO_SNDTIMEO */
    }
    if (s->connected)
        return 0;
    int e = s->so_error;
    s->so_error = 0;
    return -e;
}

int sock_shutdown(struct sock *s, int how)
{
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    if (s->type == SOCK_STREAM)
        sock_sync_connect(s);
    if (!s->connected && !s->listening)
        return -ENOTCONN;
    bool rd = how != SHUT_WR, wr = how != SHUT_RD;
    /* SHUT_RD stays ours: lwIP would answer later data with a RST, Linux does not. */
    if (s->type == SOCK_STREAM && wr && !s->shut_wr && !s->reset && !s->listening) {
        err_t e = netconn_shutdown(s->conn, 0, 1);
        if (e != ERR_OK && e != ERR_CONN && e != ERR_CLSD)
            return errno_of(e);
    }
    s->shut_rd |= rd;
    s->shut_wr |= wr;
    file_ready_changed();
    return 0;
}

/* ---- data ---- */

static size_t iov_total(const struct kiov *iov, int n)
{
    size_t t = 0;
    for (int i = 0; i < n; i++)
        t += iov[i].len;
    return t;
}

/* Copies len bytes of pbuf chain p from offset off into the vector, starting skip bytes in. */
static void iov_from_pbuf(const struct kiov *iov, int n, size_t skip, struct pbuf *p, size_t off,
                          size_t len)
{
    for (int i = 0; i < n && len; i++) {
        if (skip >= iov[i].len) {
            skip -= iov[i].len;
            continue;
        }
        size_t k = MIN(iov[i].len - skip, len);
        pbuf_copy_partial(p, (uint8_t *)iov[i].base + skip, (u16_t)k, (u16_t)off);
        off += k;
        len -= k;
        skip = 0;
    }
}

static long stream_send_vec(struct sock *s, struct kiov *v, int n, size_t total, int flags,
                         bool nonblock, uint64_t deadline);

static long stream_send(struct sock *s, const struct kiov *iov, int n, int flags, bool nonblock)
{
    uint64_t deadline = deadline_of(s->sndtimeo_ns);
    while (s->connecting) { /* Linux waits for the handshake, or says EAGAIN */
        uint64_t gen = file_ready_gen();
        sock_sync_connect(s);
        if (!s->connecting)
            break;
        int rc = nonblock ? -EAGAIN : sock_wait(gen, deadline);
        if (rc)
            return rc;
    }
    if (!s->connected || s->shut_wr)
        return -EPIPE;
    size_t total = iov_total(iov, n);
    /* A copy of the vector to advance through (the caller's stays as it was). */
    struct kiov small[8], *v = n <= 8 ? small : kmalloc(sizeof(*v) * (size_t)n);
    if (!v)
        return -ENOMEM;
    memcpy(v, iov, sizeof(*iov) * (size_t)n);
    long rc = stream_send_vec(s, v, n, total, flags, nonblock, deadline);
    if (v != small)
        kfree(v);
    return rc;
}

static long stream_send_vec(struct sock *s, struct kiov *v, int n, size_t total, int flags,
                         bool nonblock, uint64_t deadline)
{
    size_t done = 0;
    int first = 0;
    u8_t apiflags = NETCONN_COPY | NETCONN_DONTBLOCK | ((flags & MSG_MORE) ? NETCONN_MORE : 0);
    while (done < total) {
        uint64_t gen = file_ready_gen();
        size_t w = 0;
        int cnt = MIN(n - first, 0xffff);
        err_t e = netconn_write_vectors_partly(s->conn, (struct netvector *)&v[first],
                                               (u16_t)cnt, apiflags, &w);
        if (e != ERR_OK && e != ERR_WOULDBLOCK) {
            if (done)
                return (long)done;
            s->reset = true;
            return e == ERR_RST ? -ECONNRESET : -EPIPE;
        }
        done += w;
        while (w && first < n) { /* skip what was taken */
            size_t k = MIN(w, v[first].len);
            v[first].base = (uint8_t *)v[first].base + k;
            v[first].len -= k;
            w -= k;
            if (!v[first].len)
                first++;
        }
        while (first < n && !v[first].len)
            first++;
        if (done == total)
            break;
        int rc = nonblock ? -EAGAIN : sock_wait(gen, deadline);
        if (rc)
            return done ? (long)done : rc; /* what was sent wins over EINTR */
    }
    return (long)done;
}

static long dgram_send(struct sock *s, const struct kiov *iov, int n,
                     const struct sockaddr_in_k *to)
{
    size_t total = iov_total(iov, n);
    if (total > 65507)
        return -EMSGSIZE;
    if (!to && !s->connected)
        return -EDESTADDRREQ;
    if (s->shut_wr)
        return -EPIPE;
    struct netbuf *nb = netbuf_new();
    if (!nb)
        return -ENOBUFS;
    uint8_t *data = netbuf_alloc(nb, (u16_t)total);
    if (!data && total) {
        netbuf_delete(nb);
        return -ENOBUFS;
    }
    for (int i = 0; i < n; i++) {
        memcpy(data, iov[i].base, iov[i].len);
        data += iov[i].len;
    }
    err_t e;
    if (to) {
        ip_addr_t ip;
        ip_of(&ip, to);
        e = netconn_sendto(s->conn, nb, &ip, lwip_ntohs(to->port));
    } else {
        e = netconn_send(s->conn, nb);
    }
    netbuf_delete(nb);
    if (e != ERR_OK)
        return e == ERR_VAL ? -EINVAL : errno_of(e);
    s->bound = true;
    return (long)total;
}

long sock_send(struct sock *s, const struct kiov *iov, int n, int flags,
               const struct sockaddr_in_k *to, bool nonblock)
{
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    nonblock |= (flags & MSG_DONTWAIT) != 0;
    if (s->type == SOCK_DGRAM)
        return dgram_send(s, iov, n, to && to->family == AF_UNSPEC ? NULL : to);
    return stream_send(s, iov, n, flags, nonblock);
}

static long stream_recv(struct sock *s, const struct kiov *iov, int n, int flags, bool nonblock)
{
    sock_sync_connect(s);
    if (s->listening || (!s->connected && !s->connecting))
        return -ENOTCONN;
    size_t total = iov_total(iov, n), done = 0;
    if (total == 0)
        return 0;
    uint64_t deadline = deadline_of(s->rcvtimeo_ns);
    for (;;) {
        uint64_t gen = file_ready_gen();
        sock_sync_connect(s);
        fill_rx(s);
        if (s->rx) {
            size_t avail = s->rx->tot_len - s->rx_off, k = MIN(avail, total - done);
            iov_from_pbuf(iov, n, done, s->rx, s->rx_off, k);
            done += k;
            if (flags & MSG_PEEK)
                return (long)done;
            if (k == avail) {
                pbuf_free(s->rx);
                s->rx = NULL;
            } else {
                s->rx_off = (uint16_t)(s->rx_off + k);
            }
            if (done == total)
                return (long)done;
            continue; /* more may be queued already */
        }
        if (done && !(flags & MSG_WAITALL))
            return (long)done;
        if (s->rd_err) {
            if (done)
                return (long)done;
            int e = s->rd_err;
            s->rd_err = 0;
            s->rd_eof = true;
            return -e;
        }
        if (s->rd_eof || s->shut_rd || s->reset)
            return (long)done;
        int rc = nonblock ? -EAGAIN : sock_wait(gen, deadline);
        if (rc)
            return done ? (long)done : rc; /* what was read wins over EINTR */
    }
}

static long dgram_recv(struct sock *s, const struct kiov *iov, int n, int flags,
                     struct sockaddr_in_k *from, int *mflags, bool nonblock)
{
    uint64_t deadline = deadline_of(s->rcvtimeo_ns);
    for (;;) {
        uint64_t gen = file_ready_gen();
        fill_rxd(s);
        if (s->rxd)
            break;
        if (s->shut_rd)
            return 0;
        int rc = nonblock ? -EAGAIN : sock_wait(gen, deadline);
        if (rc)
            return rc;
    }
    struct netbuf *nb = s->rxd;
    size_t len = netbuf_len(nb), total = iov_total(iov, n);
    iov_from_pbuf(iov, n, 0, nb->p, 0, MIN(len, total));
    if (from) {
        memset(from, 0, sizeof(*from));
        from->family = AF_INET;
        from->addr = ip_addr_get_ip4_u32(netbuf_fromaddr(nb));
        from->port = lwip_htons(netbuf_fromport(nb));
    }
    if (mflags && len > total)
        *mflags |= MSG_TRUNC;
    if (!(flags & MSG_PEEK)) {
        netbuf_delete(nb);
        s->rxd = NULL;
    }
    return (long)((flags & MSG_TRUNC) ? len : MIN(len, total));
}

long sock_recv(struct sock *s, const struct kiov *iov, int n, int flags,
               struct sockaddr_in_k *from, int *mflags, bool nonblock)
{
    if (flags & MSG_OOB)
        return -EINVAL; /* no urgent data is kept inline or out of it */
    nonblock |= (flags & MSG_DONTWAIT) != 0;
    if (s->type == SOCK_DGRAM)
        return dgram_recv(s, iov, n, flags, from, mflags, nonblock);
    return stream_recv(s, iov, n, flags, nonblock);
}
