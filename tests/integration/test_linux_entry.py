"""The Firecracker-style boot (Linux 64-bit entry, zero page in RSI) on QEMU TCG: tools/fcimage
builds guest memory with motevm's own boot code (kernel segments, zero page, e820, command line,
GDT, page tables, MP table); tools/fcshim starts the kernel from it with Firecracker's register
state. This keeps the path motevm and Firecracker use tested where /dev/kvm is missing."""
import os
import subprocess

import pytest

from conftest import BUILD, DEBUG_EXIT, KERNEL, QEMU, Run, qemu_status

FCIMAGE = os.path.join(BUILD, "tools", "fcimage")
FCSHIM = os.path.join(BUILD, "tools", "fcshim.elf")


def linux_boot(tmp_path, machine, cmdline, mem=16, extra_flags=(), smp="1", mailbox=None):
    if QEMU is None:
        pytest.skip("qemu-system-x86_64 is not installed")
    img = tmp_path / "guest.img"
    mb = ["--mailbox-ram", hex(mailbox)] if mailbox else []
    subprocess.run([FCIMAGE, "-o", str(img)] + mb + ["--kernel", KERNEL, "--cmdline", cmdline,
                    "--mem", str(mem)] + list(extra_flags), check=True)
    p = subprocess.run([QEMU, "-M", machine, "-smp", smp, "-accel", "tcg", "-m", "128",
                        "-display", "none",
                        "-monitor", "none", "-serial", "stdio", "-no-reboot",
                        "-kernel", FCSHIM,
                        "-device", f"loader,file={img},addr=0x4000000,force-raw=on"] + DEBUG_EXIT,
                       capture_output=True, timeout=60)
    return Run(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


@pytest.mark.parametrize("machine", ["microvm", "pc"])
def test_hello_through_linux_entry(tmp_path, machine):
    r = linux_boot(tmp_path, machine, "--bootchart /hello")
    assert "Hello from C code" in r.out
    assert "Total time" in r.out
    assert r.status == qemu_status(0)


def test_exit_status_and_arguments(tmp_path):
    r = linux_boot(tmp_path, "microvm", "/exitcode 5 x")
    assert "argc=3 argv[0]=/exitcode argv[1]=5 argv[2]=x" in r.out
    assert r.status == qemu_status(5)


def test_firecracker_default_boot_args(tmp_path):
    r = linux_boot(tmp_path, "microvm", "reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux "
                   "i8042.nomux i8042.dumbkbd swiotlb=noforce /hello")
    assert "Hello from C code" in r.out
    assert "ignoring" not in r.out


def test_two_vcpus_and_small_memory(tmp_path):
    r = linux_boot(tmp_path, "microvm", "/hello", mem=2, extra_flags=["--vcpus", "2"])
    assert "Hello from C code" in r.out
    assert r.status == qemu_status(0)


def test_longest_command_line(tmp_path):
    """2047 bytes is the most motevm accepts; the kernel must read all of it."""
    cmd = "/exitcode 9 " + "a" * (2047 - len("/exitcode 9 "))
    assert len(cmd) == 2047
    r = linux_boot(tmp_path, "microvm", cmd)
    assert "argv[2]=" + "a" * (2047 - len("/exitcode 9 ")) + " " in r.out
    assert r.status == qemu_status(9)


def test_two_cpus_from_motevm_mp_table(tmp_path):
    """motevm's MP table names both vCPUs; on QEMU the kernel starts the AP with INIT-SIPI.
    --no-acpi: the MP-table-only machine (fcshim does not copy motevm's ACPI area anyway)."""
    r = linux_boot(tmp_path, "microvm", "--test=smp", mem=32,
                   extra_flags=["--vcpus", "2", "--no-acpi"],
                   smp="2,sockets=2")
    assert "CPUs found ... ok (2 from MP table)" in r.out, r.out
    assert "all CPUs online ... ok (2 of 2)" in r.out
    assert r.status == qemu_status(0)


def test_cpus_and_mailbox_from_motevm_acpi(tmp_path):
    """motevm's ACPI tables (RSDP at 0xe0000 named in the zero page, MADT with the wakeup
    mailbox) are what the kernel reads. QEMU does not emulate the mailbox, so the AP stays down:
    the kernel says so and goes on with one CPU."""
    r = linux_boot(tmp_path, "microvm", "--verbose --test=smp", mem=32,
                   extra_flags=["--vcpus", "2"], smp="2,sockets=2")
    assert "platform: 2 CPU(s) from ACPI, 1 IOAPIC(s), MP wakeup mailbox" in r.out, r.out
    assert "smp: APIC 1 did not come up" in r.out
    assert "mutex counter ... ok" in r.out


def test_smp_through_the_acpi_wakeup_mailbox(tmp_path):
    """The path SMP takes under PVM: motevm's MADT names a Multiprocessor Wakeup mailbox; the
    kernel writes the AP's APIC id and its 64-bit entry there and the AP starts in long mode
    (motevm's AP page tables and GDT, RDI = APIC id). fcshim plays the firmware side on QEMU with
    the mailbox moved to RAM."""
    r = linux_boot(tmp_path, "microvm", "--verbose --test=smp", mem=32,
                   extra_flags=["--vcpus", "2"], smp="2,sockets=2", mailbox=0x2100000)
    assert "platform: 2 CPU(s) from ACPI, 1 IOAPIC(s), MP wakeup mailbox" in r.out, r.out
    assert "all CPUs online ... ok (2 of 2)" in r.out, r.out
    assert "threads ran on every CPU ... ok (2 of 2 CPUs)" in r.out
    assert r.status == qemu_status(0)
