#!/usr/bin/env python3
"""Boot benchmark (`make bench`): the Mote kernel booting hello, on motevm (KVM) and on QEMU TCG,
with the floor (a process that only creates a VM and runs `out; hlt`) measured in the same run.
Medians and p90 of >= 20 runs. Writes the tables to docs/PERFORMANCE.md (--out) and stdout."""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(ROOT, "build")
KERNEL = os.path.join(BUILD, "mote.elf")
MOTEVM = os.path.join(BUILD, "motevm")
FLOOR = os.path.join(BUILD, "bench", "floor")
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
QEMU_ARGS = ["-accel", "tcg", "-display", "none", "-monitor", "none", "-serial", "stdio",
             "-no-reboot", "-device", "isa-debug-exit,iobase=0x501,iosize=2"]

TOTAL = re.compile(r"Total time: (\d+\.\d+)ms")
GUEST_BOOT = re.compile(r"Guest-boot-time = +(\d+) us")
PEERS = [
    ("Solo5 hvt test_hello (whole process)", "30 ms", "../shared/notes/pvm.md"),
    ("Unikraft helloworld, rebuilt without SSE", "280 ms (flaky)", "../shared/notes/pvm.md"),
    ("Stock Linux, Firecracker-style, to its banner", "~40 s (dies at ~150 s)",
     "../shared/notes/pvm.md"),
    ("OSv on Firecracker (hardware, published)", "5.6 ms boot, 11-24 MB", "firecracker.md"),
]


def kvm_usable():
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def stats(xs):
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
    return statistics.median(xs), p90


def run_rusage(cmd):
    """Runs cmd (killed after 60 s) and reads its peak RSS through wait4; returns (wall s, text,
    status, maxrss KiB)."""
    t0 = time.perf_counter()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(w, 1)
        os.dup2(w, 2)
        os.close(r)
        try:
            os.execvp("timeout", ["timeout", "-s", "KILL", "60"] + cmd)
        finally:
            os._exit(127)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, st, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    status = os.waitstatus_to_exitcode(st)
    return wall, b"".join(chunks).decode(errors="replace"), status, ru.ru_maxrss


def qemu_cmd(machine, cmdline, mem="128"):
    return [QEMU, "-M", machine, "-m", str(mem), "-kernel", KERNEL, "-append", cmdline] + QEMU_ARGS


def bench_qemu(runs):
    rows = []
    for machine in ("microvm", "pc"):
        totals, walls = [], []
        for _ in range(runs):
            wall, out, status, _ = run_rusage(qemu_cmd(machine, "--bootchart /hello"))
            m = TOTAL.search(out)
            if not m or "Hello from C code" not in out:
                raise SystemExit(f"QEMU {machine} boot failed:\n{out}")
            totals.append(float(m.group(1)))
            walls.append(wall * 1000)
        rows.append((machine, stats(totals), stats(walls)))
    return rows


def bench_motevm(runs):
    res = {}
    guest, walls, rss = [], [], []
    for _ in range(runs):
        wall, out, status, maxrss = run_rusage(
            [MOTEVM, "--kernel", KERNEL, "--cmdline", "/hello", "--mem", "128"])
        m = GUEST_BOOT.search(out)
        if status != 0 or not m:
            raise SystemExit(f"motevm boot failed (status {status}):\n{out}")
        guest.append(int(m.group(1)) / 1000)
        walls.append(wall * 1000)
        rss.append(maxrss)
    res["guest"] = stats(guest)
    res["wall"] = stats(walls)
    res["rss"] = stats(rss)
    floor = []
    for _ in range(runs):
        wall, out, status, _ = run_rusage([FLOOR])
        if status != 0:
            raise SystemExit(f"floor failed: {out}")
        floor.append(wall * 1000)
    res["floor"] = stats(floor)
    _, out, _, _ = run_rusage([MOTEVM, "--kernel", KERNEL, "--cmdline", "/hello", "--mem", "128",
                               "--level", "debug"])
    res["stats"] = [l for l in out.splitlines() if "stats:" in l]
    return res


def smallest_mem(boot):
    for mib in range(2, 33):
        if boot(mib):
            return mib
    return None


def qemu_hello_runs(mib):
    _, out, _, _ = run_rusage(qemu_cmd("microvm", "/hello", mem=mib))
    return "Hello from C code" in out


def motevm_hello_runs(mib):
    _, out, status, _ = run_rusage([MOTEVM, "--kernel", KERNEL, "--cmdline", "/hello",
                                    "--mem", str(mib)])
    return status == 0 and "Hello from C code" in out


def insn_counts():
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "insncount.py"),
                        "--kernel", KERNEL], capture_output=True, text=True, timeout=600)
    return json.loads(p.stdout.splitlines()[0])


def machine_line():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 30)
    kvm = "/dev/kvm present" if kvm_usable() else "no /dev/kvm"
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores, {mem} GiB, Linux {platform.release()}, {kvm}"


def fmt(pair, unit="ms", digits=2):
    return f"{pair[0]:.{digits}f} / {pair[1]:.{digits}f} {unit}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", help="markdown file to write (bench/run.py collects stdout)")
    a = ap.parse_args()
    if a.runs < 20:
        print("note: fewer than 20 runs; medians are less stable", file=sys.stderr)

    lines = [f"# Performance", "",
             f"Measured {datetime.date.today().isoformat()} on {machine_line()}.",
             "Reproduce everything here with `make bench` (it rewrites this file); each section",
             "names the script that produced it.", "",
             "## Boot (`bench/boot.py`)", ""]

    lines += ["### Boot to the program: CPL0 instructions and exits (QEMU TCG, exact)", "",
              "From the kernel's first instruction to the program's first instruction at CPL3,",
              "counted by `bench/insncount.py` (QEMU one instruction per block, execution trace).",
              "Under PVM each CPL0 instruction is emulated (~2.8 us); each exit costs ~60 us.", "",
              "| what | count | target |", "|---|---|---|"]
    c = insn_counts()
    exits = c["io"] + c["msr"] + c["cpuid"] + c["hlt"]
    lines += [f"| CPL0 instructions (a `rep` instruction counted once) | {c['instructions']} | <= 10 000 |",
              f"| CPL0 iterations (every `rep` iteration counted) | {c['iterations']} | |",
              f"| instructions that exit on KVM: port I/O {c['io']}, MSR {c['msr']}, CPUID {c['cpuid']}, HLT {c['hlt']} | {exits} | <= 20 |",
              f"| predicted CPL0 time under PVM (instructions x 2.8 us + exits x 60 us) | {(c['instructions'] * 2.8 + exits * 60) / 1000:.1f} ms | |",
              ""]

    q = bench_qemu(a.runs)
    lines += [f"### QEMU TCG (every instruction interpreted; {a.runs} runs, median / p90)", "",
              "| machine | kernel Total time (bootchart) | whole QEMU process |", "|---|---|---|"]
    for machine, total, wall in q:
        lines.append(f"| `-M {machine}` (PVH entry) | {fmt(total)} | {fmt(wall)} |")
    qmin = smallest_mem(qemu_hello_runs)
    lines += ["", f"Smallest QEMU `-m` (MiB) at which hello runs: {qmin}.", ""]

    lines += ["### motevm (KVM)", ""]
    if kvm_usable() and os.path.exists(MOTEVM):
        m = bench_motevm(a.runs)
        vmin = smallest_mem(motevm_hello_runs)
        lines += [f"{a.runs} runs, median / p90.", "", "| what | value |", "|---|---|",
                  f"| Guest-boot-time (motevm start to the guest's boot signal) | {fmt(m['guest'])} |",
                  f"| whole motevm process running hello | {fmt(m['wall'])} |",
                  f"| floor: a process that creates a VM + vCPU in long mode and runs `out; hlt` | {fmt(m['floor'])} |",
                  f"| ratio whole process / floor (medians) | {m['wall'][0] / m['floor'][0]:.2f} |",
                  f"| motevm peak RSS (128 MiB guest) | {fmt(m['rss'], 'KiB', 0)} |",
                  f"| smallest `--mem` (MiB) at which hello runs | {vmin} |", ""]
        lines += ["KVM statistics of one boot (`--level debug`):", "", "```"] + m["stats"] + ["```", ""]
    else:
        lines += ["Not measured: this machine has no usable `/dev/kvm`, so motevm cannot run a guest",
                  "here. The same `make bench` measures Guest-boot-time, whole-process time, peak RSS,",
                  "KVM exits and the floor where `/dev/kvm` exists.", ""]

    lines += ["### Peers, measured on this kind of machine (quoted, not rebuilt)", "",
              "| system | figure | source |", "|---|---|---|"]
    lines += [f"| {n} | {v} | `{s}` |" for n, v, s in PEERS]
    lines.append("")

    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
