"""The ext4 core's fuzz target, run for a few seconds (make fuzz-ext4): mount + walk + changes
on mutated images from stock mke2fs must never crash (ASan/UBSan abort the run)."""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT


def test_fuzz_ext4_few_seconds():
    if not shutil.which("clang") or not shutil.which("mke2fs"):
        pytest.skip("clang (libFuzzer) or mke2fs missing")
    p = subprocess.run(["make", "--no-print-directory", "fuzz-ext4", "FUZZ_SECONDS=5"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    if "-fsanitize=fuzzer" in p.stderr and "unsupported" in p.stderr:
        pytest.skip("this clang has no libFuzzer runtime")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Done" in p.stdout
