"""A network namespace with a tap device in it, for guests on QEMU (or motevm) to talk to the host
side of the tap, without touching the machine's own network. Needs root (skips otherwise).

    from netns import netns, QemuGuest

    def test_something(netns):                 # the pytest fixture: made and torn down per test
        g = QemuGuest(netns, "microvm,acpi=off", "ip=10.0.2.2::10.0.2.1:255.255.255.0::eth0:off "
                      "--test=net", ["-device", "virtio-net-device,netdev=n0"])
        g.wait_for("serving on eth0")           # a console line, or fail with the console so far
        netns.run(["ping", "-c", "1", netns.guest_ip])   # any command inside the namespace
        r = g.finish()                          # Run(status, out, err) once QEMU exits

NetNS: name, tap ("tap0"), host_ip ("10.0.2.1"), guest_ip ("10.0.2.2"), prefix (24), netmask;
run(args) and popen(args) run a command in the namespace (`ip netns exec`); qemu_netdev(id)
gives QEMU's -netdev arguments for the tap; close() deletes the namespace (and the tap with it).
The namespace's loopback is up, so programs in it can also talk to each other."""
import os
import shutil
import subprocess
import threading
import time
import uuid

import pytest

from conftest import DEBUG_EXIT, KERNEL, QEMU, Run

IP = shutil.which("ip") or "/usr/sbin/ip"


def skip_unless_possible():
    """Skips the calling test, with the reason, when namespaces and taps cannot be made here."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the test makes a network namespace with a tap device in it")
    if not os.path.exists(IP):
        pytest.skip("needs iproute2 (ip); scripts/setup installs it")
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("needs /dev/net/tun for a tap device")


class NetNS:
    def __init__(self, tap="tap0", host_ip="10.0.2.1", guest_ip="10.0.2.2", prefix=24):
        self.name = f"mote-{uuid.uuid4().hex[:8]}"
        self.tap, self.host_ip, self.guest_ip, self.prefix = tap, host_ip, guest_ip, prefix
        bits = (0xffffffff << (32 - prefix)) & 0xffffffff
        self.netmask = ".".join(str((bits >> s) & 255) for s in (24, 16, 8, 0))
        r = subprocess.run([IP, "netns", "add", self.name], capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"ip netns add failed ({r.stderr.strip()}): no network namespaces here")
        try:
            for cmd in (["link", "set", "lo", "up"],
                        ["tuntap", "add", "dev", tap, "mode", "tap"],
                        ["addr", "add", f"{host_ip}/{prefix}", "dev", tap],
                        ["link", "set", tap, "up"]):
                self.run([IP] + cmd, check=True)
        except Exception:
            self.close()
            raise

    def run(self, args, check=False, timeout=60, **kw):
        """Runs a command in the namespace; returns the CompletedProcess (text output)."""
        return subprocess.run([IP, "netns", "exec", self.name] + list(args), capture_output=True,
                              text=True, check=check, timeout=timeout, **kw)

    def popen(self, args, **kw):
        """Starts a command in the namespace (subprocess.Popen keyword arguments)."""
        return subprocess.Popen([IP, "netns", "exec", self.name] + list(args), **kw)

    def qemu_netdev(self, id="n0"):
        return ["-netdev", f"tap,id={id},ifname={self.tap},script=no,downscript=no"]

    def static_ip_arg(self, dev="eth0"):
        """Linux's ip= for the guest's address on the tap's subnet, the host side as gateway."""
        return f"ip={self.guest_ip}::{self.host_ip}:{self.netmask}::{dev}:off"

    def close(self):
        subprocess.run([IP, "netns", "del", self.name], capture_output=True)


@pytest.fixture
def netns():
    skip_unless_possible()
    ns = NetNS()
    try:
        yield ns
    finally:
        ns.close()


class QemuGuest:
    """The kernel booted on QEMU TCG (PVH entry) inside ns (None: in the host's namespace), its
    console collected as it comes. extra: QEMU arguments (the network device; ns's -netdev n0 is
    added when ns is given)."""

    def __init__(self, ns, machine, cmdline, extra=(), mem=128, kernel=KERNEL):
        if QEMU is None:
            pytest.skip("qemu-system-x86_64 is not installed (scripts/setup installs it)")
        cmd = [QEMU, "-M", machine, "-accel", "tcg", "-m", str(mem), "-display", "none",
               "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", kernel,
               "-append", cmdline] + DEBUG_EXIT + (ns.qemu_netdev() if ns else []) + list(extra)
        opts = dict(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.p = ns.popen(cmd, **opts) if ns else subprocess.Popen(cmd, **opts)
        self._out, self._err = [], []
        self._cond = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(s, b), daemon=True)
                         for s, b in ((self.p.stdout, self._out), (self.p.stderr, self._err))]
        for t in self._readers:
            t.start()

    def _read(self, stream, buf):
        for line in iter(stream.readline, b""):
            with self._cond:
                buf.append(line.decode(errors="replace"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def out(self):
        with self._cond:
            return "".join(self._out)

    def wait_for(self, text, timeout=60):
        """Waits for text on the console; fails the test (with the console) if QEMU exits or the
        time runs out first."""
        end = time.monotonic() + timeout
        with self._cond:
            while text not in "".join(self._out):
                left = end - time.monotonic()
                if left <= 0 or (self.p.poll() is not None and not any(
                        t.is_alive() for t in self._readers)):
                    self.kill()
                    pytest.fail(f"{text!r} not on the console:\n{''.join(self._out)}"
                                f"{''.join(self._err)}")
                self._cond.wait(min(left, 0.2))
        return self.out

    def finish(self, timeout=60):
        """Waits for QEMU to exit; returns Run(status, console, stderr)."""
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"QEMU did not exit within {timeout} s:\n{self.out}")
        for t in self._readers:
            t.join(5)
        return Run(self.p.returncode, self.out, "".join(self._err))

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
