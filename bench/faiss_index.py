#!/usr/bin/python3
"""FAISS yardstick for bench_index: same hashes, same queries, same radius.

    /usr/bin/python3 bench/faiss_index.py PREFIX [--radius 31]

Reads what `bench_index --dump PREFIX` wrote (PREFIX.db: N x 32 bytes,
PREFIX.q: Q x 32 bytes, PREFIX.truth: per query a u32 count then that many
u64 ids from ward's brute-force scan), builds faiss.IndexBinaryMultiHash(256,
16, 16) -- 16 hash tables on 16-bit chunks -- and runs range_search one
query at a time on one thread.

Two settings make the comparison exact rather than approximate:
  - nflip = 1. With 16 chunks, a hash within 31 bits of the query has some
    chunk within 1 bit of the query's (pigeonhole: 16 chunks x 2 bits > 31),
    so each table must be probed at the query's value and its 16 one-bit
    neighbours. The default nflip = 0 finds only hashes with an identical
    chunk, i.e. it is exact up to radius 15 only.
  - radius + 1. FAISS's binary range search keeps distances strictly below
    the radius it is given (IndexBinaryHash.cpp: `if (dis < radius)`);
    ward's radius is inclusive, so "<= 31" is FAISS's "< 32".

Latency is measured around each range_search call, so it includes the
Python-to-C++ call; that overhead is measured on an empty index and printed
separately (call_overhead_us) so it can be subtracted.
"""
import argparse
import resource
import sys
import time

import faiss
import numpy as np


def load(prefix):
    db = np.fromfile(prefix + ".db", dtype=np.uint8).reshape(-1, 32)
    q = np.fromfile(prefix + ".q", dtype=np.uint8).reshape(-1, 32)
    raw = open(prefix + ".truth", "rb").read()
    truth, at = [], 0
    for _ in range(len(q)):
        (count,) = np.frombuffer(raw, dtype="<u4", count=1, offset=at)
        at += 4
        truth.append(set(np.frombuffer(raw, dtype="<u8", count=int(count), offset=at).tolist()))
        at += 8 * int(count)
    if at != len(raw):
        sys.exit("faiss_index.py: %s.truth does not match %s.q" % (prefix, prefix))
    return db, q, truth


def percentile(sorted_us, p):
    return sorted_us[min(len(sorted_us) - 1, (len(sorted_us) * p) // 100)]


def timed_queries(index, q, radius):
    """Per-query latency (us) and result id sets."""
    us, found = [], []
    for i in range(len(q)):
        t0 = time.perf_counter_ns()
        lims, _, ids = index.range_search(q[i:i + 1], radius + 1)
        us.append((time.perf_counter_ns() - t0) / 1e3)
        found.append(set(ids[lims[0]:lims[1]].tolist()))
    return us, found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("--radius", type=int, default=31)
    args = ap.parse_args()
    faiss.omp_set_num_threads(1)
    db, q, truth = load(args.prefix)

    index = faiss.IndexBinaryMultiHash(256, 16, 16)
    index.nflip = 1
    t0 = time.perf_counter()
    index.add(db)
    build_s = time.perf_counter() - t0

    empty = faiss.IndexBinaryMultiHash(256, 16, 16)
    overhead, _ = timed_queries(empty, q[:200], args.radius)
    us, found = timed_queries(index, q, args.radius)

    hits = sum(len(f & t) for f, t in zip(found, truth))
    want = sum(len(t) for t in truth)
    extra = sum(len(f - t) for f, t in zip(found, truth))
    exact = sum(f == t for f, t in zip(found, truth))
    s = sorted(us)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("faiss: n=%d build_s=%.2f peak_rss_mb=%.0f (IndexBinaryMultiHash(256,16,16) nflip=1)"
          % (len(db), build_s, rss_mb))
    print("faiss: query calls=%d radius=%d p50_us=%.1f p99_us=%.1f mean_us=%.1f matches=%d "
          "call_overhead_us=%.1f" % (len(q), args.radius, percentile(s, 50), percentile(s, 99),
                                     sum(us) / len(us), sum(len(f) for f in found),
                                     percentile(sorted(overhead), 50)))
    print("faiss: recall=%.6f (%d/%d) extra=%d exact_queries=%d/%d vs ward brute force"
          % (hits / want if want else 1.0, hits, want, extra, exact, len(q)))


if __name__ == "__main__":
    main()
