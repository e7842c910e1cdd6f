"""motevm's virtio devices from the command line: drive specs, drive files, the entropy device,
and the virtio_mmio.device= announcement on the guest command line (with its 2047-byte limit).
All of it is checked before /dev/kvm is opened, so these run everywhere; the boots with a disk
need /dev/kvm and skip with the reason where it is missing."""
import json

import pytest

from conftest import KERNEL, kvm_available, motevm
from test_motevm import config, expect_error, write

HELLO = ["--kernel", KERNEL, "--cmdline", "/hello"]


@pytest.fixture
def disk(tmp_path):
    return write(tmp_path, "disk.img", b"\0" * (1 << 20))


def expect_no_kvm(args):
    """Valid input: on a host without /dev/kvm motevm gets as far as opening it."""
    if kvm_available():
        pytest.skip("this machine has /dev/kvm: the boots below cover valid input")
    r = motevm(args)
    assert r.status == 2, r
    assert "cannot open /dev/kvm" in r.err
    return r


@pytest.mark.parametrize("spec,message", [
    (",ro", "--drive: missing path"),
    ("disk.img,rw", '--drive: unknown option "rw"'),
    ("disk.img,id=", '--drive: unknown option "id="'),
    ("disk.img,ro,cache=none", '--drive: unknown option "cache=none"'),
])
def test_bad_drive_spec(spec, message):
    expect_error(HELLO + ["--drive", spec], message)


def test_drive_missing_value():
    expect_error(HELLO + ["--drive"], "--drive: missing value")


def test_missing_drive_file(tmp_path):
    expect_error(HELLO + ["--drive", str(tmp_path / "nope.img")],
                 f"drive \"drive0\": {tmp_path / 'nope.img'}: No such file or directory")
    expect_error(HELLO + ["--drive", str(tmp_path)], "not a regular file")


def test_rng_takes_no_value():
    expect_error(HELLO + ["--rng=yes"], "--rng: takes no value")


def test_command_line_too_long_after_announce(disk):
    # 2047 characters fit before the devices are appended; one drive adds 35 more
    announce = len(" virtio_mmio.device=4K@0xd0000000:5")
    expect_error(["--kernel", KERNEL, "--cmdline", "x" * (2047 - announce + 1),
                  "--drive", disk],
                 "command line: too long with the virtio-mmio devices appended "
                 "(2048 bytes, at most 2047)")


def test_command_line_exact_fit(disk):
    announce = len(" virtio_mmio.device=4K@0xd0000000:5")
    expect_no_kvm(["--kernel", KERNEL, "--cmdline", "x" * (2047 - announce), "--drive", disk])


def test_announcement_format(disk, tmp_path):
    """Firecracker v1.10's format, root drive first, boot timer in the first slot."""
    other = write(tmp_path, "other.img", b"\0" * 4096)
    r = motevm(["--kernel", KERNEL, "--cmdline", "/hello", "--boot-timer", "--level", "debug",
                "--drive", f"{other},id=data", "--drive", f"{disk},root,ro", "--rng"])
    line = [l for l in r.err.splitlines() if "guest command line:" in l]
    assert line, r.err
    assert line[0].endswith(
        "guest command line: /hello root=/dev/vda ro virtio_mmio.device=4K@0xd0001000:5 "
        "virtio_mmio.device=4K@0xd0002000:6 virtio_mmio.device=4K@0xd0003000:7")


def test_config_with_drives_and_entropy(disk, tmp_path):
    drives = [{"drive_id": "rootfs", "path_on_host": disk, "is_root_device": False,
               "is_read_only": False, "cache_type": "Writeback", "io_engine": "Sync",
               "rate_limiter": {"bandwidth": {"size": 1 << 20, "refill_time": 100}}},
              {"drive_id": "ro", "path_on_host": disk, "is_root_device": False,
               "is_read_only": True}]
    path = config(tmp_path, drives=drives,
                  entropy={"rate_limiter": {"ops": {"size": 10, "refill_time": 100}}})
    r = expect_no_kvm(["--no-api", "--config-file", path])
    assert "not supported yet" not in r.err  # entropy is a device now, not ignored


@pytest.mark.parametrize("entropy,message", [
    (3, "entropy: must be an object"),
    ({"rate": 1}, "entropy.rate: unknown field"),
])
def test_bad_entropy(tmp_path, entropy, message):
    expect_error(["--no-api", "--config-file", config(tmp_path, entropy=entropy)], message)


def test_seventeen_devices_fit(tmp_path):
    """16 drives and the entropy device use IRQs 5-21."""
    img = write(tmp_path, "d.img", b"\0" * 512)
    drives = [{"drive_id": f"d{i}", "path_on_host": img, "is_root_device": False,
               "is_read_only": True} for i in range(16)]
    expect_no_kvm(["--no-api", "--config-file", config(tmp_path, drives=drives, entropy={})])


# --- boots: need /dev/kvm -------------------------------------------------------------------

def test_boot_with_disk_and_rng(need_kvm, disk):
    r = motevm(HELLO + ["--drive", disk, "--rng", "--boot-timer"])
    assert r.status == 0, r
    assert "Hello from C code" in r.out
    assert "needs reset" not in r.err


def test_guest_disk_round_trip(need_kvm, tmp_path):
    """The kernel's virtio-blk test mode on motevm: the guest writes a pattern over the whole
    disk, flushes, reads it back, checks the ID and that the read-only drive refuses writes; the
    host then checks the image (same pattern as tests/integration/test_virtio_qemu.py)."""
    from test_virtio_qemu import pattern
    rw = write(tmp_path, "rw.img", b"\0" * (4 << 20))
    ro = write(tmp_path, "ro.img", b"RO" * (1 << 19))
    seed = 0x5EED
    r = motevm(["--kernel", KERNEL, "--cmdline",
                f"--test=virtio-blk --test-arg=seed={seed} --test-arg=id=mote-disk0 "
                "--test-arg=ro=vdb", "--drive", f"{rw},id=mote-disk0", "--drive", f"{ro},ro"],
               timeout=120)
    assert "tests passed: 8 failed: 0" in r.out, r
    assert r.status == 0, r
    with open(rw, "rb") as f:
        assert f.read() == pattern(4 << 20, seed)
    with open(ro, "rb") as f:
        assert f.read() == b"RO" * (1 << 19)


def test_guest_entropy(need_kvm):
    r = motevm(["--kernel", KERNEL, "--cmdline", "--test=entropy", "--rng"])
    assert "tests passed: 3 failed: 0" in r.out, r
    assert r.status == 0, r
