/* Socket options (setsockopt(2)/getsockopt(2), socket(7), tcp(7), ip(7)) for net/socket.c's
 * sockets: the ones lwIP has (pcb option bits, Nagle, keepalive timing, TOS/TTL) go to the pcb
 * under the core lock; buffer sizes and timeouts are kept in the socket. */
#include <errno.h>

#include "lwip/priv/tcp_priv.h" /* TCP_KEEP*_DEFAULT */
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "mote/string.h"
#include "net/socket.h"
#include "net/socket_priv.h"

/* Option numbers (asm-generic/socket.h, linux/tcp.h, linux/in.h). */
#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define IP_TOS 1
#define IP_TTL 2
#define UDP_RCVBUF_DEFAULT 212992 /* Linux's rmem_default */

static int int_opt(const void *val, unsigned len, int *out)
{
    if (len < sizeof(int))
        return -EINVAL;
    memcpy(out, val, sizeof(int));
    return 0;
}

/* struct timeval {sec, usec} as SO_RCVTIMEO takes it; 0 = no timeout. */
static int time_opt(const void *val, unsigned len, uint64_t *ns)
{
    int64_t tv[2];
    if (len < sizeof(tv))
        return -EINVAL;
    memcpy(tv, val, sizeof(tv));
    if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
        return -EDOM;
    *ns = (uint64_t)MIN(tv[0], 1000000000) * 1000000000 + (uint64_t)tv[1] * 1000;
    return 0;
}

/* Sets or clears an ip_pcb option bit (SOF_*), under the core lock. */
static void pcb_option(struct sock *s, u8_t opt, bool on)
{
    LOCK_TCPIP_CORE();
    if (s->conn->pcb.ip) {
        if (on)
            ip_set_option(s->conn->pcb.ip, opt);
        else
            ip_reset_option(s->conn->pcb.ip, opt);
    }
    UNLOCK_TCPIP_CORE();
}

int sock_setopt(struct sock *s, int level, int name, const void *val, unsigned len)
{
    int v = 0, rc;
    bool tcp = s->type == SOCK_STREAM;
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO))
        return time_opt(val, len, name == SO_RCVTIMEO ? &s->rcvtimeo_ns : &s->sndtimeo_ns);
    if (level == SOL_SOCKET && name == SO_LINGER)
        return len < 8 ? -EINVAL : 0; /* closing always lingers in the background */
    if ((rc = int_opt(val, len, &v)))
        return rc;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: pcb_option(s, SOF_REUSEADDR, v); return 0;
        case SO_KEEPALIVE: pcb_option(s, SOF_KEEPALIVE, v); return 0;
        case SO_BROADCAST: pcb_option(s, SOF_BROADCAST, v); return 0;
        case SO_REUSEPORT: return 0; /* accepted; lwIP has no port sharing to offer */
        case SO_RCVBUF:
        case SO_SNDBUF:
            v = v < 1152 ? 2304 : v > 0x3fffffff ? 0x7ffffffe : v * 2; /* as Linux does */
            if (name == SO_SNDBUF) {
                s->sndbuf = v;
            } else {
                s->rcvbuf = v;
                if (!tcp) /* lwIP bounds a datagram queue by bytes; TCP's window is fixed */
                    netconn_set_recvbufsize(s->conn, v);
            }
            return 0;
        case SO_TYPE: case SO_ERROR: case SO_ACCEPTCONN: case SO_PROTOCOL: case SO_DOMAIN:
            return -ENOPROTOOPT;
        default: return -ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_TCP) {
        if (!tcp)
            return -ENOPROTOOPT;
        LOCK_TCPIP_CORE();
        struct tcp_pcb *pcb = s->listening ? NULL : s->conn->pcb.tcp;
        rc = 0;
        switch (name) {
        case TCP_NODELAY:
            s->nodelay = v != 0;
            if (pcb && v)
                tcp_nagle_disable(pcb);
            else if (pcb)
                tcp_nagle_enable(pcb);
            break;
        case TCP_KEEPIDLE: case TCP_KEEPINTVL: case TCP_KEEPCNT:
            if (v < 1 || v > 32767) {
                rc = -EINVAL;
                break;
            }
            if (pcb && name == TCP_KEEPIDLE)
                pcb->keep_idle = (u32_t)v * 1000;
            else if (pcb && name == TCP_KEEPINTVL)
                pcb->keep_intvl = (u32_t)v * 1000;
            else if (pcb)
                pcb->keep_cnt = (u32_t)v;
            break;
        case TCP_MAXSEG: break; /* the MSS is the stack's */
        default: rc = -ENOPROTOOPT;
        }
        UNLOCK_TCPIP_CORE();
        return rc;
    }
    if (level == IPPROTO_IP) {
        if (name != IP_TOS && name != IP_TTL)
            return -ENOPROTOOPT;
        if (v < 0 || v > 255)
            return -EINVAL;
        LOCK_TCPIP_CORE();
        if (s->conn->pcb.ip && name == IP_TOS)
            s->conn->pcb.ip->tos = (u8_t)v;
        else if (s->conn->pcb.ip)
            s->conn->pcb.ip->ttl = (u8_t)v;
        UNLOCK_TCPIP_CORE();
        return 0;
    }
    return tcp ? -EOPNOTSUPP : -ENOPROTOOPT;
}

static int pcb_has(struct sock *s, u8_t opt)
{
    LOCK_TCPIP_CORE();
    int v = s->conn->pcb.ip ? ip_get_option(s->conn->pcb.ip, opt) != 0 : 0;
    UNLOCK_TCPIP_CORE();
    return v;
}

int sock_getopt(struct sock *s, int level, int name, void *val, unsigned *len)
{
    int v;
    bool tcp = s->type == SOCK_STREAM;
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        uint64_t ns = name == SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns;
        int64_t tv[2] = {(int64_t)(ns / 1000000000), (int64_t)(ns % 1000000000 / 1000)};
        *len = MIN(*len, sizeof(tv));
        memcpy(val, tv, *len);
        return 0;
    }
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: v = pcb_has(s, SOF_REUSEADDR); break;
        case SO_KEEPALIVE: v = pcb_has(s, SOF_KEEPALIVE); break;
        case SO_BROADCAST: v = pcb_has(s, SOF_BROADCAST); break;
        case SO_REUSEPORT: v = 0; break;
        case SO_TYPE: v = s->type; break;
        case SO_PROTOCOL: v = tcp ? IPPROTO_TCP : IPPROTO_UDP; break;
        case SO_DOMAIN: v = AF_INET; break;
        case SO_ACCEPTCONN: v = s->listening; break;
        case SO_ERROR:
            if (tcp)
                sock_sync_connect(s);
            v = s->so_error;
            s->so_error = 0;
            break;
        case SO_SNDBUF: v = s->sndbuf ? s->sndbuf : tcp ? TCP_SND_BUF : UDP_RCVBUF_DEFAULT; break;
        case SO_RCVBUF: v = s->rcvbuf ? s->rcvbuf : tcp ? TCP_WND : UDP_RCVBUF_DEFAULT; break;
        case SO_LINGER: {
            int l[2] = {0, 0};
            *len = MIN(*len, sizeof(l));
            memcpy(val, l, *len);
            return 0;
        }
        default: return -ENOPROTOOPT;
        }
    } else if (level == IPPROTO_TCP) {
        if (!tcp)
            return -ENOPROTOOPT;
        LOCK_TCPIP_CORE();
        struct tcp_pcb *pcb = s->listening ? NULL : s->conn->pcb.tcp;
        switch (name) {
        case TCP_NODELAY: v = pcb ? tcp_nagle_disabled(pcb) != 0 : s->nodelay; break;
        case TCP_MAXSEG: v = pcb ? tcp_mss(pcb) : TCP_MSS; break;
        case TCP_KEEPIDLE:
            v = (int)((pcb ? pcb->keep_idle : TCP_KEEPIDLE_DEFAULT) / 1000);
            break;
        case TCP_KEEPINTVL:
            v = (int)((pcb ? pcb->keep_intvl : TCP_KEEPINTVL_DEFAULT) / 1000);
            break;
        case TCP_KEEPCNT: v = pcb ? (int)pcb->keep_cnt : (int)TCP_KEEPCNT_DEFAULT; break;
        default: v = -1;
        }
        UNLOCK_TCPIP_CORE();
        if (v < 0)
            return -ENOPROTOOPT;
    } else if (level == IPPROTO_IP) {
        if (name != IP_TOS && name != IP_TTL)
            return -ENOPROTOOPT;
        LOCK_TCPIP_CORE();
        v = !s->conn->pcb.ip ? 0 : name == IP_TOS ? s->conn->pcb.ip->tos : s->conn->pcb.ip->ttl;
        UNLOCK_TCPIP_CORE();
    } else {
        return tcp ? -EOPNOTSUPP : -ENOPROTOOPT;
    }
    *len = MIN(*len, sizeof(int));
    memcpy(val, &v, *len);
    return 0;
}
