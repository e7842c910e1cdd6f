"""The kernel's network stack (virtio-net driver, lwIP, address configuration) on QEMU TCG, over
the three virtio transports: microvm with virtio-net-device (MMIO), pc with virtio-net-pci legacy
(disable-modern=on) and modern (disable-legacy=on), and a legacy device with every optional
feature off (10-byte header, software checksums, no event index, no indirect descriptors); and
a 4 MiB guest, two CPUs, polling, two devices. The
guest runs --test=net (kernel/tests/net_test.c: UDP and TCP echo on port 7); the host pings it,
full-size frames included, and pushes data through both echoes from a network namespace with a
tap (netns.py). ip=dhcp is checked against QEMU's user-mode DHCP server; malformed ip= and --ip=
values must stop the boot with one clear line."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, qemu_boot, qemu_status
from test_programs import BUSYBOX, make_cpio, need_busybox
from netns import NetNS, QemuGuest, netns, skip_unless_possible  # noqa: F401 (netns: the fixture)

PEER = [sys.executable, os.path.join(os.path.dirname(__file__), "netpeer.py")]

TRANSPORTS = {
    "mmio": ("microvm,acpi=off", ["-global", "virtio-mmio.force-legacy=off",
                                  "-device", "virtio-net-device,netdev=n0"]),
    "mmio-legacy": ("microvm,acpi=off", ["-global", "virtio-mmio.force-legacy=on",
                                         "-device", "virtio-net-device,netdev=n0"]),
    "pci-legacy": ("pc", ["-device", "virtio-net-pci,netdev=n0,disable-modern=on"]),
    "pci-modern": ("pc", ["-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]),
    "pci-legacy-plain": ("pc", ["-device", "virtio-net-pci,netdev=n0,disable-modern=on,"
                                "mrg_rxbuf=off,csum=off,guest_csum=off,event_idx=off,"
                                "indirect_desc=off"]),
}


def boot_net_test(ns, transport, extra_cmdline="", mem=128, extra=()):
    machine, dev = TRANSPORTS[transport]
    g = QemuGuest(ns, machine, f"{ns.static_ip_arg()} {extra_cmdline} --test=net "
                  "--test-arg=seconds=90", dev + list(extra), mem=mem)
    g.wait_for("serving on eth0")
    return g


def peer(ns, *args, timeout=90):
    r = ns.run(PEER + [str(a) for a in args], timeout=timeout)
    return r


def finish_net_test(ns, g):
    peer(ns, "quit", ns.guest_ip)
    r = g.finish()
    assert r.status == qemu_status(0), r.out
    assert "tests passed: 5 failed: 0" in r.out, r.out
    return r


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_ping_and_echo(netns, transport):
    g = boot_net_test(netns, transport)
    try:
        # The guest answers ARP and ping; full-size frames (1500-byte IP packets) unfragmented.
        r = netns.run(["ping", "-c", "3", "-i", "0.2", "-W", "5", netns.guest_ip])
        assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout + r.stderr
        r = netns.run(["ping", "-c", "3", "-i", "0.2", "-W", "5", "-s", "1472", "-M", "do",
                       netns.guest_ip])
        assert r.returncode == 0 and "1480 bytes from" in r.stdout, r.stdout + r.stderr
        # UDP both ways, 4000 bytes in IP fragments (reassembled, and fragmented on the way back).
        r = peer(netns, "udp", netns.guest_ip, 7, 1, 100, 1472, 4000)
        assert r.returncode == 0, r.stdout + r.stderr
        # TCP both ways, the send and receive rings full at times; every checksum the guest
        # sent checked on the tap, offloaded ones included (the host's own stack trusts those).
        r = peer(netns, "checksums", netns.tap, netns.guest_ip, 7, 256 * 1024)
        assert r.returncode == 0, r.stdout + r.stderr
        offload = "pci-legacy-plain" not in transport
        assert ("'offloaded'" in r.stdout) == offload, r.stdout
    finally:
        finish_net_test(netns, g)


VARIANTS = {
    "4MiB": dict(mem=4),                        # the smallest guest: 32 receive buffers
    "2cpus": dict(extra=["-smp", "2"]),         # the tcpip thread and the interrupt apart
    "polled": dict(extra_cmdline="virtio.poll"),  # no interrupts: the pass on a 1 ms timer
    # MRG_RXBUF with 256-byte receive buffers: a full-size frame spans 6 of them
    "mergeable": dict(extra_cmdline="--verbose virtio_net.rxbuf=256"),
    # a 4-entry transmit ring: full under TCP, frames refused, the ring's interrupt, tcp_txnow
    "tx-ring-full": dict(extra_cmdline="--verbose virtio_net.txq=4"),
}
VARIANT_SAYS = {"mergeable": "receive buffers of 256 bytes", "tx-ring-full": "transmit ring 4\n"}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_guest_variants(netns, variant):
    g = boot_net_test(netns, "mmio", **VARIANTS[variant])
    assert VARIANT_SAYS.get(variant, "") in g.out, g.out
    try:
        r = netns.run(["ping", "-c", "2", "-i", "0.2", "-W", "5", "-s", "1472", netns.guest_ip])
        assert r.returncode == 0, r.stdout + r.stderr
        r = peer(netns, "tcp", netns.guest_ip, 7, 512 * 1024)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        out = finish_net_test(netns, g).out
    busy = int(re.search(r"refused while the ring was full (\d+)", out).group(1))
    assert (busy > 0) == (variant == "tx-ring-full"), out


def test_two_devices():
    """eth0 and eth1 in discovery order, each its own interface: eth0 by DHCP from QEMU's
    slirp, eth1 (the tap) with --ip on another subnet; the host pings eth1."""
    skip_unless_possible()
    ns = NetNS(host_ip="192.168.100.1", guest_ip="192.168.100.2")
    try:
        dev = ["-global", "virtio-mmio.force-legacy=off",
               "-netdev", "user,id=u0", "-device", "virtio-net-device,netdev=u0",
               "-device", "virtio-net-device,netdev=n0"]
        g = QemuGuest(ns, "microvm,acpi=off", f"ip=dhcp --ip=eth1,{ns.guest_ip},{ns.netmask} "
                      "--test=net --test-arg=seconds=60", dev)
        try:
            out = g.wait_for("serving on eth0")
            assert "test net: eth0 10.0.2.15/255.255.255.0 gw 10.0.2.2" in out, out
            r = ns.run(["ping", "-c", "2", "-i", "0.2", "-W", "5", ns.guest_ip])
            assert r.returncode == 0, r.stdout + r.stderr
        finally:
            finish_net_test(ns, g)
    finally:
        ns.close()


def test_osv_options(netns):
    """OSv's --ip=eth0,ADDR,MASK --defaultgw=G --nameserver=N configure the same as ip=."""
    machine, dev = TRANSPORTS["mmio"]
    g = QemuGuest(netns, machine, f"--ip=eth0,{netns.guest_ip},{netns.netmask} "
                  f"--defaultgw={netns.host_ip} --nameserver={netns.host_ip} --test=net "
                  "--test-arg=seconds=60", dev)
    try:
        out = g.wait_for("serving on eth0")
        assert f"eth0 {netns.guest_ip}/{netns.netmask} gw {netns.host_ip}" in out, out
        r = netns.run(["ping", "-c", "1", "-W", "5", netns.guest_ip])
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        finish_net_test(netns, g)


@pytest.fixture(scope="module")
def cat_initrd(tmp_path_factory):
    """An initrd with busybox's cat, to show the program's view of /etc."""
    need_busybox()
    root = tmp_path_factory.mktemp("netinitrd")
    (root / "bin").mkdir()
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    os.symlink("busybox", root / "bin" / "cat")
    return make_cpio(root, tmp_path_factory.mktemp("cpio") / "initrd.cpio")


SLIRP = ["-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0"]


def test_dhcp_from_qemu_user_networking(cat_initrd):
    """ip=dhcp: a lease from QEMU's user-mode (slirp) DHCP server: 10.0.2.15, gateway 10.0.2.2,
    name server 10.0.2.3 (in /etc/resolv.conf for the program). No root needed: slirp lives
    inside QEMU."""
    r = qemu_boot("microvm,acpi=off", "--verbose --bootchart ip=dhcp /bin/cat /etc/resolv.conf",
                  extra=SLIRP + ["-initrd", str(cat_initrd)])
    assert "net: eth0 52:54:00:12:34:56 10.0.2.15/255.255.255.0 gw 10.0.2.2\n" in r.out, r.out
    assert "Network initialized" in r.out, r.out
    assert "nameserver 10.0.2.3\n" in r.out, r.out
    assert r.status == qemu_status(0), r.out


def test_static_name_servers(cat_initrd):
    """ip='s dns0/dns1 fields and --nameserver= end up in /etc/resolv.conf."""
    r = qemu_boot("microvm,acpi=off", "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off:"
                  "10.0.2.3:9.9.9.9 /bin/cat /etc/resolv.conf",
                  extra=SLIRP + ["-initrd", str(cat_initrd)])
    assert "nameserver 10.0.2.3\nnameserver 9.9.9.9\n" in r.out, r.out
    r = qemu_boot("microvm,acpi=off", "--ip=eth0,10.0.2.15,255.255.255.0 --defaultgw=10.0.2.2 "
                  "--nameserver=10.0.2.3 /bin/cat /etc/resolv.conf",
                  extra=SLIRP + ["-initrd", str(cat_initrd)])
    assert "nameserver 10.0.2.3\n" in r.out and "9.9.9.9" not in r.out, r.out
    assert r.status == qemu_status(0), r.out


def test_no_nic_no_network_stage():
    """Without a network device the stack does not start and the bootchart has no stage."""
    r = qemu_boot("microvm,acpi=off", "--bootchart /hello")
    assert r.status == qemu_status(0), r.out
    assert "Network initialized" not in r.out and "lwIP" not in r.out, r.out


BAD = [
    ("ip=10.0.2.300::::::off", "client address '10.0.2.300' is not an IPv4 address"),
    ("ip=10.0.2.2::10.0.2.1:255.0.255.0::eth0:off", "netmask '255.0.255.0' is not a netmask"),
    ("ip=10.0.2.2::10.9.9.1:255.255.255.0::eth0:off", "gateway '10.9.9.1' is not on the client"),
    ("ip=10.0.2.2:::::eth0:maybe", "autoconf 'maybe' is not"),
    ("ip=rarp", "only DHCP autoconfiguration is supported"),
    ("ip=10.0.2.2", "want ip=<client>"),
    ("--ip=eth0,10.0.2.2", "want --ip=<dev>,<addr>,<netmask>"),
    ("--ip=eth0,10.0.2.2,255.255.255.0 --defaultgw=10.0.2", "the gateway is not an IPv4 address"),
    ("--nameserver=dns.example", "the name server is not an IPv4 address"),
    ("ip=10.0.2.2:::255.255.255.0::eth1:off", "no network device eth1 (1 found)"),
]


@pytest.mark.parametrize("arg,message", BAD, ids=[b[0] for b in BAD])
def test_bad_address_options_stop_the_boot(arg, message):
    r = qemu_boot("microvm,acpi=off", f"{arg} /hello",
                  extra=["-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0"])
    lines = [l for l in r.out.splitlines() if l.startswith("net: ")]
    assert len(lines) == 1 and message in lines[0], r.out
    assert "Hello" not in r.out, r.out
    assert r.status == qemu_status(2), r.out


def test_address_option_without_a_device():
    r = qemu_boot("microvm,acpi=off", "ip=dhcp /hello")
    assert "net: ip=: no network device" in r.out, r.out
    assert r.status == qemu_status(2), r.out


def test_cpl0_instructions_per_full_size_frame():
    """The issue's target, held: at most 2000 CPL0 instructions per full-size frame through the
    driver and lwIP, counted exactly on a QEMU trace (bench/netpkt.py: a 1472-byte ping is two
    1514-byte frames, request and reply, with the interrupt and scheduling around them), and no
    more than 10 exits per round trip."""
    skip_unless_possible()  # bench/netpkt.py makes its own namespace
    r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "netpkt.py"), "--count", "5",
                        "--interval", "0.2"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(r.stdout.splitlines()[0])
    assert res["pings"] >= 5, res
    assert res["driver"] + res["lwip"] <= 2 * 2000, res
    assert res["insns_median"] <= 2 * 2000, res  # everything, interrupt entry and idle included
    assert res["exits"] <= 10, res
