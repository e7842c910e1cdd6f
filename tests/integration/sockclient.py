"""Host side of the socket tests (test_net_sockets_qemu.py), run inside the test's network
namespace. Each mode prints one line starting with "ok" or exits non-zero with the reason.

  http-many HOST PORT N      N connections open at once (all connected before the first
                             request), two keep-alive GETs of / on each, every answer checked
  http-burst HOST PORT N K   N clients at once, each K requests with a new connection each
                             (HTTP/1.0, the server closes), every answer checked byte for byte
  echo-tcp HOST PORT BYTES   BYTES of random data through a TCP echo, sent and read back at
                             the same time, compared
  echo-udp HOST PORT COUNT   COUNT datagrams of 1..1400 bytes through a UDP echo, compared
  peer PORT                  nettest's peer: per connection, read a line (or end of file),
                             answer "hello from host\\n", close; until killed
"""
import os
import socket
import sys
import threading


def fail(why):
    print(f"FAIL {why}", flush=True)
    sys.exit(1)


def connect(host, port, tries=200):
    for _ in range(tries):
        try:
            return socket.create_connection((host, port), timeout=30)
        except (ConnectionRefusedError, socket.timeout):
            threading.Event().wait(0.05)
    fail(f"cannot connect to {host}:{port}")


def read_response(s, buf):
    """Reads one HTTP response from s (buf: bytes already read); returns (status, body, rest)."""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            fail(f"connection closed mid-header: {buf!r}")
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(l.split(":", 1)[1]) for l in lines if l.lower().startswith("content-length"))
    while len(rest) < length:
        d = s.recv(65536)
        if not d:
            fail("connection closed mid-body")
        rest += d
    return status, rest[:length], rest[length:]


def http_many(host, port, n):
    conns = [connect(host, port) for _ in range(n)]  # all open at once
    bodies = set()
    for rnd in range(2):
        for s in conns:
            s.sendall(b"GET / HTTP/1.1\r\nHost: mote\r\n\r\n")
        for s in conns:
            status, body, rest = read_response(s, b"")
            if status != 200 or rest:
                fail(f"round {rnd}: status {status}, {len(rest)} extra bytes")
            bodies.add(body)
    for s in conns:
        s.close()
    if len(bodies) != 1:
        fail(f"different bodies: {bodies!r}")
    print(f"ok {n} connections, {2 * n} requests", flush=True)


def http_burst(host, port, n, k):
    want, bad, lock = [], [], threading.Lock()

    def client():
        for _ in range(k):
            s = connect(host, port)
            s.sendall(b"GET / HTTP/1.0\r\nHost: mote\r\n\r\n")
            data = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
            s.close()
            with lock:
                if not want:
                    want.append(data)
                elif data != want[0]:
                    bad.append(data)

    ts = [threading.Thread(target=client) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if not want or b" 200 OK\r\n" not in want[0] or bad:
        fail(f"{len(bad)} of {n * k} answers differ: {bad[:2]!r} (first: {want[:1]!r})")
    print(f"ok {n * k} requests, {n} at once", flush=True)


def echo_tcp(host, port, nbytes):
    data = os.urandom(nbytes)
    s = connect(host, port)
    got = bytearray()

    def reader():
        while len(got) < nbytes:
            d = s.recv(65536)
            if not d:
                break
            got.extend(d)

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    t.join(120)
    s.close()
    if bytes(got) != data:
        fail(f"echoed {len(got)} of {nbytes} bytes, equal: {bytes(got) == data[:len(got)]}")
    print(f"ok {nbytes} bytes echoed", flush=True)


def echo_udp(host, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for i in range(count):
        msg = os.urandom(1 + (i * 97) % 1400)
        for attempt in range(5):  # UDP may drop (ARP on the first one)
            s.sendto(msg, (host, port))
            try:
                d, src = s.recvfrom(2048)
            except socket.timeout:
                continue
            if d != msg or src != (host, port):
                fail(f"datagram {i}: {len(d)} bytes from {src}")
            break
        else:
            fail(f"datagram {i}: no answer")
    print(f"ok {count} datagrams echoed", flush=True)


def peer(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(16)
    print("ok listening", flush=True)
    while True:
        c, _ = ls.accept()
        c.settimeout(30)
        data = b""
        try:
            while b"\n" not in data:
                d = c.recv(128)
                if not d:
                    break
                data += d
            c.sendall(b"hello from host\n")
        except OSError:
            pass
        c.close()


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "http-many":
        http_many(args[0], int(args[1]), int(args[2]))
    elif mode == "http-burst":
        http_burst(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif mode == "echo-tcp":
        echo_tcp(args[0], int(args[1]), int(args[2]))
    elif mode == "echo-udp":
        echo_udp(args[0], int(args[1]), int(args[2]))
    elif mode == "peer":
        peer(int(args[0]))
    else:
        fail(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
