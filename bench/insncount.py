#!/usr/bin/env python3
"""Counts what the Mote kernel executes at CPL0 from its first instruction to the program's first
instruction, by running it on QEMU TCG one instruction per translation block with execution
tracing (-singlestep -d exec,nochain,in_asm). The counts are exact and repeatable: they are what
PVM would emulate (~2.8 us an instruction there) and they predict hardware cost too.

Prints one JSON object: instructions (a rep-prefixed instruction counted once), iterations (every
rep iteration counted), and the instructions that leave the guest on KVM: port I/O, MSR accesses,
CPUID, HLT."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

TRACE = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[([0-9a-f]+)/([0-9a-f]+)/([0-9a-f]+)/[0-9a-f]+\]")
INSN = re.compile(r"^0x([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(\S+)(?:\s+(\S+))?")

EXIT_KINDS = {
    "io": re.compile(r"^(rep\s+)?(in|out|ins|outs)[bwl]?$"),
    "msr": re.compile(r"^(rd|wr)msr$"),
    "cpuid": re.compile(r"^cpuid$"),
    "hlt": re.compile(r"^hlt$"),
}


def in_kernel(pc):
    return 0x100000 <= pc < 0x1000000 or pc >= 0xffffffff80000000


def parse_insn(line):
    """(pc, mnemonic) from an in_asm line of the trace ("rep movsb" for string instructions),
    or None for any other line."""
    m = INSN.match(line)
    if not m:
        return None
    ops = m.group(2)
    if ops in ("rep", "repe", "repne", "repz", "repnz") and m.group(3):
        ops = "rep " + m.group(3)
    return int(m.group(1), 16), ops


# A port or MMIO access in QEMU's memory-region trace events (an optional timestamp prefix).
MR_OP = re.compile(r"^(?:\d+@[\d.]+:)?memory_region_ops_(read|write) cpu (-?\d+) mr \S+ "
                   r"addr (?:0x)?([0-9a-f]+)")


def vcpu_access(line):
    """For a memory-region trace line, True when it is a vCPU's port or MMIO access (an exit on
    KVM; it belongs to the instruction traced just before it), False for the others of its kind:
    QEMU's main loop (cpu -1) and the IOAPIC's interrupt messages (writes to 0xfee00000 +
    destination, page offset 0: no LAPIC register there). None when the line is no such event."""
    m = MR_OP.match(line)
    if not m:
        return None
    addr = int(m.group(3), 16)
    return not (m.group(2) == "-1" or
                (m.group(1) == "write" and (addr & 0xfff00fff) == 0xfee00000))


def executions(log_path):
    """Yields (pc, cpl, op, first) for every instruction execution in a QEMU trace: op is its
    mnemonic ("rep movsb" for string instructions) and first is False for the second and later
    iterations of a rep instruction, which count once."""
    mnem = {}
    last_pc = None
    with open(log_path, errors="replace") as f:
        for line in f:
            insn = parse_insn(line)
            if insn:
                mnem[insn[0]] = insn[1]
                continue
            m = TRACE.match(line)
            if not m:
                continue
            pc, flags = int(m.group(2), 16), int(m.group(3), 16)
            op = mnem.get(pc, "")
            first = not (pc == last_pc and op.startswith("rep"))
            last_pc = pc
            yield pc, flags & 3, op, first


def exit_kind(op):
    """The kind of exit an instruction causes on KVM ("io", "msr", "cpuid", "hlt"), or None."""
    for kind, pat in EXIT_KINDS.items():
        if pat.match(op):
            return kind
    return None


def count(log_path, profile=None):
    res = {"instructions": 0, "iterations": 0, "io": 0, "msr": 0, "cpuid": 0, "hlt": 0}
    started = False
    for pc, cpl, op, first in executions(log_path):
        if not started:
            if not in_kernel(pc):
                continue
            started = True
        if cpl == 3:
            res["first_user_pc"] = hex(pc)
            return res
        res["iterations"] += 1
        if not first:
            continue
        res["instructions"] += 1
        if profile is not None:
            profile[pc] = profile.get(pc, 0) + 1
        kind = exit_kind(op)
        if kind:
            res[kind] += 1
    res["error"] = "the program never started"
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernel", default="build/mote.elf")
    ap.add_argument("--machine", default="microvm")
    ap.add_argument("--cmdline", default="/hello")
    ap.add_argument("--mem", default="128")
    ap.add_argument("--initrd", help="an initrd for QEMU's -initrd")
    ap.add_argument("--profile", action="store_true", help="instructions per kernel function")
    ap.add_argument("--qemu-arg", action="append", default=[],
                    help="one more QEMU argument (repeatable), e.g. a network device")
    a = ap.parse_args()
    profile = {} if a.profile else None
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "trace.log")
        subprocess.run(["qemu-system-x86_64", "-M", a.machine, "-accel", "tcg", "-m", a.mem,
                        "-display", "none", "-monitor", "none", "-serial", "null", "-no-reboot",
                        "-kernel", a.kernel, "-append", a.cmdline,
                        "-device", "isa-debug-exit,iobase=0x501,iosize=2",
                        "-singlestep", "-d", "exec,nochain,in_asm", "-D", log]
                       + (["-initrd", a.initrd] if a.initrd else []) + a.qemu_arg,
                       check=False, timeout=300)
        res = count(log, profile)
    json.dump(res, sys.stdout)
    print()
    if profile:
        syms = []
        for line in subprocess.run(["nm", "-n", a.kernel], capture_output=True,
                                   text=True).stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), parts[2]))
        per = {}
        for pc, n in profile.items():
            name = "?"
            for addr, sym in syms:
                if addr > pc:
                    break
                name = sym
            per[name] = per.get(name, 0) + n
        for name, n in sorted(per.items(), key=lambda x: -x[1])[:25]:
            print(f"{n:8d}  {name}")
    return 1 if "error" in res else 0


if __name__ == "__main__":
    sys.exit(main())
