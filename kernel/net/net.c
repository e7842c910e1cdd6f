/* The network stack's start and the boot-time configuration (mote/net.h): lwIP's tcpip thread
 * and loopback come up once, on the first need (a network device at boot, or the socket layer);
 * devices registered by drivers become eth0, eth1, ... and are configured from ip= / --ip=. */
#include <errno.h>

#include "core/cmdline.h"
#include "fs/vfs.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/tcpip.h"
#include "mote/bootchart.h"
#include "mote/net.h"
#include "mote/power.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/x86.h"
#include "net/config.h"

#define EXIT_BAD_NET_CONFIG 2
#define DHCP_WAIT_MS 10000

static struct net_dev *devs, **devs_tail = &devs;
static unsigned ndevs;

int net_dev_add(struct net_dev *d)
{
    if (ndevs >= 100)
        return -ENOMEM;
    char *s = str_put(d->name, "eth");
    if (ndevs >= 10)
        *s++ = (char)('0' + ndevs / 10);
    *s++ = (char)('0' + ndevs % 10);
    *s = '\0';
    d->next = NULL;
    *devs_tail = d;
    devs_tail = &d->next;
    ndevs++;
    return 0;
}

unsigned net_dev_count(void)
{
    return ndevs;
}

struct net_dev *net_dev_find(const char *name)
{
    for (struct net_dev *d = devs; d; d = d->next)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

/* ---- starting lwIP ---- */

static struct mutex start_lock = MUTEX_INIT;
static volatile bool started;
static sys_sem_t started_sem;

static void tcpip_ready(void *arg)
{
    sys_sem_signal(&started_sem);
}

/* Adds d to lwIP, down and without an address; called with the core lock held. lwIP numbers
 * its interfaces by name+num ("et0"); our names are the Linux ones. */
static int add_netif(struct net_dev *d)
{
    struct netif *n = &d->netif;
    if (!netif_add(n, NULL, NULL, NULL, d, d->init, tcpip_input))
        return -EIO;
    n->name[0] = 'e';
    n->name[1] = 't';
    return 0;
}

int net_start(void)
{
    if (started)
        return 0;
    mutex_lock(&start_lock);
    int rc = 0;
    if (!started) {
        sys_sem_new(&started_sem, 0);
        tcpip_init(tcpip_ready, NULL);
        sys_sem_wait(&started_sem);
        LOCK_TCPIP_CORE();
        for (struct net_dev *d = devs; d && !rc; d = d->next)
            rc = add_netif(d);
        UNLOCK_TCPIP_CORE();
        if (rc)
            pr_err("net: cannot add the network interfaces to lwIP\n");
        started = true;
        pr_info("net: lwIP %s up, %u interface(s)\n", LWIP_VERSION_STRING, ndevs);
    }
    mutex_unlock(&start_lock);
    return rc;
}

/* ---- boot configuration ---- */

static __noreturn void bad_config(const char *why)
{
    pr_err("net: %s\n", why);
    power_off(EXIT_BAD_NET_CONFIG);
}

static void to_ip4(ip4_addr_t *a, uint32_t host_order)
{
    ip4_addr_set_u32(a, lwip_htonl(host_order));
}

static void ip_str(char *buf, uint32_t a)
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* Up with a static address, or DHCP started; called with the core lock held. */
static void configure(struct net_dev *d, const struct net_iface_config *f, const char *host)
{
    struct netif *n = &d->netif;
    if (host[0])
        netif_set_hostname(n, host);
    if (!f->dhcp) {
        ip4_addr_t a, m, g;
        to_ip4(&a, f->addr);
        to_ip4(&m, f->mask);
        ip4_addr_set_zero(&g);
        netif_set_addr(n, &a, &m, &g);
    }
    netif_set_up(n);
    if (d->link_up)
        netif_set_link_up(n);
    if (f->dhcp && dhcp_start(n) != ERR_OK)
        pr_err("net: %s: cannot start DHCP\n", d->name);
}

/* Waits (without the core lock) until every DHCP interface has a lease, up to DHCP_WAIT_MS. */
static void wait_dhcp(struct net_dev **wait, unsigned n)
{
    uint64_t deadline = rdtsc() + ns_to_tsc((uint64_t)DHCP_WAIT_MS * 1000000);
    for (unsigned i = 0; i < n; i++) {
        while (!dhcp_supplied_address(&wait[i]->netif) && rdtsc() < deadline)
            thread_sleep_ns(10 * 1000000);
        if (!dhcp_supplied_address(&wait[i]->netif))
            pr_warn("net: %s: no DHCP lease after %u s (still asking)\n", wait[i]->name,
                    DHCP_WAIT_MS / 1000);
    }
}

static void print_config(struct net_dev *d)
{
    char a[16], m[16], g[16];
    ip_str(a, lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&d->netif))));
    ip_str(m, lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&d->netif))));
    ip_str(g, lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&d->netif))));
    pr_info("net: %s %02x:%02x:%02x:%02x:%02x:%02x %s/%s gw %s%s\n", d->name, d->mac[0],
            d->mac[1], d->mac[2], d->mac[3], d->mac[4], d->mac[5], a, m, g,
            d->link_up ? "" : " (link down)");
}

void net_init(struct cmdline *cl)
{
    struct net_config c;
    char why[160];
    net_config_init(&c);
    const char *ip = cmdline_param(cl, "ip");
    if (ip && net_config_parse_linux(&c, ip, why, sizeof(why)))
        bad_config(why);
    for (int i = 0; i < cl->nnet; i++)
        if (net_config_parse_osv(&c, cl->net[i], why, sizeof(why)))
            bad_config(why);
    cmdline_consume(cl, "ip");
    if (!ndevs) {
        if (c.nifaces) {
            snprintf(why, sizeof(why), "%s: no network device", ip ? "ip=" : "--ip=");
            bad_config(why);
        }
        return;
    }
    if (net_start())
        panic("net: lwIP did not start");

    /* Check every named device before touching any. */
    struct net_dev *of[NET_CONFIG_MAX_IFACES];
    for (unsigned i = 0; i < c.nifaces; i++) {
        const char *name = c.ifaces[i].dev[0] ? c.ifaces[i].dev : "eth0";
        if (!(of[i] = net_dev_find(name))) {
            snprintf(why, sizeof(why), "no network device %s (%u found)", name, ndevs);
            bad_config(why);
        }
    }
    struct net_dev *wait[NET_CONFIG_MAX_IFACES];
    unsigned nwait = 0;
    LOCK_TCPIP_CORE();
    for (unsigned i = 0; i < c.nifaces && !c.off; i++) {
        configure(of[i], &c.ifaces[i], c.host);
        if (c.ifaces[i].dhcp)
            wait[nwait++] = of[i];
    }
    if (c.gw && !c.off) {
        /* The default route: the interface whose subnet holds the gateway, else the first. */
        struct net_dev *def = of[0];
        for (unsigned i = 0; i < c.nifaces; i++)
            if (!c.ifaces[i].dhcp && (c.gw & c.ifaces[i].mask) == (c.ifaces[i].addr & c.ifaces[i].mask))
                def = of[i];
        if (def) {
            ip4_addr_t g;
            to_ip4(&g, c.gw);
            netif_set_gw(&def->netif, &g);
            netif_set_default(&def->netif);
        }
    } else if (c.nifaces && !c.off) {
        netif_set_default(&of[0]->netif);
    }
    for (unsigned i = 0; i < c.ndns; i++) {
        ip_addr_t s;
        to_ip4(ip_2_ip4(&s), c.dns[i]);
        dns_setserver((u8_t)i, &s);
    }
    UNLOCK_TCPIP_CORE();
    wait_dhcp(wait, nwait);
    for (unsigned i = 0; i < c.nifaces && !c.off; i++)
        print_config(of[i]);
    bootchart_stage("Network initialized");
}

void net_write_resolv_conf(void)
{
    if (!started)
        return;
    char buf[2 * 32], addr[IP4ADDR_STRLEN_MAX];
    size_t n = 0;
    LOCK_TCPIP_CORE();
    for (u8_t i = 0; i < DNS_MAX_SERVERS; i++) {
        const ip_addr_t *s = dns_getserver(i);
        if (!ip_addr_isany(s))
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "nameserver %s\n",
                                  ip4addr_ntoa_r(ip_2_ip4(s), addr, sizeof(addr)));
    }
    UNLOCK_TCPIP_CORE();
    struct inode *ino;
    if (!n || vfs_lookup(vfs_root(), "/etc/resolv.conf", LOOKUP_FOLLOW, &ino) == 0)
        return; /* no name server, or the image brings its own file */
    ino = vfs_make_path("/etc/resolv.conf", S_IFREG | 0644);
    if (!ino || ramfs_write(ino, buf, n, 0) != (long)n)
        pr_warn("net: cannot write /etc/resolv.conf\n");
}
