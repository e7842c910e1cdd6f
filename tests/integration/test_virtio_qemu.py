"""The kernel's virtio drivers on QEMU TCG, over each transport: virtio-mmio version 2 and
legacy version 1 (-M microvm, which announces its transports with virtio_mmio.device= when ACPI
is off, and only in the DSDT when it is on), legacy and modern PCI (-M pc, q35). The in-guest test (--test=virtio-blk) writes a
pattern over the whole disk and reads it back; the host then checks the image holds exactly that
pattern, and that the read-only disk is untouched."""
import os
import re
import struct

import pytest

from conftest import BUILD, qemu_boot, qemu_status

DISK_BYTES = 8 << 20
RO_BYTES = 1 << 20
BLOCK = 4096
MASK = (1 << 64) - 1


def pattern(nbytes, seed):
    """What kernel/tests/virtio_blk_test.c writes: word i of 4 KiB block b is b, seed, then
    ((b << 32) | i) ^ (seed * 0x9e3779b97f4a7c15)."""
    mix = (seed * 0x9E3779B97F4A7C15) & MASK
    out = bytearray()
    for b in range(nbytes // BLOCK):
        words = [b, seed] + [((b << 32) | i) ^ mix for i in range(2, BLOCK // 8)]
        out += struct.pack("<%dQ" % len(words), *words)
    return bytes(out)


@pytest.fixture
def disks(tmp_path):
    rw = tmp_path / "disk.img"
    rw.write_bytes(b"\0" * DISK_BYTES)
    ro = tmp_path / "ro.img"
    ro.write_bytes(b"RO" * (RO_BYTES // 2))
    return str(rw), str(ro)


def drives(rw, ro):
    return ["-drive", f"id=d0,file={rw},format=raw,if=none",
            "-drive", f"id=d1,file={ro},format=raw,if=none,readonly=on"]


# name: machine, devices (d0 read-write with serial "mote-disk0", d1 read-only), extra args,
# the transport the guest must report.
BLK_CONFIGS = {
    "mmio-v2": ("microvm,acpi=off",
                ["-global", "virtio-mmio.force-legacy=off",
                 "-device", "virtio-blk-device,drive=d0,serial=mote-disk0",
                 "-device", "virtio-blk-device,drive=d1"], "", r"virtio-mmio\.v2@0x"),
    "mmio-v1-legacy": ("microvm,acpi=off",
                       ["-global", "virtio-mmio.force-legacy=on",
                        "-device", "virtio-blk-device,drive=d0,serial=mote-disk0",
                        "-device", "virtio-blk-device,drive=d1"], "", r"virtio-mmio\.v1@0x"),
    # ACPI on: the devices are found in the DSDT (LNRO0005, level-triggered GSIs on the second
    # IOAPIC), nothing on the command line.
    "mmio-v2-acpi": ("microvm",
                     ["-global", "virtio-mmio.force-legacy=off",
                      "-device", "virtio-blk-device,drive=d0,serial=mote-disk0",
                      "-device", "virtio-blk-device,drive=d1"], "", r"virtio-mmio\.v2@0xfeb02"),
    "mmio-v1-legacy-acpi": ("microvm",
                            ["-global", "virtio-mmio.force-legacy=on",
                             "-device", "virtio-blk-device,drive=d0,serial=mote-disk0",
                             "-device", "virtio-blk-device,drive=d1"], "",
                            r"virtio-mmio\.v1@0xfeb02"),
    "pci-legacy": ("pc", ["-device", "virtio-blk-pci,drive=d0,serial=mote-disk0,disable-modern=on",
                          "-device", "virtio-blk-pci,drive=d1,disable-modern=on"], "",
                   r"virtio-pci\.legacy 00:"),
    "pci-modern": ("pc", ["-device", "virtio-blk-pci,drive=d0,serial=mote-disk0,disable-legacy=on",
                          "-device", "virtio-blk-pci,drive=d1,disable-legacy=on"], "",
                   r"virtio-pci\.modern 00:"),
    "q35-transitional": ("q35", ["-device", "virtio-blk-pci,drive=d0,serial=mote-disk0",
                                 "-device", "virtio-blk-pci,drive=d1"], "",
                         r"virtio-pci\.modern 00:"),
    # Behind a PCI-to-PCI bridge (bus 1), and as function 1 of a multi-function slot.
    "pci-bridge": ("pc", ["-device", "pci-bridge,id=br1,chassis_nr=1,addr=0x6",
                          "-device", "virtio-blk-pci,drive=d0,serial=mote-disk0,bus=br1,addr=0x3",
                          "-device", "virtio-blk-pci,drive=d1,bus=br1,addr=0x4"], "",
                   r"virtio-pci\.modern 01:03\.0"),
    "pci-multifunction": ("pc", ["-device", "virtio-rng-pci,addr=0x7.0,multifunction=on",
                                 "-device", "virtio-blk-pci,drive=d0,serial=mote-disk0,addr=0x7.1",
                                 "-device", "virtio-blk-pci,drive=d1,addr=0x7.2"], "",
                          r"virtio-pci\.modern 00:07\.1"),
    # Two CPUs: the interrupt may arrive while the other CPU runs.
    "pci-modern-smp": ("q35", ["-device", "virtio-blk-pci,drive=d0,serial=mote-disk0",
                               "-device", "virtio-blk-pci,drive=d1"], "",
                       r"virtio-pci\.modern 00:"),
    # Completions by polling instead of interrupts.
    "mmio-v2-polled": ("microvm,acpi=off",
                       ["-global", "virtio-mmio.force-legacy=off",
                        "-device", "virtio-blk-device,drive=d0,serial=mote-disk0",
                        "-device", "virtio-blk-device,drive=d1"], "virtio.poll", r"flush, polled"),
    # Small segments force every request through the driver's splitting (SIZE_MAX/SEG_MAX).
    "mmio-v2-split": ("microvm,acpi=off",
                      ["-global", "virtio-mmio.force-legacy=off",
                       "-device", "virtio-blk-device,drive=d0,serial=mote-disk0",
                       "-device", "virtio-blk-device,drive=d1"],
                      "virtio_blk.size_max=4096 virtio_blk.seg_max=3", r"segments 3 x 4096 bytes"),
}


@pytest.mark.parametrize("config", list(BLK_CONFIGS))
def test_virtio_blk(config, disks):
    machine, devices, params, transport = BLK_CONFIGS[config]
    rw, ro = disks
    seed = 0x5EED0000 + len(config)
    r = qemu_boot(machine, f"{params} --test=virtio-blk --test-arg=seed={seed} "
                  "--test-arg=id=mote-disk0 --test-arg=ro=vdb --test-arg=qd=8",
                  extra=drives(rw, ro) + devices, timeout=120,
                  smp=2 if config.endswith("-smp") else 1)
    results = dict(re.findall(r"^test virtio-blk: (.+?) \.\.\. (ok|FAILED.*)$", r.out, re.M))
    assert results == {c: "ok" for c in ["probe", "write", "flush", "read", "large request",
                                         "get-id", "bad requests refused", "read-only"]}, r.out
    assert "tests passed: 8 failed: 0" in r.out
    assert re.search(transport, r.out), r.out
    if "poll" not in params:
        assert re.search(r"flush, interrupts$", r.out, re.M), "completions by interrupt"
    assert r.status == qemu_status(0)
    with open(rw, "rb") as f:
        image = f.read()
    assert len(image) == DISK_BYTES
    assert image == pattern(DISK_BYTES, seed), "the image holds what the guest wrote"
    with open(ro, "rb") as f:
        assert f.read() == b"RO" * (RO_BYTES // 2), "the read-only image is untouched"


def chart(out):
    return [m[0] for m in re.findall(r"^\t(.+): (\d+\.\d\d)ms", out, re.M)]


def test_nopci_skips_enumeration(disks):
    rw, ro = disks
    extra = drives(rw, ro) + ["-device", "virtio-blk-pci,drive=d0"]
    r = qemu_boot("pc", "--bootchart --nopci /hello", extra=extra)
    assert "Hello from C code" in r.out
    stages = chart(r.out)
    assert "pci enumerated" not in stages and "drivers probe" not in stages, r.out
    r = qemu_boot("pc", "--bootchart pci=off --test=virtio-blk", extra=extra)
    assert "probe ... FAILED (no disk vda (0 found))" in r.out
    r = qemu_boot("pc", "--bootchart /hello", extra=extra)
    stages = chart(r.out)
    assert stages.index("memory initialized") < stages.index("pci enumerated") < \
        stages.index("drivers probe") < stages.index("drivers loaded"), r.out


def test_no_device_boot_has_no_driver_stages():
    r = qemu_boot("microvm", "--bootchart /hello")
    stages = chart(r.out)
    assert "drivers probe" not in stages and "pci enumerated" not in stages, r.out
    assert "Hello from C code" in r.out


@pytest.mark.parametrize("machine,device", [
    ("microvm,acpi=off", "virtio-rng-device"),
    ("microvm", "virtio-rng-device"),
    ("pc", "virtio-rng-pci"),
    ("pc", "virtio-rng-pci,disable-modern=on"),
])
def test_virtio_rng_feeds_entropy(machine, device):
    r = qemu_boot(machine, "--test=entropy", extra=["-device", device])
    assert re.search(r"^test entropy: 32 bytes from virtio-\S+ \S+: [0-9a-f]{64}$", r.out, re.M) \
        or re.search(r"^test entropy: 32 bytes from virtio-mmio\S+: [0-9a-f]{64}$", r.out, re.M), \
        r.out
    assert "tests passed: 3 failed: 0" in r.out
    assert r.status == qemu_status(0)


BAD_MMIO_ARGS = {
    "4X@0xd0000000:5": "expected @<address> after the size",
    "0@0xd0000000:5": "size is 0",
    "4K@0xd0000000": "missing :<irq>",
    "4K@0:5": "address is 0",
    "garbage": "bad size",
    "4K@0xd0000000:5:x": "bad id",
    "4K@0xd0000000:5junk": "trailing characters",
    "4K@0xd0000000:5": "no virtio-mmio magic value there",
}


def test_malformed_virtio_mmio_arguments_warn_and_boot():
    args = " ".join(f"virtio_mmio.device={a}" for a in BAD_MMIO_ARGS)
    r = qemu_boot("microvm", f"{args} /exitcode 0 end")
    for arg, why in BAD_MMIO_ARGS.items():
        assert f"virtio-mmio: ignoring virtio_mmio.device={arg}: {why}" in r.out, r.out
    # Consumed: the program sees its own arguments only.
    assert "argc=3 argv[0]=/exitcode argv[1]=0 argv[2]=end pagesz" in r.out
    assert r.status == qemu_status(0)


def test_appended_device_after_the_program(disks):
    """QEMU microvm (like Firecracker) appends virtio_mmio.device= after the program's
    arguments: the kernel takes it, the program does not see it."""
    rw, ro = disks
    r = qemu_boot("microvm,acpi=off", "--bootchart /exitcode 0 end",
                  extra=drives(rw, ro) + ["-device", "virtio-blk-device,drive=d0"])
    assert "argc=3 argv[0]=/exitcode argv[1]=0 argv[2]=end pagesz" in r.out, r.out
    assert "drivers loaded" in chart(r.out)
    assert r.status == qemu_status(0)


def test_dsdt_and_command_line_name_a_device_once(disks):
    """With ACPI on, a window named both by virtio_mmio.device= and by the DSDT is one device:
    the command line's comes first, the DSDT adds only the others."""
    rw, ro = disks
    r = qemu_boot("microvm", "loglevel=7 virtio_mmio.device=512@0xfeb02c00:46 /hello",
                  extra=drives(rw, ro) + ["-device", "virtio-blk-device,drive=d0",
                                          "-device", "virtio-blk-device,drive=d1"])
    disks_seen = re.findall(r"^blk: (vd\w): \d+ sectors.* on (\S+)$", r.out, re.M)
    assert disks_seen == [("vda", "virtio-mmio.v1@0xfeb02c00"),
                          ("vdb", "virtio-mmio.v1@0xfeb02e00")], r.out
    assert "Hello from C code" in r.out
    assert r.status == qemu_status(0)


def test_unknown_kernel_test():
    r = qemu_boot("microvm", "--test=nonesuch")
    assert "no test suite named nonesuch" in r.out
    assert r.status == qemu_status(127)


def test_block_device_file(tmp_path):
    """/dev/vda: a disk as a file (lseek to the end, BLKGETSIZE64, unaligned pwrite, fsync,
    pread); the host sees exactly those bytes."""
    import subprocess
    img = tmp_path / "disk.img"
    img.write_bytes(b"\0" * (8 << 20))
    root = tmp_path / "root"
    root.mkdir()
    (root / "blkfile").write_bytes(open(os.path.join(BUILD, "apps", "blkfile"), "rb").read())
    (root / "blkfile").chmod(0o755)
    initrd = tmp_path / "initrd"
    with open(initrd, "wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], input=b"blkfile\n", cwd=root,
                       stdout=out, check=True)
    r = qemu_boot("microvm,acpi=off", "/blkfile /dev/vda 1000",
                  extra=["-initrd", str(initrd), "-drive", f"id=d0,file={img},format=raw,if=none",
                         "-device", "virtio-blk-device,drive=d0"])
    assert "size lseek=8388608 ioctl=8388608" in r.out, r.out
    assert "wrote and read back 3000 bytes at 1000" in r.out
    assert r.status == qemu_status(0)
    data = img.read_bytes()
    assert data[1000:4000] == bytes(ord("A") + i % 26 for i in range(3000))
    assert data[999] == 0 and data[4000] == 0
