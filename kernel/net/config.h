/* Network address configuration from the kernel command line: Linux's
 *   ip=<client>:<server>:<gw>:<netmask>:<host>:<dev>:<autoconf>:<dns0>:<dns1>:<ntp0>
 * and ip=off|none|on|any|dhcp|both (Documentation/admin-guide/nfs/nfsroot.rst), and OSv's
 *   --ip=<dev>,<addr>,<netmask> (repeatable) --defaultgw=<gw> --nameserver=<dns>.
 * Pure C: parses into a struct, touches no device (net/net.c applies it); host unit tests build
 * it. Addresses are IPv4 in host order (10.0.0.1 = 0x0a000001). */
#ifndef NET_CONFIG_H
#define NET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_CONFIG_MAX_IFACES 4
#define NET_CONFIG_MAX_DNS 2

struct net_iface_config {
    char dev[16];        /* "" = the first device */
    bool dhcp;
    uint32_t addr, mask; /* static address (addr 0 with dhcp) */
};

struct net_config {
    struct net_iface_config ifaces[NET_CONFIG_MAX_IFACES];
    unsigned nifaces;
    uint32_t gw;          /* 0 = none */
    uint32_t dns[NET_CONFIG_MAX_DNS];
    unsigned ndns;
    char host[64];        /* "" = none */
    bool off;             /* ip=off / ip=none: nothing configured, even by default */
};

/* Parses a dotted quad ("10.0.0.1": four decimal numbers 0-255, no sign, no leading garbage);
 * 0 or -EINVAL. */
int net_parse_ipv4(const char *s, size_t len, uint32_t *out);

/* Parses Linux's ip= value (without "ip=") into *c (zeroed first by net_config_init). Returns 0,
 * or -EINVAL with a one-line reason in why. */
void net_config_init(struct net_config *c);
int net_config_parse_linux(struct net_config *c, const char *value, char *why, size_t whylen);
/* Parses one OSv option, the whole token ("--ip=eth0,10.0.0.2,255.255.255.0",
 * "--defaultgw=10.0.0.1", "--nameserver=10.0.0.1"). Returns 0, or -EINVAL with a reason. */
int net_config_parse_osv(struct net_config *c, const char *token, char *why, size_t whylen);

#endif
