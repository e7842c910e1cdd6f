#!/usr/bin/env python3
"""`make bench`: runs every benchmark script (each prints a markdown section) and writes them,
in order, to docs/PERFORMANCE.md with the date and the machine."""
import argparse
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# (script, arguments): one line per benchmark; each prints a markdown section on stdout.
BENCHES = [
    ("bench/boot.py", ["--runs", "20"]),
    ("bench/sched.py", ["--runs", "20"]),
    ("bench/api.py", []),
    ("bench/syscall.py", ["--runs", "20"]),
    ("bench/blk.py", []),
    ("bench/ext4.py", []),
    ("bench/net.py", ["--runs", "20"]),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    a = ap.parse_args()
    sections = []
    failed = []
    for script, args in BENCHES:
        path = os.path.join(ROOT, script)
        if not os.path.exists(path):
            continue
        print(f"== {script}", file=sys.stderr)
        p = subprocess.run([sys.executable, path] + args, capture_output=True, text=True,
                           cwd=ROOT)
        if p.returncode != 0:
            failed.append(script)
            sections.append(f"## {script}\n\nFailed (status {p.returncode}):\n\n```\n"
                            f"{(p.stderr or p.stdout)[-2000:]}\n```\n")
        else:
            sections.append(p.stdout)
    text = "\n".join(sections)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
