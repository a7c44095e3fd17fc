"""Helpers for the end-to-end tests (run with /usr/bin/python3)."""
import json
import os
import subprocess
import sys

WARD = os.environ.get("WARD_BIN", "build/ward")
DATA = os.environ.get("WARD_TEST_DATA", "tests/data")


def unescape(s):
    """Reverse ward's name escaping (\\\\, \\n, \\r, \\t, \\xNN) to raw bytes."""
    out = bytearray()
    raw = s.encode("utf-8")
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):
            n = raw[i + 1]
            if n == 0x5C: out.append(0x5C); i += 2; continue
            if n == ord("n"): out.append(10); i += 2; continue
            if n == ord("r"): out.append(13); i += 2; continue
            if n == ord("t"): out.append(9); i += 2; continue
            if n == ord("x"):
                out.append(int(raw[i + 2:i + 4], 16)); i += 4; continue
        out.append(c)
        i += 1
    return bytes(out)


def ward(*args, stdin=None, check_rc=None):
    p = subprocess.run([WARD, *args], input=stdin, capture_output=True)
    if check_rc is not None and p.returncode != check_rc:
        sys.exit(f"FAIL: ward {' '.join(args)}: exit {p.returncode}, expected {check_rc}\n"
                 f"stderr: {p.stderr.decode(errors='replace')}")
    return p


def jsonl(data):
    return [json.loads(l) for l in data.decode().splitlines() if l.strip()]


def pdq_distance(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def expect(cond, msg):
    if not cond:
        sys.exit("FAIL: " + msg)
