"""The Mote kernel on QEMU TCG, entered through PVH (-kernel): the independent machine model.
Each test boots one program from the bootfs linked into build/mote.elf and checks the console and
the exit status the guest hands over through the debug-exit port."""
import re

import pytest

from conftest import qemu_boot, qemu_status

MACHINES = ["microvm", "pc", "q35"]


@pytest.mark.parametrize("machine", MACHINES)
def test_hello_with_bootchart(machine):
    r = qemu_boot(machine, "--bootchart /hello")
    assert "Hello from C code" in r.out
    assert "program exited with status 0" in r.out
    assert r.status == qemu_status(0)
    chart = re.findall(r"^\t(.+): (\d+\.\d\d)ms, \(\+(\d+\.\d\d)ms\)$", r.out, re.M)
    names = [c[0] for c in chart]
    assert names[-1] == "Total time"
    assert "memory initialized" in names and "program loaded" in names
    times = [float(c[1]) for c in chart]
    assert times == sorted(times), "stages are in time order"
    assert 0 < times[-1] < 10000
    # The chart comes before the program's output (printed after the boot signal).
    assert r.out.index("Total time") < r.out.index("Hello from C code")


@pytest.mark.parametrize("machine", ["microvm", "pc"])
def test_exit_status_reaches_qemu(machine):
    r = qemu_boot(machine, "/exitcode 3")
    assert "program exited with status 3" in r.out
    assert r.status == qemu_status(3)


def test_arguments_and_auxv():
    r = qemu_boot("microvm", "--nopci /exitcode 0 two \"three four\"")
    assert "argc=4 argv[0]=/exitcode argv[1]=0 argv[2]=two argv[3]=three four pagesz=4096" in r.out
    assert r.status == qemu_status(0)


def test_default_program_is_first_in_bootfs():
    r = qemu_boot("microvm", "--bootchart")
    assert "Hello from C code" in r.out


def test_firecracker_default_args_are_accepted_silently():
    r = qemu_boot("microvm", "reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux "
                  "i8042.dumbkbd swiotlb=noforce pci=off /hello")
    assert "Hello from C code" in r.out
    assert "ignoring" not in r.out


def test_unknown_option_warns_and_boots():
    r = qemu_boot("microvm", "--frobnicate /hello")
    assert "ignoring unknown option --frobnicate" in r.out
    assert "Hello from C code" in r.out


def test_segfault_is_reported_with_status_139():
    r = qemu_boot("microvm", "/segv 0x10")
    assert re.search(r"program killed: SIGSEGV at [0-9a-f]+, address 10\b", r.out)
    assert "program exited with status 139" in r.out
    assert r.status == qemu_status(139)


def test_kernel_address_is_not_reachable_from_the_program():
    r = qemu_boot("microvm", "/segv 0xffffffff80100000")
    assert "program killed: SIGSEGV" in r.out
    assert r.status == qemu_status(139)


def test_pvm_syscall_path():
    """Under PVM `syscall` lands on the entry page at CPL3; the kernel must take the #GP there
    as a system call. The program reproduces that entry on QEMU."""
    r = qemu_boot("microvm", "/pvmsyscall")
    assert "syscall through the PVM entry path works" in r.out
    assert r.status == qemu_status(0)


def test_missing_program():
    r = qemu_boot("microvm", "/nonexistent")
    assert "exec: /nonexistent: no such file in the bootfs or the initrd" in r.out
    assert r.status == qemu_status(127)


def test_small_memory():
    r = qemu_boot("microvm", "/hello", mem="2")
    assert "Hello from C code" in r.out


def test_avx_is_not_offered():
    """The scheduler saves FPU/SSE state with fxsave (PVM's CPL0 emulator runs no xsave), so the
    kernel leaves CR4.OSXSAVE clear: CPUID tells programs OSXSAVE = 0 (libc then avoids AVX) and
    an AVX instruction is SIGILL, even on a CPU that has AVX."""
    r = qemu_boot("microvm", "/cpufeatures", extra=["-cpu", "max"])
    assert "sse2=1 osxsave=0 avx-cpu=1" in r.out, r.out
    r = qemu_boot("microvm", "/cpufeatures avx", extra=["-cpu", "max"])
    assert "program killed: SIGILL" in r.out
    assert r.status == qemu_status(128 + 4)
