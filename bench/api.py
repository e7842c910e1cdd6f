#!/usr/bin/env python3
"""API benchmark: latency of PUT /machine-config over one keep-alive connection (p50/p99 of
1000 requests), process start to API socket ready (wall ms from spawn, and motevm's own CPU ms
from main to the socket: Firecracker's spec says <= 8 CPU ms), and InstanceStart to the guest's
boot signal (only with /dev/kvm). Prints a markdown table; writes nothing.

    python3 bench/api.py [--requests 1000] [--starts 20]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MOTEVM = os.path.join(ROOT, "build", "motevm")
KERNEL = os.path.join(ROOT, "build", "mote.elf")


def connect(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.0002)


def exchange(s, req):
    """Sends one request and reads one response (headers + Content-Length body)."""
    s.sendall(req)
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        body += s.recv(65536)
    return int(head.split()[1]), body


def request(method, path, body):
    data = json.dumps(body).encode()
    return (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def start_monitor(tmp, extra=()):
    sock = os.path.join(tmp, "api.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    t0 = time.perf_counter()
    p = subprocess.Popen([MOTEVM, "--api-sock", sock, *extra], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    s = connect(sock)
    ready_ms = (time.perf_counter() - t0) * 1000
    return p, s, ready_ms


def stop(p):
    p.terminate()
    p.communicate(timeout=10)


def bench_latency(tmp, n):
    p, s, _ = start_monitor(tmp)
    lat = []
    for i in range(n + 100):
        req = request("PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": 128 + 2 * (i % 8)})
        t0 = time.perf_counter()
        status, _ = exchange(s, req)
        dt = (time.perf_counter() - t0) * 1e6
        assert status == 204, status
        if i >= 100:            # the first 100 warm the path up
            lat.append(dt)
    s.close()
    stop(p)
    return lat


def bench_startup(tmp, n):
    wall, cpu, inside = [], [], []
    metrics = os.path.join(tmp, "metrics.json")
    for _ in range(n):
        if os.path.exists(metrics):
            os.unlink(metrics)
        p, s, ready_ms = start_monitor(tmp, ["--metrics-path", metrics])
        status, _ = exchange(s, request("PUT", "/actions", {"action_type": "FlushMetrics"}))
        assert status == 204
        line = json.loads(open(metrics).readline())["api_server"]
        wall.append(ready_ms)
        inside.append(line["process_startup_time_us"] / 1000)
        cpu.append(line["process_startup_time_cpu_us"] / 1000)
        s.close()
        stop(p)
    return wall, inside, cpu


def bench_instance_start(tmp, n):
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return None
    times = []
    for _ in range(n):
        p, s, _ = start_monitor(tmp, ["--boot-timer"])
        exchange(s, request("PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": 128}))
        exchange(s, request("PUT", "/boot-source", {"kernel_image_path": KERNEL,
                                                    "boot_args": "/hello"}))
        t0 = time.perf_counter()
        exchange(s, request("PUT", "/actions", {"action_type": "InstanceStart"}))
        err = b""
        while b"Guest-boot-time" not in err:
            chunk = os.read(p.stderr.fileno(), 4096)
            if not chunk:
                break
            err += chunk
        times.append((time.perf_counter() - t0) * 1000)
        s.close()
        stop(p)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--starts", type=int, default=20)
    args = ap.parse_args()
    if not os.path.exists(MOTEVM):
        sys.exit("build/motevm is missing: run make first")
    with tempfile.TemporaryDirectory(prefix="mvb", dir="/tmp") as tmp:
        lat = bench_latency(tmp, args.requests)
        wall, inside, cpu = bench_startup(tmp, args.starts)
        boot = bench_instance_start(tmp, args.starts)
    print(f"## API server (`bench/api.py`, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n")
    print("| what | p50 | p99 / max | n |")
    print("|---|---|---|---|")
    print(f"| PUT /machine-config round trip (one keep-alive connection) | {pct(lat, 50):.0f} us "
          f"| {pct(lat, 99):.0f} us | {len(lat)} |")
    print(f"| spawn to API socket accepting (wall, includes exec and ld.so) | "
          f"{statistics.median(wall):.2f} ms | {max(wall):.2f} ms | {len(wall)} |")
    print(f"| main() to API socket listening (wall, process_startup_time_us) | "
          f"{statistics.median(inside):.2f} ms | {max(inside):.2f} ms | {len(inside)} |")
    print(f"| main() to API socket listening (CPU, process_startup_time_cpu_us; FC spec <= 8 "
          f"CPU ms) | {statistics.median(cpu):.2f} CPU ms | {max(cpu):.2f} CPU ms | {len(cpu)} |")
    if boot is None:
        print("| InstanceStart to the guest's boot signal | not measured: no /dev/kvm | | 0 |")
    else:
        print(f"| InstanceStart to the guest's boot signal (Guest-boot-time logged) | "
              f"{statistics.median(boot):.2f} ms | {max(boot):.2f} ms | {len(boot)} |")


if __name__ == "__main__":
    main()
