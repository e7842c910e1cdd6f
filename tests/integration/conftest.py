"""Shared fixtures for the integration tests: where the build is, and how to boot the Mote kernel
on QEMU (TCG) and on motevm (KVM), reading the serial console and the exit status."""
import os
import shutil
import subprocess
from dataclasses import dataclass

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
KERNEL = os.path.join(BUILD, "mote.elf")
MOTEVM = os.path.join(BUILD, "motevm")
QEMU = shutil.which("qemu-system-x86_64")

# QEMU's isa-debug-exit turns the status the guest writes into (status << 1) | 1.
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0x501,iosize=2"]


@dataclass
class Run:
    status: int
    out: str
    err: str


def kvm_available():
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def qemu_status(guest_status):
    """The exit status QEMU's isa-debug-exit gives for a status the guest wrote."""
    return ((guest_status << 1) | 1) & 0xff


def qemu_boot(machine, cmdline, mem="128", smp=1, extra=(), timeout=60, kernel=KERNEL,
              debug_exit=True):
    """Boots the kernel through QEMU's -kernel (the PVH entry); returns QEMU's exit status (see
    qemu_status), the console text and stderr."""
    if QEMU is None:
        pytest.skip("qemu-system-x86_64 is not installed (scripts/setup installs it)")
    cmd = [QEMU, "-M", machine, "-accel", "tcg", "-m", str(mem), "-smp", str(smp),
           "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
           "-kernel", kernel, "-append", cmdline] + (DEBUG_EXIT if debug_exit else []) + list(extra)
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    return Run(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


def motevm(args, timeout=60, **kw):
    """Runs build/motevm with args; returns its status and output."""
    p = subprocess.run([MOTEVM] + list(args), capture_output=True, timeout=timeout, **kw)
    return Run(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


@pytest.fixture
def need_kvm():
    if not kvm_available():
        pytest.skip("needs /dev/kvm (this machine has none): motevm cannot run a guest here")
