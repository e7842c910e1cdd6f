#!/usr/bin/env python3
"""Block benchmark: the Mote kernel's virtio-blk driver on QEMU TCG (`--test=blk-bench`).

1. Guest sequential write and read MB/s and IOPS on a 256 MiB image, 4 KiB and 128 KiB requests,
   queue depth 1 and 32 (timed in the guest with the TSC), and the host reading the same file with
   dd (page cache and O_DIRECT) in the same run.
2. What predicts hardware and PVM cost: CPL0 instructions and exits per 4 KiB request, counted
   exactly on a QEMU execution trace (-singlestep -d exec,nochain,in_asm plus the
   memory_region_ops trace events, which log every port and MMIO access the vCPU makes; MSR
   accesses and hlt from the instruction trace). The guest brackets the traced requests with
   calls of blk_bench_mark. "driver path" = instructions in kernel/drivers/virtio/*.c and
   kernel/drivers/block.c; the rest is the interrupt entry, the scheduler and the idle loop.
3. What probing costs at boot per device: CPL0 instructions and exits to the program's first
   instruction with 0, 1 and 2 disks, and the bootchart's "drivers probe" -> "drivers loaded".

Prints markdown. TCG interprets every guest instruction, so its MB/s are not hardware numbers;
the counts are exact on any host."""
import argparse
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from insncount import EXIT_KINDS, TRACE, in_kernel, parse_insn, vcpu_access  # noqa: E402

KERNEL = os.path.join(ROOT, "build", "mote.elf")
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
BENCH_LINE = re.compile(r"bench blk: (\w+) bs=(\d+) qd=(\d+): (\d+) requests, (\d+) bytes, "
                        r"(\d+) us, ([\d.]+) MB/s, (\d+) IOPS, status (-?\d+)")
CHART = re.compile(r"^\t(.+): (\d+\.\d\d)ms", re.M)

TRANSPORTS = {
    "mmio": ("microvm,acpi=off", ["-global", "virtio-mmio.force-legacy=off",
                                  "-device", "virtio-blk-device,drive=d{n}"]),
    "mmio-legacy": ("microvm,acpi=off", ["-global", "virtio-mmio.force-legacy=on",
                                         "-device", "virtio-blk-device,drive=d{n}"]),
    "pci-modern": ("pc", ["-device", "virtio-blk-pci,drive=d{n},disable-legacy=on"]),
    "pci-legacy": ("pc", ["-device", "virtio-blk-pci,drive=d{n},disable-modern=on"]),
}


def qemu_cmd(transport, images, cmdline, mem=512, log=None):
    machine, dev = TRANSPORTS[transport]
    cmd = [QEMU, "-M", machine, "-accel", "tcg", "-m", str(mem), "-display", "none",
           "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", KERNEL,
           "-append", cmdline, "-device", "isa-debug-exit,iobase=0x501,iosize=2"]
    for n, img in enumerate(images):
        cmd += ["-drive", f"id=d{n},file={img},format=raw,if=none,cache=none,aio=native"]
        cmd += [a.replace("{n}", str(n)) for a in dev]
    if log:
        # Notifications through an ioeventfd skip the traced dispatch; under KVM they are exits
        # all the same, so the traced runs turn ioeventfd off to see them.
        cmd += ["-global", "virtio-mmio.ioeventfd=off", "-global",
                "virtio-blk-pci.ioeventfd=off"]
        cmd += ["-singlestep", "-d", "exec,nochain,in_asm,trace:memory_region_ops_read,"
                "trace:memory_region_ops_write", "-D", log]
    return cmd


def symbols():
    """(address, name) of the kernel's functions, sorted, and the names in the driver path."""
    syms = []
    out = subprocess.run(["nm", "-n", KERNEL], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    driver = set()
    objs = glob.glob(os.path.join(ROOT, "build", "kernel-obj", "kernel", "drivers", "virtio",
                                  "*.o")) + \
        [os.path.join(ROOT, "build", "kernel-obj", "kernel", "drivers", "block.c.o")]
    for o in objs:
        out = subprocess.run(["nm", "--defined-only", o], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tT":
                driver.add(parts[2])
    return syms, driver


def sym_of(syms, pc):
    lo, hi = 0, len(syms) - 1
    name = "?"
    while lo <= hi:
        mid = (lo + hi) // 2
        if syms[mid][0] <= pc:
            name = syms[mid][1]
            lo = mid + 1
        else:
            hi = mid - 1
    return name


def walk_trace(log, marks=None, syms=None, driver=None):
    """Counts CPL0 instructions and exits. With marks (addresses), splits the counts at each
    execution of a mark address: returns one dict per segment; else one dict up to the first
    CPL3 instruction."""
    mnem = {}
    segs = []
    cur = None
    started = False
    last_pc = None
    with open(log, errors="replace") as f:
        for line in f:
            insn = parse_insn(line)
            if insn:
                mnem[insn[0]] = insn[1]
                continue
            access = vcpu_access(line)
            if access is not None:
                if not access:
                    continue
                if cur is not None:
                    cur["exits"] += 1
                    cur["pio" if EXIT_KINDS["io"].match(mnem.get(last_pc, "")) else "mmio"] += 1
                continue
            m = TRACE.match(line)
            if not m:
                continue
            pc, flags = int(m.group(2), 16), int(m.group(3), 16)
            if not started:
                if not in_kernel(pc):
                    continue
                started = True
                if marks is None:
                    cur = new_seg()
            if marks is not None and pc in marks:
                if cur is not None:
                    segs.append(cur)
                cur = new_seg()
            if cur is None:
                continue
            if flags & 3 == 3:
                segs.append(cur)
                return segs
            op = mnem.get(pc, "")
            repeat = pc == last_pc and op.startswith("rep")
            last_pc = pc
            if repeat:
                continue
            cur["insns"] += 1
            if syms is not None:
                name = sym_of(syms, pc)
                cur["funcs"][name] = cur["funcs"].get(name, 0) + 1
                if name in driver:
                    cur["driver"] += 1
            for kind in ("msr", "hlt"):
                if EXIT_KINDS[kind].match(op):
                    cur["exits"] += 1
                    cur[kind] += 1
    if cur is not None:
        segs.append(cur)
    return segs


def new_seg():
    return {"insns": 0, "driver": 0, "exits": 0, "pio": 0, "mmio": 0, "msr": 0, "hlt": 0,
            "funcs": {}}


def throughput(transport, img, mb):
    p = subprocess.run(qemu_cmd(transport, [img], f"--test=blk-bench --test-arg=mb={mb}"),
                       capture_output=True, text=True, timeout=1800)
    rows = []
    for m in BENCH_LINE.finditer(p.stdout):
        op, bs, qd, n, nbytes, us, mbs, iops, st = m.groups()
        if int(st) != 0:
            raise SystemExit(f"guest request failed: {m.group(0)}")
        rows.append((op, int(bs), int(qd), float(mbs), int(iops)))
    if not rows:
        raise SystemExit("no benchmark lines from the guest:\n" + p.stdout + p.stderr)
    return rows


def host_read(img, bs, direct):
    flags = ["iflag=direct"] if direct else []
    p = subprocess.run(["dd", f"if={img}", "of=/dev/null", f"bs={bs}"] + flags,
                       capture_output=True, text=True)
    m = re.search(r"(\d+) bytes .* copied, ([\d.e-]+) s", p.stderr)
    if not m:
        return None
    return int(m.group(1)) / float(m.group(2)) / 1e6


def per_request(transport, img, n):
    syms, driver = symbols()
    mark = next(a for a, s in syms if s == "blk_bench_mark")
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "trace.log")
        subprocess.run(qemu_cmd(transport, [img], f"--test=blk-bench --test-arg=trace={n}",
                                log=log), capture_output=True, timeout=1800)
        segs = walk_trace(log, marks={mark}, syms=syms, driver=driver)
    # Segments start at each mark: QD1 (1..2), batches of 32 (2..3), then the rest.
    if len(segs) < 3:
        raise SystemExit("the traced run did not reach its marks")
    return segs[0], segs[1]


def probe_cost(transport, imgs, runs):
    res = []
    for k in range(len(imgs) + 1):
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "trace.log")
            subprocess.run(qemu_cmd(transport, imgs[:k], "/hello", log=log), capture_output=True,
                           timeout=600)
            seg = walk_trace(log)[0]
        times = []
        for _ in range(runs):
            p = subprocess.run(qemu_cmd(transport, imgs[:k], "--bootchart /hello"),
                               capture_output=True, text=True, timeout=120)
            stages = [(a, float(b)) for a, b in CHART.findall(p.stdout)]
            names = [x[0] for x in stages]
            first = next((i for i, x in enumerate(names)
                          if x in ("pci enumerated", "drivers probe")), None)
            if first and "drivers loaded" in names:
                end = stages[names.index("drivers loaded")][1]
                times.append(end - stages[first - 1][1])
            else:
                times.append(0.0)
        res.append((k, seg, statistics.median(times)))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transport", action="append", choices=list(TRANSPORTS),
                    help="default: mmio and pci-modern")
    ap.add_argument("--mb", type=int, default=256, help="image size (MiB)")
    ap.add_argument("--trace-requests", type=int, default=64)
    ap.add_argument("--runs", type=int, default=5, help="boots per probe-time median")
    ap.add_argument("--profile", action="store_true",
                    help="only the traced requests, with instructions per function")
    a = ap.parse_args()
    transports = a.transport or ["mmio", "pci-modern"]
    if a.profile:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as d:
            img = os.path.join(d, "disk.img")
            with open(img, "wb") as f:
                f.truncate(16 << 20)
            for t in transports:
                for mode, seg in zip(("QD1", "batches of 32"),
                                     per_request(t, img, a.trace_requests)):
                    print(f"{t} {mode}: {seg['insns'] / a.trace_requests:.0f} insns/request, "
                          f"driver path {seg['driver'] / a.trace_requests:.0f}, exits "
                          f"{seg['exits'] / a.trace_requests:.2f}/request (port {seg['pio']}, "
                          f"MMIO {seg['mmio']}, MSR {seg['msr']}, hlt {seg['hlt']})")
                    for name, n in sorted(seg["funcs"].items(), key=lambda x: -x[1])[:20]:
                        print(f"  {n / a.trace_requests:8.1f}  {name}")
        return 0
    out = ["## Block I/O (virtio-blk, QEMU TCG)", ""]
    out.append(f"Command: `{' '.join(['bench/blk.py'] + sys.argv[1:])}`. Guest: `--test=blk-bench` "
               f"on a {a.mb} MiB raw image (`cache=none,aio=native`); sequential, write then "
               "read; MB/s = 10^6 bytes/s timed with the guest TSC. TCG interprets every guest "
               "instruction: these rates are not hardware rates.")
    out.append("")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as d:
        img = os.path.join(d, "disk.img")
        with open(img, "wb") as f:
            f.truncate(a.mb << 20)
        small = [os.path.join(d, f"small{i}.img") for i in range(2)]
        for s in small:
            with open(s, "wb") as f:
                f.truncate(1 << 20)
        results = {t: throughput(t, img, a.mb) for t in transports}
        out.append("| transport | op | request | QD | MB/s | IOPS |")
        out.append("|---|---|---|---|---|---|")
        for t, rows in results.items():
            for op, bs, qd, mbs, iops in rows:
                out.append(f"| {t} | {op} | {bs // 1024} KiB | {qd} | {mbs:.1f} | {iops} |")
        for bs in (4096, 131072):
            cached = host_read(img, bs, False)
            direct = host_read(img, bs, True)
            if cached:
                out.append(f"| host dd (page cache) | read | {bs // 1024} KiB | 1 | "
                           f"{cached:.1f} | {int(cached * 1e6 / bs)} |")
            if direct:
                out.append(f"| host dd (O_DIRECT) | read | {bs // 1024} KiB | 1 | {direct:.1f} | "
                           f"{int(direct * 1e6 / bs)} |")
        out.append("")

        out.append(f"### CPL0 instructions and exits per 4 KiB read ({a.trace_requests} requests "
                   "traced)")
        out.append("")
        out.append("| transport | mode | CPL0 insns / request | of which driver path | "
                   "exits / request | exits / batch of 32 | port / MMIO / MSR / hlt (total) |")
        out.append("|---|---|---|---|---|---|---|")
        n = a.trace_requests
        for t in transports:
            qd1, batch = per_request(t, img, n)
            for mode, s in (("QD1, synchronous", qd1), ("batches of 32", batch)):
                per_batch = s["exits"] / max(1, n / 32) if mode != "QD1, synchronous" else None
                out.append(f"| {t} | {mode} | {s['insns'] / n:.0f} | {s['driver'] / n:.0f} | "
                           f"{s['exits'] / n:.2f} | "
                           f"{'' if per_batch is None else f'{per_batch:.1f}'} | "
                           f"{s['pio']} / {s['mmio']} / {s['msr']} / {s['hlt']} |")
        out.append("")

        out.append("### Boot cost of probing (to the program's first instruction, `/hello`)")
        out.append("")
        out.append("| transport | disks | CPL0 insns | exits (port / MMIO / MSR / hlt) | "
                   "TCG ms, discovery to drivers loaded (median) |")
        out.append("|---|---|---|---|---|")
        for t in transports:
            for k, seg, ms in probe_cost(t, small, a.runs):
                out.append(f"| {t} | {k} | {seg['insns']} | {seg['exits']} ({seg['pio']} / "
                           f"{seg['mmio']} / {seg['msr']} / {seg['hlt']}) | {ms:.2f} |")
        out.append("")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
