"""motevm's ACPI tables, checked without a guest and without /dev/kvm: tools/fcimage writes the
guest memory motevm's boot code builds (tables at 0xe0000, zero page at 0x7000), tools/acpitables
writes the same ACPI area for other vCPU counts and virtio-mmio device lists. Python walks
RSDP -> XSDT -> FADT/MADT -> DSDT; `iasl -d` (ACPICA, Debian acpica-tools) disassembles every
table, and the DSDT is compiled back (`iasl -oa`) to the very same AML bytes."""
import os
import re
import shutil
import struct
import subprocess

import pytest

from conftest import BUILD, KERNEL

FCIMAGE = os.path.join(BUILD, "tools", "fcimage")
ACPITABLES = os.path.join(BUILD, "tools", "acpitables")
IASL = shutil.which("iasl")

RSDP_ADDR = 0xE0000
AREA_END = 0x100000
MAILBOX = 0xFEF00000
SLEEP_PORT = 0x3C0


class Memory:
    """Guest-physical bytes from `base` on."""

    def __init__(self, data, base):
        self.data, self.base = data, base

    def at(self, addr, length):
        off = addr - self.base
        assert 0 <= off and off + length <= len(self.data), hex(addr)
        return self.data[off:off + length]

    def table(self, addr):
        length = struct.unpack("<I", self.at(addr + 4, 4))[0]
        t = self.at(addr, length)
        assert sum(t) % 256 == 0, f"{t[:4]} checksum"
        return t


def fcimage(tmp_path, *flags):
    img = tmp_path / "guest.img"
    subprocess.run([FCIMAGE, "-o", str(img), "--kernel", KERNEL, "--mem", "16"] + list(flags),
                   check=True)
    data = img.read_bytes()[4096:]          # a 4 KiB header, then RAM from address 0
    return Memory(data, 0)


def acpitables(tmp_path, vcpus=1, mmio=()):
    out = tmp_path / "acpi.bin"
    args = [ACPITABLES, "-o", str(out), "--vcpus", str(vcpus)]
    for addr, size, gsi in mmio:
        args += ["--mmio", f"{addr:x}:{size:x}:{gsi}"]
    subprocess.run(args, check=True)
    return Memory(out.read_bytes(), RSDP_ADDR)


def walk(mem):
    """RSDP -> XSDT -> tables; returns {signature: bytes} with the RSDP under "RSDP"."""
    rsdp = mem.at(RSDP_ADDR, 36)
    assert rsdp[:8] == b"RSD PTR "
    assert sum(rsdp[:20]) % 256 == 0 and sum(rsdp) % 256 == 0
    assert rsdp[15] == 2                                    # revision: XSDT
    rsdt, length, xsdt = struct.unpack_from("<IIQ", rsdp, 16)
    assert (rsdt, length) == (0, 36)
    x = mem.table(xsdt)
    assert x[:4] == b"XSDT" and x[8] == 1 and len(x) == 36 + 16
    tables = {"RSDP": rsdp, "XSDT": x}
    for (addr,) in struct.iter_unpack("<Q", x[36:]):
        t = mem.table(addr)
        tables[t[:4].decode()] = t
    assert sorted(tables) == ["APIC", "FACP", "RSDP", "XSDT"]
    fadt = tables["FACP"]
    assert len(fadt) == 276 and fadt[8] == 6 and fadt[131] == 5
    dsdt32, = struct.unpack_from("<I", fadt, 40)
    x_dsdt, = struct.unpack_from("<Q", fadt, 140)
    assert dsdt32 == 0
    tables["DSDT"] = mem.table(x_dsdt)
    return tables


def madt_entries(madt):
    lapic, flags = struct.unpack_from("<II", madt, 36)
    assert (lapic, flags) == (0xFEE00000, 0)
    off, out = 44, []
    while off < len(madt):
        typ, length = madt[off], madt[off + 1]
        assert length >= 2 and off + length <= len(madt)
        out.append((typ, madt[off:off + length]))
        off += length
    assert off == len(madt)
    return out


def check_madt(madt, vcpus):
    entries = madt_entries(madt)
    ioapics = [e for t, e in entries if t == 1]
    lapics = [e for t, e in entries if t == 0]
    wakeups = [e for t, e in entries if t == 0x10]
    assert len(ioapics) == 1
    assert struct.unpack("<BBBBII", ioapics[0]) == (1, 12, vcpus + 1, 0, 0xFEC00000, 0)
    assert [struct.unpack("<BBBBI", e) for e in lapics] == \
        [(0, 8, i, i, 1) for i in range(vcpus)]
    assert len(wakeups) == 1
    assert struct.unpack("<BBHIQ", wakeups[0]) == (0x10, 16, 0, 0, MAILBOX)
    assert sorted({t for t, _ in entries}) == [0, 1, 4, 0x10]


def check_fadt(fadt):
    flags, = struct.unpack_from("<I", fadt, 112)
    assert flags & (1 << 20)                                # hardware-reduced
    assert struct.unpack_from("<H", fadt, 109)[0] & 3 == 0  # no LEGACY_DEVICES, no 8042
    for off in (244, 256):                                  # sleep control / status registers
        assert struct.unpack_from("<BBBBQ", fadt, off) == (1, 8, 0, 1, SLEEP_PORT)
    assert fadt[268:276] == b"FIRECKVM"


def iasl(tmp_path, name, table):
    """Disassembles one table; returns the .dsl text. iasl must report no error."""
    src = tmp_path / f"{name.lower()}.dat"
    src.write_bytes(table)
    p = subprocess.run([IASL, "-d", str(src)], capture_output=True, text=True, cwd=tmp_path)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert not re.search(r"\b(Error|Warning)\b", out.replace("0 Errors", "")), out
    return (tmp_path / f"{name.lower()}.dsl").read_text()


def check_with_iasl(tmp_path, tables, vcpus):
    if IASL is None:
        pytest.skip("iasl is not installed (scripts/setup installs acpica-tools)")
    for name in ("XSDT", "FACP", "APIC", "DSDT"):
        dsl = iasl(tmp_path, name, tables[name])
        assert f'"{name}"' in dsl
    madt = (tmp_path / "apic.dsl").read_text()
    assert madt.count("[Processor Local APIC]") == vcpus
    assert "[I/O APIC]" in madt and "[Local APIC NMI]" in madt
    # ACPICA before 2021 does not know the ACPI 6.4 Multiprocessor Wakeup type: it says so for
    # that one subtable and goes on. Any other unknown subtable is a bug.
    for t in re.findall(r"Unknown MADT subtable type 0x([0-9A-Fa-f]+)", madt):
        assert int(t, 16) == 0x10, madt
    fadt = (tmp_path / "facp.dsl").read_text()
    assert re.search(r"Hardware Reduced \(V5\) : 1", fadt)
    assert re.search(r"Sleep Control Register : \[Generic Address Structure\]", fadt)
    # DSDT: disassemble, compile back without optimisations, compare the AML
    dsl = (tmp_path / "dsdt.dsl").read_text()
    p = subprocess.run([IASL, "-oa", "-p", "recompiled", "dsdt.dsl"], capture_output=True,
                       text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (tmp_path / "recompiled.aml").read_bytes()[36:] == tables["DSDT"][36:]
    return dsl


@pytest.mark.parametrize("vcpus", [1, 2, 32])
def test_tables_in_the_boot_image(tmp_path, vcpus):
    mem = fcimage(tmp_path, "--vcpus", str(vcpus))
    zero_page_rsdp, = struct.unpack("<Q", mem.at(0x7000 + 0x70, 8))
    assert zero_page_rsdp == RSDP_ADDR
    tables = walk(mem)
    check_madt(tables["APIC"], vcpus)
    check_fadt(tables["FACP"])
    assert mem.at(0x9FC00, 4) == b"_MP_"                    # the MP table stays
    dsl = check_with_iasl(tmp_path, tables, vcpus)
    assert 'Name (_S5, Package (0x04)' in dsl
    assert "LNRO0005" not in dsl                            # no virtio-mmio device yet
    assert 'EisaId ("PNP0303")' in dsl and 'EisaId ("PNP0501")' in dsl


def test_no_acpi(tmp_path):
    mem = fcimage(tmp_path, "--no-acpi", "--vcpus", "2")
    assert struct.unpack("<Q", mem.at(0x7000 + 0x70, 8))[0] == 0
    assert mem.at(0xA0000, AREA_END - 0xA0000) == bytes(AREA_END - 0xA0000)
    assert mem.at(0x9FC00, 4) == b"_MP_"


def test_virtio_mmio_devices_in_the_dsdt(tmp_path):
    devs = [(0xD0001000, 0x1000, 5), (0xD0002000, 0x1000, 6), (0xD0003000, 0x1000, 7)]
    tables = walk(acpitables(tmp_path, 2, devs))
    check_madt(tables["APIC"], 2)
    dsl = check_with_iasl(tmp_path, tables, 2)
    for i, (addr, size, gsi) in enumerate(devs):
        node = re.search(r"Device \(V%03d\)(.*?)\n        \}" % i, dsl, re.S)
        assert node, dsl
        body = node.group(1)
        assert 'Name (_HID, "LNRO0005")' in body
        assert re.search(r"Name \(_UID, (Zero|One|0x%02X)\)" % i, body)
        assert re.search(r"Memory32Fixed \(ReadWrite,\s+0x%08X,.*\n\s+0x%08X," % (addr, size),
                         body)
        assert "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )" in body
        assert "0x%08X," % gsi in body


def test_acpitables_refuses_bad_input(tmp_path):
    out = str(tmp_path / "x")
    for args in (["--vcpus", "0"], ["--vcpus", "33"], ["--mmio", "100000000:1000:5"]):
        p = subprocess.run([ACPITABLES, "-o", out] + args, capture_output=True, text=True)
        assert p.returncode == 1 and "Invalid argument" in p.stderr, p
