/* The network address options (kernel/net/config.c): Linux's ip= and OSv's --ip=, --defaultgw=,
 * --nameserver=, good and malformed; and the Internet checksum lwIP uses (kernel/net/chksum.c)
 * against RFC 1071's definition. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/config.h"

uint16_t mote_chksum(const void *data, int len);

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static struct net_config c;
static char why[160];

static int linux_ip(const char *v)
{
    net_config_init(&c);
    why[0] = '\0';
    return net_config_parse_linux(&c, v, why, sizeof(why));
}

static int osv(const char *tok)
{
    why[0] = '\0';
    return net_config_parse_osv(&c, tok, why, sizeof(why));
}

static void test_ipv4(void **state)
{
    uint32_t a;
    assert_int_equal(net_parse_ipv4("10.0.2.15", 9, &a), 0);
    assert_int_equal(a, A(10, 0, 2, 15));
    assert_int_equal(net_parse_ipv4("255.255.255.255", 15, &a), 0);
    assert_int_equal(a, 0xffffffff);
    assert_int_equal(net_parse_ipv4("0.0.0.0", 7, &a), 0);
    assert_int_equal(a, 0);
    /* only the given length is read */
    assert_int_equal(net_parse_ipv4("1.2.3.4:5", 7, &a), 0);
    assert_int_equal(a, A(1, 2, 3, 4));
    const char *bad[] = {"", "1", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1..3.4", ".1.2.3",
                         "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1.2.3.0x4", "-1.2.3.4", "1.2.3.0004",
                         "+1.2.3.4", "1.2.3.4/24", "999.1.1.1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(net_parse_ipv4(bad[i], strlen(bad[i]), &a), -EINVAL);
}

static void test_linux_static(void **state)
{
    /* What Firecracker's getting-started guide passes. */
    assert_int_equal(linux_ip("172.16.0.2::172.16.0.1:255.255.255.252::eth0:off"), 0);
    assert_int_equal(c.nifaces, 1);
    assert_string_equal(c.ifaces[0].dev, "eth0");
    assert_false(c.ifaces[0].dhcp);
    assert_int_equal(c.ifaces[0].addr, A(172, 16, 0, 2));
    assert_int_equal(c.ifaces[0].mask, A(255, 255, 255, 252));
    assert_int_equal(c.gw, A(172, 16, 0, 1));
    assert_false(c.off);
    assert_int_equal(c.ndns, 0);
}

static void test_linux_all_fields(void **state)
{
    assert_int_equal(linux_ip("10.1.2.3:10.1.2.9:10.1.2.1:255.255.0.0:guest:eth1:none:"
                              "8.8.8.8:1.1.1.1:10.1.2.9"), 0);
    assert_string_equal(c.host, "guest");
    assert_string_equal(c.ifaces[0].dev, "eth1");
    assert_int_equal(c.ifaces[0].mask, A(255, 255, 0, 0));
    assert_int_equal(c.ndns, 2);
    assert_int_equal(c.dns[0], A(8, 8, 8, 8));
    assert_int_equal(c.dns[1], A(1, 1, 1, 1));
}

static void test_linux_defaults(void **state)
{
    /* No netmask: the address's class; no device: the first; no autoconf with an address:
     * static. */
    assert_int_equal(linux_ip("10.0.0.5"), -EINVAL); /* not the colon form */
    assert_int_equal(linux_ip("10.0.0.5::::"), 0);
    assert_int_equal(c.ifaces[0].mask, A(255, 0, 0, 0));
    assert_string_equal(c.ifaces[0].dev, "");
    assert_false(c.ifaces[0].dhcp);
    assert_int_equal(linux_ip("172.20.1.1:::"), 0);
    assert_int_equal(c.ifaces[0].mask, A(255, 255, 0, 0));
    assert_int_equal(linux_ip("192.168.7.7::192.168.7.1"), 0);
    assert_int_equal(c.ifaces[0].mask, A(255, 255, 255, 0));
    assert_int_equal(c.gw, A(192, 168, 7, 1));
    /* No address, no autoconf: autoconfigure (Linux's default). */
    assert_int_equal(linux_ip(":::::eth0:"), 0);
    assert_true(c.ifaces[0].dhcp);
}

static void test_linux_dhcp_and_off(void **state)
{
    const char *dhcp[] = {"dhcp", "on", "any", "both", ":::::eth0:dhcp", "::::myhost::on"};
    for (size_t i = 0; i < sizeof(dhcp) / sizeof(dhcp[0]); i++) {
        assert_int_equal(linux_ip(dhcp[i]), 0);
        assert_int_equal(c.nifaces, 1);
        assert_true(c.ifaces[0].dhcp);
        assert_int_equal(c.ifaces[0].addr, 0);
        assert_false(c.off);
    }
    assert_string_equal(c.host, "myhost");
    const char *off[] = {"off", "none", "::::::off", ":::::eth0:none"};
    for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
        assert_int_equal(linux_ip(off[i]), 0);
        assert_true(c.off);
        assert_int_equal(c.nifaces, 0);
    }
}

static void expect_linux_bad(const char *v, const char *reason)
{
    assert_int_equal(linux_ip(v), -EINVAL);
    if (!strstr(why, reason))
        fail_msg("ip=%s: reason \"%s\" lacks \"%s\"", v, why, reason);
    assert_null(strchr(why, '\n')); /* one line */
}

static void test_linux_malformed(void **state)
{
    expect_linux_bad("10.0.0.300::::::off", "client address '10.0.0.300'");
    expect_linux_bad("10.0.0:::::eth0:off", "client address '10.0.0'");
    expect_linux_bad("0.0.0.0:::::eth0:off", "cannot be a host's address");
    expect_linux_bad("127.0.0.1:::::eth0:off", "cannot be a host's address");
    expect_linux_bad("224.0.0.1:::::eth0:off", "cannot be a host's address");
    expect_linux_bad("10.0.0.2:x::::eth0:off", "server address 'x'");
    expect_linux_bad("10.0.0.2::10.0.0.256:::eth0:off", "gateway '10.0.0.256'");
    expect_linux_bad("10.0.0.2:::255.0.255.0::eth0:off", "netmask '255.0.255.0'");
    expect_linux_bad("10.0.0.2:::0.0.0.0::eth0:off", "netmask '0.0.0.0'");
    expect_linux_bad("10.0.0.2:::24::eth0:off", "netmask '24'");
    expect_linux_bad("10.0.0.2::10.1.0.1:255.255.255.0::eth0:off", "not on the client's subnet");
    expect_linux_bad("10.0.0.0:::255.255.255.0::eth0:off", "network or broadcast");
    expect_linux_bad("10.0.0.255:::255.255.255.0::eth0:off", "network or broadcast");
    expect_linux_bad("10.0.0.2:::::eth0:maybe", "autoconf 'maybe'");
    expect_linux_bad("10.0.0.2:::::eth0:OFF", "autoconf 'OFF'");
    expect_linux_bad("10.0.0.2:::::eth0:bootp", "only DHCP");
    expect_linux_bad("rarp", "only DHCP");
    expect_linux_bad("bootp", "only DHCP");
    expect_linux_bad("yes", "want ip=");
    expect_linux_bad("", "want ip=");
    expect_linux_bad("10.0.0.2:::::averyveryverylongdevicename:off", "device name");
    expect_linux_bad("10.0.0.2:::::et h0:off", "device name");
    expect_linux_bad("10.0.0.2::::a/b::off", "host name");
    expect_linux_bad("10.0.0.2::::" "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh" "::off",
                     "host name");
    expect_linux_bad("10.0.0.2:::::eth0:off:8.8.8:", "name server '8.8.8'");
    expect_linux_bad("10.0.0.2:::::eth0:off::dns", "name server 'dns'");
    expect_linux_bad("10.0.0.2:::::eth0:off:::ntp", "NTP server 'ntp'");
    expect_linux_bad("10.0.0.2:::::eth0:off::::", "more than 10 fields");
    expect_linux_bad("::10.0.0.1:255.255.255.0::eth0:off", "without a client address");
}

static void test_osv(void **state)
{
    net_config_init(&c);
    assert_int_equal(osv("--ip=eth0,192.168.122.15,255.255.255.0"), 0);
    assert_int_equal(osv("--defaultgw=192.168.122.1"), 0);
    assert_int_equal(osv("--nameserver=192.168.122.1"), 0);
    assert_int_equal(osv("--nameserver=192.168.122.1"), 0); /* the same one again: kept once */
    assert_int_equal(osv("--ip=eth1,10.9.0.2,255.255.0.0"), 0);
    assert_int_equal(osv("--ip=eth0,192.168.122.16,255.255.255.0"), 0); /* replaces eth0's */
    assert_int_equal(c.nifaces, 2);
    assert_string_equal(c.ifaces[0].dev, "eth0");
    assert_int_equal(c.ifaces[0].addr, A(192, 168, 122, 16));
    assert_string_equal(c.ifaces[1].dev, "eth1");
    assert_int_equal(c.ifaces[1].mask, A(255, 255, 0, 0));
    assert_int_equal(c.gw, A(192, 168, 122, 1));
    assert_int_equal(c.ndns, 1);
    assert_int_equal(osv("--nameserver=8.8.8.8"), 0);
    assert_int_equal(osv("--nameserver=8.8.4.4"), -EINVAL);
    assert_non_null(strstr(why, "more than 2 name servers"));
}

static void expect_osv_bad(const char *tok, const char *reason)
{
    net_config_init(&c);
    assert_int_equal(osv(tok), -EINVAL);
    if (!strstr(why, reason))
        fail_msg("%s: reason \"%s\" lacks \"%s\"", tok, why, reason);
}

static void test_osv_malformed(void **state)
{
    expect_osv_bad("--ip=eth0,10.0.0.2", "want --ip=<dev>,<addr>,<netmask>");
    expect_osv_bad("--ip=eth0", "want --ip=");
    expect_osv_bad("--ip=", "want --ip=");
    expect_osv_bad("--ip=eth0,10.0.0.2,255.255.255.0,x", "want --ip=");
    expect_osv_bad("--ip=,10.0.0.2,255.255.255.0", "bad device name");
    expect_osv_bad("--ip=eth0,10.0.0.x,255.255.255.0", "not a host's IPv4 address");
    expect_osv_bad("--ip=eth0,127.0.0.2,255.0.0.0", "not a host's IPv4 address");
    expect_osv_bad("--ip=eth0,10.0.0.2,255.255.0.255", "not a netmask");
    expect_osv_bad("--ip=eth0,10.0.0.2,", "not a netmask");
    expect_osv_bad("--ip=eth0,10.0.0.0,255.255.255.0", "network or broadcast");
    expect_osv_bad("--defaultgw=", "gateway is not");
    expect_osv_bad("--defaultgw=10.0.0", "gateway is not");
    expect_osv_bad("--defaultgw=0.0.0.0", "gateway is not");
    expect_osv_bad("--nameserver=dns.google", "name server is not");
    expect_osv_bad("--nameserver=", "name server is not");
    expect_osv_bad("--gateway=10.0.0.1", "not a network option");
    net_config_init(&c);
    for (int i = 0; i < NET_CONFIG_MAX_IFACES; i++) {
        char tok[64];
        snprintf(tok, sizeof(tok), "--ip=eth%d,10.0.%d.2,255.255.255.0", i, i);
        assert_int_equal(osv(tok), 0);
    }
    assert_int_equal(osv("--ip=eth9,10.0.9.2,255.255.255.0"), -EINVAL);
    assert_non_null(strstr(why, "too many interfaces"));
}

/* RFC 1071: the ones' complement sum of 16-bit words in memory order. */
static uint16_t ref_sum(const uint8_t *p, int len)
{
    uint32_t s = 0;
    for (int i = 0; i + 1 < len; i += 2)
        s += (uint32_t)(p[i] | p[i + 1] << 8);
    if (len & 1)
        s += p[len - 1];
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

static void test_chksum(void **state)
{
    uint8_t buf[2100];
    srand(7);
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = round == 1 ? 0xff : round == 2 ? 0 : (uint8_t)rand();
        for (int off = 0; off < 9; off++)
            for (int len = 0; len <= 2048; len += (len < 80 ? 1 : 37))
                assert_int_equal(mote_chksum(buf + off, len), ref_sum(buf + off, len));
    }
    /* An IPv4 header whose checksum field is right sums to 0xffff. */
    uint8_t ip[20] = {0x45, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 10, 0, 2, 1, 10, 0, 2, 2};
    uint16_t ck = (uint16_t)~mote_chksum(ip, 20);
    memcpy(ip + 10, &ck, 2);
    assert_int_equal(mote_chksum(ip, 20), 0xffff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_linux_static),
        cmocka_unit_test(test_linux_all_fields),
        cmocka_unit_test(test_linux_defaults),
        cmocka_unit_test(test_linux_dhcp_and_off),
        cmocka_unit_test(test_linux_malformed),
        cmocka_unit_test(test_osv),
        cmocka_unit_test(test_osv_malformed),
        cmocka_unit_test(test_chksum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
