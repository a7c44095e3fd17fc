#!/usr/bin/python3
"""The experiment behind the fast path's skipping of chroma scans
(docs/bench.md, "Findings"), kept to check it from outside ward.

    /usr/bin/python3 bench/drop_chroma_scans.py SRC_DIR DST_DIR

Copies every JPEG of SRC_DIR to DST_DIR; progressive YCbCr JPEGs lose their
chroma AC scans (a progressive AC scan holds exactly one component), the
scans src/media/jpeg.c now skips in its fast path. ward's fast path decodes
luma only (JCS_GRAYSCALE), which never uses chroma coefficients, but
libjpeg entropy-decodes every scan it is given. Without those scans the
greyscale decode, and so ward's PDQ, is bit-identical: ward built before the
change, run on the copies, must give what ward after it gives on the
originals. Prints, per file and in total, the bytes dropped. (Less strict
than ward about damaged files: it gives up on the whole file at the first
byte it does not understand.)
"""
import os
import struct
import sys


def scan_end(d, j):
    """Index of the marker that ends the entropy-coded data starting at j
    (len(d) when none does: a truncated file)."""
    while True:
        k = d.find(b"\xff", j)
        if k < 0 or k + 1 >= len(d):
            return len(d)
        nxt = d[k + 1]
        if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:   # stuffed byte or restart marker
            j = k + 2
        elif nxt == 0xFF:                          # fill byte before a marker
            j = k + 1
        else:
            return k


def strip(d):
    if d[:2] != b"\xff\xd8":
        return d, 0
    out = bytearray(d[:2])
    i, luma, ncomp, progressive, rgb = 2, None, 0, False, False
    dropped = 0
    while i + 4 <= len(d):
        if d[i] != 0xFF:
            return d, 0                            # not understood: leave as is
        m = d[i + 1]
        if m == 0xFF:
            i += 1
            continue
        if m == 0xD9:
            out += d[i:i + 2]
            i += 2
            break
        seglen = struct.unpack(">H", d[i + 2:i + 4])[0]
        if m == 0xEE and d[i + 4:i + 9] == b"Adobe" and seglen >= 12 and d[i + 15] == 0:
            rgb = True                             # Adobe transform 0: not YCbCr
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC) and luma is None:
            ncomp = d[i + 9]
            luma = d[i + 10]
            progressive = m in (0xC2, 0xC6, 0xCA, 0xCE)
        if m == 0xDA:
            ns = d[i + 4]
            comps = [d[i + 5 + 2 * c] for c in range(ns)]
            k = scan_end(d, i + 2 + seglen)
            ss = d[i + 5 + 2 * ns]
            # As src/media/jpeg.c: AC scans (Ss > 0) only; chroma DC scans stay.
            if progressive and ncomp == 3 and not rgb and ns == 1 and comps[0] != luma and ss > 0:
                dropped += k - i
            else:
                out += d[i:k]
            i = k
            continue
        out += d[i:i + 2 + seglen]
        i += 2 + seglen
    out += d[i:]
    return bytes(out), dropped


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    total = total_dropped = 0
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name), "rb") as f:
            d = f.read()
        o, dropped = strip(d)
        with open(os.path.join(dst, name), "wb") as f:
            f.write(o)
        total += len(d)
        total_dropped += dropped
        if dropped:
            print("%-48s %10d bytes, %9d dropped (%4.1f%%)" % (
                name, len(d), dropped, 100.0 * dropped / len(d)))
    print("total %d bytes, %d dropped (%.1f%%)" % (
        total, total_dropped, 100.0 * total_dropped / max(total, 1)))


if __name__ == "__main__":
    main()
