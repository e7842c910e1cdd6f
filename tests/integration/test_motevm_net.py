"""motevm's network interfaces (virtio-net over a tap) from the command line and the config
file. Everything up to the tap is checked before /dev/kvm is opened, so these run on a host
without KVM: flags, MACs, a missing tap, a busy tap, something that is not a tap, no permission.
Taps are made by the test, as root, inside a network namespace it creates (motevm runs in it
through `ip netns exec`); without root those tests skip with the reason. Guest traffic needs
/dev/kvm and the kernel's virtio-net driver; those tests skip with the reason."""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import uuid

import pytest

from conftest import BUILD, KERNEL, MOTEVM, Run, kvm_available, motevm
from test_motevm import config, expect_error

HELLO = ["--kernel", KERNEL, "--cmdline", "/hello"]
IP = shutil.which("ip")


def run_in(ns, args, prefix=(), timeout=60):
    p = subprocess.run([IP, "netns", "exec", ns] + list(prefix) + [MOTEVM] + list(args),
                       capture_output=True, timeout=timeout)
    return Run(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


def one_line_error(r, message, status):
    assert r.status == status, r
    lines = [l for l in r.err.splitlines() if l]
    assert len(lines) == 1, f"one line expected: {r.err!r}"
    assert lines[0].startswith("motevm: ") and message in lines[0], lines[0]


def reaches_kvm(r):
    """Valid input on a host without /dev/kvm: motevm gets as far as opening it."""
    assert r.status == 2, r
    assert "cannot open /dev/kvm" in r.err, r


@pytest.fixture
def netns():
    if os.geteuid() != 0:
        pytest.skip("needs root: the test creates a network namespace and a tap in it")
    if IP is None:
        pytest.skip("needs iproute2 (ip)")
    name = f"mote-{uuid.uuid4().hex[:8]}"
    if subprocess.run([IP, "netns", "add", name], capture_output=True).returncode:
        pytest.skip("ip netns add failed: network namespaces unavailable here")
    try:
        yield name
    finally:
        subprocess.run([IP, "netns", "del", name], capture_output=True)


def ns_ip(ns, *args):
    subprocess.run([IP, "-n", ns] + list(args), check=True, capture_output=True)


@pytest.fixture
def tap(netns):
    """A tap "tap0" in a fresh namespace: (namespace, tap name)."""
    ns_ip(netns, "tuntap", "add", "dev", "tap0", "mode", "tap")
    return netns, "tap0"


# --- flags and config: no root, no KVM --------------------------------------------------------

@pytest.mark.parametrize("spec,message", [
    (",mac=06:00:ac:10:00:02", "--net: missing tap device name"),
    ("tap0,mac=06:00:ac:10:00", "--net: mac must be like 06:00:ac:10:00:02"),
    ("tap0,mac=zz:00:ac:10:00:02", "--net: mac must be like"),
    ("tap0,speed=10", '--net: unknown option "speed=10"'),
])
def test_bad_net_spec(spec, message):
    expect_error(HELLO + ["--net", spec], message)


def test_net_missing_value():
    expect_error(HELLO + ["--net"], "--net: missing value")


def test_missing_tap():
    """No such interface: motevm does not create one (a typo must not become a new tap)."""
    name = "motenx" + uuid.uuid4().hex[:6]
    r = expect_error(HELLO + ["--net", f"{name},id=net0"],
                     f"network interface net0: tap {name}: no such network interface")
    assert f"ip tuntap add dev {name} mode tap" in r.err
    assert "/dev/kvm" not in r.err


def test_missing_tap_in_config(tmp_path):
    nets = [{"iface_id": "eth0", "host_dev_name": "motenx-cfg0", "guest_mac": "06:00:ac:10:00:02"}]
    expect_error(["--no-api", "--config-file", config(tmp_path, network_interfaces=nets)],
                 "network interface eth0: tap motenx-cfg0: no such network interface")


def test_duplicate_taps(tmp_path):
    expect_error(HELLO + ["--net", "tap0", "--net", "tap0"], 'host_dev_name "tap0" already used')


# --- a tap made by the test (root) --------------------------------------------------------------

def test_tap_accepted_short_form(tap):
    ns, name = tap
    if kvm_available():
        pytest.skip("this machine has /dev/kvm: the boots below cover valid input")
    reaches_kvm(run_in(ns, HELLO + ["--net", f"{name},mac=06:00:ac:10:00:02"]))
    reaches_kvm(run_in(ns, HELLO + ["--net", name]))  # a generated MAC


def test_tap_accepted_config_file(tap, tmp_path):
    ns, name = tap
    if kvm_available():
        pytest.skip("this machine has /dev/kvm: the boots below cover valid input")
    ns_ip(ns, "tuntap", "add", "dev", "tap1", "mode", "tap")
    nets = [{"iface_id": "eth0", "host_dev_name": name, "guest_mac": "06:00:ac:10:00:02",
             "rx_rate_limiter": {"bandwidth": {"size": 1000, "refill_time": 100}}},
            {"iface_id": "eth1", "host_dev_name": "tap1"}]
    path = config(tmp_path, network_interfaces=nets)
    r = run_in(ns, ["--no-api", "--config-file", path, "--level", "debug"])
    reaches_kvm(r)
    # announced after nothing else: the two interfaces take the first two slots
    assert "virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6" in r.err


HOLD_TAP = r"""
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", sys.argv[1].encode(), 0x0002 | 0x1000 | 0x4000))
print("ready", flush=True)
sys.stdin.read()
"""


def test_busy_tap(tap):
    """Another process has the tap open: a clear error, before /dev/kvm."""
    ns, name = tap
    holder = subprocess.Popen([IP, "netns", "exec", ns, sys.executable, "-c", HOLD_TAP, name],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"ready"
        r = run_in(ns, HELLO + ["--net", name])
        one_line_error(r, f"network interface eth0: tap {name}: busy: another process has it "
                          "open", 1)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    if not kvm_available():
        reaches_kvm(run_in(ns, HELLO + ["--net", name]))  # free again


def test_not_a_tap(tap):
    ns, _ = tap
    ns_ip(ns, "tuntap", "add", "dev", "tun0", "mode", "tun")
    for dev in ("tun0", "lo"):
        one_line_error(run_in(ns, HELLO + ["--net", dev]),
                       f"tap {dev}: not a single-queue tap device", 1)


def test_tap_of_another_user(tap):
    """A tap owned by another user, and motevm without CAP_NET_ADMIN: permission denied."""
    ns, _ = tap
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux)")
    ns_ip(ns, "tuntap", "add", "dev", "tapu", "mode", "tap", "user", "12345")
    r = run_in(ns, HELLO + ["--net", "tapu"], prefix=["setpriv", "--bounding-set=-net_admin"])
    one_line_error(r, "tap tapu: permission denied", 1)


def test_no_access_to_dev_net_tun(tap):
    """/dev/net/tun not usable (here: root-only, run as nobody) is the host's problem: 2."""
    ns, name = tap
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux)")
    if os.stat("/dev/net/tun").st_mode & 0o006 == 0o006:
        pytest.skip("/dev/net/tun is open to everyone on this host")
    r = run_in(ns, HELLO + ["--net", name],
               prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
    if "cannot open /dev/net/tun" not in r.err:
        pytest.skip(f"nobody cannot run motevm here: {r.err.strip()}")
    one_line_error(r, f"tap {name}: cannot open /dev/net/tun: Permission denied", 2)


# --- guest traffic: need /dev/kvm ---------------------------------------------------------------

def test_boot_with_net(need_kvm, tap):
    """The device is there and the guest does not use it: the VM runs as before."""
    ns, name = tap
    r = run_in(ns, HELLO + ["--net", name])
    assert r.status == 0, r
    assert "Hello from C code" in r.out
    assert "needs reset" not in r.err


def guest_net_ready():
    if not kvm_available():
        pytest.skip("needs /dev/kvm (this machine has none): no guest can run here")
    with open(KERNEL, "rb") as f:
        if b"virtio-net" not in f.read():
            pytest.skip("the kernel has no virtio-net driver yet (branch kernel-virtio)")
    if not os.path.exists(os.path.join(BUILD, "apps", "echo")):
        pytest.skip("needs apps/echo (the kernel's networking issue)")


def icmp_echo(dst, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(timeout)
    body = struct.pack("!BBHHH", 8, 0, 0, 0x4d4f, 1) + b"mote-ping"
    csum = sum(struct.unpack("!%dH" % (len(body) // 2), body[:len(body) // 2 * 2]))
    csum += body[-1] << 8 if len(body) % 2 else 0
    csum = (csum >> 16) + (csum & 0xffff)
    csum = ~(csum + (csum >> 16)) & 0xffff
    body = body[:2] + struct.pack("!H", csum) + body[4:]
    s.sendto(body, (dst, 0))
    data, _ = s.recvfrom(2048)
    return data[20] == 0  # echo reply


def test_host_pings_guest_and_udp_echo(tap):
    guest_net_ready()
    ns, name = tap
    ns_ip(ns, "addr", "add", "172.16.0.1/30", "dev", name)
    ns_ip(ns, "link", "set", name, "up")
    vm = subprocess.Popen([IP, "netns", "exec", ns, MOTEVM, "--kernel", KERNEL, "--cmdline",
                           "ip=172.16.0.2::172.16.0.1:255.255.255.252::eth0:off /echo",
                           "--net", f"{name},mac=06:00:ac:10:00:02"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        code = ("import socket,sys,time\n"
                "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(1)\n"
                "for i in range(30):\n"
                "  s.sendto(b'hello mote',('172.16.0.2',7))\n"
                "  try:\n"
                "    d,_=s.recvfrom(100);print(d.decode());sys.exit(0)\n"
                "  except OSError: time.sleep(0.5)\n"
                "sys.exit(1)\n")
        p = subprocess.run([IP, "netns", "exec", ns, sys.executable, "-c", code],
                           capture_output=True, timeout=60)
        assert p.returncode == 0 and b"hello mote" in p.stdout, p
    finally:
        vm.terminate()
        out, err = vm.communicate(timeout=10)
    assert b"needs reset" not in err
