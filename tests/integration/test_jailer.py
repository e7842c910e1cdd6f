"""motevm-jailer: Firecracker's jailer steps around motevm, run as root here. The monitor inside
the jail runs as an unprivileged uid in its own mount namespace; booting a guest there needs
/dev/kvm and skips without it."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from apiclient import Api, connectable
from conftest import BUILD, KERNEL, MOTEVM, kvm_available

JAILER = os.path.join(BUILD, "motevm-jailer")
UID = GID = 4321

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the jailer needs root")


class Jail:
    def __init__(self, jail_id="jail-test"):
        self.base = tempfile.mkdtemp(prefix="jb", dir="/tmp")
        self.id = jail_id
        self.root = os.path.join(self.base, "motevm", jail_id, "root")
        os.makedirs(self.root)

    def args(self, *extra, motevm_args=()):
        return [JAILER, "--id", self.id, "--exec-file", MOTEVM, "--uid", str(UID),
                "--gid", str(GID), "--chroot-base-dir", self.base] + list(extra) + \
               ["--"] + list(motevm_args)

    def run(self, *extra, motevm_args=(), timeout=20):
        return subprocess.run(self.args(*extra, motevm_args=motevm_args), capture_output=True,
                              text=True, timeout=timeout)

    def popen(self, *extra, motevm_args=()):
        return subprocess.Popen(self.args(*extra, motevm_args=motevm_args),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_socket(self, name="api.sock", timeout=10):
        path = os.path.join(self.root, name)
        deadline = time.monotonic() + timeout
        while not connectable(path):
            assert time.monotonic() < deadline, "no API socket in the jail"
            time.sleep(0.005)
        return path

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def jail():
    j = Jail()
    yield j
    j.cleanup()


def test_the_jail_gets_the_loader_and_libraries(jail):
    """motevm links Debian's shared libcjson and libseccomp: the jailer copies what the loader
    needs (PT_INTERP, DT_NEEDED, transitively) to the paths the loader searches."""
    r = jail.run(motevm_args=["--version"])
    assert r.returncode == 0, r.stderr
    out = subprocess.run(["ldd", MOTEVM], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        words = line.split()
        if "=>" in words and words[-1].startswith("("):
            path = words[words.index("=>") + 1]
            name = words[0]
            assert any(os.path.exists(os.path.join(jail.root + d, name)) for d in
                       ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu")), (name, path)
    interp = next(w for w in out.split() if "ld-linux" in w and w.startswith("/"))
    assert os.path.isfile(jail.root + interp)


def test_a_library_that_cannot_be_found_is_a_clear_error(jail, tmp_path):
    exe = tmp_path / "needy"
    src = tmp_path / "needy.c"
    lib = tmp_path / "libmotegone.so"
    src.write_text("int gone(void); int main(void) { return gone(); }\n")
    (tmp_path / "gone.c").write_text("int gone(void) { return 0; }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(tmp_path / "gone.c")], check=True)
    subprocess.run(["cc", "-o", str(exe), str(src), "-L", str(tmp_path), "-lmotegone"], check=True)
    r = subprocess.run([JAILER, "--id", jail.id, "--exec-file", str(exe), "--uid", str(UID),
                        "--gid", str(GID), "--chroot-base-dir", jail.base], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode != 0
    assert "libmotegone.so" in r.stderr and "default directories" in r.stderr, r.stderr


def test_version_runs_jailed(jail):
    r = jail.run(motevm_args=["--version"])
    assert r.returncode == 0, r.stderr
    assert "motevm v" in r.stdout
    st = os.stat(os.path.join(jail.root, "motevm"))
    assert st.st_mode & 0o777 == 0o755                      # the binary was copied in
    dev = os.stat(os.path.join(jail.root, "dev", "kvm"))
    assert os.major(dev.st_rdev) == 10 and os.minor(dev.st_rdev) == 232
    assert (dev.st_uid, dev.st_gid) == (UID, GID)
    tun = os.stat(os.path.join(jail.root, "dev", "net", "tun"))
    assert os.major(tun.st_rdev) == 10 and os.minor(tun.st_rdev) == 200


def test_bad_config_sees_only_the_jail(jail):
    # The kernel exists on the host, not in the jail: the error proves the chroot.
    cfg = {"boot-source": {"kernel_image_path": KERNEL}}
    with open(os.path.join(jail.root, "vm.json"), "w") as f:
        json.dump(cfg, f)
    r = jail.run(motevm_args=["--no-api", "--config-file", "/vm.json"])
    assert r.returncode == 1
    assert f"kernel {KERNEL}: No such file or directory" in r.stderr
    r = jail.run(motevm_args=["--no-api", "--config-file", "/nope.json"])
    assert r.returncode == 1 and "config file /nope.json" in r.stderr


def test_api_in_the_jail_as_unprivileged_uid(jail):
    shutil.copy(KERNEL, os.path.join(jail.root, "mote.elf"))
    p = jail.popen("--resource-limit", "no-file=256",
                   motevm_args=["--api-sock", "/api.sock", "--level", "Debug"])
    try:
        sock = jail.wait_socket()
        st = os.stat(sock)
        assert (st.st_uid, st.st_gid) == (UID, GID)
        with open(f"/proc/{p.pid}/status") as f:
            status = f.read()
        assert f"Uid:\t{UID}\t{UID}\t{UID}\t{UID}" in status
        assert f"Gid:\t{GID}\t{GID}\t{GID}\t{GID}" in status
        with open(f"/proc/{p.pid}/limits") as f:
            assert any(l.startswith("Max open files") and " 256 " in l for l in f)
        assert os.readlink(f"/proc/{p.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
        api = Api(sock)
        status, body = api.get("/")
        assert status == 200 and body["id"] == "jail-test"       # --id passed through
        assert api.put("/boot-source", {"kernel_image_path": "/mote.elf",
                                        "boot_args": "/hello"})[0] == 204
        if not kvm_available():
            status, body = api.put("/actions", {"action_type": "InstanceStart"})
            assert status == 400 and "/dev/kvm" in body["fault_message"]
            assert api.get("/")[0] == 200
        api.close()
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
    assert p.returncode == 0, err


def test_boot_in_the_jail(need_kvm, jail):
    shutil.copy(KERNEL, os.path.join(jail.root, "mote.elf"))
    r = jail.run(motevm_args=["--no-api", "--kernel", "/mote.elf", "--cmdline", "/hello"])
    assert r.returncode == 0, r.stderr
    assert "Hello from C code" in r.stdout


def test_default_socket_in_the_jail(jail):
    p = jail.popen(motevm_args=[])
    try:
        sock = jail.wait_socket("run/firecracker.socket")
        assert Api(sock).get("/")[0] == 200
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=10)
    assert p.returncode == 0


def test_seccomp_violation_kills_the_jailed_monitor(jail):
    r = jail.run(motevm_args=["--api-sock", "/api.sock", "--debug-seccomp-violation", "api"])
    assert r.returncode == -signal.SIGSYS, r.stderr


def test_cgroup_v1(jail):
    mounts = open("/proc/mounts").read().splitlines()
    if not any(l.split()[2] == "cgroup" and "pids" in l.split()[3].split(",") for l in mounts):
        pytest.skip("no cgroup v1 pids controller mounted on this host")
    mnt = next(l.split()[1] for l in mounts
               if l.split()[2] == "cgroup" and "pids" in l.split()[3].split(","))
    group = os.path.join(mnt, "motevm", jail.id)
    p = jail.popen("--cgroup", "pids.max=64", motevm_args=["--api-sock", "/api.sock"])
    try:
        jail.wait_socket()
        assert open(os.path.join(group, "pids.max")).read().strip() == "64"
        assert str(p.pid) in open(os.path.join(group, "tasks")).read().split()
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=10)
        for d in (group, os.path.dirname(group)):
            try:
                os.rmdir(d)
            except OSError:
                pass


def test_netns_daemonize_new_pid_ns(jail):
    r = jail.run("--netns", "/proc/self/ns/net", "--daemonize", "--new-pid-ns",
                 motevm_args=["--api-sock", "/api.sock"])
    assert r.returncode == 0, r.stderr
    pid = int(open(os.path.join(jail.root, "motevm.pid")).read())
    try:
        sock = jail.wait_socket()
        assert Api(sock).get("/")[0] == 200
        assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")
        assert os.readlink(f"/proc/{pid}/fd/1") == "/dev/null"      # daemonized
    finally:
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):     # gone, or a zombie waiting for whoever adopted it
            try:
                if "State:\tZ" in open(f"/proc/{pid}/status").read():
                    break
            except FileNotFoundError:
                break
            time.sleep(0.01)
        else:
            raise AssertionError("the jailed monitor ignored SIGTERM")


@pytest.mark.parametrize("extra,message", [
    (["--id", "a/b"], "--id a/b: at most 64 letters"),
    (["--cgroup-version", "3"], "--cgroup-version: must be"),
    (["--resource-limit", "stack=1"], "must be fsize=N or no-file=N"),
    (["--netns", "/nonexistent/netns"], "--netns /nonexistent/netns"),
    (["--cgroup", "nodot=1"], "must be <controller>.<file>=<value>"),
    (["--chroot-base-dir", "relative"], "must be an absolute path"),
    (["--frob"], "--frob: unknown flag"),
])
def test_bad_flags(jail, extra, message):
    r = jail.run(*extra, motevm_args=["--version"])
    assert r.returncode == 1
    assert message in r.stderr, r.stderr


def test_required_flags():
    r = subprocess.run([JAILER, "--id", "x"], capture_output=True, text=True)
    assert r.returncode == 1 and "are required" in r.stderr
    r = subprocess.run([JAILER, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--exec-file" in r.stdout
