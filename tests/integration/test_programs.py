"""Unmodified static Linux programs on the Mote kernel (QEMU TCG microvm, PVH entry, and a few
through the Firecracker-style Linux entry): musl and glibc test programs from apps/, and Debian's
busybox-static, all from a cpio newc initrd made here with the stock `cpio -o -H newc` (plain and
gzip-compressed). Outputs are compared with the same commands on the host where that means
something; bad programs must each get a clear error and status 127."""
import gzip
import hashlib
import os
import re
import shutil
import struct
import subprocess

import pytest

from conftest import BUILD, DEBUG_EXIT, KERNEL, QEMU, Run, qemu_boot, qemu_status

APPS = os.path.join(BUILD, "apps")
BUSYBOX = shutil.which("busybox") or "/bin/busybox"
FCIMAGE = os.path.join(BUILD, "tools", "fcimage")
FCSHIM = os.path.join(BUILD, "tools", "fcshim.elf")
HOSTNAME = "mote-guest\n"
PROGRAMS = ["auxv", "fileio", "mmapstress", "pipes", "bad", "signals", "hostile", "threads",
            "spawn", "procs", "hello-glibc", "fileio-glibc", "signals-glibc", "threads-glibc",
            "spawn-glibc", "auxv-pie", "schedbench", "timers"]


APPLETS = ["sh", "ls", "cat", "wc", "sha256sum", "find", "yes", "head", "tr", "seq", "sleep"]


def need_busybox():
    if not os.path.exists(BUSYBOX) or "statically linked" not in subprocess.run(
            ["file", "-L", BUSYBOX], capture_output=True, text=True).stdout:
        pytest.skip("needs Debian's busybox-static (scripts/setup installs it)")


def make_cpio(root, out, compress=False):
    """Packs the directory root with the stock cpio, as a user would."""
    names = subprocess.run("find . | LC_ALL=C sort", shell=True, cwd=root, check=True,
                           capture_output=True).stdout
    data = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=names,
                          check=True, capture_output=True).stdout
    if compress:
        data = gzip.compress(data, 6)
    with open(out, "wb") as f:
        f.write(data)
    return out


@pytest.fixture(scope="module")
def staging(tmp_path_factory):
    """The initrd's tree: /bin with the test programs and busybox, /etc/hostname, and files of
    the odd kinds (symlink, hard link, empty file, nested directory)."""
    root = tmp_path_factory.mktemp("initrd")
    (root / "bin").mkdir()
    for p in PROGRAMS:
        shutil.copy(os.path.join(APPS, p), root / "bin" / p)
    if os.path.exists(BUSYBOX):
        shutil.copy(BUSYBOX, root / "bin" / "busybox")
        for applet in APPLETS:
            os.symlink("busybox", root / "bin" / applet)
    (root / "etc").mkdir()
    (root / "etc" / "hostname").write_text(HOSTNAME)
    os.link(root / "etc" / "hostname", root / "etc" / "hostname.hard")
    os.symlink("/etc/hostname", root / "etc" / "hostname.link")
    (root / "etc" / "empty").write_bytes(b"")
    (root / "data" / "deep" / "er").mkdir(parents=True)
    (root / "data" / "deep" / "er" / "blob").write_bytes(bytes(range(256)) * 300)
    return root


@pytest.fixture(scope="module")
def initrd(staging, tmp_path_factory):
    return make_cpio(staging, tmp_path_factory.mktemp("cpio") / "initrd.cpio")


@pytest.fixture(scope="module")
def initrd_gz(staging, tmp_path_factory):
    return make_cpio(staging, tmp_path_factory.mktemp("cpio") / "initrd.cpio.gz", compress=True)


def boot(initrd_path, cmdline, mem="128", **kw):
    return qemu_boot("microvm", cmdline, mem=mem, extra=["-initrd", str(initrd_path)], **kw)


def program_output(r):
    """The console minus the kernel's last line."""
    return r.out.split("program exited with status")[0]


def elf_entry(path):
    with open(path, "rb") as f:
        return struct.unpack_from("<Q", f.read(64), 24)[0]


# ---- musl and glibc programs ----

def test_argv_envp_auxv(initrd):
    r = boot(initrd, "--env=GREETING=hi /bin/auxv one \"two words\"")
    out = r.out
    assert "argv[0]=/bin/auxv\nargv[1]=one\nargv[2]=two words\n" in out
    assert "env GREETING=hi" in out and "env PATH=/bin:/usr/bin" in out
    assert "AT_PAGESZ=0x1000" in out and "AT_PHENT=0x38" in out
    assert f"AT_ENTRY={elf_entry(os.path.join(APPS, 'auxv')):#x}" in out
    assert "AT_BASE=0\n" in out and "AT_SECURE=0" in out and "AT_CLKTCK=0x64" in out
    assert "AT_EXECFN=/bin/auxv" in out and "AT_PLATFORM=x86_64" in out
    assert re.search(r"AT_RANDOM=0x7ff[0-9a-f]+", out)
    assert "uname=Linux x86_64" in out and "pid=1 ppid=0 uid=0" in out
    assert r.status == qemu_status(0)


def test_static_pie_is_loaded_at_linux_base(initrd):
    r = boot(initrd, "/bin/auxv-pie")
    entry = 0x555555554000 + elf_entry(os.path.join(APPS, "auxv-pie"))
    assert f"AT_ENTRY={entry:#x}" in r.out
    assert r.status == qemu_status(0)


@pytest.mark.parametrize("prog", ["fileio", "fileio-glibc"])
def test_file_io_on_the_ramfs(initrd, prog):
    r = boot(initrd, f"/bin/{prog}")
    assert "fileio ok" in r.out, r.out
    assert f"exe=/bin/{prog}" in r.out
    assert r.status == qemu_status(0)


def test_glibc_hello(initrd):
    r = boot(initrd, "/bin/hello-glibc")
    assert "Hello from C code" in r.out
    assert r.status == qemu_status(0)


def test_mmap_munmap_mprotect_stress_then_guard_page_faults(initrd):
    r = boot(initrd, "/bin/mmapstress guard")
    assert "mmap ok" in r.out, r.out
    m = re.search(r"touching 0x([0-9a-f]+)", r.out)
    assert m
    assert re.search(rf"program killed: SIGSEGV at [0-9a-f]+, address {m.group(1)}\b", r.out)
    assert r.status == qemu_status(139)


def test_out_of_memory_ends_the_program_not_the_kernel(initrd):
    r = boot(initrd, "/bin/mmapstress oom", mem="32")
    assert "program killed: out of memory" in r.out
    assert "PANIC" not in r.out
    assert r.status == qemu_status(137)


def test_pipes_fork_poll_epoll_eventfd(initrd):
    r = boot(initrd, "/bin/pipes")
    assert "pipes ok" in r.out, r.out
    assert r.status == qemu_status(0)


def test_unknown_syscalls_are_named_and_abort_reports(initrd):
    r = boot(initrd, "/bin/bad")
    assert "system call 999 (unknown) not implemented (ENOSYS)" in r.out
    assert "system call 206 (io_setup) not implemented (ENOSYS)" in r.out
    assert "io_setup -> -1" in r.out
    assert "program killed: SIGABRT" in r.out
    assert r.status == qemu_status(134)
    r = boot(initrd, "/bin/bad term")
    assert "program killed: SIGTERM" in r.out
    assert r.status == qemu_status(143)


@pytest.mark.parametrize("prog", ["signals", "signals-glibc"])
def test_signal_handlers_mask_altstack_sigpipe(initrd, prog):
    r = boot(initrd, f"/bin/{prog}")
    assert "signals ok" in r.out, r.out
    assert "program killed: SIGABRT (sent by the program)" in r.out
    assert r.status == qemu_status(134)


@pytest.mark.parametrize("prog", ["threads", "threads-glibc"])
@pytest.mark.parametrize("smp", [1, 2])
def test_pthreads_mutex_condvar_join(initrd, prog, smp):
    """4 threads, a mutex, a condition variable, TLS, join, a timed wait (futex with timeouts)."""
    r = qemu_boot("microvm", f"/bin/{prog}", smp=smp, extra=["-initrd", str(initrd)])
    assert "threads ok" in r.out, r.out
    assert r.status == qemu_status(0)


def test_schedbench_prints_its_measurements(initrd):
    """bench/sched.py's user-level program (apps/schedbench) on q35 -smp 2, as the benchmark boots
    it: each measurement line is there; no timing is asserted."""
    r = qemu_boot("q35", "/bin/schedbench", smp=2, extra=["-initrd", str(initrd)])
    assert re.search(r"^schedbench start: \d+ ns since the kernel's clock began, \d+ CPUs usable",
                     r.out, re.M), r.out
    for what in ["thread create+join", "context switch", "thread create+join on CPU 0",
                 "cross-CPU wake-up round trip"]:
        assert re.search(rf"^schedbench {re.escape(what)}: \d+ ns", r.out, re.M), r.out
    assert "schedbench done" in r.out, r.out
    assert r.status == qemu_status(0)


@pytest.mark.parametrize("prog", ["spawn", "spawn-glibc"])
def test_posix_spawn_system_popen(initrd, prog):
    need_busybox()
    r = boot(initrd, f"/bin/{prog}")
    for line in ["spawned", "posix_spawn rc=0 status=0", "from system", "system -> 5",
                 "popen read: via popen", "pclose -> 0"]:
        assert line + "\n" in r.out, r.out
    assert r.status == qemu_status(0)


def test_hostile_arguments_never_crash_the_kernel(initrd):
    """Bad pointers, descriptors, lengths to most calls, then 30000 random calls."""
    r = boot(initrd, "/bin/hostile 30000", timeout=120)
    assert "hostile ok" in r.out, r.out[-2000:]
    assert "PANIC" not in r.out
    assert r.status == qemu_status(0)


def test_stdin_reads_the_serial_port(initrd):
    need_busybox()
    cmd = [QEMU, "-M", "microvm", "-accel", "tcg", "-m", "128", "-display", "none", "-monitor",
           "none", "-serial", "stdio", "-no-reboot", "-kernel", KERNEL, "-initrd", str(initrd),
           "-append", "/bin/busybox wc -l"] + DEBUG_EXIT
    p = subprocess.run(cmd, input=b"one\ntwo\nthree\n\x04", capture_output=True, timeout=60)
    assert re.search(r"^\s*3\s*$", p.stdout.decode(), re.M), p.stdout
    assert p.returncode == qemu_status(0)


# ---- busybox ----

def host(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, shell=True, capture_output=True, text=True).stdout


def test_busybox_shell(initrd, staging):
    need_busybox()
    r = boot(initrd, '/bin/busybox sh -c "echo $((6*7)); ls /; cat /etc/hostname; '
                     'wc -c /bin/busybox"')
    out = program_output(r).splitlines()
    assert out[0] == "42"
    # ls / : the initrd's top level plus the kernel's own (bootfs programs, /dev, /proc, /tmp).
    listing = out[1:out.index(HOSTNAME.strip())]
    assert set(os.listdir(staging)) <= set(listing)
    assert {"dev", "proc", "tmp", "hello"} <= set(listing)
    assert listing == sorted(listing)
    assert HOSTNAME.strip() in out
    assert out[-1] == f"{os.path.getsize(BUSYBOX)} /bin/busybox"
    assert r.status == qemu_status(0)


def test_busybox_pipelines_and_status(initrd):
    need_busybox()
    r = boot(initrd, '/bin/busybox sh -c "ls /bin | wc -l; echo hi | /bin/busybox tr a-z A-Z; '
                     'cd /tmp && echo x > f && cat f && pwd; false || echo no; exit 3"')
    out = program_output(r).split()
    assert out == [str(len(PROGRAMS) + 1 + len(APPLETS)), "HI", "x", "/tmp", "no"]
    assert r.status == qemu_status(3)


@pytest.mark.parametrize("smp", [1, 2])
def test_processes_side_by_side_match_host(initrd, smp):
    """apps/procs: ping-pong through pipes, waitpid WNOHANG, statuses, SIGCHLD, kill, SIGPIPE,
    end of file, a write larger than a pipe, 4 x 200 forks, vfork + execve, exit_group with
    threads, orphans. Its lines must be the host's; on Mote it also checks that free memory
    does not go down from one round of 200 forks to the next. With 2 CPUs the programs stay on
    CPU 0 and kernel threads may run on CPU 1."""
    want = subprocess.run([os.path.join(APPS, "procs")], capture_output=True, text=True,
                          timeout=60)
    assert want.returncode == 0 and want.stdout.endswith("procs ok\n"), want.stdout
    r = qemu_boot("microvm", "/bin/procs leak", smp=smp, extra=["-initrd", str(initrd)],
                  timeout=120)
    out = program_output(r)
    assert "procs ok" in out, out[-3000:]
    m = re.search(r"MemFree after each round: (\d+) (\d+) (\d+) (\d+) kB\n", out)
    assert m and int(m.group(4)) >= int(m.group(2)), out
    assert out.replace(m.group(0), "") == want.stdout
    assert r.status == qemu_status(0)


@pytest.mark.parametrize("smp", [1, 2])
def test_timers_match_host(initrd, smp):
    """apps/timers: alarm, setitimer/getitimer (a SIGALRM interrupting a pipe read, nanosleep and
    a timerfd read with EINTR; a 3-tick periodic itimer), timerfd in epoll, nonblocking EAGAIN,
    absolute CLOCK_REALTIME expiry, timer_create with SIGEV_SIGNAL, and the error cases. Timings
    are checked in ranges, so its lines must be the host's."""
    want = subprocess.run([os.path.join(APPS, "timers")], capture_output=True, text=True,
                          timeout=60)
    assert want.returncode == 0 and want.stdout.endswith("timers ok\n"), want.stdout
    r = qemu_boot("microvm", "/bin/timers", smp=smp, extra=["-initrd", str(initrd)], timeout=120)
    assert program_output(r) == want.stdout
    assert r.status == qemu_status(0)


def test_sigalrm_default_action_ends_the_program(initrd):
    """An itimer's SIGALRM with no handler ends the process, as on Linux (status 128 + 14)."""
    assert subprocess.run([os.path.join(APPS, "timers"), "die"], timeout=60).returncode == -14
    r = qemu_boot("microvm", "/bin/timers die", extra=["-initrd", str(initrd)], timeout=60)
    assert "program killed: SIGALRM" in r.out, r.out[-2000:]
    assert r.status == qemu_status(128 + 14)


def test_yes_head_ends(initrd):
    """yes never ends by itself: head's exit closes the pipe, yes gets SIGPIPE."""
    need_busybox()
    r = boot(initrd, '/bin/busybox sh -c "yes | head -n 3; echo status $?"')
    assert program_output(r) == "y\ny\ny\nstatus 0\n"
    assert r.status == qemu_status(0)


SHELL_PIPES = ("seq 1 30000 | tr 0-9 a-j | sha256sum; "
               "yes mote | head -n 100000 | wc -l; "
               "seq 1 5 | while read n; do echo $((n*n)); done | tr '\\n' ' '; echo; "
               "sleep 10 & kill $!; wait $! 2>/dev/null; echo killed $?")


def test_shell_pipelines_of_three_match_host(initrd):
    """Pipelines of three processes moving more than a pipe holds (writers wait for readers),
    a shell loop in a pipeline, a background job killed and waited for; as on the host."""
    need_busybox()
    want = subprocess.run([BUSYBOX, "sh", "-c", SHELL_PIPES], capture_output=True, text=True,
                          timeout=60).stdout
    r = boot(initrd, f'/bin/busybox sh -c "{SHELL_PIPES}"', timeout=120)
    assert program_output(r) == want
    assert "killed 143" in want
    assert r.status == qemu_status(0)


def test_busybox_sha256sum_matches_host(initrd, staging):
    need_busybox()
    r = boot(initrd, "/bin/busybox sha256sum /bin/busybox /data/deep/er/blob /etc/hostname.hard")
    for rel in ["bin/busybox", "data/deep/er/blob", "etc/hostname.hard"]:
        digest = hashlib.sha256((staging / rel).read_bytes()).hexdigest()
        assert f"{digest}  /{rel}" in r.out
    assert r.status == qemu_status(0)


def test_busybox_find_matches_host(initrd, staging):
    need_busybox()
    r = boot(initrd, "/bin/busybox find / -path /proc -prune -o -print")
    guest = set(program_output(r).split())
    want = {"/" + p[2:] for p in host("find . -mindepth 1", staging).split()}
    assert want <= guest
    kernel_own = {"/dev", "/dev/console", "/dev/null", "/dev/zero", "/dev/urandom", "/tmp",
                  "/hello"}
    assert kernel_own <= guest
    assert guest - want - kernel_own <= {"/", "/dev/tty", "/dev/random", "/exitcode", "/segv",
                                         "/pvmsyscall", "/cpufeatures", "/echo"}
    assert r.status == qemu_status(0)


def test_links_from_the_initrd(initrd):
    need_busybox()
    r = boot(initrd, '/bin/busybox sh -c "cat /etc/hostname.link; ls -l /etc/hostname.link; '
                     'ls -i /etc/hostname /etc/hostname.hard; ls -l /etc/empty"')
    out = program_output(r)
    assert out.startswith(HOSTNAME)
    assert "/etc/hostname.link -> /etc/hostname" in out
    inodes = re.findall(r"^\s*(\d+) /etc/hostname(?:\.hard)?$", out, re.M)
    assert len(inodes) == 2 and inodes[0] == inodes[1]
    assert re.search(r"-rw-r--r--\s+1 0\s+0\s+0 .* /etc/empty", out)


def test_gzip_initrd(initrd_gz):
    need_busybox()
    r = boot(initrd_gz, '/bin/busybox sh -c "cat /etc/hostname; echo $((6*7))"')
    assert HOSTNAME + "42\n" in r.out
    assert r.status == qemu_status(0)


def test_init_parameter_names_the_program(initrd):
    r = boot(initrd, "console=ttyS0 init=/bin/auxv")
    assert "argv[0]=/bin/auxv" in r.out
    assert r.status == qemu_status(0)


def test_make_image_links_the_default_program(tmp_path):
    """make image APP=... APP_ARGS=...: the program and its arguments become the default."""
    root = os.path.dirname(BUILD)
    subprocess.run(["make", "--no-print-directory", "-C", root, "image",
                    "APP=build/apps/exitcode", 'APP_ARGS=6 "two words"'], check=True,
                   capture_output=True)
    r = qemu_boot("microvm", "", kernel=os.path.join(BUILD, "image", "mote.elf"))
    assert "argc=3 argv[0]=/exitcode argv[1]=6 argv[2]=two words" in r.out
    assert r.status == qemu_status(6)


def test_bootfs_programs_still_run_with_an_initrd(initrd):
    r = boot(initrd, "/exitcode 4")
    assert r.status == qemu_status(4)


# ---- bad programs and bad initrds ----

@pytest.fixture(scope="module")
def bad_initrd(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    hello = open(os.path.join(APPS, "hello"), "rb").read()
    (root / "notelf").write_text("#!/bin/sh\necho hi\n")
    (root / "truncated").write_bytes(hello[:100])
    wrong = bytearray(hello)
    wrong[18:20] = struct.pack("<H", 183)  # EM_AARCH64
    (root / "wrongmachine").write_bytes(bytes(wrong))
    (root / "noexec").write_bytes(hello)
    os.chmod(root / "noexec", 0o644)
    (root / "dir").mkdir()
    dyn = root / "dynamic"
    subprocess.run(["gcc", "-O2", "-o", str(dyn), os.path.join(os.path.dirname(__file__), "..",
                                                                 "..", "apps", "hello.c")],
                   check=True)
    for p in ["notelf", "truncated", "wrongmachine", "dynamic"]:
        os.chmod(root / p, 0o755)
    return make_cpio(root, tmp_path_factory.mktemp("cpio") / "bad.cpio")


@pytest.mark.parametrize("prog,message", [
    ("/notelf", "exec: /notelf: not an ELF file"),
    ("/truncated", "exec: /truncated: truncated ELF program headers"),
    ("/wrongmachine", "exec: /wrongmachine: not an x86-64 ELF"),
    ("/dynamic", "exec: /dynamic: dynamic executables not supported yet "
                 "(PT_INTERP=/lib64/ld-linux-x86-64.so.2)"),
    ("/noexec", "exec: /noexec: not an executable file"),
    ("/dir", "exec: /dir: is a directory"),
])
def test_bad_programs(bad_initrd, prog, message):
    r = boot(bad_initrd, prog)
    assert message in r.out
    assert r.status == qemu_status(127)


def test_corrupt_initrd_is_reported_and_the_bootfs_still_works(tmp_path):
    bad = tmp_path / "junk.cpio"
    bad.write_bytes(b"070701" + b"zz" * 100)
    r = boot(bad, "/hello")
    assert "initrd: cpio archive is corrupt" in r.out
    assert "Hello from C code" in r.out
    bad.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(200))
    r = boot(bad, "/hello")
    assert "initrd: cannot inflate the gzip image" in r.out
    assert "Hello from C code" in r.out


# ---- the Firecracker-style entry (zero page, ramdisk fields) ----

def linux_boot(tmp_path, cmdline, initrd_path, mem=32):
    if QEMU is None:
        pytest.skip("qemu-system-x86_64 is not installed")
    img = tmp_path / "guest.img"
    subprocess.run([FCIMAGE, "-o", str(img), "--kernel", KERNEL, "--cmdline", cmdline,
                    "--mem", str(mem), "--initrd", str(initrd_path)], check=True)
    p = subprocess.run([QEMU, "-M", "microvm", "-accel", "tcg", "-m", "256", "-display", "none",
                        "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", FCSHIM,
                        "-device", f"loader,file={img},addr=0x4000000,force-raw=on"] + DEBUG_EXIT,
                       capture_output=True, timeout=60)
    return Run(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


def test_busybox_through_the_linux_entry(tmp_path, initrd):
    need_busybox()
    r = linux_boot(tmp_path, 'reboot=k panic=1 /bin/busybox sh -c "echo $((6*7)); '
                             'cat /etc/hostname"', initrd)
    assert "42\n" + HOSTNAME in r.out
    assert r.status == qemu_status(0)


def test_threads_through_the_linux_entry(tmp_path, initrd):
    r = linux_boot(tmp_path, "/bin/threads-glibc", initrd)
    assert "threads ok" in r.out
    assert r.status == qemu_status(0)


def test_fileio_through_the_linux_entry_gzip(tmp_path, initrd_gz):
    r = linux_boot(tmp_path, "/bin/fileio", initrd_gz)
    assert "fileio ok" in r.out
    assert r.status == qemu_status(0)
