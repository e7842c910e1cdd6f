"""A small Firecracker API client for the tests: HTTP/1.1 over a UNIX socket with Python's
http.client, and a fixture-friendly wrapper that starts motevm with --api-sock."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from conftest import MOTEVM


def connectable(path):
    """True once something listens on the UNIX socket path (bind creates it before listen)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Api:
    """One keep-alive connection. request() returns (status, parsed JSON body or None)."""

    def __init__(self, path):
        self.conn = UnixHTTPConnection(path)

    def request(self, method, path, body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        headers = {"Content-Type": "application/json"} if data is not None else {}
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        payload = r.read()
        return r.status, (json.loads(payload) if payload else None)

    def get(self, path):
        return self.request("GET", path)

    def put(self, path, body=None, raw=None):
        return self.request("PUT", path, body, raw)

    def patch(self, path, body=None, raw=None):
        return self.request("PATCH", path, body, raw)

    def close(self):
        self.conn.close()


class Monitor:
    """motevm started with --api-sock in a private directory (UNIX socket paths are short)."""

    def __init__(self, *extra, prefix=None):
        self.dir = tempfile.mkdtemp(prefix="mv", dir="/tmp")
        self.sock = os.path.join(self.dir, "api.sock")
        cmd = (prefix or []) + [MOTEVM, "--api-sock", self.sock] + list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.wait_socket()
        self.api = Api(self.sock)

    def wait_socket(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not connectable(self.sock):
            if self.proc.poll() is not None:
                raise AssertionError(f"motevm exited {self.proc.returncode}: "
                                     f"{self.proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                raise AssertionError("the API socket never appeared")
            time.sleep(0.002)

    def alive(self):
        return self.proc.poll() is None

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self, timeout=10):
        """SIGTERM, then the exit status, stdout and stderr."""
        self.api.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=timeout)
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")
