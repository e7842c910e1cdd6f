#!/usr/bin/env python3
"""Linux-ABI benchmarks of the Mote kernel on QEMU TCG, printed as a markdown table:

  - null system call cost: apps/sysloop (getpid, clock_gettime, 1-byte write to /dev/null,
    open+close, and fork + _exit + waitpid) in the guest, next to the same binary on the host;
  - CPL0 instructions per system call: what the kernel executes for one call, counted exactly on
    QEMU TCG with one instruction per translation block (the method of bench/insncount.py), as the
    difference between two runs of sysloop with different counts. Under PVM every one of these
    costs ~2.8 us, and the trap itself ~60 us;
  - hello, boot to exit: QEMU's wall time for `/hello` (process start to exit);
  - busybox sha256sum of a 64 MiB file from an uncompressed initrd, against the host's;
  - the smallest -m (MiB) with which hello still runs.

QEMU TCG interprets every guest instruction: its times say little about KVM or PVM, which is why
the instruction counts are given. Does not write docs/PERFORMANCE.md (its owner does)."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from insncount import executions, exit_kind  # noqa: E402

BUILD = os.path.join(ROOT, "build")
KERNEL = os.path.join(BUILD, "mote.elf")
SYSLOOP = os.path.join(BUILD, "apps", "sysloop")
BUSYBOX = shutil.which("busybox") or "/bin/busybox"
QEMU = "qemu-system-x86_64"


def qemu(cmdline, initrd=None, mem=256, extra=(), timeout=600):
    cmd = [QEMU, "-M", "microvm", "-accel", "tcg", "-m", str(mem), "-display", "none",
           "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", KERNEL,
           "-append", cmdline, "-device", "isa-debug-exit,iobase=0x501,iosize=2"] + list(extra)
    if initrd:
        cmd += ["-initrd", initrd]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.monotonic() - t0, ""
    return time.monotonic() - t0, p.stdout.decode(errors="replace")


def make_initrd(d, files, name="initrd.cpio"):
    root = os.path.join(d, "root-" + name)
    os.makedirs(root, exist_ok=True)
    for guest, hostpath in files.items():
        dst = os.path.join(root, guest.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if not os.path.exists(dst):
            os.link(hostpath, dst) if os.stat(hostpath).st_dev == os.stat(root).st_dev \
                else shutil.copy(hostpath, dst)
    out = os.path.join(d, name)
    names = subprocess.run("find .", shell=True, cwd=root, capture_output=True).stdout
    with open(out, "wb") as f:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=names, stdout=f,
                       check=True)
    return out


def ns_per_call(text):
    m = re.search(r"ns_per_call=([0-9.]+)", text)
    return float(m.group(1)) if m else float("nan")


def count_cpl0_after_start(log_path):
    """CPL0 instructions (rep counted once) and exiting instructions after the program's first
    instruction."""
    res = {"instructions": 0, "io": 0, "msr": 0, "cpuid": 0, "hlt": 0}
    user_seen = False
    for pc, cpl, op, first in executions(log_path):
        if cpl == 3:
            user_seen = True
            continue
        if not user_seen or not first:
            continue
        res["instructions"] += 1
        kind = exit_kind(op)
        if kind:
            res[kind] += 1
    return res


def traced_count(initrd, args):
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "trace.log")
        qemu(f"/sysloop {args}", initrd, mem=128,
             extra=["-singlestep", "-d", "exec,nochain,in_asm", "-D", log])
        return count_cpl0_after_start(log)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--calls", type=int, default=200000)
    ap.add_argument("--big-mib", type=int, default=64)
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        initrd = make_initrd(d, {"/sysloop": SYSLOOP})

        # Null system calls, guest and host.
        for kind in ["getpid", "clock", "write", "open", "fork"]:
            calls = a.calls // 100 if kind == "fork" else a.calls
            guest = statistics.median(
                ns_per_call(qemu(f"/sysloop {calls} {kind}", initrd)[1]) for _ in range(3))
            hostv = statistics.median(
                ns_per_call(subprocess.run([SYSLOOP, str(calls), kind], capture_output=True,
                                           text=True).stdout) for _ in range(3))
            n_lo, n_hi = (20, 120) if kind == "fork" else (200, 1200)
            lo = traced_count(initrd, f"{n_lo} {kind}")
            hi = traced_count(initrd, f"{n_hi} {kind}")
            per = {k: max(0.0, (hi[k] - lo[k]) / (n_hi - n_lo)) for k in hi}
            print(f"{kind}: guest {guest:.0f} ns, host {hostv:.0f} ns, {per}", file=sys.stderr)
            rows.append((f"`{kind}` system call", f"{guest:.0f} ns (QEMU TCG)",
                         f"{hostv:.0f} ns (host)",
                         f"{per['instructions']:.0f} CPL0 instructions, "
                         f"{per['io'] + per['msr'] + per['cpuid'] + per['hlt']:.0f} exits"))

        # hello, boot to exit.
        times = [qemu("/hello", mem=128)[0] * 1000 for _ in range(a.runs)]
        rows.append(("hello, QEMU start to exit", f"{statistics.median(times):.0f} ms (TCG)", "",
                     "median of %d" % a.runs))

        # busybox sha256sum of a big file from the initrd.
        big = os.path.join(d, "big")
        with open(big, "wb") as f:
            for _ in range(a.big_mib):
                f.write(os.urandom(1 << 20))
        bb = make_initrd(d, {"/bin/busybox": BUSYBOX, "/big": big}, "bb.cpio")
        mem = a.big_mib * 3 + 128
        t_sum = statistics.median(
            qemu("/bin/busybox sha256sum /big", bb, mem=mem)[0] for _ in range(3))
        t_true = statistics.median(qemu("/bin/busybox true", bb, mem=mem)[0] for _ in range(3))
        t0 = time.monotonic()
        subprocess.run([BUSYBOX, "sha256sum", big], capture_output=True)
        t_host = time.monotonic() - t0
        rows.append((f"busybox sha256sum, {a.big_mib} MiB from the initrd",
                     f"{(t_sum - t_true) * 1000:.0f} ms (TCG, minus `busybox true`)",
                     f"{t_host * 1000:.0f} ms (host)",
                     f"whole run {t_sum * 1000:.0f} ms"))

        # Smallest memory for hello.
        smallest = None
        for mib in range(1, 17):
            _, out = qemu("/hello", mem=mib, timeout=20)
            if "Hello from C code" in out:
                smallest = mib
                break
        rows.append(("smallest -m for hello", f"{smallest} MiB", "", "QEMU microvm"))

    print("## Linux system calls and programs (`bench/syscall.py`)\n")
    print(f"Command: bench/syscall.py --runs {a.runs} --calls {a.calls} --big-mib {a.big_mib}\n")
    print("| measurement | Mote | host | notes |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
