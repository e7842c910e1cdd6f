"""motevm driven through its command line, as Firecracker users drive `firecracker`.
Bad input is checked before /dev/kvm is opened, so those tests run everywhere; the boots need
/dev/kvm and skip with the reason where it is missing."""
import json
import re
import os

import pytest

from conftest import KERNEL, MOTEVM, kvm_available, motevm

HELLO = ["--kernel", KERNEL, "--cmdline", "/hello"]


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(p)


def config(tmp_path, **over):
    cfg = {
        "boot-source": {"kernel_image_path": KERNEL, "boot_args": "/exitcode 4"},
        "machine-config": {"vcpu_count": 1, "mem_size_mib": 64},
    }
    for k, v in over.items():
        cfg[k.replace("_", "-")] = v
    return write(tmp_path, "vm.json", json.dumps(cfg))


def expect_error(args, message, status=1, **kw):
    r = motevm(args, **kw)
    assert r.status == status, r
    lines = [l for l in r.err.splitlines() if l]
    assert len(lines) == 1, f"one line expected: {r.err!r}"
    assert lines[0].startswith("motevm: ")
    assert message in lines[0], lines[0]
    return r


def test_version_and_help():
    r = motevm(["--version"])
    assert r.status == 0 and "motevm v" in r.out
    r = motevm(["--help"])
    assert r.status == 0
    for flag in ["--config-file", "--no-api", "--boot-timer", "--kernel", "--mem", "--vcpus"]:
        assert flag in r.out


@pytest.mark.parametrize("args,message", [
    (["--bogus"], "--bogus: unknown flag"),
    (["stray"], "stray: unexpected argument"),
    (["--kernel"], "--kernel: missing value"),
    (["--kernel="], "--kernel: missing value"),
    (HELLO + ["--vcpus", "0"], "--vcpus: must be an integer 1-32"),
    (HELLO + ["--vcpus", "33"], "--vcpus: must be an integer 1-32"),
    (HELLO + ["--vcpus", "two"], "--vcpus: must be an integer 1-32"),
    (HELLO + ["--mem", "0"], "--mem: must be an integer"),
    (HELLO + ["--level", "loud"], "--level: must be"),
    (HELLO + ["--boot-protocol", "efi"], "--boot-protocol: must be linux or pvh"),
    (HELLO + ["--pit=yes"], "--pit: takes no value"),
    (["--no-api", "--http-api-max-payload-size", "0"], "--http-api-max-payload-size: must be"),
    (["--no-api", "--debug-seccomp-violation", "io"], "must be api, vmm, vcpu or device"),
    (HELLO + ["--no-acpi=no"], "--no-acpi: takes no value"),
    (["--no-api"], "no kernel"),
    (["--kernel", "/nonexistent/vmlinux", "--no-api"], "No such file or directory"),
    (["--kernel", "/"], "not a regular file"),
    (HELLO + ["--initrd", "/nonexistent/initrd"], "initrd /nonexistent/initrd"),
    (HELLO + ["--cmdline", "x" * 2048], "command line: too long"),
])
def test_bad_flags(args, message):
    expect_error(args, message)


def test_kernel_file_checks(tmp_path):
    expect_error(["--kernel", write(tmp_path, "empty", b"")], "not an ELF file")
    expect_error(["--kernel", write(tmp_path, "text", "#!/bin/sh\n")], "not an ELF file")
    with open(KERNEL, "rb") as f:
        elf = f.read()
    expect_error(["--kernel", write(tmp_path, "trunc", elf[:40])], "truncated ELF header")
    expect_error(["--kernel", write(tmp_path, "half", elf[:len(elf) // 8])],
                 "extends past the end of the file")
    # The kernel is loaded at 1 MiB: one MiB of RAM cannot hold it.
    expect_error(["--kernel", KERNEL, "--mem", "1"], "outside guest RAM")


def test_ram_too_small_for_initrd(tmp_path):
    initrd = write(tmp_path, "initrd", b"\0" * (3 << 20))
    expect_error(HELLO + ["--mem", "2", "--initrd", initrd], "RAM too small for kernel + initrd")


def test_pvh_needs_the_note(tmp_path):
    with open(KERNEL, "rb") as f:
        elf = bytearray(f.read())
    i = elf.find(b"Xen\0")
    assert i > 0
    elf[i:i + 4] = b"Xyz\0"
    expect_error(["--kernel", write(tmp_path, "nonote", bytes(elf)), "--boot-protocol", "pvh"],
                 "no PVH entry note")


@pytest.mark.parametrize("doc,message", [
    ("{", "invalid JSON at line"),
    ("[]", "must be a JSON object"),
    ('{"boot-source": {"kernel_image_path": "K"}, "frobs": 1}', 'unknown key "frobs"'),
    ('{"boot-source": 3}', "boot-source: must be an object"),
    ('{"boot-source": {}}', "boot-source.kernel_image_path: required"),
    ('{"boot-source": {"kernel_image_path": 7}}', "kernel_image_path: must be a string"),
    ('{"boot-source": {"kernel_image_path": "K"}, "machine-config": {"vcpu_count": 0, '
     '"mem_size_mib": 64}}', "machine-config.vcpu_count: must be an integer 1-32"),
    ('{"boot-source": {"kernel_image_path": "K"}, "machine-config": {"vcpu_count": 1.5, '
     '"mem_size_mib": 64}}', "machine-config.vcpu_count: must be an integer 1-32"),
    ('{"boot-source": {"kernel_image_path": "K"}, "machine-config": {"vcpu_count": 1, '
     '"mem_size_mib": -1}}', "machine-config.mem_size_mib: must be an integer"),
    ('{"boot-source": {"kernel_image_path": "K"}, "drives": {}}', "drives: must be an array"),
    ('{"boot-source": {"kernel_image_path": "K"}, "drives": [{"path_on_host": "/"}]}',
     "drives[0].drive_id: required"),
    ('{"boot-source": {"kernel_image_path": "K"}, "network-interfaces": [{"iface_id": "eth0", '
     '"host_dev_name": "tap0", "guest_mac": "zz"}]}', "guest_mac: must be a MAC address"),
])
def test_bad_config_json(tmp_path, doc, message):
    path = write(tmp_path, "vm.json", doc.replace('"K"', json.dumps(KERNEL)))
    expect_error(["--no-api", "--config-file", path], message)


def test_config_file_missing_and_duplicates(tmp_path):
    expect_error(["--no-api", "--config-file", str(tmp_path / "nope.json")],
                 "No such file or directory")
    disk = write(tmp_path, "disk.img", b"\0" * 4096)
    drives = [{"drive_id": "a", "path_on_host": disk, "is_root_device": True,
               "is_read_only": False},
              {"drive_id": "a", "path_on_host": disk, "is_root_device": False,
               "is_read_only": False}]
    expect_error(["--no-api", "--config-file", config(tmp_path, drives=drives)],
                 'duplicate drive_id')
    drives[1]["drive_id"] = "b"
    drives[1]["is_root_device"] = True
    expect_error(["--no-api", "--config-file", config(tmp_path, drives=drives)],
                 "more than one root device")
    drives = [{"drive_id": "a", "path_on_host": str(tmp_path / "missing.img"),
               "is_root_device": True, "is_read_only": True}]
    expect_error(["--no-api", "--config-file", config(tmp_path, drives=drives)],
                 "No such file or directory")


def test_valid_input_without_kvm_is_a_host_error(tmp_path):
    if kvm_available():
        pytest.skip("this machine has /dev/kvm: the boots below cover it")
    expect_error(["--no-api", "--config-file", config(tmp_path)], "cannot open /dev/kvm",
                 status=2)


# --- boots: need /dev/kvm -------------------------------------------------------------------

@pytest.mark.parametrize("acpi", [[], ["--no-acpi"]], ids=["acpi", "no-acpi"])
@pytest.mark.parametrize("vcpus", [1, 2])
def test_boot_hello(need_kvm, vcpus, acpi):
    r = motevm(HELLO[:3] + ["--bootchart /hello", "--vcpus", str(vcpus)] + acpi)
    assert r.status == 0, r
    assert "Hello from C code" in r.out
    assert "Total time" in r.out
    assert "Guest-boot-time" in r.err


def test_boot_config_file_and_exit_status(need_kvm, tmp_path):
    r = motevm(["--no-api", "--config-file", config(tmp_path)])
    assert "argv[0]=/exitcode argv[1]=4" in r.out
    assert r.status == 4


def test_boot_in_two_mib(need_kvm):
    r = motevm(HELLO + ["--mem", "2"])
    assert r.status == 0 and "Hello from C code" in r.out


def test_guest_segfault_status(need_kvm):
    r = motevm(["--kernel", KERNEL, "--cmdline", "/segv"])
    assert r.status == 139
    assert "SIGSEGV" in r.out


def test_debug_stats(need_kvm):
    r = motevm(HELLO + ["--level", "debug"])
    assert r.status == 0
    assert "vcpu0 stats:" in r.err


# --- SMP through ACPI (issue 4): need /dev/kvm -----------------------------------------------

@pytest.mark.parametrize("vcpus", [1, 2])
def test_smp_through_the_wakeup_mailbox(need_kvm, vcpus):
    """CPUs from motevm's MADT; APs started in 64-bit mode through the MP wakeup mailbox (what
    PVM can run)."""
    r = motevm(["--kernel", KERNEL, "--cmdline", "--test=smp", "--vcpus", str(vcpus),
                "--level", "debug"], timeout=120)
    assert f"CPUs found ... ok ({vcpus} from ACPI)" in r.out, r.out
    assert f"all CPUs online ... ok ({vcpus} of {vcpus})" in r.out, r.out
    assert re.search(r"^tests passed: \d+ failed: 0", r.out, re.M), r.out
    for apic in range(1, vcpus):
        assert f"MP wakeup: APIC id {apic} started at" in r.err, r.err
    assert "MP wakeup mailbox:" not in r.err        # no refusal, no bad access
    assert r.status == 0


def test_cpus_from_the_mp_table_with_no_acpi(need_kvm):
    r = motevm(["--kernel", KERNEL, "--cmdline", "--test=smp", "--vcpus", "2", "--no-acpi"],
               timeout=120)
    assert "CPUs found ... ok (2 from MP table)" in r.out, r.out
    # The APs then get INIT-SIPI-SIPI: on PVM hosts their real-mode start cannot switch modes,
    # so only the table is checked here.
