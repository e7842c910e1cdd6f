/* Network address configuration from the command line; see config.h. Every malformed field is
 * an error naming it: a typo must not boot a guest with a half-configured network. */
#include "net/config.h"

#include <errno.h>

#include "mote/printk.h"
#include "mote/string.h"

void net_config_init(struct net_config *c)
{
    memset(c, 0, sizeof(*c));
}

int net_parse_ipv4(const char *s, size_t len, uint32_t *out)
{
    uint32_t addr = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= len || s[i] != '.')
                return -EINVAL;
            i++;
        }
        unsigned v = 0, digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (unsigned)(s[i++] - '0');
            if (++digits > 3 || v > 255)
                return -EINVAL;
        }
        if (!digits)
            return -EINVAL;
        addr = addr << 8 | v;
    }
    if (i != len)
        return -EINVAL;
    *out = addr;
    return 0;
}

/* A netmask: ones then zeros. */
static bool mask_ok(uint32_t m)
{
    return m != 0 && (~m & (~m + 1)) == 0;
}

/* Linux's default for an empty netmask field: the address's class (A, B or C). */
static uint32_t classful_mask(uint32_t a)
{
    if ((a >> 31) == 0)
        return 0xff000000;
    if ((a >> 30) == 2)
        return 0xffff0000;
    return 0xffffff00;
}

static bool usable_host(uint32_t a)
{
    uint32_t top = a >> 24;
    return a != 0 && top != 0 && top != 127 && top < 224; /* not 0/8, loopback, multicast */
}

static int fail(char *why, size_t n, const char *fmt, const char *a, size_t alen)
{
    char field[48];
    size_t k = alen < sizeof(field) - 1 ? alen : sizeof(field) - 1;
    memcpy(field, a, k);
    field[k] = '\0';
    snprintf(why, n, fmt, field);
    return -EINVAL;
}

static bool word_is(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && strncmp(s, w, len) == 0;
}

static int copy_name(char *dst, size_t cap, const char *s, size_t len)
{
    if (len >= cap)
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= ' ' || s[i] == '/' || (unsigned char)s[i] >= 0x7f)
            return -EINVAL;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

static struct net_iface_config *iface_for(struct net_config *c, const char *dev, size_t len)
{
    for (unsigned i = 0; i < c->nifaces; i++)
        if (strlen(c->ifaces[i].dev) == len && strncmp(c->ifaces[i].dev, dev, len) == 0)
            return &c->ifaces[i];
    if (c->nifaces == NET_CONFIG_MAX_IFACES)
        return NULL;
    struct net_iface_config *f = &c->ifaces[c->nifaces++];
    memset(f, 0, sizeof(*f));
    return f;
}

static int add_dns(struct net_config *c, uint32_t a)
{
    for (unsigned i = 0; i < c->ndns; i++)
        if (c->dns[i] == a)
            return 0;
    if (c->ndns == NET_CONFIG_MAX_DNS)
        return -ENOSPC;
    c->dns[c->ndns++] = a;
    return 0;
}

int net_config_parse_linux(struct net_config *c, const char *v, char *why, size_t n)
{
    size_t vlen = strlen(v);
    if (word_is(v, vlen, "off") || word_is(v, vlen, "none")) {
        c->off = true;
        return 0;
    }
    if (word_is(v, vlen, "on") || word_is(v, vlen, "any") || word_is(v, vlen, "dhcp") ||
        word_is(v, vlen, "both")) {
        struct net_iface_config *f = iface_for(c, "", 0);
        if (!f)
            return fail(why, n, "ip=%s: too many interfaces", v, vlen);
        f->dhcp = true;
        return 0;
    }
    if (word_is(v, vlen, "bootp") || word_is(v, vlen, "rarp"))
        return fail(why, n, "ip=%s: only DHCP autoconfiguration is supported", v, vlen);
    if (!strchr(v, ':'))
        return fail(why, n, "ip=%s: want ip=<client>:<server>:<gw>:<netmask>:<host>:<dev>:"
                            "<autoconf> or ip=dhcp", v, vlen);

    /* Fields: 0 client, 1 server, 2 gw, 3 netmask, 4 host, 5 dev, 6 autoconf, 7 dns0, 8 dns1,
     * 9 ntp0. */
    const char *f[10];
    size_t len[10];
    unsigned nf = 0;
    const char *p = v;
    for (;;) {
        const char *colon = strchr(p, ':');
        if (nf == 10)
            return fail(why, n, "ip=%s: more than 10 fields", v, vlen);
        f[nf] = p;
        len[nf] = colon ? (size_t)(colon - p) : strlen(p);
        nf++;
        if (!colon)
            break;
        p = colon + 1;
    }
    for (unsigned i = nf; i < 10; i++) {
        f[i] = "";
        len[i] = 0;
    }

    uint32_t addr = 0, server, gw = 0, mask = 0, dns;
    if (len[0] && net_parse_ipv4(f[0], len[0], &addr))
        return fail(why, n, "ip=: client address '%s' is not an IPv4 address", f[0], len[0]);
    if (len[0] && !usable_host(addr))
        return fail(why, n, "ip=: client address '%s' cannot be a host's address", f[0], len[0]);
    if (len[1] && net_parse_ipv4(f[1], len[1], &server))
        return fail(why, n, "ip=: server address '%s' is not an IPv4 address", f[1], len[1]);
    if (len[2] && net_parse_ipv4(f[2], len[2], &gw))
        return fail(why, n, "ip=: gateway '%s' is not an IPv4 address", f[2], len[2]);
    if (len[3] && (net_parse_ipv4(f[3], len[3], &mask) || !mask_ok(mask)))
        return fail(why, n, "ip=: netmask '%s' is not a netmask", f[3], len[3]);
    if (len[4] && copy_name(c->host, sizeof(c->host), f[4], len[4]))
        return fail(why, n, "ip=: host name '%s' is too long or has bad characters", f[4],
                    len[4]);
    char dev[16] = "";
    if (len[5] && copy_name(dev, sizeof(dev), f[5], len[5]))
        return fail(why, n, "ip=: device name '%s' is too long or has bad characters", f[5],
                    len[5]);
    bool dhcp;
    if (!len[6])
        dhcp = !len[0]; /* Linux: autoconfigure what was not given */
    else if (word_is(f[6], len[6], "off") || word_is(f[6], len[6], "none"))
        dhcp = false;
    else if (word_is(f[6], len[6], "on") || word_is(f[6], len[6], "any") ||
             word_is(f[6], len[6], "dhcp") || word_is(f[6], len[6], "both"))
        dhcp = true;
    else if (word_is(f[6], len[6], "bootp") || word_is(f[6], len[6], "rarp"))
        return fail(why, n, "ip=: autoconf '%s': only DHCP is supported", f[6], len[6]);
    else
        return fail(why, n, "ip=: autoconf '%s' is not off, none, on, any, dhcp or both", f[6],
                    len[6]);
    for (unsigned i = 7; i <= 8; i++) {
        if (!len[i])
            continue;
        if (net_parse_ipv4(f[i], len[i], &dns))
            return fail(why, n, "ip=: name server '%s' is not an IPv4 address", f[i], len[i]);
        add_dns(c, dns);
    }
    if (len[9] && net_parse_ipv4(f[9], len[9], &dns))
        return fail(why, n, "ip=: NTP server '%s' is not an IPv4 address", f[9], len[9]);
    if (!dhcp && !len[0]) {
        if (len[2] || len[3])
            return fail(why, n, "ip=%s: a gateway or netmask without a client address", v, vlen);
        c->off = true; /* ip=::::::off and the like: nothing to configure */
        return 0;
    }
    if (!dhcp) {
        if (!mask)
            mask = classful_mask(addr);
        if (gw && (gw & mask) != (addr & mask))
            return fail(why, n, "ip=: gateway '%s' is not on the client's subnet", f[2], len[2]);
        if ((addr & ~mask) == 0 || (addr | mask) == 0xffffffff)
            return fail(why, n, "ip=: client address '%s' is its subnet's network or broadcast "
                                "address", f[0], len[0]);
    }
    struct net_iface_config *ifc = iface_for(c, dev, strlen(dev));
    if (!ifc)
        return fail(why, n, "ip=%s: too many interfaces", v, vlen);
    memcpy(ifc->dev, dev, sizeof(dev));
    ifc->dhcp = dhcp;
    ifc->addr = dhcp ? 0 : addr;
    ifc->mask = dhcp ? 0 : mask;
    if (gw)
        c->gw = gw;
    return 0;
}

int net_config_parse_osv(struct net_config *c, const char *tok, char *why, size_t n)
{
    size_t tlen = strlen(tok);
    uint32_t a;
    if (str_starts(tok, "--defaultgw=")) {
        const char *s = tok + 12;
        if (net_parse_ipv4(s, strlen(s), &a) || !a)
            return fail(why, n, "%s: the gateway is not an IPv4 address", tok, tlen);
        c->gw = a;
        return 0;
    }
    if (str_starts(tok, "--nameserver=")) {
        const char *s = tok + 13;
        if (net_parse_ipv4(s, strlen(s), &a) || !a)
            return fail(why, n, "%s: the name server is not an IPv4 address", tok, tlen);
        if (add_dns(c, a))
            return fail(why, n, "%s: more than 2 name servers", tok, tlen);
        return 0;
    }
    if (!str_starts(tok, "--ip="))
        return fail(why, n, "%s: not a network option", tok, tlen);
    const char *s = tok + 5;
    const char *c1 = strchr(s, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    if (!c1 || !c2 || strchr(c2 + 1, ','))
        return fail(why, n, "%s: want --ip=<dev>,<addr>,<netmask>", tok, tlen);
    char dev[16];
    if (c1 == s || copy_name(dev, sizeof(dev), s, (size_t)(c1 - s)))
        return fail(why, n, "%s: bad device name", tok, tlen);
    uint32_t addr, mask;
    if (net_parse_ipv4(c1 + 1, (size_t)(c2 - c1 - 1), &addr) || !usable_host(addr))
        return fail(why, n, "%s: the address is not a host's IPv4 address", tok, tlen);
    if (net_parse_ipv4(c2 + 1, strlen(c2 + 1), &mask) || !mask_ok(mask))
        return fail(why, n, "%s: the netmask is not a netmask", tok, tlen);
    if ((addr & ~mask) == 0 || (addr | mask) == 0xffffffff)
        return fail(why, n, "%s: the address is its subnet's network or broadcast address", tok,
                    tlen);
    struct net_iface_config *f = iface_for(c, dev, strlen(dev));
    if (!f)
        return fail(why, n, "%s: too many interfaces", tok, tlen);
    memcpy(f->dev, dev, sizeof(dev));
    f->dhcp = false;
    f->addr = addr;
    f->mask = mask;
    return 0;
}
