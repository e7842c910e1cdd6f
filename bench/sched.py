#!/usr/bin/env python3
"""Scheduler and SMP costs (issue 4, "CPUs, interrupts and time") on QEMU TCG (q35, -smp 2, one TCG
thread). Two parts: the Mote kernel's own --test=sched-bench suite and "SMP launched" bootchart
stage (medians of >= 20 runs); and apps/schedbench, one static program that measures at user level
in the same way on Mote and on a Linux guest (Debian's linux-image-amd64, `scripts/setup --bench`
installs it; the program is the guest's /init), run here on the same QEMU settings. QEMU TCG
interprets every instruction, so these are interpreter timings: they rank, they do not predict
hardware. Prints a markdown section."""
import argparse
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
KERNEL = os.path.join(ROOT, "build", "mote.elf")
SCHEDBENCH = os.path.join(ROOT, "build", "apps", "schedbench")
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
BENCH = re.compile(r"^bench (.+): (\d+) ns", re.M)
STAGE = re.compile(r"^\t(.+): (\d+\.\d+)ms, \(\+(\d+\.\d+)ms\)", re.M)
USER = re.compile(r"^schedbench (thread create\+join|thread create\+join on CPU 0|context switch|"
                  r"cross-CPU wake-up round trip): (\d+) ns(?: \((.*)\))?", re.M)
START = re.compile(r"^schedbench start: (\d+) ns since the kernel's clock began, (-?\d+) CPUs",
                   re.M)
KLOG = re.compile(r"^schedbench klog: <\d+>\[\s*(\d+\.\d+)\] (.*)$", re.M)
# The same machine for both kernels' schedbench runs.
MACHINE = ["-M", "q35", "-smp", "2", "-accel", "tcg,thread=single", "-m", "256",
           "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"]


def boot(cmdline, smp):
    cmd = [QEMU, "-M", "q35", "-smp", str(smp), "-accel", "tcg,thread=single", "-m", "128",
           "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
           "-kernel", KERNEL, "-append", cmdline,
           "-device", "isa-debug-exit,iobase=0x501,iosize=2"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout


def boot_timed(kernel, cmdline, initrd, extra=(), timeout=300):
    """Boots kernel with initrd on MACHINE; returns the console text and the host wall time from
    starting QEMU to the program's "schedbench start" line (None if it never came)."""
    cmd = ([QEMU] + MACHINE + ["-kernel", kernel, "-append", cmdline, "-initrd", initrd]
           + list(extra))
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines, first = [], None
    deadline = t0 + timeout
    try:
        for raw in p.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n")
            if first is None and line.startswith("schedbench start"):
                first = time.monotonic() - t0
            lines.append(line)
            if time.monotonic() > deadline:
                break
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
    return "\n".join(lines), first


def linux_kernel():
    found = sorted(glob.glob("/boot/vmlinuz-*"))
    return found[-1] if found else None


def make_initrd(tmp):
    """A cpio newc initrd holding build/apps/schedbench as /init (made with the stock cpio)."""
    root = os.path.join(tmp, "root")
    os.makedirs(root)
    shutil.copy(SCHEDBENCH, os.path.join(root, "init"))
    out = os.path.join(tmp, "schedbench.cpio")
    with open(out, "wb") as f:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=b"init\n",
                       stdout=f, check=True)
    return out


def p90_index(n):
    """The nearest-rank 90th percentile's index in n sorted samples."""
    return max(0, -(-9 * n // 10) - 1)


def med_p90(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[p90_index(len(xs))]


def fmt(xs, unit, scale, digits=1):
    if not xs:
        return "not measured"
    m, p = med_p90(xs)
    return f"{m / scale:.{digits}f} / {p / scale:.{digits}f} {unit}"


def user_runs(kernel, cmdline, initrd, runs, extra=()):
    """runs boots of schedbench; per-measurement samples (ns), notes, and boot-time samples."""
    s = {"user": {}, "notes": {}, "wall": [], "mono": [], "cpus": set(), "smp": [], "init": [],
         "total": [], "launch": [], "failed": 0, "mitigations": set()}
    for _ in range(runs):
        out, first = boot_timed(kernel, cmdline, initrd, extra)
        got = USER.findall(out)
        if len(got) != 4 or "schedbench done" not in out:
            s["failed"] += 1
            s["last_failure"] = out[-1500:]
            continue
        for name, ns, note in got:
            s["user"].setdefault(name, []).append(int(ns))
            s["notes"].setdefault(name, set()).add(note)
        if first is not None:
            s["wall"].append(first * 1e3)
        m = START.search(out)
        s["mono"].append(int(m.group(1)) / 1e6)
        s["cpus"].add(int(m.group(2)))
        klog = {msg: float(t) for t, msg in KLOG.findall(out)}
        up = [t for msg, t in klog.items() if msg.startswith("smp: Bringing up")]
        done = [t for msg, t in klog.items() if msg.startswith("smp: Brought up")]
        if up and done:
            s["smp"].append((done[0] - up[0]) * 1e3)
        s["mitigations"] |= {msg for msg in klog if "isolation" in msg or "Mitigation" in msg}
        init = [t for msg, t in klog.items() if msg.startswith("Run /init")]
        if init:
            s["init"].append(init[0] * 1e3)
        for name, at, delta in STAGE.findall(out):
            if name == "SMP launched":
                s["launch"].append(float(delta))
            if name == "Total time":
                s["total"].append(float(at))
    return s


def where(notes):
    """The CPUs the ping-pong threads ran on, as the program reported them."""
    cpus = sorted({re.sub(r"^futex ping-pong, ", "", n) for n in notes if n})
    cpus = ["getcpu not implemented" if c.startswith("CPUs -1 and -1") else c for c in cpus]
    return "; ".join(cpus)


def comparison(a, lines):
    if not os.path.exists(SCHEDBENCH):
        lines += ["build/apps/schedbench is missing (run make): no Mote/Linux comparison.", ""]
        return True
    vmlinuz = linux_kernel()
    with tempfile.TemporaryDirectory() as tmp:
        initrd = make_initrd(tmp)
        mote = user_runs(KERNEL, "--bootchart /init", initrd, a.runs,
                         ["-device", "isa-debug-exit,iobase=0x501,iosize=2"])
        linux = None
        if vmlinuz and a.linux_runs > 0:
            linux = user_runs(vmlinuz, "console=ttyS0 quiet printk.time=1 -- --klog --poweroff",
                              initrd, a.linux_runs)
    lname = os.path.basename(vmlinuz).replace("vmlinuz-", "Linux ") if vmlinuz else "Linux"
    lines += [f"### The same program on Mote and on {lname} (`apps/schedbench`)", "",
              "One static musl program, `build/apps/schedbench`, is `/init` in one cpio initrd, "
              "booted by both kernels on the same QEMU: `-M q35 -smp 2 -accel tcg,thread=single "
              "-m 256`. Mote: `--bootchart /init`; Linux: Debian's `linux-image-amd64` kernel, "
              "`console=ttyS0 quiet printk.time=1`, the program powers the VM off at the end. "
              f"Mote {len(mote['wall'])} runs; Linux "
              + (f"{len(linux['wall'])} runs (a Linux boot takes ~8 s of TCG; {a.linux_runs} "
                 "asked, `--linux-runs`)" if linux else "not run")
              + ". Median / p90. The program's medians are over its own samples (201 thread "
              "create+joins, 1001 ping-pong round trips each), then over the runs.", ""]
    if not vmlinuz:
        lines += ["**Linux column skipped:** no /boot/vmlinuz-* on this machine "
                  "(`scripts/setup --bench`, which `make bench` runs, installs Debian's "
                  "linux-image-amd64).", ""]
        print("bench/sched.py: no /boot/vmlinuz-*: Linux column skipped "
              "(scripts/setup --bench installs linux-image-amd64)", file=sys.stderr)
    lines += [f"| what | Mote | {lname} | how |", "|---|---|---|---|"]
    L = linux or {"user": {}, "notes": {}, "wall": [], "mono": [], "smp": [], "init": [],
                  "cpus": set()}
    for name, how in [("thread create+join", "pthread_create + pthread_join of an empty thread, "
                       "no affinity set (the kernel may start the thread on the other CPU)"),
                      ("thread create+join on CPU 0", "the same with the process pinned to CPU 0 "
                       "by sched_setaffinity (the thread inherits it)"),
                      ("context switch", "two threads pinned to CPU 0 ping-pong through a private "
                       "futex; half a round trip"),
                      ("cross-CPU wake-up round trip", "the same ping-pong, threads pinned to CPUs "
                       "0 and 1 with sched_setaffinity")]:
        note = ""
        if name.startswith("cross-CPU") or name.startswith("context"):
            note = (f" Ran on: Mote {where(mote['notes'].get(name, ())) or '?'}"
                    + (f"; Linux {where(L['notes'].get(name, ()))}" if linux else "") + ".")
        lines.append(f"| {name} | {fmt(mote['user'].get(name, []), 'us', 1000)} | "
                     f"{fmt(L['user'].get(name, []), 'us', 1000)} | {how}.{note} |")
    lines.append(f"| SMP bring-up, 1 AP | {fmt(mote['launch'], 'ms', 1, 2)} | "
                 f"{fmt(L['smp'], 'ms', 1, 2)} | Mote: bootchart stage \"SMP launched\" "
                 "(INIT-SIPI-SIPI to the AP running); Linux: printk time from \"smp: Bringing up "
                 "secondary CPUs\" to \"smp: Brought up\" |")
    lines.append(f"| kernel's clock at the program's first instruction | "
                 f"{fmt(mote['total'], 'ms', 1, 2)} | {fmt(L['init'], 'ms', 1, 2)} | "
                 "Mote: bootchart \"Total time\" (TSC since the kernel's entry); Linux: printk "
                 "time of \"Run /init as init process\" (sched_clock, which starts at the early "
                 "TSC set-up, after the decompressor) |")
    lines.append(f"| CLOCK_MONOTONIC at main() | {fmt(mote['mono'], 'ms', 1, 2)} | "
                 f"{fmt(L['mono'], 'ms', 1, 2)} | the program's first line; Mote's clock starts at "
                 "the first clock read, so this only says Linux's view |")
    lines.append(f"| QEMU start to the program's first line (host wall clock) | "
                 f"{fmt(mote['wall'], 'ms', 1, 0)} | {fmt(L['wall'], 'ms', 1, 0)} | the same clock "
                 "for both: QEMU and firmware start-up, kernel boot, first console line |")
    lines.append("")
    def ncpu(s):
        return "/".join(str(n) for n in sorted(s["cpus"])) or "?"
    lines += [f"CPUs the program sees (sched_getaffinity): Mote {ncpu(mote)}"
              + (f", Linux {ncpu(L)}" if linux else "")
              + ". Mote runs every user thread on CPU 0 today: sched_setaffinity refuses a mask "
              "without CPU 0 (EINVAL) and getcpu answers 0, so its \"cross-CPU\" row is a "
              "same-CPU round trip (the kernel's own `--test=sched-bench` above measures a real cross-CPU "
              "wake-up between kernel threads)."
              + (" Linux honours the pinning (see where its threads ran, from getcpu)."
                 if linux else ""), ""]
    if linux and linux["mitigations"]:
        lines += ["Linux's log names these mitigations on TCG's CPU model: "
                  + "; ".join(f"\"{m}\"" for m in sorted(linux["mitigations"]))
                  + ". They add work to Linux's system calls and context switches (how much under "
                  "TCG was not measured here); Mote has none of them.", ""]
    for who, s in (("Mote", mote), ("Linux", linux)):
        if s and s["failed"]:
            lines += [f"{who}: {s['failed']} runs failed; the last one's console ended with:", "",
                      "```", s.get("last_failure", ""), "```", ""]
    return bool(mote["user"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--linux-runs", type=int, default=10,
                    help="Linux guest boots for the comparison (each ~8 s under TCG); 0 skips")
    a = ap.parse_args()
    samples = {}
    smp_launch = {1: [], 2: []}
    for _ in range(a.runs):
        out = boot("--bootchart --test=sched-bench", 2)
        for name, ns in BENCH.findall(out):
            samples.setdefault(name, []).append(int(ns))
        for name, at, delta in STAGE.findall(out):
            if name == "SMP launched":
                smp_launch[2].append(float(delta))
    lines = ["## Threads and SMP (QEMU TCG q35 -smp 2, one TCG thread)", "",
             f"`bench/sched.py` ({a.runs} runs, median / p90). The kernel's `--test=sched-bench`. "
             "TCG interprets every instruction: these timings rank, they do not predict hardware.",
             "", "| what | median | p90 |", "|---|---|---|"]
    for name, xs in samples.items():
        xs.sort()
        p90 = xs[p90_index(len(xs))]
        lines.append(f"| {name} | {statistics.median(xs) / 1000:.1f} us | {p90 / 1000:.1f} us |")
    if smp_launch[2]:
        xs = sorted(smp_launch[2])
        lines.append(f"| SMP launched (bootchart stage, 1 AP by INIT-SIPI-SIPI) | "
                     f"{statistics.median(xs):.2f} ms | {xs[p90_index(len(xs))]:.2f} ms |")
    lines.append("")
    ok = comparison(a, lines)
    print("\n".join(lines))
    return 0 if samples and ok else 1


if __name__ == "__main__":
    sys.exit(main())
