#!/usr/bin/env python3
"""Scheduler and SMP costs (issue "CPUs, interrupts and time"): the kernel's --test=sched-bench
suite on QEMU TCG (-smp 2), medians of >= 20 runs, plus the "SMP launched" bootchart stage per
AP. QEMU TCG interprets every instruction, so these are interpreter timings: they rank changes,
they do not predict hardware. Prints a markdown section."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
KERNEL = os.path.join(ROOT, "build", "mote.elf")
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
BENCH = re.compile(r"^bench (.+): (\d+) ns", re.M)
STAGE = re.compile(r"^\t(.+): (\d+\.\d+)ms, \(\+(\d+\.\d+)ms\)", re.M)


def boot(cmdline, smp):
    cmd = [QEMU, "-M", "q35", "-smp", str(smp), "-accel", "tcg,thread=single", "-m", "128",
           "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
           "-kernel", KERNEL, "-append", cmdline,
           "-device", "isa-debug-exit,iobase=0x501,iosize=2"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
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
             f"`bench/sched.py` ({a.runs} runs, median / p90). The kernel's `--test=sched-bench`.",
             "", "| what | median | p90 |", "|---|---|---|"]
    for name, xs in samples.items():
        xs.sort()
        p90 = xs[int(0.9 * (len(xs) - 1))]
        lines.append(f"| {name} | {statistics.median(xs) / 1000:.1f} us | {p90 / 1000:.1f} us |")
    if smp_launch[2]:
        xs = sorted(smp_launch[2])
        lines.append(f"| SMP launched (bootchart stage, 1 AP by INIT-SIPI-SIPI) | "
                     f"{statistics.median(xs):.2f} ms | {xs[int(0.9 * (len(xs) - 1))]:.2f} ms |")
    lines.append("")
    print("\n".join(lines))
    return 0 if samples else 1


if __name__ == "__main__":
    sys.exit(main())
