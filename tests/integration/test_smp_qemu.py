"""CPUs, interrupts and time on QEMU TCG: CPUs from ACPI or the MP table, application processors
started with INIT-SIPI-SIPI, threads on every CPU, timers, and power-off through ACPI S5."""
import re

import pytest

from conftest import qemu_boot, qemu_status

SMP_MACHINES = [("microvm", 1), ("microvm", 2), ("pc", 1), ("pc", 2), ("q35", 2), ("q35", 4)]


def results(out):
    checks = re.findall(r"^test (\w+): (.+) \.\.\. (ok|FAILED)", out, re.M)
    summary = re.search(r"^tests passed: (\d+) failed: (\d+)", out, re.M)
    assert summary, out
    return checks, int(summary.group(1)), int(summary.group(2))


@pytest.mark.parametrize("machine,cpus", SMP_MACHINES)
def test_smp_threads(machine, cpus):
    r = qemu_boot(machine, "--test=smp", smp=cpus, timeout=120)
    checks, passed, failed = results(r.out)
    assert failed == 0, r.out
    assert f"all CPUs online ... ok ({cpus} of {cpus})" in r.out
    assert f"threads ran on every CPU ... ok ({cpus} of {cpus} CPUs)" in r.out
    assert r.status == qemu_status(0)


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_cpus_from_mp_table_without_acpi(machine):
    # An MP table lists packages (its firmware lists one core per socket): two sockets.
    r = qemu_boot(machine, "--noacpi --test=smp", smp="2,sockets=2", timeout=120)
    assert "CPUs found ... ok (2 from MP table)" in r.out
    assert "all CPUs online ... ok (2 of 2)" in r.out


def test_microvm_mp_table_without_entry_count():
    """QEMU microvm with acpi=off: its firmware's MP table (at 0x9fc00, like Firecracker's) leaves
    the entry count at 0; the entries are walked by the table's length, as Linux does."""
    r = qemu_boot("microvm,acpi=off", "--test=smp", smp=2, timeout=120)
    assert "CPUs found ... ok (2 from MP table)" in r.out, r.out
    assert "all CPUs online ... ok (2 of 2)" in r.out
    assert r.status == qemu_status(0)


def test_cpus_from_acpi():
    r = qemu_boot("q35", "--test=smp", smp=2, timeout=120)
    assert "CPUs found ... ok (2 from ACPI)" in r.out


def test_timer():
    # One TCG thread: sleeps are then measured against an emulator that is not itself waiting
    # for host cores.
    r = qemu_boot("microvm", "--test=timer", extra=["-accel", "tcg,thread=single"], timeout=120)
    checks, passed, failed = results(r.out)
    assert ("timer", "sleep 10 ms never wakes early", "ok") in checks, r.out
    assert ("timer", "sleepers wake in deadline order", "ok") in checks, r.out


def test_unknown_test_suite():
    r = qemu_boot("microvm", "--test=nonexistent")
    assert "ktest: no test suite named nonexistent" in r.out
    assert r.status == qemu_status(127)


def power_off_reason(machine, cmdline):
    """Boots without the debug-exit device and returns QEMU's shutdown request reasons."""
    r = qemu_boot(machine, cmdline, extra=["-trace", "qemu_system_shutdown_request"],
                  debug_exit=False)
    return re.findall(r"qemu_system_shutdown_request reason=(\d+)", r.err), r


@pytest.mark.parametrize("machine", ["microvm", "q35", "pc"])
def test_acpi_s5_power_off(machine):
    reasons, r = power_off_reason(machine, "/exitcode 0")
    assert "program exited with status 0" in r.out
    assert reasons == ["6"], f"expected one guest shutdown (ACPI S5): {r.err}"  # GUEST_SHUTDOWN


def test_no_acpi_powers_off_by_reset():
    reasons, r = power_off_reason("q35", "--noacpi /exitcode 0")
    assert "program exited with status 0" in r.out
    assert reasons == [], r.err  # the i8042 reset path, not ACPI
    assert r.status == 0
