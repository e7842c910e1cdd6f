"""The ext4 core in the kernel, over virtio-blk on QEMU TCG (virtio-mmio on microvm, virtio-pci on
pc): the host makes an image with stock mke2fs -d from a tree, the guest (--test=ext4) reads it,
changes it, syncs and unmounts; the host then runs e2fsck -fn (must be clean) and reads the
changes back with debugfs."""
import os
import re
import subprocess

import pytest

from conftest import qemu_boot, qemu_status

MACHINES = {
    "microvm-mmio": ("microvm,acpi=off", ["-global", "virtio-mmio.force-legacy=off",
                                          "-device", "virtio-blk-device,drive=d0"]),
    "pc-pci": ("pc", ["-device", "virtio-blk-pci,drive=d0"]),
}


def host_byte(i):
    return (i * 131 + (i >> 12)) & 0xff


def make_tree(root):
    os.makedirs(root / "data")
    (root / "hello.txt").write_text("hello from the host\n")
    n = (1 << 20) + 123
    (root / "data" / "pattern.bin").write_bytes(bytes(host_byte(i) for i in range(n)))
    with open(root / "data" / "sparse", "wb") as f:
        f.seek(5 << 30)
        f.write(b"far away\n")
    (root / "data" / "tobedeleted").write_text("bye\n")
    deep = root / "deep" / "a" / "b" / "c" / "d" / "e" / "f" / "g"
    os.makedirs(deep)
    (deep / "leaf").write_text("leaf\n")
    os.makedirs(root / "links")
    os.symlink("../hello.txt", root / "links" / "fast")
    os.symlink("../links/../links/../links/../links/../links/../links/../hello.txt",
               root / "links" / "slow")
    os.makedirs(root / "big")
    for i in range(500):
        (root / "big" / f"entry-{i:04d}").write_text(str(i))


def debugfs(img, cmd):
    return subprocess.run(["debugfs", "-R", cmd, img], capture_output=True).stdout


@pytest.mark.parametrize("machine", list(MACHINES))
def test_ext4_on_virtio_blk(machine, tmp_path):
    if not shutil_which("mke2fs"):
        pytest.skip("mke2fs (e2fsprogs) missing")
    tree = tmp_path / "tree"
    make_tree(tree)
    img = str(tmp_path / "disk.img")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", str(tree), img, "64M"], check=True)
    subprocess.run(["e2fsck", "-fyD", img], capture_output=True)  # index /big
    m, devices = MACHINES[machine]
    r = qemu_boot(m, "--test=ext4 --test-arg=disk=vda", mem="256",
                  extra=["-drive", f"id=d0,file={img},format=raw,if=none"] + devices, timeout=90)
    results = dict(re.findall(r"^test ext4: (.+?) \.\.\. (ok|FAILED.*)$", r.out, re.M))
    want = ["disk", "mount", "small file", "large file", "past 4 GiB, holes", "deep path",
            "symlinks", "directory", "write", "rename, unlink, truncate, mkdir, symlink", "sync",
            "unmount"]
    assert results == {c: "ok" for c in want}, r.out
    assert r.status == qemu_status(0), r.out
    fsck = subprocess.run(["e2fsck", "-fn", img], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    out = debugfs(img, "cat /guest/renamed.bin")
    assert out == bytes((i * 17 + 3) & 0xff for i in range(3 << 20))
    assert debugfs(img, "cat /data/pattern.bin") == bytes(host_byte(i) for i in range(1000))
    assert b"tobedeleted" not in debugfs(img, "ls /data")
    assert b"../renamed.bin" in debugfs(img, "stat /guest/sub/link")


def shutil_which(name):
    import shutil
    return shutil.which(name)


@pytest.mark.parametrize("machine", list(MACHINES))
def test_program_on_ext4_root(machine, tmp_path):
    """--rootfs=/dev/vda: the program itself comes from the disk; it reads and changes files with
    ordinary system calls; power-off unmounts; the host checks the image."""
    if not shutil_which("mke2fs"):
        pytest.skip("mke2fs (e2fsprogs) missing")
    from conftest import BUILD
    tree = tmp_path / "tree"
    make_tree(tree)
    app = os.path.join(BUILD, "apps", "ext4io")
    with open(app, "rb") as f, open(tree / "ext4io", "wb") as g:
        g.write(f.read())
    os.chmod(tree / "ext4io", 0o755)
    img = str(tmp_path / "root.img")
    subprocess.run([os.path.join(os.path.dirname(BUILD), "scripts", "mkrootfs"), str(tree), img, "64"],
                   check=True, capture_output=True)
    m, devices = MACHINES[machine]
    r = qemu_boot(m, "--rootfs=/dev/vda /ext4io", mem="256",
                  extra=["-drive", f"id=d0,file={img},format=raw,if=none"] + devices, timeout=90)
    assert "ext4io: ok" in r.out, r.out
    assert r.status == qemu_status(0), r.out
    state = subprocess.run(["dumpe2fs", "-h", img], capture_output=True, text=True).stdout
    assert re.search(r"Filesystem state:\s+clean$", state, re.M), "unmounted at power-off\n" + state
    fsck = subprocess.run(["e2fsck", "-fn", img], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    want = b"".join(bytes(((k * (1 << 20) + i) * 17 + 3) & 0xff for i in range(1 << 20))
                    for k in range(3))
    assert debugfs(img, "cat /out/renamed.bin") == want
    assert debugfs(img, "cat /out/hard") == want
    assert debugfs(img, "cat /data/pattern.bin") == bytes(host_byte(i) for i in range(1000))
    assert b"tobedeleted" not in debugfs(img, "ls /data")
    assert b"Links: 2" in debugfs(img, "stat /out/renamed.bin")


def test_fsync_survives_kill(tmp_path):
    """Durability: the program writes and fsyncs, QEMU is killed (SIGKILL) before any unmount;
    the data is on the disk and e2fsck finds nothing but the unclean state."""
    if not shutil_which("mke2fs"):
        pytest.skip("mke2fs (e2fsprogs) missing")
    from conftest import BUILD, KERNEL, QEMU
    if QEMU is None:
        pytest.skip("qemu-system-x86_64 missing")
    tree = tmp_path / "tree"
    os.makedirs(tree)
    with open(os.path.join(BUILD, "apps", "ext4io"), "rb") as f, open(tree / "ext4io", "wb") as g:
        g.write(f.read())
    os.chmod(tree / "ext4io", 0o755)
    img = str(tmp_path / "root.img")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", str(tree), img, "32M"], check=True,
                   capture_output=True)
    m, devices = MACHINES["microvm-mmio"]
    p = subprocess.Popen([QEMU, "-M", m, "-accel", "tcg", "-m", "256", "-display", "none",
                          "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", KERNEL,
                          "-append", "--rootfs=/dev/vda /ext4io durable",
                          "-drive", f"id=d0,file={img},format=raw,if=none"] + devices,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = b""
    try:
        import select
        import time
        end = time.monotonic() + 90
        while b"ext4io: synced" not in out and time.monotonic() < end:
            if select.select([p.stdout], [], [], 1)[0]:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
    finally:
        p.kill()  # SIGKILL: no unmount, no flush beyond what fsync did
        p.wait()
    assert b"ext4io: synced" in out, out
    want = b"".join(bytes(((k * (1 << 20) + i) * 29 + 1) & 0xff for i in range(1 << 20))
                    for k in range(2))
    assert debugfs(img, "cat /durable.bin") == want
    fsck = subprocess.run(["e2fsck", "-fn", img], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    state = subprocess.run(["dumpe2fs", "-h", img], capture_output=True, text=True).stdout
    assert re.search(r"Filesystem state:\s+not clean$", state, re.M), state


def test_second_disk_mounted(tmp_path):
    """--rootfs=/dev/vda --mount=/dev/vdb:/data: two ext4 disks; links and renames across them
    are EXDEV; both are unmounted clean at power-off."""
    if not shutil_which("mke2fs"):
        pytest.skip("mke2fs (e2fsprogs) missing")
    from conftest import BUILD
    root_tree, data_tree = tmp_path / "root", tmp_path / "data"
    os.makedirs(root_tree)
    with open(os.path.join(BUILD, "apps", "ext4io"), "rb") as f, open(root_tree / "ext4io", "wb") as g:
        g.write(f.read())
    os.chmod(root_tree / "ext4io", 0o755)
    os.makedirs(data_tree)
    (data_tree / "hello.txt").write_text("hello from the host\n")
    imgs = [str(tmp_path / "root.img"), str(tmp_path / "data.img")]
    for tree, img in zip((root_tree, data_tree), imgs):
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", str(tree), img, "32M"], check=True,
                       capture_output=True)
    r = qemu_boot("microvm,acpi=off", "--rootfs=/dev/vda --mount=/dev/vdb:/data /ext4io mounts",
                  mem="256", timeout=90,
                  extra=["-drive", f"id=d0,file={imgs[0]},format=raw,if=none",
                         "-drive", f"id=d1,file={imgs[1]},format=raw,if=none",
                         "-global", "virtio-mmio.force-legacy=off",
                         "-device", "virtio-blk-device,drive=d0", "-device", "virtio-blk-device,drive=d1"])
    assert "ext4io: ok" in r.out, r.out
    assert r.status == qemu_status(0), r.out
    for img in imgs:
        fsck = subprocess.run(["e2fsck", "-fn", img], capture_output=True, text=True)
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr
        state = subprocess.run(["dumpe2fs", "-h", img], capture_output=True, text=True).stdout
        assert re.search(r"Filesystem state:\s+clean$", state, re.M), state
    assert debugfs(imgs[1], "cat /new.txt") == b"second disk\n"
    assert b"made-here" in debugfs(imgs[1], "ls /")
    assert b"on-root" in debugfs(imgs[0], "ls /")
