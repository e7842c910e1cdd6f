/* lwIP 2.1.3 options for Mote (third_party/lwip/src/include/lwip/opt.h documents each one).
 * IPv4 only; TCP, UDP, ICMP, ARP, DHCP; the netconn API with core locking (our socket layer sits
 * on netconn, lwIP's sockets.c is not built). Sized for small guests: all memory comes from the
 * kernel heap as needed (MEM_LIBC_MALLOC, MEMP_MEM_MALLOC), nothing is reserved (docs/net.md). */
#ifndef MOTE_LWIPOPTS_H
#define MOTE_LWIPOPTS_H

/* ---- the system ---- */
#define NO_SYS 0
#define SYS_LIGHTWEIGHT_PROT 1          /* sys_arch_protect: interrupts off + one spinlock */
#define LWIP_TCPIP_CORE_LOCKING 1       /* API calls take the core lock, no message round trip */
#define LWIP_TCPIP_CORE_LOCKING_INPUT 1 /* tcpip_input runs the stack at once, under the lock */
#define LWIP_NETCONN_SEM_PER_THREAD 0
#define LWIP_TIMERS 1
#define TCPIP_MBOX_SIZE 64
#define DEFAULT_RAW_RECVMBOX_SIZE 16
#define DEFAULT_UDP_RECVMBOX_SIZE 64
#define DEFAULT_TCP_RECVMBOX_SIZE 64
#define DEFAULT_ACCEPTMBOX_SIZE 128         /* the largest listen backlog (socket layer) */
#define TCPIP_THREAD_NAME "tcpip"
#define TCPIP_THREAD_STACKSIZE 0        /* Mote threads have fixed 16 KiB kernel stacks */
#define TCPIP_THREAD_PRIO 0
#define LWIP_COMPAT_MUTEX 0

/* ---- memory ---- */
#define MEM_ALIGNMENT 8
#define MEM_LIBC_MALLOC 1               /* lwIP's heap is the kernel heap (kmalloc) */
#define MEMP_MEM_MALLOC 1               /* pool objects (PCBs, segments...) too: no limits but
                                         * memory, nothing reserved (docs/net.md) */
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 4)
#define PBUF_POOL_SIZE 8                /* the virtio-net driver receives into its own buffers */
#define LWIP_SUPPORT_CUSTOM_PBUF 1
/* Room in front of every outgoing frame for the virtio-net header (virtio 1.2 §5.1.6), so the
 * driver prepends it in place: one descriptor for a frame in one pbuf. */
#define PBUF_LINK_ENCAPSULATION_HLEN 12

/* ---- protocols ---- */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ETHARP_TRUST_IP_MAC 0
#define ARP_QUEUEING 1
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0           /* an ARP probe costs a second of boot per lease */
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 1                      /* the name server from the command line is kept here */
#define LWIP_UDP 1
#define LWIP_TCP 1
#define TCP_MSS 1460
/* TIME_WAIT is 2 x TCP_MSL. lwIP answers a SYN that reuses the ports of a connection in
 * TIME_WAIT with an ACK and ignores the peer's RST (Linux accepts such a SYN), so a client that
 * picks the same source port again hangs until TIME_WAIT ends: 2 minutes with the default 60 s
 * MSL, and with pool objects on the heap nothing recycles TIME_WAIT PCBs early. A server that
 * closes first (httpd) made new connections stall after ~2000. 1 s: the client's SYN
 * retransmission gets through. */
#define TCP_MSL 1000UL
#define TCP_WND (16 * TCP_MSS)
#define TCP_SND_BUF (16 * TCP_MSS)
/* init.c checks TCP_WND against the PBUF_POOL; received data lives in the driver's buffers. */
#define LWIP_DISABLE_TCP_SANITY_CHECKS 1
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 0
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_KEEPALIVE 1            /* SO_KEEPALIVE */
#define SO_REUSE 1                      /* SO_REUSEADDR */
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVBUF 1
#define LWIP_SO_LINGER 0
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_API 0
#define LWIP_SINGLE_NETIF 0
#define LWIP_HAVE_LOOPIF 1              /* 127.0.0.1 */
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_LOOPBACK_MAX_PBUFS 64

/* ---- checksums ----
 * Generated and checked in software unless the NIC offloads them: the virtio-net driver turns
 * the TCP/UDP ones off per interface (LWIP_CHECKSUM_CTRL_PER_NETIF) when the device does them
 * (VIRTIO_NET_F_CSUM, GUEST_CSUM). LWIP_CHKSUM is a 64-bit add-with-carry loop (net/chksum.c). */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_CHKSUM mote_chksum
#define LWIP_CHKSUM_ALGORITHM 0

/* ---- APIs ---- */
#define LWIP_NETCONN 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN_FULLDUPLEX 0
#define LWIP_NETBUF_RECVINFO 0
#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0

/* ---- debugging ---- */
#define LWIP_DEBUG 0
#define LWIP_NOASSERT 0

#endif
