#!/usr/bin/env python3
"""CPL0 instructions and exits per packet through the kernel's network stack (virtio-net driver +
lwIP), counted exactly on a QEMU TCG execution trace (-singlestep -d exec,nochain,in_asm and the
memory_region_ops trace events, as bench/blk.py does).

The guest runs --test=net on a tap in a network namespace (tests/integration/netns.py; needs
root); the host sends COUNT pings of SIZE bytes, one every INTERVAL seconds, so the guest is idle
(hlt) between them. The trace is cut at every hlt: a wake-up that runs icmp_input is one ping's
whole round trip in the guest, from the interrupt to the next hlt: the receive interrupt, the
switch to lwIP's tcpip thread, the frame up through Ethernet/IPv4/ICMP, the echo reply down
through the driver and the device notification, back to idle. Prints the median such wake-up
(instructions, exits) split into driver, lwIP, and the rest (interrupt entry, scheduler, locks),
and with --profile the functions of the median one.

With --tcp BYTES the host instead pushes BYTES through the guest's TCP echo (full-size segments
both ways, ACKs, batches of frames per wake-up) and the count is per frame over every wake-up
that ran tcp_input: instructions and exits per frame, received and sent counted alike.

  sudo bench/netpkt.py [--transport mmio|pci-legacy|pci-modern] [--size 1472] [--count 10]
  sudo bench/netpkt.py --tcp 1048576 [--profile]"""
import argparse
import glob
import json
import os
import re
import statistics
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.dirname(__file__))

from insncount import EXIT_KINDS, TRACE, in_kernel, parse_insn, vcpu_access  # noqa: E402


TRANSPORTS = {
    "mmio": ("microvm,acpi=off", ["-global", "virtio-mmio.ioeventfd=off",
                                  "-device", "virtio-net-device,netdev=n0"]),
    "pci-legacy": ("pc", ["-device", "virtio-net-pci,netdev=n0,disable-modern=on,"
                          "ioeventfd=off"]),
    "pci-modern": ("pc", ["-device", "virtio-net-pci,netdev=n0,disable-legacy=on,"
                          "ioeventfd=off"]),
}


def symbols(kernel):
    syms = []
    out = os.popen(f"nm -n {kernel}").read()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    groups = {}
    objdir = os.path.join(ROOT, "build", "kernel-obj")
    for group, pattern in (("driver", "kernel/drivers/virtio/*.o"),
                           ("lwip", "third_party/lwip/src/**/*.o"),
                           ("lwip", "kernel/net/*.o")):
        for o in glob.glob(os.path.join(objdir, pattern), recursive=True):
            for line in os.popen(f"nm --defined-only {o}").read().splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] in "tT":
                    groups[parts[2]] = group
    return syms, groups


def sym_of(syms, pc):
    lo, hi, name = 0, len(syms) - 1, "?"
    while lo <= hi:
        mid = (lo + hi) // 2
        if syms[mid][0] <= pc:
            name, lo = syms[mid][1], mid + 1
        else:
            hi = mid - 1
    return name


def wakeups(log, syms, groups):
    """Segments of the trace between hlt instructions, each with its instruction counts (total,
    per group, per function), exits, and frames: entries of ethernet_input (received) and of
    vnet_linkoutput (sent)."""
    mnem, segs, last_pc, started = {}, [], None, False
    cur = None
    entry = {addr: name for addr, name in syms if name in ("ethernet_input", "vnet_linkoutput")}

    def new():
        return {"insns": 0, "driver": 0, "lwip": 0, "exits": 0, "funcs": {}, "rx": 0, "tx": 0}

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
                if cur is not None and not EXIT_KINDS["io"].match(mnem.get(last_pc, "")):
                    cur["exits"] += 1  # MMIO (port I/O is counted by its instruction)
                continue
            m = TRACE.match(line)
            if not m:
                continue
            pc, flags = int(m.group(2), 16), int(m.group(3), 16)
            if not started:
                if not in_kernel(pc):
                    continue
                started = True
                cur = new()
            if flags & 3 == 3:
                continue
            op = mnem.get(pc, "")
            if pc == last_pc and op.startswith("rep"):
                continue
            last_pc = pc
            cur["insns"] += 1
            if pc in entry:
                cur["rx" if entry[pc] == "ethernet_input" else "tx"] += 1
            name = sym_of(syms, pc)
            cur["funcs"][name] = cur["funcs"].get(name, 0) + 1
            g = groups.get(name)
            if g:
                cur[g] += 1
            for kind in ("io", "msr", "cpuid", "hlt"):
                if EXIT_KINDS[kind].match(op):
                    cur["exits"] += 1
            if op == "hlt":
                segs.append(cur)
                cur = new()
    if cur is not None and cur["insns"]:
        segs.append(cur)  # the last one, up to the power-off
    return segs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build", "mote.elf"))
    ap.add_argument("--transport", default="mmio", choices=list(TRANSPORTS))
    ap.add_argument("--size", type=int, default=1472, help="ping payload (1472: 1514-byte frames)")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--tcp", type=int, metavar="BYTES",
                    help="instead of pings: a TCP echo of BYTES through the guest; prints the "
                    "instructions per frame over every wake-up that ran tcp_input")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--keep-trace", metavar="DIR", help="leave the QEMU trace in DIR")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("netpkt: needs root (a network namespace with a tap)", file=sys.stderr)
        return 2
    import netns  # noqa: E402 (imports pytest; only needed here)
    machine, dev = TRANSPORTS[a.transport]
    ns = netns.NetNS()
    try:
        with tempfile.TemporaryDirectory(dir=a.keep_trace) as tmp:
            d = a.keep_trace or tmp
            log = os.path.join(d, "trace.log")
            trace = ["-singlestep", "-d", "exec,nochain,in_asm,trace:memory_region_ops_read,"
                     "trace:memory_region_ops_write", "-D", log]
            g = netns.QemuGuest(ns, machine, f"{ns.static_ip_arg()} --test=net "
                                "--test-arg=seconds=300", dev + trace, kernel=a.kernel)
            g.wait_for("serving on eth0", timeout=300)
            # ARP both ways first, so each counted ping is the same work.
            ns.run(["ping", "-c", "2", "-W", "5", "-s", str(a.size), ns.guest_ip])
            time.sleep(1)
            peer = [sys.executable, os.path.join(ROOT, "tests", "integration", "netpeer.py")]
            if a.tcp:
                r = ns.run(peer + ["tcp", ns.guest_ip, "7", str(a.tcp)], timeout=600)
            else:
                r = ns.run(["ping", "-c", str(a.count), "-i", str(a.interval), "-W", "10",
                            "-s", str(a.size), ns.guest_ip], timeout=600)
            time.sleep(2)  # the guest idle again before the end
            ns.run(peer + ["quit", ns.guest_ip])
            g.finish(timeout=300)
            syms, groups = symbols(a.kernel)
            allsegs = wakeups(log, syms, groups)
            segs = [s for s in allsegs
                    if ("tcp_input" if a.tcp else "icmp_input") in s["funcs"]]
    finally:
        ns.close()
    if a.tcp:
        tot = {k: sum(s[k] for s in segs) for k in ("insns", "driver", "lwip", "exits", "rx",
                                                    "tx")}
        frames = tot["rx"] + tot["tx"]
        if r.returncode or tot["rx"] < a.tcp // 1460:
            print(f"netpkt: {tot['rx']} frames received in the counted wake-ups, at least "
                  f"{a.tcp // 1460} expected ({len(allsegs)} wake-ups in the trace):\n"
                  f"{r.stdout}{r.stderr}", file=sys.stderr)
            return 1
        res = {"transport": a.transport, "tcp_bytes": a.tcp, "wakeups": len(segs),
               "frames_rx": tot["rx"], "frames_tx": tot["tx"],
               "insns_per_frame": round(tot["insns"] / max(frames, 1)),
               "driver_per_frame": round(tot["driver"] / max(frames, 1)),
               "lwip_per_frame": round(tot["lwip"] / max(frames, 1)),
               "exits_per_frame": round(tot["exits"] / max(frames, 1), 2),
               "frames_per_wakeup": round(frames / max(len(segs), 1), 1)}
        json.dump(res, sys.stdout)
        print()
        if a.profile:
            funcs = {}
            for sg in segs:
                for k, v in sg["funcs"].items():
                    funcs[k] = funcs.get(k, 0) + v
            for name, n in sorted(funcs.items(), key=lambda x: -x[1])[:40]:
                print(f"{n / max(frames, 1):7.1f}  {groups_name(name, groups)}  {name}")
        return 0
    if len(segs) < a.count:
        print(f"netpkt: {len(segs)} ping wake-ups found, {a.count} sent:\n{r.stdout}",
              file=sys.stderr)
        if not segs:
            return 1
    segs.sort(key=lambda s: s["insns"])
    med = segs[len(segs) // 2]
    res = {"transport": a.transport, "ping_bytes": a.size, "frame_bytes": a.size + 42,
           "pings": len(segs), "insns_median": med["insns"],
           "insns_min": segs[0]["insns"], "insns_max": segs[-1]["insns"],
           "driver": med["driver"], "lwip": med["lwip"],
           "other": med["insns"] - med["driver"] - med["lwip"], "exits": med["exits"]}
    json.dump(res, sys.stdout)
    print()
    if a.profile:
        for name, n in sorted(med["funcs"].items(), key=lambda x: -x[1])[:40]:
            print(f"{n:7d}  {groups_name(name, groups)}  {name}")
    return 0


def groups_name(name, groups):
    return f"{groups.get(name, 'other'):6s}"


if __name__ == "__main__":
    sys.exit(main())
