# lwIP 2.1.3 (Debian's source package, unpacked by scripts/setup into third_party/lwip, never
# committed) built into the kernel with the kernel's flags and our options (kernel/net/lwipopts.h,
# kernel/net/arch/). Included from kernel/kernel.mk. IPv4, TCP, UDP, ICMP, ARP, DHCP, DNS, the
# netconn API over the tcpip thread; not lwIP's sockets.c (kernel/net/socket*.c sits on netconn).

LWIP_DIR := third_party/lwip/src

# lwIP's headers and ours, for the kernel files that use lwIP (the socket layer, the driver).
KERNEL_CFLAGS += -Ikernel/net -Ikernel/net/lwip-libc -I$(LWIP_DIR)/include

LWIP_SRCS :=
LWIP_SRCS += $(LWIP_DIR)/core/init.c
LWIP_SRCS += $(LWIP_DIR)/core/def.c
LWIP_SRCS += $(LWIP_DIR)/core/dns.c
LWIP_SRCS += $(LWIP_DIR)/core/inet_chksum.c
LWIP_SRCS += $(LWIP_DIR)/core/ip.c
LWIP_SRCS += $(LWIP_DIR)/core/mem.c
LWIP_SRCS += $(LWIP_DIR)/core/memp.c
LWIP_SRCS += $(LWIP_DIR)/core/netif.c
LWIP_SRCS += $(LWIP_DIR)/core/pbuf.c
LWIP_SRCS += $(LWIP_DIR)/core/raw.c
LWIP_SRCS += $(LWIP_DIR)/core/stats.c
LWIP_SRCS += $(LWIP_DIR)/core/sys.c
LWIP_SRCS += $(LWIP_DIR)/core/tcp.c
LWIP_SRCS += $(LWIP_DIR)/core/tcp_in.c
LWIP_SRCS += $(LWIP_DIR)/core/tcp_out.c
LWIP_SRCS += $(LWIP_DIR)/core/timeouts.c
LWIP_SRCS += $(LWIP_DIR)/core/udp.c
LWIP_SRCS += $(LWIP_DIR)/core/ipv4/dhcp.c
LWIP_SRCS += $(LWIP_DIR)/core/ipv4/etharp.c
LWIP_SRCS += $(LWIP_DIR)/core/ipv4/icmp.c
LWIP_SRCS += $(LWIP_DIR)/core/ipv4/ip4.c
LWIP_SRCS += $(LWIP_DIR)/core/ipv4/ip4_addr.c
LWIP_SRCS += $(LWIP_DIR)/core/ipv4/ip4_frag.c
LWIP_SRCS += $(LWIP_DIR)/api/api_lib.c
LWIP_SRCS += $(LWIP_DIR)/api/api_msg.c
LWIP_SRCS += $(LWIP_DIR)/api/err.c
LWIP_SRCS += $(LWIP_DIR)/api/netbuf.c
LWIP_SRCS += $(LWIP_DIR)/api/tcpip.c
LWIP_SRCS += $(LWIP_DIR)/netif/ethernet.c

# lwIP 2.1.3 builds clean with the kernel's own warnings (-Wall -Wextra -Werror
# -Wmissing-prototypes ...) and these options: nothing is silenced for it.
LWIP_OBJS := $(patsubst %,$(BUILD)/kernel-obj/%.o,$(LWIP_SRCS))
KERNEL_OBJS += $(LWIP_OBJS)

# Kernel files include lwIP's headers too: without the tree, say how to get it (scripts/setup).
$(KERNEL_OBJS): | $(LWIP_DIR)/include/lwip/init.h
$(LWIP_DIR)/include/lwip/init.h:
	@echo "third_party/lwip is missing: run scripts/setup (it unpacks Debian's lwIP source)" >&2; exit 1
