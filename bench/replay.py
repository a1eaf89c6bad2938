#!/usr/bin/env python3
"""Replay benchmark (issue 15): reading and replaying synthetic captures of core-6.12.lc.

Generates captures with bench/trace_synth.py from a real one (kprobes: every value the
model compares), then for each size measures, with /usr/bin/time (wall, peak RSS):
- reading alone (build/lc-read-trace: the replay's readers, nothing else) beside `wc -l`
  on the same file, the floor of any reader;
- `lifecheck replay` (events/s and peak memory), to show whether time is linear in the
  capture's length and memory flat.
Writes a markdown table to stdout (bench/replay-results.md keeps the last one).

usage: bench/replay.py [--sizes 100000,1000000] [--tasks 8] [--concurrent 2000,10000]
                       [--concurrent-tasks 2,4]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench import lifecheck_path  # noqa: E402

SOURCE = os.path.join(ROOT, "..", "shared", "traces", "iommufd-kprobe_small.trace.txt")
PROBES = os.path.join(ROOT, "..", "shared", "traces", "kprobes.txt")
MODEL = os.path.join(ROOT, "specs", "iommufd", "core-6.12.lc")


def timed(cmd, stdout=subprocess.DEVNULL):
    """(wall s, peak MB, exit code, stdout) of one run, as /usr/bin/time reads them."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf.name] + cmd,
                           stdout=subprocess.PIPE if stdout is None else stdout, stderr=subprocess.PIPE, text=True)
        wall, kb = tf.read().split()[-2:]
    return float(wall), int(kb) / 1024.0, p.returncode, p.stdout


def best_of(n, cmd):
    runs = [timed(cmd) for _ in range(n)]
    return min(runs, key=lambda r: r[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--tasks", type=int, default=8)
    ap.add_argument("--concurrent", default="2000,10000", help="sizes of the all-tasks-at-once captures ('' for none)")
    ap.add_argument("--concurrent-tasks", default="2,4", help="tasks of the all-at-once captures")
    ap.add_argument("--keep", help="folder for the generated captures (default: a temporary one)")
    a = ap.parse_args()
    lc = lifecheck_path()
    reader = os.path.join(os.path.dirname(lc), "lc-read-trace") if lc else None
    if not lc or not os.path.exists(reader):
        sys.exit("build lifecheck and lc-read-trace first (cmake --build build)")
    tmp = a.keep or tempfile.mkdtemp(prefix="lc-replay-bench-")
    cases = [(int(n), False, a.tasks) for n in a.sizes.split(",") if n]
    cases += [(int(n), True, int(k)) for k in a.concurrent_tasks.split(",") if k
              for n in a.concurrent.split(",") if n]
    print("| capture | events | wc -l | read | read ev/s | read peak MB | replay | replay ev/s | replay peak MB | states/obs | result |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, concurrent, tasks in cases:
        path = os.path.join(tmp, "synth-%d-%s-%d.txt" % (n, "conc" if concurrent else "seq", tasks))
        gen = [sys.executable, os.path.join(HERE, "trace_synth.py"), SOURCE, path, "--events", str(n),
               "--tasks", str(tasks)]
        if not concurrent:
            gen.append("--sequential")
        subprocess.run(gen, check=True)
        wc = best_of(3, ["wc", "-l", path])
        rd = best_of(3, [reader, path])
        wall, peak, rc, out = timed([lc, "replay", MODEL, path, "--probes", PROBES, "--format", "json"], stdout=None)
        j = json.loads(out)["replays"][0] if out else {}
        obs = max(1, j.get("observations", 1))
        print("| %s, %d tasks | %d | %.2f s | %.2f s | %.2fM | %.0f | %.1f s | %.0f | %.0f | %.1f | %s (%s) |" % (
            "all at once" if concurrent else "one after another", tasks, n,
            wc[0], rd[0], n / max(rd[0], 0.01) / 1e6, rd[1], wall, j.get("matched", 0) / wall, peak,
            j.get("states", 0) / obs, j.get("result", "exit %d" % rc), j.get("search", {}).get("tier", "-")))
        sys.stdout.flush()
        if not a.keep:
            os.remove(path)


if __name__ == "__main__":
    main()
