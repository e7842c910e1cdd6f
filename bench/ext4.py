#!/usr/bin/env python3
"""ext4 core benchmark (host side): the core (kernel/fs/ext4, built for the host) against an image
file, next to the host's own ext4 (a loop mount, root only) and debugfs on the same kind of image.

  256 MiB file: write (then unmount: sync + fdatasync) and read (page cache dropped first)
  1000 small files: create + 4 KiB write + sync (fdatasync) each
  mount: instructions of ext4_mount (callgrind counts them: repeatable), read-only and read-write

Prints a markdown section. Usage: bench/ext4.py [--mib 256] [--files 1000] [--runs N]"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BENCH = os.path.join(ROOT, "build", "bench", "ext4_bench")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def build():
    os.makedirs(os.path.dirname(BENCH), exist_ok=True)
    core = sorted(os.path.join("kernel/fs/ext4", f) for f in os.listdir(os.path.join(ROOT, "kernel/fs/ext4"))
                  if f.endswith(".c") and f not in ("port.c", "blkdev.c", "vfs_glue.c"))
    run(["gcc", "-std=gnu11", "-O2", "-g", "-D_GNU_SOURCE", "-DMOTE_HOST_TEST", "-Iinclude", "-I.",
         "-iquote", "kernel", "-iquote", "kernel/include", "bench/ext4_bench.c",
         "tests/unit/ext4_util.c"] + core + ["-o", BENCH], cwd=ROOT)


def drop_caches():
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def mkfs(img, size="1G"):
    if os.path.exists(img):
        os.unlink(img)
    run(["mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", img, size])


def core(*args):
    out = run([BENCH] + [str(a) for a in args]).stdout.split()
    return float(out[0]), int(out[1])


def can_loop_mount(tmp):
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    img, mnt = os.path.join(tmp, "probe.img"), os.path.join(tmp, "probe")
    mkfs(img, "16M")
    os.makedirs(mnt, exist_ok=True)
    ok = subprocess.run(["mount", "-o", "loop", img, mnt], capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", mnt])
    return ok


def loop_bench(tmp, mib, files):
    img, mnt = os.path.join(tmp, "loop.img"), os.path.join(tmp, "mnt")
    mkfs(img)
    os.makedirs(mnt, exist_ok=True)
    run(["mount", "-o", "loop", img, mnt])
    try:
        buf = b"\x5a" * (1 << 20)
        t = time.monotonic()
        with open(os.path.join(mnt, "big"), "wb") as f:
            for _ in range(mib):
                f.write(buf)
            f.flush()
            os.fdatasync(f.fileno())
        w = time.monotonic() - t
        drop_caches()
        t = time.monotonic()
        with open(os.path.join(mnt, "big"), "rb") as f:
            while f.read(1 << 20):
                pass
        r = time.monotonic() - t
        os.mkdir(os.path.join(mnt, "small"))
        small = b"\x5a" * 4096
        t = time.monotonic()
        for i in range(files):
            with open(os.path.join(mnt, "small", "f%05d" % i), "wb") as f:
                f.write(small)
                f.flush()
                os.fdatasync(f.fileno())
        s = time.monotonic() - t
    finally:
        run(["umount", mnt])
    return w, r, s


def debugfs_bench(tmp, mib, files):
    img = os.path.join(tmp, "dbg.img")
    mkfs(img)
    src = os.path.join(tmp, "src")
    with open(src, "wb") as f:
        f.write(b"\x5a" * (mib << 20))
    small = os.path.join(tmp, "small4k")
    with open(small, "wb") as f:
        f.write(b"\x5a" * 4096)
    t = time.monotonic()
    run(["debugfs", "-w", "-R", f"write {src} big", img])
    w = time.monotonic() - t
    drop_caches()
    t = time.monotonic()
    run(["debugfs", "-R", "dump big /dev/null", img])
    r = time.monotonic() - t
    cmds = os.path.join(tmp, "cmds")
    with open(cmds, "w") as f:
        f.write("mkdir small\ncd small\n")
        for i in range(files):
            f.write(f"write {small} f{i:05d}\n")
    t = time.monotonic()
    run(["debugfs", "-w", "-f", cmds, img])
    s = time.monotonic() - t
    os.unlink(src)
    return w, r, s


def mount_instructions(img, rw):
    if not shutil.which("valgrind"):
        return None
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        run(["valgrind", "--tool=callgrind", "--toggle-collect=ext4_mount",
             f"--callgrind-out-file={out.name}", BENCH, "mount", img] + (["rw"] if rw else []))
        m = re.search(r"^(?:summary|totals):\s*(\d+)", open(out.name).read(), re.M)
        return int(m.group(1)) if m else None


GUEST_MACHINES = [
    ("QEMU TCG microvm, virtio-mmio", ["-M", "microvm,acpi=off", "-global", "virtio-mmio.force-legacy=off",
                                       "-device", "virtio-blk-device,drive=d0"]),
    ("QEMU TCG pc, virtio-pci", ["-M", "pc", "-device", "virtio-blk-pci,drive=d0"]),
]


def guest_bench(tmp, mib):
    """--test=ext4-bench in the kernel on QEMU TCG (each instruction interpreted: an upper bound,
    not hardware numbers). None when the kernel has no such suite or QEMU is missing."""
    kernel = os.path.join(ROOT, "build", "mote.elf")
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu or not os.path.exists(kernel) or b"ext4-bench" not in open(kernel, "rb").read():
        return None
    rows = []
    for name, machine in GUEST_MACHINES:
        img = os.path.join(tmp, "guest.img")
        mkfs(img, "512M")
        p = subprocess.run([qemu, "-accel", "tcg", "-m", "256", "-display", "none", "-monitor", "none",
                            "-serial", "stdio", "-no-reboot", "-kernel", kernel, "-append",
                            f"--test=ext4-bench --test-arg=mib={mib}",
                            "-device", "isa-debug-exit,iobase=0x501,iosize=2",
                            "-drive", f"id=d0,file={img},format=raw,if=none"] + machine,
                           capture_output=True, text=True, timeout=600)
        m = re.search(r"mount ro (\d+) us, rw (\d+) us; write (\d+) MiB \+ sync (\d+) us; read (\d+) us; "
                      r"200 x \(create \+ 4 KiB \+ sync\) (\d+) us", p.stdout)
        if not m:
            rows.append((name, None, p.stdout[-500:]))
            continue
        ro, rw, n, w, r, s = (int(x) for x in m.groups())
        fsck = subprocess.run(["e2fsck", "-fn", img], capture_output=True).returncode
        rows.append((name, (ro, rw, n, w, r, s, fsck), None))
    return rows


def boot_times(tmp, runs=5):
    """QEMU TCG microvm: the bootchart's total time to /hello, with and without an ext4 root."""
    kernel = os.path.join(ROOT, "build", "mote.elf")
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu or not os.path.exists(kernel) or b"--rootfs=" not in open(kernel, "rb").read():
        return None
    img = os.path.join(tmp, "boot.img")
    mkfs(img, "256M")
    out = {}
    for label, cmd in (("no disk", "--bootchart /hello"), ("ext4 root", "--bootchart --rootfs=/dev/vda /hello")):
        vals = []
        for _ in range(runs):
            p = subprocess.run([qemu, "-M", "microvm,acpi=off", "-accel", "tcg", "-m", "128", "-display", "none",
                                "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", kernel,
                                "-append", cmd, "-device", "isa-debug-exit,iobase=0x501,iosize=2",
                                "-global", "virtio-mmio.force-legacy=off",
                                "-drive", f"id=d0,file={img},format=raw,if=none",
                                "-device", "virtio-blk-device,drive=d0"], capture_output=True, text=True, timeout=60)
            m = re.search(r"Total time: (\d+\.\d+)ms", p.stdout)
            if m:
                vals.append(float(m.group(1)))
        out[label] = sorted(vals)[len(vals) // 2] if vals else None
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", default="1")  # accepted for bench/run.py; one run each
    a = ap.parse_args()
    build()
    tmp = tempfile.mkdtemp(prefix="ext4-bench-", dir="/tmp")
    try:
        img = os.path.join(tmp, "core.img")
        mkfs(img)
        wt, wb = core("write", img, "big", a.mib)
        drop_caches()
        rt, rb = core("read", img, "big")
        st, sn = core("small", img, a.files)
        fsck = subprocess.run(["e2fsck", "-fn", img], capture_output=True).returncode
        ro_ins = mount_instructions(img, False)
        rw_ins = mount_instructions(img, True)
        loop = loop_bench(tmp, a.mib, a.files) if can_loop_mount(tmp) else None
        dbg = debugfs_bench(tmp, a.mib, a.files)
        guest = guest_bench(tmp, 64)
        boots = boot_times(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    mb = a.mib
    print("## ext4 (host side)\n")
    print(f"`bench/ext4.py --mib {a.mib} --files {a.files}`: a 1 GiB ext4 image (mke2fs -t ext4 -b 4096) "
          "in /tmp; the page cache is dropped before each read; e2fsck -fn after the core's run: "
          f"{'clean' if fsck == 0 else 'NOT clean (%d)' % fsck}.\n")
    print("| what | Mote's ext4 core (host build, image file) | host kernel ext4 (loop mount) | debugfs |")
    print("|---|---|---|---|")

    def rate(sec, n):
        return f"{n / sec:.0f} MiB/s ({sec:.2f} s)"
    lw = rate(loop[0], mb) if loop else "n/a (needs root and loop)"
    lr = rate(loop[1], mb) if loop else "n/a"
    ls = f"{loop[2] * 1e3 / a.files:.2f} ms/file" if loop else "n/a"
    print(f"| write {mb} MiB + sync | {rate(wt, wb >> 20)} | {lw} | {rate(dbg[0], mb)} |")
    print(f"| read {mb} MiB (cold) | {rate(rt, rb >> 20)} | {lr} | {rate(dbg[1], mb)} |")
    print(f"| {a.files} × (create + 4 KiB + fsync) | {st * 1e3 / sn:.2f} ms/file | {ls} | "
          f"{dbg[2] * 1e3 / a.files:.2f} ms/file (one flush at the end) |")
    if ro_ins is not None:
        print(f"| mount, read-only | {ro_ins:,} instructions (callgrind) | | |")
        print(f"| mount, read-write (superblock written + flush) | {rw_ins:,} instructions | | |")
    if guest:
        print("\n### In the guest (`--test=ext4-bench --test-arg=mib=64`, 512 MiB image, 256 MiB RAM)\n")
        print("| machine | mount ro | mount rw | write 64 MiB + sync | read 64 MiB | 200 × (create + 4 KiB + sync) | e2fsck -fn after |")
        print("|---|---|---|---|---|---|---|")
        for name, v, err in guest:
            if v is None:
                print(f"| {name} | failed: {err!r} | | | | | |")
                continue
            ro, rw, n, w, r, s, fsck = v
            print(f"| {name} | {ro / 1e3:.2f} ms | {rw / 1e3:.2f} ms | {n / (w / 1e6):.0f} MiB/s | "
                  f"{n / (r / 1e6):.0f} MiB/s | {s / 200 / 1e3:.2f} ms/file | {'clean' if fsck == 0 else fsck} |")
        if boots:
            print(f"\nBoot to `/hello` (bootchart total, median of 5, QEMU TCG microvm with a virtio-blk disk): "
                  f"{boots['no disk']} ms without a root file system, {boots['ext4 root']} ms with "
                  "`--rootfs=/dev/vda` (mount + reading `/`).")
        print("\nTCG interprets every guest instruction, and each virtio request is a device exit into "
              "QEMU: these are not hardware numbers.")
    print("\nInstructions are ext4_mount's alone (callgrind --toggle-collect), device reads "
          "excluded (they are system calls). 1 ms of CPU at ~3 GHz and IPC 1 is ~3,000,000.")


if __name__ == "__main__":
    sys.exit(main())
