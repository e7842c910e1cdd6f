"""motevm's Firecracker REST API driven through its UNIX socket, as Firecracker's own tests and
OSv's scripts/firecracker.py drive `firecracker`. Everything before the guest runs works without
/dev/kvm; the boots themselves skip with the reason where it is missing."""
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from apiclient import Api, Monitor
from conftest import KERNEL, kvm_available


@pytest.fixture
def vm():
    m = Monitor("--id", "api-test")
    yield m
    status, _, err = m.stop()
    assert status == 0, err


@pytest.fixture
def disk(tmp_path):
    p = tmp_path / "rootfs.img"
    p.write_bytes(b"\0" * 65536)
    return str(p)


@pytest.fixture
def host_tap():
    """A tap on the host for the network interfaces (motevm opens it at InstanceStart)."""
    if os.geteuid() != 0 or shutil.which("ip") is None or not os.path.exists("/dev/net/tun"):
        pytest.skip("creating a tap needs root, iproute2 and /dev/net/tun")
    name = f"mvapi{os.getpid() % 100000}"
    subprocess.run(["ip", "tuntap", "add", "dev", name, "mode", "tap"], check=True)
    yield name
    subprocess.run(["ip", "tuntap", "del", "dev", name, "mode", "tap"], check=False)


def fault(r):
    status, body = r
    assert status == 400, r
    assert list(body) == ["fault_message"], body
    return body["fault_message"]


def osv_sequence(api, disk, tap, boot_args="/hello"):
    """What OSv's scripts/firecracker.py sends, in its order."""
    assert api.put("/machine-config", {"vcpu_count": 1, "mem_size_mib": 64})[0] == 204
    assert api.put("/drives/rootfs", {"drive_id": "rootfs", "path_on_host": disk,
                                      "is_root_device": False, "is_read_only": False})[0] == 204
    assert api.put("/network-interfaces/eth0", {"iface_id": "eth0", "host_dev_name": tap,
                                                "guest_mac": "52:54:00:12:34:56"})[0] == 204
    assert api.put("/boot-source", {"kernel_image_path": KERNEL, "boot_args": boot_args})[0] == 204
    return api.put("/actions", {"action_type": "InstanceStart"})


def test_osv_sequence_without_kvm(vm, disk, host_tap):
    if kvm_available():
        pytest.skip("this machine has /dev/kvm: test_osv_sequence_boots covers it")
    msg = fault(osv_sequence(vm.api, disk, host_tap))
    assert "/dev/kvm" in msg
    # The process keeps serving, the VM is still not started, and a retry gives the same answer.
    assert vm.api.get("/")[1]["state"] == "Not started"
    assert "/dev/kvm" in fault(vm.api.put("/actions", {"action_type": "InstanceStart"}))
    status, cfg = vm.api.get("/vm/config")
    assert status == 200
    assert cfg["drives"][0]["path_on_host"] == disk
    assert cfg["network-interfaces"][0]["guest_mac"] == "52:54:00:12:34:56"
    assert cfg["boot-source"]["boot_args"] == "/hello"
    assert cfg["machine-config"]["mem_size_mib"] == 64


def test_osv_sequence_boots(need_kvm, disk, host_tap):
    m = Monitor()
    assert osv_sequence(m.api, disk, host_tap, "--bootchart /hello")[0] == 204
    assert m.api.get("/")[1]["state"] == "Running"
    status, out, err = m.stop()
    # The guest powers off through the i8042 after its program exits (status 0).
    assert "Hello from C code" in out, err
    assert status == 0


def test_missing_tap_then_retry(vm, host_tap):
    """Taps are opened at InstanceStart, before /dev/kvm; a failed start closes them again, so
    the start can be retried with the configuration fixed."""
    api = vm.api
    assert api.put("/boot-source", {"kernel_image_path": KERNEL, "boot_args": "/hello"})[0] == 204
    assert api.put("/network-interfaces/eth0", {"iface_id": "eth0",
                                                "host_dev_name": "mvnosuch0"})[0] == 204
    msg = fault(api.put("/actions", {"action_type": "InstanceStart"}))
    assert "tap mvnosuch0: no such network interface" in msg
    assert api.put("/network-interfaces/eth0", {"iface_id": "eth0",
                                                "host_dev_name": host_tap})[0] == 204
    if kvm_available():
        return
    for _ in range(2):      # the second time the tap is free again: not "busy"
        assert "/dev/kvm" in fault(api.put("/actions", {"action_type": "InstanceStart"}))


def test_root_and_version(vm):
    status, body = vm.api.get("/")
    assert status == 200
    assert body == {"id": "api-test", "state": "Not started", "vmm_version": body["vmm_version"],
                    "app_name": "Firecracker"}
    status, body = vm.api.get("/version")
    assert status == 200 and "firecracker_version" in body


GOOD = [
    ("PUT", "/machine-config", {"vcpu_count": 2, "mem_size_mib": 256, "smt": True,
                                "track_dirty_pages": True, "huge_pages": "None",
                                "cpu_template": "None"}),
    ("PATCH", "/machine-config", {"mem_size_mib": 512}),
    ("PUT", "/boot-source", {"kernel_image_path": KERNEL}),
    ("PUT", "/boot-source", {"kernel_image_path": KERNEL, "boot_args": "x", "initrd_path": None}),
    ("PUT", "/drives/d1", {"drive_id": "d1", "path_on_host": "DISK", "is_root_device": True,
                           "is_read_only": True, "cache_type": "Writeback", "io_engine": "Sync",
                           "partuuid": "0eaa91a0-01",
                           "rate_limiter": {"bandwidth": {"size": 1000, "refill_time": 100},
                                            "ops": {"size": 10, "refill_time": 100,
                                                    "one_time_burst": 5}}}),
    ("PUT", "/network-interfaces/eth0", {"iface_id": "eth0", "host_dev_name": "tap0",
                                         "rx_rate_limiter": None, "tx_rate_limiter": {}}),
    ("PUT", "/logger", {"level": "Info", "show_level": True, "show_log_origin": False}),
    ("PUT", "/entropy", {}),
    ("PUT", "/entropy", {"rate_limiter": {"bandwidth": {"size": 1, "refill_time": 1}}}),
]

BAD = [
    ("PUT", "/machine-config", {"vcpu_count": 0, "mem_size_mib": 64}, "vcpu_count: must be"),
    ("PUT", "/machine-config", {"vcpu_count": 1}, "mem_size_mib: required"),
    ("PUT", "/machine-config", {"mem_size_mib": 64}, "vcpu_count: required"),
    ("PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": 64, "smt": "yes"},
     "smt: must be true or false"),
    ("PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": 64, "cpu_template": "X9"},
     "unknown CPU template"),
    ("PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": 64, "gdb": 1},
     "gdb: unknown field"),
    ("PATCH", "/machine-config", {"vcpu_count": 3, "smt": True}, "must be 1 or even"),
    ("PUT", "/boot-source", {}, "kernel_image_path: required"),
    ("PUT", "/boot-source", {"kernel_image_path": ""}, "must not be empty"),
    ("PUT", "/boot-source", {"kernel_image_path": "/no/such/vmlinux"}, "No such file"),
    ("PUT", "/boot-source", {"kernel_image_path": KERNEL, "boot_args": 5}, "must be a string"),
    ("PUT", "/drives/d1", {"path_on_host": "DISK", "is_root_device": True}, "drive_id: required"),
    ("PUT", "/drives/d1", {"drive_id": "d1", "is_root_device": True}, "path_on_host: required"),
    ("PUT", "/drives/d1", {"drive_id": "d1", "path_on_host": "DISK"}, "is_root_device: required"),
    ("PUT", "/drives/d1", {"drive_id": "d2", "path_on_host": "DISK", "is_root_device": False},
     "does not match"),
    ("PUT", "/drives/d1", {"drive_id": "d1", "path_on_host": "DISK", "is_root_device": False,
                           "cache_type": "Fast"}, "cache_type: must be"),
    ("PUT", "/drives/d1", {"drive_id": "d1", "path_on_host": "DISK", "is_root_device": False,
                           "socket": "/x"}, "vhost-user"),
    ("PUT", "/drives/d1", {"drive_id": "d1", "path_on_host": "DISK", "is_root_device": False,
                           "rate_limiter": {"ops": {"size": -1, "refill_time": 1}}},
     "rate_limiter.ops.size: must be an integer >= 0"),
    ("PUT", "/network-interfaces/eth0", {"iface_id": "eth0"}, "host_dev_name: required"),
    ("PUT", "/network-interfaces/eth0", {"host_dev_name": "tap0"}, "iface_id: required"),
    ("PUT", "/network-interfaces/eth0", {"iface_id": "eth0", "host_dev_name": "tap0",
                                         "guest_mac": "06:00:00:00:00"}, "must be a MAC"),
    ("PUT", "/logger", {"level": "Verbose"}, "logger.level: must be"),
    ("PUT", "/logger", {"show_level": 1}, "show_level: must be true or false"),
    ("PUT", "/metrics", {}, "metrics_path: required"),
    ("PUT", "/metrics", {"metrics_path": "/no/such/dir/m"}, "No such file"),
    ("PUT", "/vsock", {"uds_path": "/v"}, "guest_cid: required"),
    ("PUT", "/vsock", {"guest_cid": 3, "uds_path": "/v"}, "vsock device not implemented yet"),
    ("PUT", "/entropy", {"rate_limiter": 1}, "rate_limiter: must be an object"),
    ("PUT", "/actions", {"action_type": "Reboot"}, "action_type: must be"),
    ("PUT", "/actions", {}, "action_type: required"),
    ("PUT", "/actions", {"action_type": "SendCtrlAltDel"}, "before starting the microVM"),
    ("PUT", "/actions", {"action_type": "FlushMetrics"}, "metrics: not configured"),
    ("PATCH", "/vm", {"state": "Paused"}, "before starting the microVM"),
    ("PATCH", "/drives/d1", {"drive_id": "d1", "path_on_host": "DISK"}, "before starting"),
    ("PATCH", "/network-interfaces/eth0", {"iface_id": "eth0"}, "before starting"),
    ("PUT", "/mmds", {"a": 1}, "MMDS is not implemented yet"),
    ("GET", "/mmds", None, "MMDS is not implemented yet"),
    ("PUT", "/mmds/config", {"network_interfaces": []}, "MMDS"),
    ("PUT", "/balloon", {"amount_mib": 1, "deflate_on_oom": True}, "balloon device"),
    ("GET", "/balloon/statistics", None, "balloon device"),
    ("PUT", "/snapshot/create", {}, "snapshots are not implemented yet"),
    ("GET", "/nope", None, "Invalid request method and/or path: GET /nope."),
    ("DELETE", "/machine-config", None, "Invalid request method and/or path"),
    ("POST", "/actions", {"action_type": "InstanceStart"}, "Invalid request method"),
    ("PUT", "/drives", {}, "Invalid request method"),
]


def subst(body, disk):
    return json.loads(json.dumps(body).replace('"DISK"', json.dumps(disk)))


def test_good_bodies(vm, disk):
    for method, path, body in GOOD:
        status, reply = vm.api.request(method, path, subst(body, disk))
        assert (status, reply) == (204, None), (method, path, reply)
    cfg = vm.api.get("/vm/config")[1]
    assert cfg["machine-config"] == {"vcpu_count": 2, "mem_size_mib": 512, "smt": True,
                                     "track_dirty_pages": True, "huge_pages": "None"}
    assert cfg["drives"][0]["cache_type"] == "Writeback"
    assert cfg["entropy"] == {"rate_limiter": None}


@pytest.mark.parametrize("method,path,body,message", BAD,
                         ids=[f"{m} {p} {i}" for i, (m, p, _, _) in enumerate(BAD)])
def test_bad_bodies(vm, disk, method, path, body, message):
    before = vm.api.get("/vm/config")[1]
    msg = fault(vm.api.request(method, path, subst(body, disk) if body is not None else None))
    assert message in msg
    assert vm.api.get("/vm/config")[1] == before     # a refused request changes nothing


@pytest.mark.parametrize("raw,message", [
    ("", "body is empty"),
    ("{", "not valid JSON"),
    ('{"vcpu_count": 1, "mem_size_mib": 64} trailing', "not valid JSON"),
    ("[1, 2]", "must be an object"),
    ('{"vcpu_count": 1e400, "mem_size_mib": 64}', "must be an integer"),
    ('{"vcpu_count": 1.5, "mem_size_mib": 64}', "must be an integer"),
    ('"just a string"', "must be an object"),
])
def test_bad_json(vm, raw, message):
    assert message in fault(vm.api.put("/machine-config", raw=raw))


def test_out_of_order(vm, disk):
    api = vm.api
    # InstanceStart before anything is configured: no kernel.
    assert "no kernel" in fault(api.put("/actions", {"action_type": "InstanceStart"}))
    # Boot source before machine config, drives after: order does not matter before start.
    assert api.put("/boot-source", {"kernel_image_path": KERNEL})[0] == 204
    assert api.put("/drives/a", {"drive_id": "a", "path_on_host": disk,
                                 "is_root_device": True})[0] == 204
    assert api.put("/machine-config", {"vcpu_count": 1, "mem_size_mib": 32})[0] == 204
    # A second root device is refused; replacing the root device itself is fine.
    assert "root device already exists" in fault(api.put(
        "/drives/b", {"drive_id": "b", "path_on_host": disk, "is_root_device": True}))
    assert api.put("/drives/a", {"drive_id": "a", "path_on_host": disk,
                                 "is_root_device": True, "is_read_only": True})[0] == 204
    assert len(api.get("/vm/config")[1]["drives"]) == 1
    # Post-boot-only requests before the boot.
    assert "before starting" in fault(api.patch("/vm", {"state": "Resumed"}))


def test_instance_start_without_kvm(vm):
    if kvm_available():
        pytest.skip("this machine has /dev/kvm")
    api = vm.api
    assert api.put("/boot-source", {"kernel_image_path": KERNEL, "boot_args": "/hello"})[0] == 204
    msg = fault(api.put("/actions", {"action_type": "InstanceStart"}))
    assert msg.startswith("cannot open /dev/kvm")
    assert vm.alive()
    # Pre-boot resources still work: nothing was started.
    assert api.put("/machine-config", {"vcpu_count": 2, "mem_size_mib": 64})[0] == 204
    assert api.get("/")[1]["state"] == "Not started"


def test_bad_kernel_through_the_api(vm, tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"not an elf")
    assert vm.api.put("/boot-source", {"kernel_image_path": str(junk)})[0] == 204
    assert "not an ELF file" in fault(vm.api.put("/actions", {"action_type": "InstanceStart"}))


def test_concurrent_clients(vm):
    errors = []

    def client(n):
        try:
            api = Api(vm.sock)
            for i in range(100):
                mem = 64 + 2 * ((n * 100 + i) % 50)
                assert api.put("/machine-config", {"vcpu_count": 1 + n % 2,
                                                   "mem_size_mib": mem})[0] == 204
                status, body = api.get("/machine-config")
                assert status == 200 and body["vcpu_count"] in (1, 2)
                assert fault(api.get("/nope")).startswith("Invalid request")
            api.close()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert vm.alive()


def test_ten_thousand_requests_rss_flat(vm):
    api = vm.api
    for i in range(1000):
        api.put("/machine-config", {"vcpu_count": 1, "mem_size_mib": 64 + i % 64})
    base = vm.rss_kib()
    for i in range(9000):
        if i % 3 == 0:
            assert api.get("/vm/config")[0] == 200
        elif i % 3 == 1:
            assert api.put("/machine-config", {"vcpu_count": 1, "mem_size_mib": 64 + i % 64})[0] == 204
        else:
            fault(api.put("/drives/x", {"drive_id": "y"}))
    grown = vm.rss_kib() - base
    assert grown < 256, f"RSS grew by {grown} KiB over 9000 requests"


def raw_exchange(path, data, read=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(data)
    out = b""
    if read:
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
    s.close()
    return out


def test_client_disconnects_mid_body(vm):
    for _ in range(20):
        raw_exchange(vm.sock, b"PUT /machine-config HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"vcp",
                     read=False)
        raw_exchange(vm.sock, b"PUT /machine-config HTTP/1.1\r\nContent-Le", read=False)
    assert vm.api.get("/")[0] == 200
    assert vm.api.get("/machine-config")[1]["mem_size_mib"] == 128


def test_client_that_never_reads(vm):
    """Pipelined requests whose answers are never read: the server drops that client (its send
    times out) and goes on serving the others."""
    hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hog.connect(vm.sock)
    hog.setblocking(False)
    req = b"GET /vm/config HTTP/1.1\r\n\r\n"
    sent = 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and sent < 8 << 20:
        try:
            sent += hog.send(req * 64)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break                                   # dropped by the server
    t0 = time.monotonic()
    assert Api(vm.sock).get("/")[0] == 200
    assert time.monotonic() - t0 < 5
    hog.close()


def test_body_over_the_limit(vm):
    body = json.dumps({"kernel_image_path": "x" * (50 * 1024)}).encode()
    out = raw_exchange(vm.sock, b"PUT /boot-source HTTP/1.1\r\nContent-Length: %d\r\n\r\n"
                       % len(body))
    assert out.startswith(b"HTTP/1.1 400 "), out
    assert b"larger than the limit of 51200" in out
    assert b"Connection: close" in out
    assert vm.api.get("/")[0] == 200


def test_max_payload_flag():
    m = Monitor("--http-api-max-payload-size", "100")
    try:
        assert "larger than the limit of 100" in fault(
            m.api.put("/boot-source", {"kernel_image_path": "x" * 200}))
    finally:
        assert m.stop()[0] == 0


@pytest.mark.parametrize("data", [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/3\r\n\r\n",
    b"PUT /machine-config HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 9000 + b"\r\n\r\n",
    bytes(range(256)) * 4,
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",    # a TLS ClientHello, no CRLF at all
], ids=["garbage", "http3", "chunked", "huge-header", "binary", "tls"])
def test_malformed_http(vm, data):
    out = raw_exchange(vm.sock, data)
    assert out.startswith(b"HTTP/1.1 400 "), out
    assert b'{"fault_message":' in out
    assert vm.api.get("/")[0] == 200


def test_expect_continue_and_keep_alive(vm):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(vm.sock)
    body = b'{"vcpu_count": 2, "mem_size_mib": 96}'
    s.sendall(b"PUT /machine-config HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body))
    assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    s.sendall(body + b"GET /machine-config HTTP/1.1\r\n\r\n")   # and a pipelined request
    data = b""
    while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b"}"):
        data += s.recv(4096)
    assert data.startswith(b"HTTP/1.1 204 No Content\r\n")
    assert b'"mem_size_mib":96' in data
    s.sendall(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    rest = b""
    while chunk := s.recv(4096):
        rest += chunk
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in rest
    s.close()


def test_logger_to_fifo_and_file(tmp_path):
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    m = Monitor("--level", "Warning")
    try:
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        assert m.api.put("/logger", {"log_path": str(fifo), "level": "Debug", "show_level": False,
                                     "show_log_origin": True})[0] == 204
        m.api.get("/nope")                        # logged at debug level
        time.sleep(0.1)
        text = os.read(reader, 65536).decode()
        os.close(reader)
        assert "[api-test" not in text and "[anonymous-instance:vmm/" in text, text
        assert "Invalid request method and/or path" in text
        log = tmp_path / "motevm.log"
        assert m.api.put("/logger", {"log_path": str(log), "level": "Info",
                                     "show_level": True})[0] == 204
    finally:
        status, _, err = m.stop()
    assert status == 0, err
    assert "[anonymous-instance:Info:vmm/vmm.c:" in log.read_text()   # "stopping on SIGTERM"


def metrics_lines(path):
    return [json.loads(l) for l in open(path).read().splitlines()]


def test_metrics(tmp_path):
    path = tmp_path / "metrics.json"
    m = Monitor("--metrics-path", str(path))
    try:
        m.api.get("/machine-config")
        m.api.put("/machine-config", {"vcpu_count": 1, "mem_size_mib": 64})
        m.api.put("/drives/x", {})
        assert m.api.put("/actions", {"action_type": "FlushMetrics"})[0] == 204
        line = metrics_lines(path)[-1]
        assert line["get_api_requests"]["machine_cfg_count"] == 1
        assert line["put_api_requests"]["machine_cfg_count"] == 1
        assert line["put_api_requests"]["drive_fails"] == 1
        assert 0 < line["api_server"]["process_startup_time_us"] < 5_000_000
        assert line["api_server"]["process_startup_time_cpu_us"] > 0
        for group in ("vcpu", "uart", "i8042", "block", "boot"):
            assert group in line
        assert "already configured" in fault(m.api.put("/metrics", {"metrics_path": "/tmp/m"}))
    finally:
        status, _, err = m.stop()
    assert status == 0, err
    lines = metrics_lines(path)
    assert len(lines) == 2                       # FlushMetrics, then the exit flush
    assert lines[1]["put_api_requests"]["machine_cfg_count"] == 0     # per interval


def test_put_metrics_to_fifo(tmp_path):
    fifo = tmp_path / "m.fifo"
    os.mkfifo(fifo)
    m = Monitor()
    try:
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        assert m.api.put("/metrics", {"metrics_path": str(fifo)})[0] == 204
        assert m.api.put("/actions", {"action_type": "FlushMetrics"})[0] == 204
        time.sleep(0.05)
        line = json.loads(os.read(reader, 65536).decode().splitlines()[0])
        os.close(reader)
        assert line["put_api_requests"]["metrics_count"] == 1
    finally:
        assert m.stop()[0] == 0


def test_socket_in_use_and_removed_at_exit():
    m = Monitor()
    from conftest import motevm
    r = motevm(["--api-sock", m.sock])
    assert r.status == 1 and "Address already in use" in r.err
    sock = m.sock
    assert m.stop()[0] == 0
    assert not os.path.exists(sock)


def test_config_file_with_api_boots_at_once(tmp_path):
    cfg = tmp_path / "vm.json"
    cfg.write_text(json.dumps({"boot-source": {"kernel_image_path": KERNEL, "boot_args": "/hello"},
                               "machine-config": {"vcpu_count": 1, "mem_size_mib": 64}}))
    if kvm_available():
        m = Monitor("--config-file", str(cfg))
        status, out, _ = m.stop(timeout=30)
        assert "Hello from C code" in out
        return
    from conftest import motevm
    sock = f"/tmp/mv-cfg-{os.getpid()}.sock"
    r = motevm(["--api-sock", sock, "--config-file", str(cfg)])
    assert r.status == 2 and "cannot open /dev/kvm" in r.err
    assert not os.path.exists(sock)


@pytest.mark.parametrize("kind", ["api", "vmm", "vcpu", "device"])
def test_seccomp_violation_kills(kind):
    if kind != "api" and not kvm_available():
        pytest.skip(f"the {kind} thread's filter is loaded when the VM runs: needs /dev/kvm")
    m = Monitor("--debug-seccomp-violation", kind, "--kernel", KERNEL, "--cmdline", "/hello",
                "--rng") if kind != "api" else None
    if kind == "api":
        # The API thread loads its filter first thing, then makes the forbidden call.
        import subprocess
        from conftest import MOTEVM
        sock = f"/tmp/mv-sc-{os.getpid()}.sock"
        p = subprocess.run([MOTEVM, "--api-sock", sock, "--debug-seccomp-violation", "api"],
                           capture_output=True, timeout=10)
        if os.path.exists(sock):
            os.unlink(sock)
        assert p.returncode == -signal.SIGSYS, p
        return
    status, _, _ = m.stop()
    assert status == -signal.SIGSYS


def test_no_seccomp_survives_the_violation():
    m = Monitor("--no-seccomp", "--debug-seccomp-violation", "api")
    assert m.api.get("/")[0] == 200
    assert m.stop()[0] == 0


def test_seccomp_filters_allow_the_api(vm, disk):
    """Every request kind above runs with the filters on (the default); once more, the lot."""
    for method, path, body in GOOD:
        vm.api.request(method, path, subst(body, disk))
    assert vm.api.get("/vm/config")[0] == 200
    assert vm.alive()
