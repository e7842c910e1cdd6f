#!/usr/bin/env python3
"""`make bench`: runs every benchmark script (each prints a markdown section) and writes them,
in order, to docs/PERFORMANCE.md with the date and the machine. `--only bench/X.py` runs one
script and replaces only its section (found by the section's "## " heading up to its first "(")
in the existing file, leaving the rest byte for byte."""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# (script, arguments): one line per benchmark; each prints a markdown section on stdout.
BENCHES = [
    ("bench/boot.py", ["--runs", "20"]),
    ("bench/sched.py", ["--runs", "20", "--linux-runs", "10"]),
    ("bench/api.py", []),
    ("bench/syscall.py", ["--runs", "20"]),
    ("bench/blk.py", []),
    ("bench/ext4.py", []),
    ("bench/net.py", ["--runs", "20"]),
]


def replace_section(text, section):
    """text with the "## " section that section's first heading names replaced by section. What
    a script prints before its first "## " heading (bench/boot.py prints the file's title and
    date) is not part of its section: the file keeps its own."""
    out_lines = section.split("\n")
    first = next((i for i, line in enumerate(out_lines) if line.startswith("## ")), 0)
    section = "\n".join(out_lines[first:])
    heading = section.lstrip("\n").split("\n", 1)[0]
    key = re.split(r" ?\(", heading, maxsplit=1)[0]
    if not key.startswith("## "):
        raise SystemExit(f"run.py: the section does not start with a '## ' heading: {heading!r}")
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("## ")]
    mine = [i for i in starts if lines[i] == key or lines[i].startswith(key + " ")
            or lines[i].startswith(key + "(")]
    if len(mine) != 1:
        raise SystemExit(f"run.py: {len(mine)} sections headed {key!r} in the file, want 1")
    begin = mine[0]
    later = [i for i in starts if i > begin]
    end = later[0] if later else len(lines)
    new = section.rstrip("\n").split("\n") + [""]  # one blank line before the next heading
    return "\n".join(lines[:begin] + new + lines[end:])


def run_only(script, out):
    match = [b for b in BENCHES if b[0] == script]
    if not match:
        raise SystemExit(f"run.py: {script} is not one of {[b[0] for b in BENCHES]}")
    script, args = match[0]
    print(f"== {script}", file=sys.stderr)
    p = subprocess.run([sys.executable, os.path.join(ROOT, script)] + args, capture_output=True,
                       text=True, cwd=ROOT)
    if p.returncode != 0:
        print(p.stdout + p.stderr, file=sys.stderr)
        print(f"run.py: {script} failed (status {p.returncode}); {out} left as it was",
              file=sys.stderr)
        return 1
    with open(out) as f:
        text = f.read()
    new = replace_section(text, p.stdout)  # before opening for writing: an error leaves the file
    with open(out, "w") as f:
        f.write(new)
    print(p.stdout)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    ap.add_argument("--only", metavar="SCRIPT",
                    help="run this one benchmark (e.g. bench/sched.py) and replace its section")
    a = ap.parse_args()
    if a.only:
        return run_only(a.only, a.out)
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
