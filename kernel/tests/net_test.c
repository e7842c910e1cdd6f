/* `--test=net`: the network stack on the device the command line configured (ip=, --ip=). Checks
 * the interface is up with an address, then serves until the host is done: the stack answers
 * ARP and ping by itself; this suite adds a UDP echo and a TCP echo on port 7 (lwIP's raw API,
 * no socket layer) so the host can push data both ways through the driver. A UDP datagram
 * "quit" on port 9 ends the suite; --test-arg=seconds=N (default 120) bounds the wait;
 * --test-arg=serve=no stops after the checks (the DHCP test).
 * The host's side is tests/integration/test_net_qemu.py. */
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/udp.h"
#include "mote/ktest.h"
#include "mote/net.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"

#define SUITE "net"
#define ECHO_PORT 7
#define QUIT_PORT 9

static volatile bool quit;
static sys_sem_t quit_sem;
static unsigned udp_echoed, tcp_conns;
static uint64_t tcp_bytes;

static void udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                     u16_t port)
{
    if (udp_sendto(pcb, p, addr, port) == ERR_OK)
        udp_echoed++;
    pbuf_free(p);
}

static void udp_quit(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                     u16_t port)
{
    if (p->tot_len >= 4 && pbuf_memcmp(p, 0, "quit", 4) == 0 && !quit) {
        quit = true;
        sys_sem_signal(&quit_sem);
    }
    pbuf_free(p);
}

/* TCP echo: what arrives is written back; the window opens as the send buffer takes it. */
static err_t tcp_echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    if (!p) {
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        tcp_close(pcb);
        return ERR_OK;
    }
    if (tcp_sndbuf(pcb) < p->tot_len)
        return ERR_MEM; /* lwIP keeps p and offers it again */
    for (struct pbuf *q = p; q; q = q->next)
        if (tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY) != ERR_OK)
            return ERR_MEM;
    tcp_recved(pcb, p->tot_len);
    tcp_bytes += p->tot_len;
    tcp_output(pcb);
    pbuf_free(p);
    return ERR_OK;
}

static err_t tcp_echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    tcp_conns++;
    tcp_recv(pcb, tcp_echo_recv);
    return ERR_OK;
}

void ktest_net(void)
{
    struct net_dev *d = net_dev_find("eth0");
    CHECK("a network device", d != NULL, "none found");
    if (!d)
        return;
    sys_sem_new(&quit_sem, 0);
    LOCK_TCPIP_CORE();
    bool up = netif_is_up(&d->netif) && !ip4_addr_isany_val(*netif_ip4_addr(&d->netif));
    struct udp_pcb *u = udp_new(), *uq = udp_new();
    struct tcp_pcb *t = tcp_new();
    bool bound = u && uq && t && udp_bind(u, IP_ADDR_ANY, ECHO_PORT) == ERR_OK &&
                 udp_bind(uq, IP_ADDR_ANY, QUIT_PORT) == ERR_OK &&
                 tcp_bind(t, IP_ADDR_ANY, ECHO_PORT) == ERR_OK;
    struct tcp_pcb *l = bound ? tcp_listen(t) : NULL;
    if (l) {
        udp_recv(u, udp_echo, NULL);
        udp_recv(uq, udp_quit, NULL);
        tcp_accept(l, tcp_echo_accept);
    }
    UNLOCK_TCPIP_CORE();
    CHECK("eth0 up with an address", up, "no address");
    CHECK("echo services", l != NULL, "cannot bind port 7");
    const ip4_addr_t *a = netif_ip4_addr(&d->netif), *m = netif_ip4_netmask(&d->netif),
                     *g = netif_ip4_gw(&d->netif);
    char as[16], ms[16], gs[16];
    pr_err("test %s: %s %s/%s gw %s\n", SUITE, d->name, ip4addr_ntoa_r(a, as, sizeof(as)),
           ip4addr_ntoa_r(m, ms, sizeof(ms)), ip4addr_ntoa_r(g, gs, sizeof(gs)));
    const char *serve = ktest_arg("serve");
    if (!l || (serve && strcmp(serve, "no") == 0))
        return;

    uint64_t seconds = 120;
    const char *s = ktest_arg("seconds");
    if (s)
        parse_u64(s, &seconds);
    pr_err("test %s: serving on %s\n", SUITE, d->name); /* the host waits for this line */
    /* Asleep until then: no wake-ups of ours in the host's measurements (bench/netpkt.py). */
    sys_arch_sem_wait(&quit_sem, (u32_t)(seconds * 1000));
    CHECK("the host said quit", quit, "timed out after %lu s", seconds);
    pr_err("test %s: frames rx %lu tx %lu, dropped rx %lu tx %lu, refused while the ring was "
           "full %lu; udp echoed %u, tcp connections %u, %lu bytes echoed\n", SUITE,
           d->rx_frames, d->tx_frames, d->rx_drops, d->tx_drops, d->tx_busy, udp_echoed,
           tcp_conns, tcp_bytes);
    CHECK("no frame dropped", d->rx_drops == 0 && d->tx_drops == 0,
                "rx %lu tx %lu", d->rx_drops, d->tx_drops);
}
