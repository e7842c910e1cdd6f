"""Programs that use sockets (apps/httpd, apps/echo, apps/nettest), unmodified static Linux
binaries, on the kernel's socket layer (kernel/net/socket.c) over virtio-net, on QEMU TCG: the
host side runs in a network namespace with a tap (netns.py; root needed, else skipped with the
reason). httpd serves a page and a 10 MiB file to curl (checksums compared), holds 100
connections at once and 100 clients making a connection per request; echo returns 1 MiB over TCP both ways and UDP datagrams; nettest connects out
to a host listener and checks Linux's errno values (ECONNREFUSED from a closed host port,
EADDRINUSE, ...). microvm (virtio-mmio) runs everything; -M pc with virtio-net-pci legacy and
modern runs the page fetch and the echo. The errno suite also runs over loopback with no device
(no root needed), and so does apps/netsig (signals against blocked socket calls). motevm runs
the same with /dev/kvm, and skips with the reason without it."""
import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BUILD, KERNEL, MOTEVM, kvm_available, qemu_boot, qemu_status
from netns import QemuGuest, netns  # noqa: F401 (the fixture)

CLIENT = [sys.executable, os.path.join(os.path.dirname(__file__), "sockclient.py")]
PROGRAMS = ["httpd", "echo", "nettest", "netperf", "netsig"]
PAGE = b"<html><body><h1>Mote</h1><p>served by apps/httpd</p></body></html>\n"
BIG = 10 * 1024 * 1024

TRANSPORTS = {
    "mmio": ("microvm,acpi=off", ["-device", "virtio-net-device,netdev=n0"]),
    "pci-legacy": ("pc", ["-device", "virtio-net-pci,netdev=n0,disable-modern=on"]),
    "pci-modern": ("pc", ["-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]),
}


@pytest.fixture(scope="module")
def staging(tmp_path_factory):
    """The initrd's tree: /bin with the socket programs, /www with a page and a 10 MiB file."""
    for p in PROGRAMS:
        if not os.path.exists(os.path.join(BUILD, "apps", p)):
            pytest.skip(f"build/apps/{p} is missing: run make")
    root = tmp_path_factory.mktemp("netroot")
    os.makedirs(root / "bin")
    os.makedirs(root / "www")
    for p in PROGRAMS:
        shutil.copy(os.path.join(BUILD, "apps", p), root / "bin" / p)
    (root / "www" / "index.html").write_bytes(PAGE)
    (root / "www" / "big.bin").write_bytes(os.urandom(BIG))
    return root


@pytest.fixture(scope="module")
def initrd(staging, tmp_path_factory):
    out = tmp_path_factory.mktemp("netcpio") / "initrd.cpio"
    names = subprocess.run("find .", shell=True, cwd=staging, capture_output=True, check=True).stdout
    with open(out, "wb") as f:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], input=names, stdout=f,
                       cwd=staging, check=True)
    return str(out)


def guest(ns, transport, program, initrd, mem=128, extra=()):
    machine, dev = TRANSPORTS[transport]
    return QemuGuest(ns, machine, f"{ns.static_ip_arg()} {program}",
                     dev + ["-initrd", initrd] + list(extra), mem=mem)


def client(ns, *args, timeout=90):
    r = ns.run(CLIENT + [str(a) for a in args], timeout=timeout)
    assert r.returncode == 0 and r.stdout.startswith("ok"), r.stdout + r.stderr
    return r.stdout


def curl(ns, url, out=None):
    args = ["curl", "-s", "-S", "--max-time", "60", "-w", "%{http_code}"]
    if out:
        args += ["-o", str(out)]
    r = ns.run(args + [url], timeout=90)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_httpd_page_10mib_file_and_100_connections(netns, initrd, staging, tmp_path):
    # Responses: the page, the big file, a 404, two on each of 100 connections, then 3000 more.
    g = guest(netns, "mmio", "/bin/httpd -n 3203 80 /www", initrd)
    try:
        g.wait_for("httpd: serving /www on port 80")
        url = f"http://{netns.guest_ip}"
        page = curl(netns, f"{url}/")
        assert page == PAGE.decode() + "200", page
        got = curl(netns, f"{url}/big.bin", tmp_path / "big.bin")
        assert got == "200"
        assert hashlib.sha256((tmp_path / "big.bin").read_bytes()).hexdigest() == \
            hashlib.sha256((staging / "www" / "big.bin").read_bytes()).hexdigest()
        assert curl(netns, f"{url}/no-such-file").endswith("404")
        client(netns, "http-many", netns.guest_ip, 80, 100)
        # 100 clients at once, a connection per request (the server closes each): bursts of SYNs
        # on the listener (its accept queue must drop what it cannot hold, not reset it), and
        # client ports reused while the server still holds them in TIME_WAIT.
        client(netns, "http-burst", netns.guest_ip, 80, 100, 30)
        r = g.finish(timeout=60)
    finally:
        g.kill()
    assert "httpd: served 3203 responses" in r.out, r.out
    assert r.status == qemu_status(0), r.out


def test_echo_tcp_1mib_and_udp(netns, initrd):
    g = guest(netns, "mmio", "/bin/echo -n 1 7", initrd)
    try:
        g.wait_for("echo: tcp and udp port 7")
        client(netns, "echo-udp", netns.guest_ip, 7, 50)
        client(netns, "echo-tcp", netns.guest_ip, 7, 1024 * 1024)
        r = g.finish(timeout=60)
    finally:
        g.kill()
    assert "echo: 1 connections served" in r.out, r.out
    assert r.status == qemu_status(0), r.out


@pytest.mark.parametrize("transport", ["pci-legacy", "pci-modern"])
def test_page_and_echo_on_pc(netns, initrd, transport):
    g = guest(netns, transport, "/bin/httpd -n 1 80 /www", initrd)
    try:
        g.wait_for("httpd: serving")
        assert curl(netns, f"http://{netns.guest_ip}/") == PAGE.decode() + "200"
        r = g.finish(timeout=60)
    finally:
        g.kill()
    assert r.status == qemu_status(0), r.out
    g = guest(netns, transport, "/bin/echo -n 1 7", initrd)
    try:
        g.wait_for("echo: tcp and udp port 7")
        client(netns, "echo-udp", netns.guest_ip, 7, 10)
        client(netns, "echo-tcp", netns.guest_ip, 7, 1024 * 1024)
        r = g.finish(timeout=60)
    finally:
        g.kill()
    assert r.status == qemu_status(0), r.out


def test_httpd_two_cpus(netns, initrd, staging, tmp_path):
    """Two vCPUs: the 10 MiB file three times at once while ab keeps 50 connections busy."""
    g = guest(netns, "mmio", "/bin/httpd 80 /www", initrd, extra=["-smp", "2"])
    try:
        g.wait_for("httpd: serving")
        url = f"http://{netns.guest_ip}"
        gets = [netns.popen(["curl", "-s", "-S", "--max-time", "60", "-o", str(tmp_path / f"b{i}"),
                             f"{url}/big.bin"]) for i in range(3)]
        ab = netns.run(["ab", "-q", "-k", "-c", "50", "-n", "2000", f"{url}/"], timeout=120)
        assert "Failed requests:        0" in ab.stdout and "Complete requests:      2000" in \
            ab.stdout, ab.stdout + ab.stderr
        for p in gets:
            assert p.wait(timeout=90) == 0
        want = (staging / "www" / "big.bin").read_bytes()
        for i in range(3):
            assert (tmp_path / f"b{i}").read_bytes() == want
        assert "PANIC" not in g.out, g.out
    finally:
        g.kill()


def test_guest_connects_out_and_errno(netns, initrd):
    """nettest against the host: a listener on 7000 (sockclient peer), nothing on 7001."""
    peer = netns.popen(CLIENT + ["peer", "7000"], stdout=subprocess.PIPE, text=True)
    try:
        assert peer.stdout.readline().startswith("ok")
        g = guest(netns, "mmio", f"/bin/nettest {netns.host_ip} 7000", initrd)
        r = g.finish(timeout=90)
    finally:
        peer.kill()
        peer.wait()
    assert "nettest: " in r.out and " 0 failures" in r.out, r.out
    assert r.status == qemu_status(0), r.out


def test_errno_over_loopback(initrd):
    """The same contract with no network device: lwIP's loopback, a peer thread in the guest."""
    r = qemu_boot("microvm", "/bin/nettest self 7000", extra=["-initrd", initrd], timeout=90)
    assert " 0 failures" in r.out, r.out
    assert r.status == qemu_status(0), r.out


def test_signals_interrupt_socket_calls(initrd):
    """apps/netsig over loopback: a forked child signals the parent blocked in accept, recv,
    send, connect, poll, select and epoll_wait (EINTR, SA_RESTART restarts, partial sends), and
    SIGTERM/SIGKILL end a child blocked in accept, recv or poll."""
    r = qemu_boot("microvm", "/bin/netsig 7100", extra=["-initrd", initrd], timeout=120)
    assert "netsig: " in r.out and " 0 failures" in r.out, r.out
    assert r.status == qemu_status(0), r.out


def test_motevm_httpd_and_echo(netns, initrd, staging, tmp_path):
    """motevm with --net: the page and the 10 MiB file. Needs /dev/kvm."""
    if not kvm_available():
        pytest.skip("needs /dev/kvm (this machine has none): motevm cannot run a guest here")
    vm = netns.popen([MOTEVM, "--kernel", KERNEL, "--initrd", initrd, "--cmdline",
                      f"{netns.static_ip_arg()} /bin/httpd -n 2 80 /www", "--net",
                      f"{netns.tap},mac=06:00:ac:10:00:02"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://{netns.guest_ip}"
        for _ in range(100):
            r = netns.run(["curl", "-s", "--max-time", "2", f"{url}/"])
            if r.returncode == 0:
                break
        assert r.stdout == PAGE.decode(), r.stdout + r.stderr
        assert curl(netns, f"{url}/big.bin", tmp_path / "big.bin") == "200"
        assert (tmp_path / "big.bin").read_bytes() == (staging / "www" / "big.bin").read_bytes()
        out, err = vm.communicate(timeout=60)
    finally:
        if vm.poll() is None:
            vm.kill()
            vm.wait()
    assert vm.returncode == 0, (out, err)
