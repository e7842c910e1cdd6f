/* virtio-net (virtio 1.2 §5.1) under lwIP: one receive and one transmit queue, an lwIP netif per
 * device (net/net.c names it eth0, eth1, ...). Received frames stay in the buffers the device
 * wrote them into (custom pbufs, no copy); frames to send go out from lwIP's pbufs, the virtio
 * header written in the room lwIP leaves in front (PBUF_LINK_ENCAPSULATION_HLEN). Receive work
 * runs in lwIP's tcpip thread: the interrupt only schedules it, and one pass takes every frame
 * the device has, refills the ring and notifies the device at most once (event index). */
#include <errno.h>

#include "core/cmdline.h"
#include "lwip/etharp.h"
#include "netif/ethernet.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip4.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"
#include "mote/mm.h"
#include "mote/net.h"
#include "mote/printk.h"
#include "mote/random.h"
#include "mote/string.h"
#include "mote/virtio.h"

#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_QUEUE_MAX 256
#define VNET_TX_SEGS 16     /* descriptors a frame may take: header + pbuf chain */
#define VNET_RX_BATCH 32    /* frames taken from the used ring under one lock hold */
#define VNET_RX_MAXBUFS 16  /* buffers one frame may span (MRG_RXBUF) */
#define VNET_FRAME_MAX 1536 /* 1514 + a VLAN tag, rounded: no GSO is negotiated */
/* Receive buffers posted at boot (~190 instructions each: a device that is never used costs
 * little); a pass that takes half of the ring or more doubles it, up to the RAM-based target. */
#define VNET_RX_START 32

/* A receive buffer: the custom pbuf, then the virtio header right before the frame, at an offset
 * that leaves lwIP room to turn the frame around in place (an ICMP echo reply grows IP, Ethernet
 * and virtio headers back in front of the payload: pbuf_add_header's check). One 2 KiB heap
 * block, so it never crosses a page. */
#define RX_FRAME_OFF 80
struct rxbuf {
    struct pbuf_custom pc;
    struct vnet *v;
    struct rxbuf *next; /* on the spare list */
};
_Static_assert(sizeof(struct rxbuf) + 16 <= RX_FRAME_OFF - 12, "rxbuf header room");
#define RXBUF_BYTES (RX_FRAME_OFF + VNET_FRAME_MAX)

struct vnet {
    struct net_dev nd;
    struct virtio_device *vdev;
    spinlock_t lock;            /* both queues and the buffer counts */
    struct vq *rx, *tx;
    unsigned hdr_len;           /* 12 (VERSION_1 or MRG_RXBUF), else 10 */
    unsigned rx_target;         /* buffers the device should hold under load */
    unsigned rx_want;           /* ... and now: grows from VNET_RX_START with the traffic */
    unsigned rx_posted;         /* buffers the device holds */
    struct rxbuf *spare;        /* buffers back from lwIP while the ring was full: reused first */
    unsigned nspare;            /* at most VNET_RX_START */
    unsigned rx_len;            /* device-writable bytes a buffer: header + VNET_FRAME_MAX */
    bool mrg;                   /* MRG_RXBUF: a frame may span buffers (num_buffers) */
    bool irq, up, csum_tx, csum_rx, tx_full;
    bool in_poll;               /* transmit notifications wait for the end of the pass */
    volatile int poll_pending;
    struct tcpip_callback_msg *poll_msg;
    uint8_t *tx_hdrs;           /* a header per TX descriptor, for pbufs with no room in front */
    paddr_t tx_hdrs_pa;
};

/* ---- receive buffers ---- */

static void rxbuf_free(struct pbuf *p);

/* A buffer: a spare one, else a new one from the heap; called with the lock held. */
static struct rxbuf *rxbuf_new(struct vnet *v)
{
    struct rxbuf *b = v->spare;
    if (b) {
        v->spare = b->next;
        v->nspare--;
        return b;
    }
    b = kmalloc(RXBUF_BYTES);
    if (!b)
        return NULL;
    b->v = v;
    return b;
}

/* Hands b to the device; called with the lock held. */
static int rxbuf_post(struct vnet *v, struct rxbuf *b)
{
    struct vq_buf d = {virt_to_phys((char *)b + RX_FRAME_OFF - v->hdr_len), v->rx_len};
    int rc = vq_add(v->rx, &d, 0, 1, b);
    if (rc == 0)
        v->rx_posted++;
    return rc;
}

/* Tops the ring up to rx_want with new buffers; called with the lock held. */
static void rx_refill(struct vnet *v)
{
    while (v->rx_posted < v->rx_want && vq_free(v->rx)) {
        struct rxbuf *b = rxbuf_new(v);
        if (!b || rxbuf_post(v, b)) {
            kfree(b);
            break;
        }
    }
}

/* lwIP gave the last reference back (any thread): the buffer goes straight back to the device
 * while it holds fewer than it should, else to the spare list (a frame turned around in place
 * comes back after the refill that replaced it), else to the heap. */
static void rxbuf_free(struct pbuf *p)
{
    struct rxbuf *b = (struct rxbuf *)p;
    struct vnet *v = b->v;
    uint64_t flags = spin_lock(&v->lock);
    bool kick = false;
    if (v->rx_posted < v->rx_want && rxbuf_post(v, b) == 0) {
        kick = !v->in_poll && vq_kick_prepare(v->rx);
    } else if (v->nspare < VNET_RX_START) {
        b->next = v->spare;
        v->spare = b;
        v->nspare++;
    } else {
        kfree(b);
    }
    spin_unlock(&v->lock, flags);
    if (kick)
        vq_notify(v->rx);
}

/* A pbuf over the received bytes of b (the frame, or a continuation of one). */
static struct pbuf *rxbuf_pbuf(struct vnet *v, struct rxbuf *b, unsigned off, unsigned len)
{
    b->pc.custom_free_function = rxbuf_free;
    return pbuf_alloced_custom(PBUF_RAW, (u16_t)len, PBUF_RAM, &b->pc,
                               (char *)b + off, (u16_t)(RXBUF_BYTES - off));
}

/* ---- transmit ---- */

/* The device's completed frames, freed outside the lock (pbuf_free may call rxbuf_free, which
 * takes it). Called with the core lock held. */
static void tx_collect(struct vnet *v)
{
    struct pbuf *done[64];
    for (;;) {
        unsigned n = 0;
        uint64_t flags = spin_lock(&v->lock);
        struct pbuf *p;
        while (n < ARRAY_SIZE(done) && (p = vq_get(v->tx, NULL)))
            done[n++] = p;
        spin_unlock(&v->lock, flags);
        for (unsigned i = 0; i < n; i++)
            pbuf_free(done[i]);
        if (n < ARRAY_SIZE(done))
            return;
    }
}

/* Adds [va, va+len) to the descriptor list, split where kernel-virtual pages are not physically
 * contiguous (the heap's vmalloc area); returns false when it does not fit. */
static bool add_seg(struct vq_buf *bufs, unsigned *n, const void *va, unsigned len)
{
    uintptr_t a = (uintptr_t)va;
    bool direct = (a >= DIRECT_MAP && a < VMALLOC_START) || a >= KERNEL_VMA;
    while (len) {
        unsigned chunk = len;
        paddr_t pa;
        if (direct) {
            pa = virt_to_phys(va);
        } else {
            uint64_t *pte = pg_lookup(a);
            if (!pte || !(*pte & PTE_P))
                return false;
            pa = (*pte & PTE_ADDR) | (a & (PAGE_SIZE - 1));
            chunk = MIN(len, (unsigned)(PAGE_SIZE - (a & (PAGE_SIZE - 1))));
        }
        if (*n && bufs[*n - 1].addr + bufs[*n - 1].len == pa) {
            bufs[*n - 1].len += chunk;
        } else {
            if (*n == VNET_TX_SEGS)
                return false;
            bufs[*n].addr = pa;
            bufs[*n].len = chunk;
            (*n)++;
        }
        a += chunk;
        va = (const char *)va + chunk;
        len -= chunk;
    }
    return true;
}

/* Checksum offload (VIRTIO_NET_F_CSUM, §5.1.6.2): for TCP and UDP over IPv4 lwIP leaves the
 * checksum to us; the device completes it from csum_start on, seeded with the pseudo-header sum
 * we store in the checksum field. */
static void tx_csum(struct virtio_net_hdr *h, struct pbuf *p)
{
    uint8_t *f = p->payload;
    if (p->len < SIZEOF_ETH_HDR + IP_HLEN || f[12] != 0x08 || f[13] != 0x00)
        return;
    struct ip_hdr *ip = (struct ip_hdr *)(f + SIZEOF_ETH_HDR);
    unsigned ihl = IPH_HL_BYTES(ip);
    unsigned off;
    if (IPH_PROTO(ip) == IP_PROTO_TCP)
        off = 16;
    else if (IPH_PROTO(ip) == IP_PROTO_UDP)
        off = 6;
    else
        return;
    if ((IPH_OFFSET(ip) & PP_HTONS(IP_OFFMASK | IP_MF)) || p->len < SIZEOF_ETH_HDR + ihl + off + 2)
        return;
    unsigned l4 = lwip_ntohs(IPH_LEN(ip)) - ihl;
    uint64_t sum = (uint64_t)ip->src.addr + ip->dest.addr + lwip_htons(IPH_PROTO(ip)) +
                   lwip_htons((u16_t)l4);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    uint8_t *field = f + SIZEOF_ETH_HDR + ihl + off;
    field[0] = (uint8_t)sum;
    field[1] = (uint8_t)(sum >> 8);
    h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h->csum_start = (uint16_t)(SIZEOF_ETH_HDR + ihl);
    h->csum_offset = (uint16_t)off;
}

/* Hands frame p to the device: its pbufs as they are, the header in front of the first one (or
 * from the header table when there is no room); called with the core lock held. Returns 0,
 * -ENOSPC (ring full) or -EINVAL (too many pieces, or memory we cannot hand over). */
static int tx_add(struct vnet *v, struct pbuf *p)
{
    struct vq_buf bufs[VNET_TX_SEGS];
    unsigned n = 0;
    /* Room in front of the first pbuf: pbuf_add_header's test, without moving the payload. */
    bool inplace = (p->type_internal & PBUF_TYPE_FLAG_STRUCT_DATA_CONTIGUOUS) &&
                   (u8_t *)p->payload - v->hdr_len >= (u8_t *)p + LWIP_MEM_ALIGN_SIZE(sizeof(struct pbuf));
    uint64_t flags = spin_lock(&v->lock);
    if (!vq_free(v->tx)) {
        spin_unlock(&v->lock, flags);
        return -ENOSPC;
    }
    struct virtio_net_hdr *h;
    if (inplace) {
        h = (struct virtio_net_hdr *)((u8_t *)p->payload - v->hdr_len);
    } else {
        /* The header slot of the descriptor vq_add will take as the head. */
        uint16_t head = v->tx->free_head != VQ_NONE ? v->tx->free_head : v->tx->fresh;
        h = (struct virtio_net_hdr *)(v->tx_hdrs + (size_t)head * sizeof(*h));
        bufs[0].addr = v->tx_hdrs_pa + (size_t)head * sizeof(*h);
        bufs[0].len = v->hdr_len;
        n = 1;
    }
    memset(h, 0, v->hdr_len);
    if (v->csum_tx)
        tx_csum(h, p);
    bool ok = true;
    for (struct pbuf *q = p; q && ok; q = q->next) {
        if (q == p && inplace)
            ok = add_seg(bufs, &n, (char *)q->payload - v->hdr_len, q->len + v->hdr_len);
        else if (q->len)
            ok = add_seg(bufs, &n, q->payload, q->len);
    }
    int rc = ok ? vq_add(v->tx, bufs, n, 0, p) : -EINVAL;
    bool kick = false;
    if (rc == 0) {
        pbuf_ref(p); /* until the device is done with it */
        v->nd.tx_frames++;
        kick = !v->in_poll && vq_kick_prepare(v->tx);
    } else if (rc == -ENOSPC) {
        /* An interrupt when the device frees some; the pass then lets TCP send again. */
        v->tx_full = true;
        vq_enable_cb(v->tx);
    }
    spin_unlock(&v->lock, flags);
    if (kick)
        vq_notify(v->tx);
    return rc;
}

/* lwIP's linkoutput: called with the core lock held. */
static err_t vnet_linkoutput(struct netif *netif, struct pbuf *p)
{
    struct vnet *v = netif->state;
    tx_collect(v);
    int rc = tx_add(v, p);
    if (rc == -EINVAL) {
        /* Too many pieces or memory we cannot hand over: one copy, with room for the header. */
        struct pbuf *c = pbuf_alloc(PBUF_RAW_TX, p->tot_len, PBUF_RAM);
        rc = -ENOMEM;
        if (c && pbuf_copy(c, p) == ERR_OK)
            rc = tx_add(v, c);
        if (c)
            pbuf_free(c);
    }
    if (rc == -ENOSPC) {
        v->nd.tx_busy++; /* refused, not lost: lwIP's TCP sends it again (tcp_txnow) */
        return ERR_MEM;
    }
    if (rc) {
        v->nd.tx_drops++;
        return ERR_MEM;
    }
    return ERR_OK;
}

/* ---- the receive pass (tcpip thread, core lock held) ---- */

/* The per-frame checksum choice (GUEST_CSUM, §5.1.6.4): a frame the device vouches for
 * (DATA_VALID) or that a local sender left partial (NEEDS_CSUM) skips lwIP's TCP/UDP check. */
static void rx_csum_flags(struct vnet *v, const struct virtio_net_hdr *h)
{
    u16_t want = NETIF_CHECKSUM_ENABLE_ALL;
    if (v->csum_tx)
        want &= (u16_t)~(NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_GEN_UDP);
    if (h->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
        want &= (u16_t)~(NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP);
    v->nd.netif.chksum_flags = want;
}

/* Buffers of the frame whose first buffer is b (MRG_RXBUF's num_buffers, else 1). */
static unsigned frame_bufs(struct vnet *v, struct rxbuf *b)
{
    if (!v->mrg)
        return 1;
    const struct virtio_net_hdr *h =
        (const struct virtio_net_hdr *)((char *)b + RX_FRAME_OFF - v->hdr_len);
    return h->num_buffers ? h->num_buffers : 1;
}

/* One received frame: its n buffers (n > 1: MRG_RXBUF continuations, whole buffers of data)
 * as a pbuf chain, into lwIP; want is how many the header announced. A frame that is too short,
 * too long or incomplete is dropped. */
static void rx_frame(struct vnet *v, struct rxbuf **bufs, const uint32_t *lens, unsigned n,
                     unsigned want)
{
    struct rxbuf *b = bufs[0];
    struct pbuf *p;
    if (likely(n == 1 && want == 1)) {
        /* The usual frame, in one buffer (rx_len is at most the header and a whole frame). */
        if (unlikely(lens[0] < v->hdr_len + SIZEOF_ETH_HDR || lens[0] > v->rx_len))
            goto drop;
        p = rxbuf_pbuf(v, b, RX_FRAME_OFF, lens[0] - v->hdr_len);
    } else {
        uint32_t total = 0;
        bool ok = n == want;
        for (unsigned i = 0; i < n; i++) {
            ok = ok && lens[i] <= v->rx_len;
            total += lens[i];
        }
        if (!ok || lens[0] < v->hdr_len || total < v->hdr_len + SIZEOF_ETH_HDR ||
            total > v->hdr_len + VNET_FRAME_MAX)
            goto drop;
        p = rxbuf_pbuf(v, b, RX_FRAME_OFF, lens[0] - v->hdr_len);
        for (unsigned i = 1; i < n; i++)
            pbuf_cat(p, rxbuf_pbuf(v, bufs[i], RX_FRAME_OFF - v->hdr_len, lens[i]));
    }
    if (v->csum_rx)
        rx_csum_flags(v, (const struct virtio_net_hdr *)((char *)b + RX_FRAME_OFF - v->hdr_len));
    v->nd.rx_frames++;
    /* Straight into the stack: this is the tcpip thread, the core lock held (netif->input,
     * tcpip_input, would take it again). */
    if (ethernet_input(p, &v->nd.netif) != ERR_OK)
        pbuf_free(p);
    return;
drop:
    v->nd.rx_drops++;
    for (unsigned i = 0; i < n; i++)
        rxbuf_free(&bufs[i]->pc.pbuf);
}

static void vnet_poll(void *arg)
{
    struct vnet *v = arg;
    struct rxbuf *got[VNET_RX_BATCH + VNET_RX_MAXBUFS];
    uint32_t lens[VNET_RX_BATCH + VNET_RX_MAXBUFS];
    uint16_t want[VNET_RX_BATCH]; /* buffers each frame's header announced */
    unsigned taken = 0;
    v->in_poll = true;
    for (;;) {
        __atomic_store_n(&v->poll_pending, 0, __ATOMIC_RELEASE);
        /* Up to a batch of frames, each with all its buffers (the device publishes a frame's
         * buffers together, §5.1.6.4). */
        unsigned n = 0, frames = 0, left = 0;
        uint64_t flags = spin_lock(&v->lock);
        while (n < ARRAY_SIZE(got)) {
            if (!left && (frames == VNET_RX_BATCH || n + VNET_RX_MAXBUFS > ARRAY_SIZE(got)))
                break; /* a new frame only where all its buffers fit */
            if (!(got[n] = vq_get(v->rx, &lens[n])))
                break;
            if (left) {
                left--;
            } else {
                unsigned w = frame_bufs(v, got[n]);
                want[frames++] = (uint16_t)w;
                left = MIN(w, (unsigned)VNET_RX_MAXBUFS) - 1;
            }
            n++;
        }
        v->rx_posted -= n;
        taken += n;
        if (v->rx->broken || v->tx->broken)
            panic("virtio-net: %s: device returned a descriptor it was not given",
                  v->vdev->name);
        spin_unlock(&v->lock, flags);
        for (unsigned f = 0, i = 0; f < frames; f++) {
            unsigned k = MIN(MIN((unsigned)want[f], (unsigned)VNET_RX_MAXBUFS), n - i);
            rx_frame(v, &got[i], &lens[i], k, want[f]);
            i += k;
        }
        tx_collect(v);
        flags = spin_lock(&v->lock);
        rx_refill(v);
        if (frames == VNET_RX_BATCH) {
            spin_unlock(&v->lock, flags);
            continue;
        }
        bool more = v->irq && !vq_enable_cb(v->rx);
        bool tx_room = v->tx_full && vq_free(v->tx);
        if (tx_room)
            v->tx_full = false;
        if (tx_room || !v->tx_full)
            vq_disable_cb(v->tx);
        spin_unlock(&v->lock, flags);
        if (tx_room)
            tcp_txnow(); /* segments lwIP could not hand over while the ring was full */
        if (!more)
            break;
    }
    /* One notification per pass at most, for the refilled ring and the frames sent meanwhile. */
    v->in_poll = false;
    uint64_t flags = spin_lock(&v->lock);
    if (taken > v->rx_want / 2 && v->rx_want < v->rx_target) {
        /* The pass took half the ring or more: it grows (a burst, not the odd ping). */
        v->rx_want = MIN(v->rx_target, 2 * v->rx_want);
        rx_refill(v);
    }
    bool kick_rx = vq_kick_prepare(v->rx), kick_tx = vq_kick_prepare(v->tx);
    spin_unlock(&v->lock, flags);
    if (kick_rx)
        vq_notify(v->rx);
    if (kick_tx)
        vq_notify(v->tx);
}

/* Without an interrupt (virtio.poll, or none registered): the pass every millisecond. */
static void vnet_poll_timer(void *arg)
{
    vnet_poll(arg);
    sys_timeout(1, vnet_poll_timer, arg);
}

/* Interrupt: no more until the pass has run; the pass itself runs in the tcpip thread. */
static void vnet_callback(struct vq *q)
{
    struct vnet *v = q->priv;
    if (!v->up)
        return;
    spin_lock_raw(&v->lock);
    vq_disable_cb(v->rx);
    spin_unlock_raw(&v->lock);
    if (__atomic_exchange_n(&v->poll_pending, 1, __ATOMIC_ACQ_REL) == 0 &&
        tcpip_callbackmsg_trycallback_fromisr(v->poll_msg) != ERR_OK)
        __atomic_store_n(&v->poll_pending, 0, __ATOMIC_RELEASE);
}

/* lwIP's netif init (net_start adds the interface): the link, buffers, interrupts. */
static err_t vnet_netif_init(struct netif *n)
{
    struct vnet *v = n->state;
    n->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(n->hwaddr, v->nd.mac, ETH_HWADDR_LEN);
    n->mtu = 1500;
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    n->output = etharp_output;
    n->linkoutput = vnet_linkoutput;
    u16_t ck = NETIF_CHECKSUM_ENABLE_ALL;
    if (v->csum_tx)
        ck &= (u16_t)~(NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_GEN_UDP);
    NETIF_SET_CHECKSUM_CTRL(n, ck);
    v->poll_msg = tcpip_callbackmsg_new(vnet_poll, v);
    if (!v->poll_msg)
        return ERR_MEM;
    uint64_t flags = spin_lock(&v->lock);
    v->tx->callback = vnet_callback; /* asked for only while the ring is full */
    rx_refill(v);
    v->up = true;
    bool kick = vq_kick_prepare(v->rx);
    if (v->irq)
        vq_enable_cb(v->rx);
    spin_unlock(&v->lock, flags);
    if (kick)
        vq_notify(v->rx);
    if (!v->irq)
        sys_timeout(1, vnet_poll_timer, v);
    else
        vnet_poll(v); /* frames that came before the interrupt was asked for */
    return ERR_OK;
}

/* Receive buffers the device holds: 1/64 of RAM in 2 KiB buffers, 16 to 256 (a 4 MiB guest
 * gives 32, 64 KiB). */
static unsigned rx_target_for_ram(unsigned qsize)
{
    uint64_t n = page_total_count() * PAGE_SIZE / 64 / 2048;
    n = MAX(n, 16u);
    n = MIN(n, 256u);
    return (unsigned)MIN(n, (uint64_t)qsize);
}

/* Tests: virtio_net.rxbuf=N, N device-writable bytes a receive buffer instead of a whole frame,
 * so that with MRG_RXBUF frames span buffers; virtio_net.txq=N, a transmit ring of N entries
 * (where the transport lets the driver choose), so that it fills. */
static uint32_t rxbuf_param, txq_param;

static void vnet_params(struct cmdline *cl)
{
    int i = 0;
    while (i < cl->nparams && !str_starts(cl->params[i], "virtio_net."))
        i++;
    if (i == cl->nparams)
        return; /* the usual case, for a few instructions a parameter */
    const char *s = cmdline_param(cl, "virtio_net.rxbuf");
    uint64_t v;
    if (s && parse_u64(s, &v) == 0 && v >= 64 && v <= VNET_FRAME_MAX)
        rxbuf_param = (uint32_t)v;
    else if (s)
        pr_warn("virtio-net: ignoring virtio_net.rxbuf=%s (64 to %u)\n", s, VNET_FRAME_MAX);
    s = cmdline_param(cl, "virtio_net.txq");
    if (s && parse_u64(s, &v) == 0 && v >= 2 && v <= VNET_QUEUE_MAX && !(v & (v - 1)))
        txq_param = (uint32_t)v;
    else if (s)
        pr_warn("virtio-net: ignoring virtio_net.txq=%s (a power of 2, 2 to %u)\n", s,
                VNET_QUEUE_MAX);
    cmdline_consume(cl, "virtio_net.rxbuf");
    cmdline_consume(cl, "virtio_net.txq");
}

static int vnet_probe(struct virtio_device *d)
{
    struct vnet *v = kzalloc(sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->vdev = d;
    v->lock = (spinlock_t)SPINLOCK_INIT;
    d->priv = v;
    v->hdr_len = virtio_has(d, VIRTIO_F_VERSION_1) || virtio_has(d, VIRTIO_NET_F_MRG_RXBUF)
                     ? sizeof(struct virtio_net_hdr) : VIRTIO_NET_HDR_LEGACY_SIZE;
    v->rx = virtio_setup_vq(d, VNET_RXQ, VNET_QUEUE_MAX, 0, vnet_callback, v);
    /* No callback yet: the core would ask for transmit interrupts (vnet_netif_init). */
    v->tx = virtio_setup_vq(d, VNET_TXQ, txq_param ? txq_param : VNET_QUEUE_MAX, VNET_TX_SEGS,
                            NULL, v);
    if (!v->rx || !v->tx)
        return -ENOMEM;
    size_t hb = (size_t)v->tx->size * sizeof(struct virtio_net_hdr);
    paddr_t hp = page_alloc_contig(ALIGN_UP(hb, PAGE_SIZE) / PAGE_SIZE);
    if (!hp)
        return -ENOMEM;
    v->tx_hdrs = phys_to_virt(hp);
    v->tx_hdrs_pa = hp;
    v->mrg = v->hdr_len == sizeof(struct virtio_net_hdr) && virtio_has(d, VIRTIO_NET_F_MRG_RXBUF);
    v->rx_len = v->hdr_len + VNET_FRAME_MAX;
    if (v->mrg && rxbuf_param)
        v->rx_len = rxbuf_param; /* a test's: frames spread over several buffers */
    v->rx_target = rx_target_for_ram(v->rx->size);
    v->rx_want = MIN(v->rx_target, (unsigned)VNET_RX_START);
    v->csum_tx = virtio_has(d, VIRTIO_NET_F_CSUM);
    v->csum_rx = virtio_has(d, VIRTIO_NET_F_GUEST_CSUM);
    v->irq = virtio_irq_mode(d);

    struct net_dev *nd = &v->nd;
    if (virtio_has(d, VIRTIO_NET_F_MAC)) {
        for (unsigned i = 0; i < 6; i++)
            nd->mac[i] = virtio_cread8(d, VIRTIO_OFF(struct virtio_net_config, mac) + i);
    } else {
        random_fill(nd->mac, 6);
        nd->mac[0] = (uint8_t)((nd->mac[0] & 0xfe) | 0x02); /* local, unicast */
    }
    nd->link_up = !virtio_has(d, VIRTIO_NET_F_STATUS) ||
                  (virtio_cread16(d, VIRTIO_OFF(struct virtio_net_config, status)) &
                   VIRTIO_NET_S_LINK_UP);
    nd->mtu = 1500;
    nd->transport = d->name;
    nd->init = vnet_netif_init;
    nd->priv = v;
    int rc = net_dev_add(nd);
    if (rc == 0)
        pr_info("virtio-net: %s on %s: features %lx, %u-byte header, receive buffers of %u "
                "bytes, %u to %u, transmit ring %u\n", nd->name, d->name, d->features, v->hdr_len,
                v->rx_len, v->rx_want, v->rx_target, v->tx->size);
    return rc;
}

const struct virtio_driver virtio_net_driver = {
    .name = "virtio-net",
    .id = VIRTIO_ID_NET,
    .features = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
                1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_NET_F_CSUM |
                1ull << VIRTIO_NET_F_GUEST_CSUM | 1ull << VIRTIO_F_VERSION_1 |
                1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_F_INDIRECT_DESC,
    .probe = vnet_probe,
    .params = vnet_params,
};
