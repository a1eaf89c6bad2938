#!/usr/bin/env python3
"""Symbolic engine benchmark (std-lib only): BMC depth timings beside the explicit
engine and SPIN.

For every iommufd model (specs/iommufd/models.txt) and for the generated scaling family
(bench/gen.py: refcount, teardown, each with its buggy variants) it measures:
  * explicit: time to the verdict (first violation, or the whole state space), and the
    length of the shortest counterexample;
  * bmc: seconds until depth 5, 10, 20 and 40 were checked (`--stats` depth-seconds),
    and the time to the counterexample when BMC reaches it within the budget;
  * induction (family only): proved at which k, or not;
  * SPIN (family only, the models have Promela twins): pan's time to its verdict;
  * with --compare-reduction: the depth BMC reaches within the budget without and with
    its partial-order reduction (--reduction);
  * with --compare-merge: BMC with statement merging (--merge): the time to the
    counterexample, its depth in merged steps and its length in statements, or the depth
    reached within the budget.
Usage:
  python3 bench/symbolic.py [--budget S] [--quick] [--only iommufd|family] [--compare-reduction]
                            [--compare-merge] [--write]
--write stores the table in bench/symbolic-results.md. Scratch goes to bench/work/.
"""

import argparse
import datetime
import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import gen  # noqa: E402
from bench import lifecheck_path, sh  # noqa: E402

DEPTHS = (5, 10, 20, 40)


def lifecheck(exe, model, extra, budget):
    rc, out, err, wall = sh([exe, "check", "--format", "json", "--stats", *extra, model], ROOT, budget + 60)
    if rc is None or rc == 2:
        return {"failed": (err or "timeout").strip()[:200], "wall": wall}
    m = json.loads(out)["models"][0]
    r = {"rc": rc, "wall": wall, "seconds": m["stats"].get("seconds"),
         "depth": m["stats"]["depth"], "depth_seconds": m["stats"].get("depth_seconds", []),
         "result": m["result"], "limit": m["limit"], "note": m.get("note")}
    cx = m.get("counterexamples") or []
    if cx:
        steps = cx[0].get("trace", {}).get("steps", [])
        init = 1 if steps and steps[0]["thread"] == "init" else 0
        r["cex_steps"] = len(steps) - init
        r["cex_property"] = cx[0]["property"]
    return r


def spin(pml, workdir, budget):
    d = os.path.join(workdir, os.path.splitext(os.path.basename(pml))[0] + "_sym")
    os.makedirs(d, exist_ok=True)
    src = os.path.join(d, os.path.basename(pml))
    with open(pml) as f, open(src, "w") as g:
        g.write(f.read())
    rc, _o, err, _t = sh(["spin", "-a", os.path.basename(pml)], d, 120)
    if rc != 0:
        return {"failed": "spin -a: " + err.strip()[:100]}
    rc, _o, err, _t = sh(["gcc", "-O2", "-DSAFETY", "-o", "pan", "pan.c"], d, 300)
    if rc != 0:
        return {"failed": "gcc: " + err.strip()[:100]}
    rc, out, _e, wall = sh(["./pan", "-m100000"], d, budget)
    if rc is None:
        return {"failed": "timeout", "wall": wall}
    errors = 0
    for line in out.splitlines():
        if "errors:" in line:
            errors = int(line.split("errors:")[1].split()[0])
    return {"wall": wall, "errors": errors}


def at_depth(r, d):
    ds = r.get("depth_seconds") or []
    return ds[d] if d < len(ds) else None


def induction_cell(i):
    """'k = K' (proved by k-induction), 'complete (D)' (no simple path longer than D: every
    state seen), 'violated', 'not proved' or 'fail'."""
    if "failed" in i:
        return "fail"
    note = i.get("note") or ""
    if "k-induction at" in note:
        return note.replace("proved by k-induction at ", "")
    if i.get("result") == "holds" and "every reachable state is within depth" in note:
        return "complete (" + note.split("within depth ")[1].split()[0] + ")"
    return "violated" if i.get("result") == "violated" else "not proved"


def reached(r):
    """Deepest depth checked: 'D' (budget out), 'cex D' (violation there), 'fail'."""
    if "failed" in r:
        return "fail"
    d = max(len(r.get("depth_seconds") or []) - 1, 0)
    return f"cex {r['cex_steps']}" if "cex_steps" in r else str(d)


def fmt(v, nd=2):
    return "-" if v is None else f"{v:.{nd}f}"


def bmc_cells(b):
    if "failed" in b:
        return ["fail"] * (len(DEPTHS) + 1)
    cells = [fmt(at_depth(b, d)) for d in DEPTHS]
    if "cex_steps" in b:
        cex = f"{b['seconds']:.2f} ({b['cex_steps']})"
    else:
        reached = len(b.get("depth_seconds") or []) - 1
        cex = "proved" if b["result"] == "holds" else f"none <= {max(reached, 0)}"
    return cells + [cex]


def merge_cell(m):
    if "failed" in m:
        return "fail"
    if "cex_steps" in m:
        return f"{m['seconds']:.2f} ({m['depth']}, {m['cex_steps']})"
    return "proved" if m["result"] == "holds" else f"none <= {reached(m)}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=float, default=120.0, help="seconds per BMC run")
    ap.add_argument("--quick", action="store_true", help="family only, small sizes")
    ap.add_argument("--only", choices=("iommufd", "family"), help="one part of the table")
    ap.add_argument("--compare-reduction", action="store_true",
                    help="also run BMC with --reduction: depth reached within the budget, both ways")
    ap.add_argument("--compare-merge", action="store_true",
                    help="also run BMC with --merge: time to the counterexample, in merged steps")
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args(argv)
    exe = lifecheck_path()
    if not exe:
        print("symbolic.py: lifecheck not built (set $LIFECHECK or build build/lifecheck)", file=sys.stderr)
        return 2
    work = os.path.join(HERE, "work")
    os.makedirs(work, exist_ok=True)
    rows = []
    head = ("| model | explicit s | cex steps | " + " | ".join(f"bmc d{d} s" for d in DEPTHS) +
            " | bmc cex s (steps) | induction | spin s |" +
            (" bmc depth (no reduction -> reduction) |" if a.compare_reduction else "") +
            (" bmc --merge cex s (depth, steps) |" if a.compare_merge else ""))
    rows.append(head)
    rows.append("|" + "---|" * (head.count("|") - 1))

    models = []
    if not a.quick and a.only != "family":
        with open(os.path.join(ROOT, "specs", "iommufd", "models.txt")) as f:
            for line in f:
                line = line.split("#")[0].strip()
                if line:
                    models.append((os.path.join(ROOT, line), None))
    sizes = {"refcount": (2, 3, 4) if a.quick else (2, 4, 8),
             "teardown": (2, 3) if a.quick else (2, 3, 4)}
    for fam, ns in (sizes.items() if a.only != "iommufd" else ()):
        for n in ns:
            for variant in gen.VARIANTS[fam]:
                paths = gen.generate(fam, n, variant, work)
                lc = [p for p in paths if p.endswith(".lc")][0]
                pml = [p for p in paths if p.endswith(".pml")][0]
                models.append((lc, pml))

    # counter N: three threads bump a shared counter up to N, forever. Explicit search
    # enumerates every value; 'x <= N' is 1-inductive whatever N is.
    for n in (() if a.only == "iommufd" else (10, 1000) if a.quick else (10, 1000, 100000, 1000000)):
        path = os.path.join(work, f"counter_{n}.lc")
        with open(path, "w") as f:
            f.write(f"// generated by bench/symbolic.py: three threads bump a bounded counter forever\n"
                    f"model counter_{n} \"a bounded shared counter\";\n"
                    f"int<0..{n}> x = 0;\n"
                    f"thread t[3] {{ while (true) {{ atomic {{ if (x < {n}) {{ x = x + 1; }} }} }} }}\n"
                    f"invariant bounded: x <= {n};\n")
        models.append((path, "induction-only"))

    for lc, pml in models:
        name = os.path.splitext(os.path.basename(lc))[0]
        ex = lifecheck(exe, lc, [], a.budget)
        b = lifecheck(exe, lc, ["--engine", "bmc", "--depth", "40", "--timeout", str(a.budget)], a.budget)
        ind = "-"
        sp = "-"
        if pml:
            i = lifecheck(exe, lc, ["--engine", "induction", "--depth", "40", "--timeout", str(a.budget)], a.budget)
            note = i.get("note") or ""
            ind = induction_cell(i)
            if pml != "induction-only":
                s = spin(pml, work, a.budget)
                sp = s.get("failed") or f"{s['wall']:.2f}" + (" (error)" if s["errors"] else "")
        ex_s = "fail" if "failed" in ex else fmt(ex["seconds"], 3)
        ex_c = str(ex.get("cex_steps", "holds" if ex.get("result") == "holds" else "-"))
        cmp = ""
        if a.compare_reduction:
            rd = lifecheck(exe, lc, ["--engine", "bmc", "--depth", "40", "--timeout", str(a.budget), "--reduction"],
                           a.budget)
            cmp = f" {reached(b)} -> {reached(rd)} |"
        if a.compare_merge:
            mg = lifecheck(exe, lc, ["--engine", "bmc", "--depth", "80", "--timeout", str(a.budget), "--merge"], a.budget)
            cmp += f" {merge_cell(mg)} |"
        rows.append(f"| {name} | {ex_s} | {ex_c} | " + " | ".join(bmc_cells(b)) + f" | {ind} | {sp} |" + cmp)
        print(rows[-1], flush=True)

    table = "\n".join(rows)
    if a.write:
        env = (f"{datetime.date.today()} on {platform.machine()}, {os.cpu_count()} CPUs, "
               f"BMC budget {a.budget:g} s per run")
        name = "symbolic-results.md" if not a.only else f"symbolic-results-{a.only}.md"
        with open(os.path.join(HERE, name), "w") as f:
            f.write("# Symbolic engine: BMC depth timings\n\n"
                    "Generated by `python3 bench/symbolic.py --budget " + f"{a.budget:g}" +
                    (" --compare-reduction" if a.compare_reduction else "") +
                    (" --compare-merge" if a.compare_merge else "") + " --write` (" + env + ").\n"
                    "`bmc dN s`: seconds until depth N was checked (`-`: not reached within the budget,\n"
                    "or the run stopped earlier at a counterexample or a proof). `bmc cex s (steps)`: time\n"
                    "to the counterexample and its length; `none <= D`: no violation up to depth D.\n"
                    "`explicit s`: time to the first violation or to the end of the state space.\n"
                    "`induction`: `k = K` proved by k-induction; `complete (D)`: no simple path is\n"
                    "longer than D, so every reachable state was checked; `not proved` within the budget.\n" +
                    ("`bmc depth (no reduction -> reduction)`: deepest depth checked within the budget\n"
                     "(`cex D`: the counterexample found there) without and with `--reduction`.\n"
                     if a.compare_reduction else "") +
                    ("`bmc --merge cex s (depth, steps)`: BMC with statement merging: seconds to the\n"
                     "counterexample, its depth in merged steps and its length in statements (`none <= D`:\n"
                     "no violation up to D merged steps within the budget).\n"
                     if a.compare_merge else "") + "\n" +
                    table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
