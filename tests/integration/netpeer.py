#!/usr/bin/env python3
"""The host's end of the guest's echo services (kernel/tests/net_test.c), run inside a test's
network namespace (`ip netns exec NS python3 netpeer.py ...`):

  netpeer.py udp ADDR PORT SIZE...   a datagram of each size, random bytes; each must come back
  netpeer.py tcp ADDR PORT BYTES     one connection, BYTES random bytes sent while the echo is
                                     read back; both must match
  netpeer.py quit ADDR [PORT]        the datagram that ends the guest's suite (port 9)

Prints one line per check and exits non-zero on the first mismatch or timeout."""
import os
import socket
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
    if cmd == "quit":
        return quit_(addr, *(int(x) for x in argv[3:4]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
