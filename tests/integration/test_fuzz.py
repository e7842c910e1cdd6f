"""The libFuzzer target for the API's HTTP+JSON path (tests/fuzz/api_fuzz.c), run for a fixed
number of inputs (`make fuzz`): any crash, leak or undefined behaviour fails the test."""
import shutil
import subprocess

import pytest

from conftest import ROOT

RUNS = 100000


def test_api_fuzz_fixed_runs():
    if shutil.which("clang") is None:
        pytest.skip("clang is not installed (scripts/setup installs it): no libFuzzer build")
    r = subprocess.run(["make", "-s", "--no-print-directory", "fuzz", f"FUZZ_RUNS={RUNS}"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert f"Done {RUNS} runs" in r.stderr, r.stderr[-3000:]
