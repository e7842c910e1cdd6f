/* The network stack's kernel interface (kernel/net/): lwIP started on demand, network devices
 * (eth0, eth1, ... in discovery order) registered by their drivers, and the boot-time address
 * configuration (DESIGN.md boot step 8). The socket layer calls net_start and then lwIP's
 * netconn API, under lwIP's core lock (LOCK_TCPIP_CORE) where lwIP asks for it. */
#ifndef MOTE_NET_H
#define MOTE_NET_H

#include "lwip/netif.h"
#include "mote/types.h"

struct cmdline;

/* A network device as its driver hands it to the stack. The driver fills mac, mtu, init (lwIP's
 * netif init function: sets linkoutput, flags, checksum options) and priv before net_dev_add;
 * the stack names it and adds netif when it starts. */
struct net_dev {
    struct netif netif;
    char name[8];              /* "eth0" */
    uint8_t mac[6];
    uint16_t mtu;
    bool link_up;
    const char *transport;     /* the virtio device's name */
    netif_init_fn init;
    void *priv;
    uint64_t rx_frames, tx_frames, rx_drops, tx_drops; /* kept by the driver */
    uint64_t tx_busy;          /* frames refused while the transmit ring was full */
    struct net_dev *next;
};

/* Called by drivers at probe time (before net_init). Returns 0 or -ENOMEM. */
int net_dev_add(struct net_dev *d);
unsigned net_dev_count(void);
/* The device called name ("eth0"), or NULL. */
struct net_dev *net_dev_find(const char *name);

/* Starts lwIP once (the tcpip thread, the loopback interface, every device added so far, up
 * without an address): later calls return at once. Returns 0 or a negative errno. Callable from
 * any thread once the scheduler runs. */
int net_start(void);

/* Boot step 8: with a network device, starts the stack and configures it from the command line
 * (ip=, --ip=, --defaultgw=, --nameserver=; net/config.c), consuming those parameters. A
 * malformed value prints one line and powers off (as other bad command-line input does).
 * Without a device, an address option is an error too. */
void net_init(struct cmdline *cl);

/* Once the file tree exists: /etc/resolv.conf with the name servers (from ip=, --nameserver= or
 * DHCP) for the program's resolver, unless the image has that file already. */
void net_write_resolv_conf(void);

#endif
