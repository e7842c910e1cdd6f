/* lwIP 2.1.3 options for Mote (third_party/lwip/src/include/lwip/opt.h documents each one).
 * IPv4 only; TCP, UDP, ICMP, ARP, DHCP; the netconn API with core locking (our socket layer sits
 * on netconn, lwIP's sockets.c is not built). Sized for small guests: memory comes from the
 * kernel heap as needed (MEM_LIBC_MALLOC), the fixed-size pools are small (docs/net.md). */
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
#define MEMP_MEM_MALLOC 0               /* pools are fixed arrays: O(1) get/put */
#define MEMP_MEM_INIT 0
#define MEMP_OVERFLOW_CHECK 0
#define MEMP_SANITY_CHECK 0
#define MEMP_NUM_PBUF 32                /* PBUF_REF/ROM headers (zero-copy sends) */
#define MEMP_NUM_RAW_PCB 4
#define MEMP_NUM_UDP_PCB 8
#define MEMP_NUM_TCP_PCB 128               /* 100+ open connections (httpd under load) */
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_TCP_SEG 256
#define MEMP_NUM_REASSDATA 4
#define MEMP_NUM_FRAG_PBUF 8
#define MEMP_NUM_ARP_QUEUE 8
#define MEMP_NUM_NETBUF 16
#define MEMP_NUM_NETCONN 136               /* one per socket: the TCP PCBs and a few more */
#define MEMP_NUM_TCPIP_MSG_API 16
#define MEMP_NUM_TCPIP_MSG_INPKT 16
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
