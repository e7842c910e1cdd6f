#!/usr/bin/env python3
"""Network benchmark: Mote programs (apps/netperf, apps/httpd, apps/echo) in a guest on QEMU TCG
(microvm, virtio-net-device over a tap) against the same programs on the host side, and, in the
same run, the same programs between the host side and a network namespace over a veth pair: the
ceiling. Everything happens in network namespaces made here (root needed; without it the section
says so and the script succeeds).

1. TCP throughput host -> guest and guest -> host (netperf send/recv, BYTES per connection),
   median of RUNS connections; round-trip latency (netperf rr through echo, 1 byte, median of RUNS
   runs' medians); httpd requests/s under ab (a new connection per request, and keep-alive),
   median of RUNS ab runs. Ratios against the veth ceiling.
2. What predicts hardware and PVM cost: CPL0 instructions and exits (port I/O, MMIO, MSR, hlt:
   what leaves a KVM guest) per packet and per HTTP request, counted exactly on a QEMU execution
   trace (-singlestep -d exec,nochain,in_asm plus the memory_region_ops trace events; the reader
   is bench/insncount.py). Two traced runs that differ only in the work done (bytes received,
   requests served) are subtracted, so boot and program start cancel; packets are the tap's own
   counters. PVM's cost per CPL0 instruction and per exit (docs in /work/shared/notes/pvm.md:
   ~2.8 us and ~60-80 us) turn the counts into a predicted time.
3. The smallest -m (MiB) at which httpd boots and serves a page.

QEMU TCG interprets every guest instruction: its timings are not KVM timings (nor PVM's)."""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from insncount import EXIT_KINDS, TRACE, in_kernel, parse_insn, vcpu_access  # noqa: E402

KERNEL = os.path.join(ROOT, "build", "mote.elf")
APPS = os.path.join(ROOT, "build", "apps")
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
IP = shutil.which("ip") or "/usr/sbin/ip"
AB = shutil.which("ab") or "/usr/bin/ab"
HOST_IP, GUEST_IP, VETH_HOST_IP, VETH_PEER_IP = "10.0.2.1", "10.0.2.2", "10.0.3.1", "10.0.3.2"
PAGE = b"<html><body><h1>Mote</h1><p>served by apps/httpd</p></body></html>\n"
PVM_INSN_US, PVM_EXIT_US = 2.8, 70.0  # notes/pvm.md: emulated CPL0, an MMIO/port exit


def run(args, check=True, **kw):
    return subprocess.run(args, capture_output=True, text=True, check=check, **kw)


class Namespaces:
    """H: the host side (tap0 to the guest, vh to P); P: the veth peer, the ceiling's far end."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.h, self.p = f"motebench-h-{tag}", f"motebench-p-{tag}"
        run([IP, "netns", "add", self.h])
        run([IP, "netns", "add", self.p])
        for cmd in (["link", "set", "lo", "up"],
                    ["tuntap", "add", "dev", "tap0", "mode", "tap"],
                    ["addr", "add", f"{HOST_IP}/24", "dev", "tap0"],
                    ["link", "set", "tap0", "up"],
                    ["link", "add", "vh", "type", "veth", "peer", "name", "vp", "netns", self.p],
                    ["addr", "add", f"{VETH_HOST_IP}/24", "dev", "vh"],
                    ["link", "set", "vh", "up"]):
            self.ip(self.h, cmd)
        for cmd in (["link", "set", "lo", "up"], ["addr", "add", f"{VETH_PEER_IP}/24", "dev", "vp"],
                    ["link", "set", "vp", "up"]):
            self.ip(self.p, cmd)

    def ip(self, ns, cmd):
        run([IP, "netns", "exec", ns, IP] + cmd)

    def cmd(self, ns, args):
        return [IP, "netns", "exec", ns] + list(args)

    def tap_packets(self):
        """Frames through tap0 so far (received + sent, the host's view)."""
        out = run(self.cmd(self.h, ["cat", "/sys/class/net/tap0/statistics/rx_packets",
                                    "/sys/class/net/tap0/statistics/tx_packets"])).stdout.split()
        return int(out[0]) + int(out[1])

    def close(self):
        run([IP, "netns", "del", self.h], check=False)
        run([IP, "netns", "del", self.p], check=False)


class Guest:
    """The kernel on QEMU TCG in namespace H with tap0, its console read as it comes."""

    def __init__(self, ns, initrd, program, mem=128, trace=None):
        cmd = [QEMU, "-M", "microvm,acpi=off", "-accel", "tcg", "-m", str(mem), "-display", "none",
               "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", KERNEL,
               "-append", f"ip={GUEST_IP}::{HOST_IP}:255.255.255.0::eth0:off {program}",
               "-initrd", initrd, "-device", "isa-debug-exit,iobase=0x501,iosize=2",
               "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
               "-device", "virtio-net-device,netdev=n0"]
        if trace:
            # ioeventfd notifications skip the traced dispatch; on KVM they are exits all the same.
            cmd += ["-global", "virtio-mmio.ioeventfd=off", "-singlestep", "-d",
                    "exec,nochain,in_asm,trace:memory_region_ops_read,"
                    "trace:memory_region_ops_write", "-D", trace]
        self.p = subprocess.Popen(ns.cmd(ns.h, cmd), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in iter(self.p.stdout.readline, b""):
            with self.cond:
                self.lines.append(line.decode(errors="replace"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, text, timeout=120):
        end = time.monotonic() + timeout
        with self.cond:
            while not any(text in l for l in self.lines):
                if time.monotonic() > end or self.p.poll() is not None:
                    raise SystemExit(f"guest: {text!r} not seen:\n{''.join(self.lines)}")
                self.cond.wait(0.2)

    def finish(self, timeout=300):
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise SystemExit(f"guest did not finish:\n{''.join(self.lines)}")
        time.sleep(0.1)
        return "".join(self.lines)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def make_initrd(d, files):
    root = os.path.join(d, "root")
    os.makedirs(os.path.join(root, "bin"))
    os.makedirs(os.path.join(root, "www"))
    for p in files:
        shutil.copy(os.path.join(APPS, p), os.path.join(root, "bin", p))
    with open(os.path.join(root, "www", "index.html"), "wb") as f:
        f.write(PAGE)
    out = os.path.join(d, f"initrd-{'-'.join(files)}.cpio")
    names = subprocess.run("find .", shell=True, cwd=root, capture_output=True, check=True).stdout
    with open(out, "wb") as f:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], input=names, stdout=f, cwd=root,
                       check=True)
    return out, os.path.join(root, "www")


def mbps(lines, kind):
    vals = []
    for m in re.finditer(kind + r" bytes=(\d+) usec=(\d+)", lines):
        vals.append(int(m.group(1)) / max(1, int(m.group(2))))  # bytes/us = MB/s
    return vals


# ---- the far ends: the guest, or the veth peer namespace ----

class GuestEnd:
    name = "Mote guest (QEMU TCG, virtio-net-device)"

    def __init__(self, ns, initrd):
        self.ns, self.initrd, self.ip, self.host_ip = ns, initrd, GUEST_IP, HOST_IP

    def start(self, args, ready):
        g = Guest(self.ns, self.initrd, "/bin/" + " ".join(args))
        if ready:
            g.wait_for(ready)
        return g

    def output(self, h, timeout=600):
        return h.finish(timeout)

    def stop(self, h):
        h.kill()


class VethEnd:
    name = "network namespace over veth (Linux, the ceiling)"

    def __init__(self, ns, www):
        self.ns, self.www, self.ip, self.host_ip = ns, www, VETH_PEER_IP, VETH_HOST_IP

    def start(self, args, ready):
        args = [os.path.join(APPS, args[0])] + [self.www if a == "/www" else a for a in args[1:]]
        p = subprocess.Popen(self.ns.cmd(self.ns.p, args), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        if ready:
            line = p.stdout.readline()
            if ready not in line:
                raise SystemExit(f"{args[0]}: {line}")
        return p

    def output(self, p, timeout=600):
        return p.communicate(timeout=timeout)[0]

    def stop(self, p):
        p.kill()
        p.wait()


def host(ns, args, **kw):
    return run(ns.cmd(ns.h, args), **kw)


def throughput(ns, end, nbytes, runs):
    netperf = os.path.join(APPS, "netperf")
    # host -> far end: the far end receives; the host's sender times each connection to the close.
    h = end.start(["netperf", "recv", "5001", str(runs)], "listening")
    out = host(ns, [netperf, "send", end.ip, "5001", str(nbytes), str(runs)], timeout=900).stdout
    end.output(h)
    down = mbps(out, "send")
    # far end -> host: the host receives and times.
    r = subprocess.Popen(ns.cmd(ns.h, [netperf, "recv", "5002", str(runs)]),
                         stdout=subprocess.PIPE, text=True)
    r.stdout.readline()
    h = end.start(["netperf", "send", end.host_ip, "5002", str(nbytes), str(runs)], None)
    end.output(h)
    up = mbps(r.communicate(timeout=900)[0], "recv")
    return statistics.median(down), statistics.median(up)


def latency(ns, end, runs, count):
    netperf = os.path.join(APPS, "netperf")
    h = end.start(["echo", "-n", str(runs), "7"], "echo:")
    meds = []
    for _ in range(runs):
        out = host(ns, [netperf, "rr", end.ip, "7", str(count), "1"], timeout=300).stdout
        meds.append(int(re.search(r"usec=(\d+)", out).group(1)))
    end.output(h)
    return statistics.median(meds)


def http(ns, end, runs, n, conc):
    h = end.start(["httpd", "80", "/www"], "httpd:")
    res, bad = {}, 0
    try:
        for label, extra in (("new connection each", []), ("keep-alive", ["-k"])):
            rates = []
            for _ in range(runs):
                out = host(ns, [AB, "-q", "-n", str(n), "-c", str(conc)] + extra +
                           [f"http://{end.ip}/"], timeout=300, check=False).stdout
                m = re.search(r"Requests per second:\s+([\d.]+)", out)
                failed = re.search(r"Failed requests:\s+(\d+)", out)
                if not m or not failed:
                    raise SystemExit(f"ab against {end.name}:\n{out}")
                rates.append(float(m.group(1)))
                bad += int(failed.group(1))
            res[label] = statistics.median(rates)
    finally:
        end.stop(h)
    res["failed"] = bad
    return res


# ---- instruction and exit counts ----

def count_run(path, profile=None):
    """CPL0 instructions and exits from the program's first instruction to the end of a trace:
    one pass over the instruction lines and the port/MMIO access lines (as bench/blk.py reads
    them: an access belongs to the instruction traced just before it). profile: a dict that
    gets the count of each CPL0 instruction address."""
    res = {"insns": 0, "exits": 0, "pio": 0, "mmio": 0, "msr": 0, "hlt": 0}
    mnem, last_pc, in_program = {}, None, False
    with open(path, errors="replace") as f:
        for line in f:
            insn = parse_insn(line)
            if insn:
                mnem[insn[0]] = insn[1]
                continue
            access = vcpu_access(line)
            if access is not None:
                if not access:
                    continue
                if in_program:
                    res["exits"] += 1
                    res["pio" if EXIT_KINDS["io"].match(mnem.get(last_pc, "")) else "mmio"] += 1
                continue
            m = TRACE.match(line)
            if not m:
                continue
            pc, flags = int(m.group(2), 16), int(m.group(3), 16)
            op = mnem.get(pc, "")
            repeat = pc == last_pc and op.startswith("rep")
            last_pc = pc
            if flags & 3 == 3:
                in_program = True
                continue
            if not in_program or repeat or not in_kernel(pc):
                continue
            res["insns"] += 1
            if profile is not None:
                profile[pc] = profile.get(pc, 0) + 1
            for kind in ("msr", "hlt"):
                if EXIT_KINDS[kind].match(op):
                    res["exits"] += 1
                    res[kind] += 1
    return res


def traced(ns, initrd, program, ready, host_work, profile=None):
    """One traced guest run: boots program, waits for ready, runs host_work(), waits for the
    guest to end. Returns (counts, tap frames during the run)."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as d:
        fifo = os.path.join(d, "trace.fifo")
        os.mkfifo(fifo)
        result = {}
        reader = threading.Thread(target=lambda: result.update(count_run(fifo, profile)),
                                  daemon=True)
        reader.start()
        before = ns.tap_packets()  # the boot's own frames (ARP) are the same in both runs
        g = Guest(ns, initrd, program, trace=fifo)
        try:
            if ready:
                g.wait_for(ready, timeout=600)
            host_work()
            out = g.finish(timeout=1800)
            after = ns.tap_packets()
        finally:
            g.kill()
        reader.join(600)
        if "insns" not in result:
            raise SystemExit("trace reader did not finish")
        if "status 0" not in out:
            raise SystemExit(f"traced guest failed:\n{out}")
        return result, after - before


def costs(ns, initrd, small, big, reqs_small, reqs_big):
    netperf = os.path.join(APPS, "netperf")
    rows = []
    # Receiving: the guest reads small vs big bytes from the host; per frame and per MSS.
    runs = []
    for nbytes in (small, big):
        runs.append(traced(ns, initrd, "/bin/netperf recv 5001 1", "listening",
                           lambda n=nbytes: host(ns, [netperf, "send", GUEST_IP, "5001", str(n)],
                                                 timeout=1800)))
    rows.append(("guest receives (TCP, host sends)", runs, (big - small) / 1460))
    runs = []
    for nbytes in (small, big):
        r = subprocess.Popen(ns.cmd(ns.h, [netperf, "recv", "5002", "1"]),
                             stdout=subprocess.PIPE, text=True)
        r.stdout.readline()
        runs.append(traced(ns, initrd, f"/bin/netperf send {HOST_IP} 5002 {nbytes}", "",
                           lambda: None))
        r.communicate(timeout=600)
    rows.append(("guest sends (TCP, host receives)", runs, (big - small) / 1460))
    # HTTP: reqs_small vs reqs_big sequential requests, a new connection each.
    runs = []
    for n in (reqs_small, reqs_big):
        def work(n=n):
            for _ in range(n):
                host(ns, ["curl", "-s", "-o", "/dev/null", f"http://{GUEST_IP}/"], timeout=300)
        runs.append(traced(ns, initrd, f"/bin/httpd -n {n} 80 /www", "httpd:", work))
    rows.append(("HTTP request (GET /, new connection)", runs, reqs_big - reqs_small))
    return rows


def symbols():
    syms = []
    for line in run(["nm", "-n", KERNEL]).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def profile(kind):
    """Per-function CPL0 instructions of the difference between two traced runs."""
    import bisect
    ns = Namespaces()
    netperf = os.path.join(APPS, "netperf")
    try:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as d:
            initrd, _ = make_initrd(d, ["netperf", "httpd", "echo"])
            profs, units = [], 0
            for n in ((5, 25) if kind == "http" else (64 << 10, 576 << 10)):
                prof = {}
                if kind == "http":
                    def work(n=n):
                        for _ in range(n):
                            host(ns, ["curl", "-s", "-o", "/dev/null", f"http://{GUEST_IP}/"])
                    traced(ns, initrd, f"/bin/httpd -n {n} 80 /www", "httpd:", work, prof)
                    units = 20
                elif kind == "recv":
                    traced(ns, initrd, "/bin/netperf recv 5001 1", "listening",
                           lambda n=n: host(ns, [netperf, "send", GUEST_IP, "5001", str(n)]), prof)
                    units = (512 << 10) / 1460
                else:
                    r = subprocess.Popen(ns.cmd(ns.h, [netperf, "recv", "5002", "1"]),
                                         stdout=subprocess.PIPE, text=True)
                    r.stdout.readline()
                    traced(ns, initrd, f"/bin/netperf send {HOST_IP} 5002 {n}", "", lambda: None,
                           prof)
                    r.communicate(timeout=600)
                    units = (512 << 10) / 1460
                profs.append(prof)
    finally:
        ns.close()
    syms = symbols()
    addrs = [a for a, _ in syms]
    per = {}
    for sign, prof in ((-1, profs[0]), (1, profs[1])):
        for pc, c in prof.items():
            i = bisect.bisect_right(addrs, pc) - 1
            name = syms[i][1] if i >= 0 else "?"
            per[name] = per.get(name, 0) + sign * c
    total = sum(per.values())
    print(f"{kind}: {total / units:.0f} CPL0 instructions per unit")
    for name, c in sorted(per.items(), key=lambda x: -x[1])[:40]:
        print(f"{c / units:9.1f}  {name}")
    return 0


def ping_costs(count=20):
    """The median guest wake-up of a 1472-byte ping (two full-size frames), per transport, from
    bench/netpkt.py (its own namespace and trace): the rows docs/net.md quotes."""
    cmd = [sys.executable, os.path.join(ROOT, "bench", "netpkt.py"), "--count", str(count),
           "--interval", "0.2"]
    lines = ["### One ping round trip in the guest (exact, from QEMU traces)", "",
             f"Command: `bench/netpkt.py --transport T --count {count} --interval 0.2`: the "
             "median wake-up that answers a 1472-byte ping (receive interrupt, the frame up "
             "through lwIP, the 1514-byte reply down through the driver, back to hlt), split by "
             "where the instructions run.", "",
             "| transport | CPL0 insns (median; min-max) | driver | lwIP | interrupt, scheduler, "
             "locks | exits |", "|---|---|---|---|---|---|"]
    for t in ("mmio", "pci-legacy", "pci-modern"):
        print(f"== netpkt {t}", file=sys.stderr)
        p = subprocess.run(cmd + ["--transport", t], capture_output=True, text=True,
                           timeout=300)
        last = p.stdout.strip().splitlines()[-1:] if p.returncode == 0 else []
        if not last:
            lines.append(f"| {t} | failed (status {p.returncode}) | | | | |")
            continue
        r = json.loads(last[0])
        lines.append(f"| {t} | {r['insns_median']} ({r['insns_min']}-{r['insns_max']}) | "
                     f"{r['driver']} | {r['lwip']} | {r['other']} | {r['exits']} |")
    return lines + [""]


def smallest_mem(ns, initrd):
    """The smallest -m (MiB) at which httpd serves the page."""
    for mem in (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32):
        g = Guest(ns, initrd, "/bin/httpd -n 1 80 /www", mem=mem)
        ok = False
        try:
            end = time.monotonic() + 30
            while time.monotonic() < end and g.p.poll() is None:
                r = host(ns, ["curl", "-s", "--max-time", "2", f"http://{GUEST_IP}/"],
                         check=False)
                if r.returncode == 0 and r.stdout.encode() == PAGE:
                    ok = True
                    break
                time.sleep(0.2)
        finally:
            g.kill()
        if ok:
            return mem, "".join(g.lines)
    return None, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20, help="timed runs per median")
    ap.add_argument("--bytes", type=int, default=4 << 20, help="bytes per throughput connection")
    ap.add_argument("--requests", type=int, default=500, help="requests per ab run")
    ap.add_argument("--concurrency", type=int, default=10, help="ab -c")
    ap.add_argument("--rr", type=int, default=200, help="round trips per latency run")
    ap.add_argument("--no-trace", action="store_true", help="skip the traced runs")
    ap.add_argument("--profile", choices=["http", "recv", "send"],
                    help="only: CPL0 instructions per kernel function, per request or segment")
    a = ap.parse_args()
    if a.profile:
        return profile(a.profile)
    out = ["## Network (virtio-net, lwIP, sockets; QEMU TCG)", ""]
    missing = [p for p in ("netperf", "httpd", "echo") if not os.path.exists(os.path.join(APPS, p))]
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun") or missing:
        why = f"build/apps/{missing[0]} is missing" if missing else \
            "needs root and /dev/net/tun (network namespaces, a tap, a veth pair)"
        out.append(f"Not measured: {why}.")
        print("\n".join(out))
        return 0
    out.append(f"Command: `{' '.join(['bench/net.py'] + sys.argv[1:])}`. Guest: microvm, 1 vCPU, "
               "128 MiB, `virtio-net-device` on a tap in a network namespace; the host side runs "
               "in that namespace. Ceiling: the same programs between that namespace and another "
               "one over a veth pair, in the same run. **QEMU TCG interprets every guest "
               "instruction: these timings are not KVM timings** (nor PVM's, where CPL0 is "
               "emulated); the instruction and exit counts below are what carries over.")
    out.append("")
    ns = Namespaces()
    try:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as d:
            initrd, www = make_initrd(d, ["netperf", "httpd", "echo"])
            small_initrd, _ = make_initrd(os.path.join(d, "small"), ["httpd"])
            ends = [GuestEnd(ns, initrd), VethEnd(ns, www)]
            res = {}
            for e in ends:
                print(f"== {e.name}", file=sys.stderr)
                down, up = throughput(ns, e, a.bytes, a.runs)
                rr = latency(ns, e, a.runs, a.rr)
                rps = http(ns, e, a.runs, a.requests, a.concurrency)
                res[e.name] = (down, up, rr, rps)
            g, c = res[ends[0].name], res[ends[1].name]
            out.append(f"Medians of {a.runs} runs: {a.bytes >> 20} MiB per TCP connection; "
                       f"round trips of 1 byte through apps/echo ({a.rr} per run, the run's "
                       f"median); `ab -n {a.requests} -c {a.concurrency}` on apps/httpd's 69-byte "
                       "page.")
            out.append("")
            out.append("| measure | Mote guest (TCG) | veth ceiling | guest / ceiling |")
            out.append("|---|---|---|---|")
            out.append(f"| TCP host → guest, MB/s | {g[0]:.1f} | {c[0]:.1f} | {g[0] / c[0]:.3f} |")
            out.append(f"| TCP guest → host, MB/s | {g[1]:.1f} | {c[1]:.1f} | {g[1] / c[1]:.3f} |")
            out.append(f"| round trip, µs | {g[2]} | {c[2]} | {c[2] / max(1, g[2]):.3f} "
                       "(ceiling / guest) |")
            for label in g[3]:
                if label == "failed":
                    continue
                out.append(f"| httpd requests/s, {label} | {g[3][label]:.0f} | "
                           f"{c[3][label]:.0f} | {g[3][label] / c[3][label]:.3f} |")
            out.append("")
            out.append(f"`ab` counted {g[3]['failed']} failed requests against the guest and "
                       f"{c[3]['failed']} against the ceiling, of {2 * a.runs * a.requests} "
                       "each.")
            out.append("")

            if not a.no_trace:
                print("== traced runs", file=sys.stderr)
                rows = costs(ns, initrd, 64 << 10, 576 << 10, 5, 25)
                out.append("### CPL0 instructions and exits per packet and per request (exact, "
                           "from QEMU traces)")
                out.append("")
                out.append("Each row subtracts two traced runs that differ only in the work "
                           "(512 KiB more data; 20 more requests), from the program's first "
                           "instruction to power-off: boot and program start cancel. Frames are "
                           "tap0's counters (both directions). Exits are what leaves a KVM guest "
                           "(port I/O, MMIO, MSR, hlt); virtio notifications are counted with "
                           "ioeventfd off. PVM prediction: CPL0 instructions × 2.8 µs + exits × "
                           "70 µs (notes/pvm.md).")
                out.append("")
                out.append("| work | per | CPL0 insns | exits | port / MMIO / MSR / hlt | "
                           "frames | predicted PVM µs |")
                out.append("|---|---|---|---|---|---|---|")
                for label, ((r1, f1), (r2, f2)), units in rows:
                    di = r2["insns"] - r1["insns"]
                    de = r2["exits"] - r1["exits"]
                    df = max(1, f2 - f1)
                    parts = " / ".join(str(r2[k] - r1[k]) for k in ("pio", "mmio", "msr", "hlt"))
                    per = "request" if "HTTP" in label else "full-size segment"
                    out.append(f"| {label} | {per} | {di / units:.0f} | {de / units:.2f} | "
                               f"{parts} (total) | {df / units:.2f} | "
                               f"{(di * PVM_INSN_US + de * PVM_EXIT_US) / units:.0f} |")
                    out.append(f"| {label} | frame | {di / df:.0f} | {de / df:.2f} | | 1 | "
                               f"{(di * PVM_INSN_US + de * PVM_EXIT_US) / df:.0f} |")
                out.append("")
                out += ping_costs()

            print("== memory", file=sys.stderr)
            mem, _ = smallest_mem(ns, small_initrd)
            out.append("### Smallest memory")
            out.append("")
            out.append(f"Smallest `-m` (MiB) at which apps/httpd boots and serves its page "
                       f"(tried 1, 2, 3, 4, 5, 6, 8, ... MiB in turn; initrd: httpd and the page): "
                       f"**{mem if mem else 'none up to 32'}** (goal: 4).")
            out.append("")
    finally:
        ns.close()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
