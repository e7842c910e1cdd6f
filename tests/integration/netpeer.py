#!/usr/bin/env python3
"""The host's end of the guest's echo services (kernel/tests/net_test.c), run inside a test's
network namespace (`ip netns exec NS python3 netpeer.py ...`):

  netpeer.py udp ADDR PORT SIZE...   a datagram of each size, random bytes; each must come back
  netpeer.py tcp ADDR PORT BYTES     one connection, BYTES random bytes sent while the echo is
                                     read back; both must match
  netpeer.py checksums IFACE ADDR PORT BYTES
                                     the TCP echo and UDP datagrams while capturing what the
                                     guest sends on IFACE: every TCP/UDP checksum must be right,
                                     or, where the guest left it to the device (checksum offload:
                                     the kernel marks the frame "checksum not ready"), the field
                                     must hold the pseudo-header sum the device completes from
  netpeer.py quit ADDR [PORT]        the datagram that ends the guest's suite (port 9)

Prints one line per check and exits non-zero on the first mismatch or timeout."""
import os
import socket
import struct
import sys
import threading
import time


def udp(addr, port, sizes):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    for size in sizes:
        data = os.urandom(size)
        for attempt in range(3):  # the first may wait for ARP
            s.sendto(data, (addr, port))
            try:
                got, _ = s.recvfrom(65536)
                break
            except socket.timeout:
                got = None
        if got != data:
            print(f"udp {size} bytes: {'no reply' if got is None else 'different bytes'}")
            return 1
        print(f"udp {size} bytes: echoed")
    return 0


def tcp(addr, port, n):
    data = os.urandom(n)
    s = socket.create_connection((addr, port), timeout=30)
    got = bytearray()

    def reader():
        while len(got) < n:
            b = s.recv(65536)
            if not b:
                break
            got.extend(b)

    t = threading.Thread(target=reader)
    t.start()
    start = time.monotonic()
    s.sendall(data)
    t.join(60)
    s.close()
    secs = time.monotonic() - start
    if bytes(got) != data:
        print(f"tcp {n} bytes: got {len(got)} bytes back, "
              f"{'equal' if bytes(got) == data[:len(got)] else 'different'} so far")
        return 1
    print(f"tcp {n} bytes: echoed in {secs:.2f} s")
    return 0


TP_STATUS_CSUMNOTREADY = 8
SOL_PACKET, PACKET_AUXDATA = 263, 8


def ones_sum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def check_frame(frame, status, guest):
    """None for frames not from the guest over TCP/UDP, else (kind, ok)."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    proto, src, dst = ip[9], ip[12:16], ip[16:20]
    total = struct.unpack("!H", ip[2:4])[0]
    if socket.inet_ntoa(src) != guest or proto not in (6, 17):
        return None
    if struct.unpack("!H", ip[6:8])[0] & 0x3fff:
        return None  # a fragment: the checksum covers the reassembled datagram
    l4 = ip[ihl:total]
    off = 16 if proto == 6 else 6
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(l4))
    if status & TP_STATUS_CSUMNOTREADY:
        field = struct.unpack("!H", l4[off:off + 2])[0]
        seed = ones_sum(pseudo)
        return "offloaded", field == seed or {field, seed} == {0, 0xffff}
    if proto == 17 and l4[6:8] == b"\0\0":
        return "udp-none", True
    return "complete", ones_sum(pseudo + l4) == 0xffff


def checksums(iface, addr, port, n):
    cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    cap.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    cap.bind((iface, 0))
    cap.settimeout(0.5)
    frames = []
    done = threading.Event()

    def capture():
        while not done.is_set():
            try:
                data, anc, _, _ = cap.recvmsg(65536, socket.CMSG_SPACE(64))
            except socket.timeout:
                continue
            status = 0
            for level, kind, d in anc:
                if level == SOL_PACKET and kind == PACKET_AUXDATA:
                    status = struct.unpack("I", d[:4])[0]
            frames.append((data, status))

    t = threading.Thread(target=capture)
    t.start()
    time.sleep(0.2)
    rc = tcp(addr, port, n) or udp(addr, port, [1, 1000, 1472])
    time.sleep(0.3)
    done.set()
    t.join()
    kinds, bad = {}, 0
    for data, status in frames:
        r = check_frame(data, status, addr)
        if r is None:
            continue
        kinds[r[0]] = kinds.get(r[0], 0) + 1
        bad += not r[1]
    print(f"checksums: {kinds}, {bad} wrong")
    return rc or (1 if bad or not kinds else 0)


def quit_(addr, port=9):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(3):
        s.sendto(b"quit", (addr, port))
        time.sleep(0.1)
    return 0


def main(argv):
    cmd, addr = argv[1], argv[2]
    if cmd == "udp":
        return udp(addr, int(argv[3]), [int(x) for x in argv[4:]])
    if cmd == "tcp":
        return tcp(addr, int(argv[3]), int(argv[4]))
    if cmd == "checksums":
        return checksums(argv[2], argv[3], int(argv[4]), int(argv[5]))
    if cmd == "quit":
        return quit_(addr, *(int(x) for x in argv[3:4]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
