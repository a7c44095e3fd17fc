#!/usr/bin/python3
"""Generate the mixed file tree the digest benchmark hashes.

    /usr/bin/python3 bench/gentree.py DIR [SCALE]

Random (incompressible, deterministic: fixed seed) content, in three kinds:
  small   2000 files of 1-64 KiB in 20 folders (per-file overhead dominates)
  medium    40 files of 1-10 MiB
  large      2 files of 128 and 192 MiB (pure streaming throughput)
About 600 MB in all at SCALE 1 (SCALE scales the counts and large sizes).
Prints the total size in bytes. Does nothing if DIR already holds exactly
this tree (a parameter stamp sits beside DIR, not in it).
"""
import os
import random
import shutil
import sys

KIB, MIB = 1024, 1024 * 1024


def plan(scale):
    rng = random.Random(20240611)
    files = []
    for i in range(int(2000 * scale)):
        files.append((f"small/{i % 20:02d}/s{i:05d}.bin", rng.randint(1 * KIB, 64 * KIB)))
    for i in range(max(1, int(40 * scale))):
        files.append((f"medium/m{i:03d}.bin", rng.randint(1 * MIB, 10 * MIB)))
    files.append(("large/l0.bin", int(128 * MIB * scale)))
    files.append(("large/l1.bin", int(192 * MIB * scale)))
    return files


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = sys.argv[1].rstrip("/")
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    files = plan(scale)
    total = sum(n for _, n in files)
    stamp_path = root + ".stamp"
    stamp = f"gentree v1 scale={scale} files={len(files)} bytes={total}\n"
    if os.path.isdir(root) and os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        print(total)
        return
    shutil.rmtree(root, ignore_errors=True)
    data = random.Random(7)
    for rel, size in files:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, 16 * MIB)
                f.write(data.randbytes(n))
                left -= n
    with open(stamp_path, "w") as f:
        f.write(stamp)
    print(total)


if __name__ == "__main__":
    main()
