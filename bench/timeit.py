#!/usr/bin/python3
"""Time several commands against each other, interleaved.

    /usr/bin/python3 bench/timeit.py [--runs N] [--warmup N] [--ok-exit 0,1]
                                     --out FILE.json SPEC

SPEC is a file of lines `name<TAB>command[<TAB>prepare]` (each command is split
with shell rules and run without a shell, standard output and error to
/dev/null). `prepare`, when given, runs before every run of its command and
is not timed (e.g. removing the report folder the previous run left).
--ok-exit lists the exit statuses that count as success (default 0).
Each round runs every command once, in an order rotated from round to round,
so a burst of load from elsewhere on the machine lands on all commands alike
rather than on whichever hyperfine happened to be running. For each run it
records wall time, the command's user and system CPU time, and the CPU time
the rest of the machine used meanwhile ("foreign", from /proc/stat), which
says whether a run was disturbed.

The JSON written has hyperfine's shape (results[].command, mean, stddev,
median, min, max, times) plus user, system and foreign lists.
"""
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time

CLK = os.sysconf("SC_CLK_TCK")


def busy_seconds():
    """Machine-wide busy CPU seconds so far (all CPUs)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    v = [int(x) for x in fields]
    # user nice system idle iowait irq softirq steal ...
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / CLK


def run_once(argv):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    b0 = busy_seconds()
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = time.perf_counter()
    b1 = busy_seconds()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    user = r1.ru_utime - r0.ru_utime
    system = r1.ru_stime - r0.ru_stime
    foreign = max(0.0, (b1 - b0) - user - system)
    return p.returncode, t1 - t0, user, system, foreign


def main():
    args = sys.argv[1:]
    runs, warmup, out, ok_exit = 5, 1, None, {0}
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--runs":
            runs = int(args.pop(0))
        elif opt == "--warmup":
            warmup = int(args.pop(0))
        elif opt == "--out":
            out = args.pop(0)
        elif opt == "--ok-exit":
            ok_exit = {int(x) for x in args.pop(0).split(",")}
        else:
            sys.exit(f"timeit.py: unknown option {opt}")
    if len(args) != 1 or not out:
        sys.exit(__doc__)
    cmds = []
    with open(args[0]) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, cmd, *prep = line.split("\t")
            cmds.append((name, shlex.split(cmd), shlex.split(prep[0]) if prep else None))
    res = {name: {"command": name, "argv": argv, "times": [], "user": [],
                  "system": [], "foreign": [], "exit_codes": []}
           for name, argv, _ in cmds}
    order = list(range(len(cmds)))
    for rnd in range(warmup + runs):
        k = rnd % len(order)
        for i in order[k:] + order[:k]:
            name, argv, prep = cmds[i]
            if prep:
                subprocess.run(prep, stdout=subprocess.DEVNULL, check=True)
            rc, wall, user, system, foreign = run_once(argv)
            if rc not in ok_exit:
                print(f"timeit.py: {name} exited {rc}: {shlex.join(argv)}", file=sys.stderr)
                sys.exit(1)
            if rnd >= warmup:
                r = res[name]
                r["times"].append(wall)
                r["user"].append(user)
                r["system"].append(system)
                r["foreign"].append(foreign)
                r["exit_codes"].append(rc)
    results = []
    for name, _, _ in cmds:
        r = res[name]
        t = r["times"]
        r["mean"] = statistics.mean(t)
        r["stddev"] = statistics.stdev(t) if len(t) > 1 else 0.0
        r["median"] = statistics.median(t)
        r["min"] = min(t)
        r["max"] = max(t)
        results.append(r)
        print(f"  {name:<22} median {r['median']:8.3f} s  min {r['min']:8.3f}  "
              f"mean {r['mean']:8.3f} ± {r['stddev']:.3f}  "
              f"(foreign CPU {statistics.median(r['foreign']):.2f} s/run)", file=sys.stderr)
    with open(out, "w") as f:
        json.dump({"results": results, "runs": runs, "warmup": warmup}, f, indent=1)


if __name__ == "__main__":
    main()
