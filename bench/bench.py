#!/usr/bin/env python3
"""lifecheck vs SPIN benchmark driver (called by bench/run.sh; std-lib only).

For every family and size: generate the .lc/.pml pair (bench/gen.py), run
`spin -a`, compile pan twice (-DNOREDUCE and with partial-order reduction),
run both, run lifecheck --stats, and print one markdown table.
See bench/README.md for what the columns mean.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import gen  # noqa: E402

MB = 1048576.0  # pan prints "Megabytes" as memcnt / 1048576.

# the brief asked for N = 2..6 (refcount 7); the larger sizes are added because
# below ~100k states pan finishes within one or two ticks of its 10 ms clock
SIZES = {"refcount": list(range(2, 12)), "teardown": list(range(2, 9))}
QUICK_SIZES = {"refcount": list(range(2, 8)), "teardown": list(range(2, 7))}
BIG_SIZES = {"refcount": list(range(2, 13)), "teardown": list(range(2, 10))}

# (tool name, extra gcc flags)
SPIN_TOOLS = (("spin-noreduce", ["-DNOREDUCE"]), ("spin-por", []))
# below this pan elapsed time (pan's clock has 10 ms ticks) throughput is not shown
MIN_TIME = 0.05
# pan allocates state memory in chunks (0.29 MB at least): its bytes/state is only
# comparable from about this many stored states on; below it no B/state ratio
MIN_STATES_FOR_BYTES = 100000


def sh(cmd, cwd, timeout):
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr, time.perf_counter() - t0
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return None, out, "timeout", time.perf_counter() - t0


# ------------------------------------------------------------------ SPIN
def fnum(rx, text, conv=float, default=None):
    m = re.search(rx, text, re.M)
    return conv(m.group(1)) if m else default


def parse_pan(out):
    r = {
        "state_vector": fnum(r"State-vector (\d+) byte", out, int),
        "depth": fnum(r"depth reached (\d+)", out, int),
        "errors": fnum(r"errors: (\d+)", out, int),
        "states": fnum(r"^\s*(\d+) states, stored", out, int),
        "matched": fnum(r"^\s*(\d+) states, matched", out, int),
        "transitions": fnum(r"^\s*(\d+) transitions \(= stored\+matched\)", out, int),
        "mem_states_mb": fnum(r"^\s*([\d.]+)\s+actual memory usage for states", out),
        "mem_hash_mb": fnum(r"^\s*([\d.]+)\s+memory used for hash table", out),
        "hash_w": fnum(r"memory used for hash table \(-w(\d+)\)", out, int),
        "mem_stack_mb": fnum(r"^\s*([\d.]+)\s+memory used for DFS stack", out),
        "mem_total_mb": fnum(r"^\s*([\d.]+)\s+total actual memory usage", out),
        "time": fnum(r"pan: elapsed time ([\d.eE+-]+) seconds", out),
    }
    warn = []
    for pat, msg in ((r"max search depth too small", "depth limit hit"),
                     (r"out of memory|-DMEMLIM bound", "memory limit hit"),
                     (r"assertion violated", "assertion violated"),
                     (r"pan:\d+: invalid end state", "invalid end state")):
        if re.search(pat, out):
            warn.append(msg)
    # the final-property check must be reachable in a correct model
    m = re.search(r"assertion violated (.*?) \(at depth", out)
    if m:
        warn[warn.index("assertion violated")] = "assertion violated " + m.group(1)
    m = re.search(r"unreached in proctype final_check\n\t(.*)\n", out)
    if m and not m.group(1).startswith("(0 of"):
        warn.append("final_check not fully reached: " + m.group(1).strip())
    r["warnings"] = warn
    st = r["states"]
    if st:
        if r["mem_states_mb"] is not None:
            r["bytes_per_state"] = r["mem_states_mb"] * MB / st
        if r["mem_total_mb"] is not None:
            r["total_bytes_per_state"] = r["mem_total_mb"] * MB / st
        if r["time"] and r["time"] >= MIN_TIME:
            r["states_per_s"] = st / r["time"]
    return r


def hash_w(predicted):
    """initial -w: about 2 slots per predicted state (pan grows it if needed)."""
    return max(18, min(30, math.ceil(math.log2(max(predicted, 1) * 2))))


def run_spin(pml, workdir, predicted, args):
    """returns {tool: result} for the two pan builds."""
    res = {}
    name = os.path.splitext(os.path.basename(pml))[0]
    d = os.path.join(workdir, name)
    os.makedirs(d, exist_ok=True)
    shutil.copy(pml, d)
    rc, out, err, _ = sh(["spin", "-a", os.path.basename(pml)], d, 120)
    if rc != 0:
        for tool, _f in SPIN_TOOLS:
            res[tool] = {"failed": "spin -a: " + (err or out).strip()[:200]}
        return res
    w = args.w if args.w else hash_w(predicted)
    for tool, flags in SPIN_TOOLS:
        exe = "pan_" + tool.split("-")[1]
        cc = ["gcc", "-O2", "-DSAFETY", *flags, f"-DMEMLIM={args.memlim}",
              "-o", exe, "pan.c"]
        rc, out, err, _ = sh(cc, d, 300)
        if rc != 0:
            res[tool] = {"failed": "gcc: " + err.strip()[:200]}
            continue
        best = None
        for _ in range(args.repeat):
            rc, out, err, wall = sh([f"./{exe}", f"-m{args.depth}", f"-w{w}"], d,
                                    args.timeout)
            if rc is None:
                break
            t = fnum(r"pan: elapsed time ([\d.eE+-]+) seconds", out)
            if best is None or (t is not None and t < best[0]):
                best = (t, rc, out, err, wall)
        if rc is not None:
            _t, rc, out, err, wall = best
        with open(os.path.join(d, exe + ".out"), "w") as f:
            f.write(out + err)
        if rc is None:
            res[tool] = {"failed": f"timeout after {args.timeout}s"}
            continue
        r = parse_pan(out)
        r["wall"] = wall
        r["cmd"] = " ".join(cc) + f" && ./{exe} -m{args.depth} -w{w}"
        res[tool] = r
    return res


# ------------------------------------------------------------------ lifecheck
STATS_RX = re.compile(r"^stats:(.*)$", re.M)


def parse_stats(out):
    m = STATS_RX.search(out)
    if not m:
        return None
    r = {}
    for kv in m.group(1).split():
        if "=" not in kv:
            continue
        k, v = kv.split("=", 1)
        v = v.rstrip("s") if k == "time" else v
        try:
            r[k] = float(v)
        except ValueError:
            r[k] = v
    out = {
        "states": int(r["states"]) if "states" in r else None,
        "transitions": int(r["transitions"]) if "transitions" in r else None,
        "depth": int(r["depth"]) if "depth" in r else None,
        "bytes_per_state": r.get("bytes/state"),
        "states_per_s": r.get("states/s"),
        "time": r.get("time"),
    }
    return out


def lifecheck_path():
    p = os.environ.get("LIFECHECK") or os.path.join(ROOT, "build", "lifecheck")
    return p if os.path.isfile(p) and os.access(p, os.X_OK) else None


def run_lifecheck(lc_exe, lc, args, expect_rc=0):
    best = None
    for _ in range(args.repeat):
        rc, out, err, wall = sh([lc_exe, "check", lc, "--stats"], os.getcwd(), args.timeout)
        if rc is None:
            return {"failed": f"timeout after {args.timeout}s"}
        st = parse_stats(out) or {}
        if best is None or (st.get("time") is not None
                            and (best[0].get("time") is None or st["time"] < best[0]["time"])):
            best = (st, rc, out, err, wall)
    st, rc, out, err, wall = best
    r = dict(st)
    r["rc"] = rc
    r["wall"] = wall
    r["warnings"] = []
    if rc != expect_rc:
        msg = (err.strip() or out.strip()).splitlines()
        r["warnings"].append(f"exit {rc} (expected {expect_rc})"
                             + (": " + " | ".join(msg[:3]) if msg else ""))
    if r.get("states") is None and rc == expect_rc:
        r["warnings"].append("no stats line")
    return r


# ------------------------------------------------------------------ table
def fmt_int(v):
    return "-" if v is None else f"{v:,}"


def fmt_f(v, nd=1):
    return "-" if v is None else f"{v:,.{nd}f}"


def fmt_time(v):
    if v is None:
        return "-"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


HEADER = ["family", "N", "tool", "states", "transitions", "depth", "time s",
          "states/s", "B/state", "B/state total", "SV B",
          "lc/nr states/s", "lc/nr B/state", "notes"]


def table_rows(results):
    rows = []
    for (fam, n), tools in results:
        nr = tools.get("spin-noreduce", {})
        for tool in ("lifecheck", "spin-noreduce", "spin-por"):
            r = tools.get(tool)
            if r is None:
                continue
            if r.get("not_built"):
                rows.append([fam, str(n), tool] + ["-"] * 10 + ["not built"])
                continue
            if r.get("failed"):
                rows.append([fam, str(n), tool] + ["-"] * 10 + ["FAILED: " + r["failed"]])
                continue
            notes = list(r.get("warnings", []))
            if tool != "lifecheck":
                if r.get("errors"):
                    notes.insert(0, f"errors: {r['errors']}")
                if r.get("hash_w"):
                    notes.append(f"-w{r['hash_w']}")
            rs = rb = ""
            if tool == "lifecheck":
                rs = ratio(r.get("states_per_s"), nr.get("states_per_s"))
                if (nr.get("states") or 0) >= MIN_STATES_FOR_BYTES:
                    rb = ratio(r.get("bytes_per_state"), nr.get("bytes_per_state"))
                else:
                    rb = "-"
            rows.append([
                fam, str(n), tool, fmt_int(r.get("states")),
                fmt_int(r.get("transitions")), fmt_int(r.get("depth")),
                fmt_time(r.get("time")),
                fmt_int(round(r["states_per_s"])) if r.get("states_per_s") else "-",
                fmt_f(r.get("bytes_per_state")),
                fmt_f(r.get("total_bytes_per_state")),
                fmt_int(r.get("state_vector")), rs, rb, "; ".join(notes)])
    return rows


def markdown(rows):
    widths = [max(len(HEADER[i]), *(len(r[i]) for r in rows)) if rows else len(HEADER[i])
              for i in range(len(HEADER))]
    right = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12}

    def line(cells):
        out = []
        for i, c in enumerate(cells):
            out.append(c.rjust(widths[i]) if i in right else c.ljust(widths[i]))
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2))
                         for i, w in enumerate(widths)) + "|"
    return "\n".join([line(HEADER), sep] + [line(r) for r in rows])


def environment():
    def first_line(cmd):
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=10)
            return p.stdout.strip().splitlines()[0]
        except Exception:
            return "?"
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    cpu = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "host": f"{platform.machine()}, {cpu}, {os.cpu_count()} cpus",
        "spin": first_line(["spin", "-V"]),
        "gcc": first_line(["gcc", "--version"]),
    }


# ------------------------------------------------------------------ main
def bench(args):
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    lc_exe = lifecheck_path()
    if lc_exe is None:
        print("lifecheck: not built (set $LIFECHECK or build build/lifecheck); "
              "running the SPIN columns only", flush=True)
    sizes = BIG_SIZES if args.big else QUICK_SIZES if args.quick else SIZES
    fams = [args.family] if args.family else list(gen.FAMILIES)
    results = []
    for fam in fams:
        ns = [n for n in sizes[fam] if args.max_n is None or n <= args.max_n]
        prev = {}
        for n in ns:
            lc, pml = gen.generate(fam, n, "ok", os.path.join(workdir, "models"))
            tools = {}
            if lc_exe:
                tools["lifecheck"] = run_lifecheck(lc_exe, lc, args)
            else:
                tools["lifecheck"] = {"not_built": True}
            # predict this size's state count from the last two sizes
            last = prev.get("last")
            growth = (last / prev["prev"]) if last and prev.get("prev") else 8
            predicted = (last or 1000) * max(growth, 2)
            tools.update(run_spin(pml, os.path.join(workdir, "pan"), predicted, args))
            st = tools.get("spin-noreduce", {}).get("states")
            if st:
                prev["prev"], prev["last"] = prev.get("last"), st
            results.append(((fam, n), tools))
            brief = ", ".join(
                f"{t}: {r.get('states', '-')} st {fmt_time(r.get('time'))}s"
                for t, r in tools.items() if not r.get("not_built") and not r.get("failed"))
            print(f"  {fam} N={n}: {brief}", file=sys.stderr, flush=True)
    rows = table_rows(results)
    env = environment()
    table = markdown(rows)
    print()
    print(table)
    bad = [r for r in rows if "FAILED" in r[-1] or "errors:" in r[-1]
           or "exit " in r[-1] or "not fully reached" in r[-1]]
    with open(os.path.join(workdir, "results.json"), "w") as f:
        json.dump({"env": env, "results": [
            {"family": fam, "n": n, "tools": tools} for (fam, n), tools in results]},
            f, indent=1)
    if args.write:
        write_md(table, env, args, lc_exe)
        print(f"\nwrote {os.path.relpath(os.path.join(HERE, 'results.md'))}")
    return 1 if bad else 0


def write_md(table, env, args, lc_exe):
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write("# lifecheck vs SPIN: results\n\n")
        f.write("Generated by `bash bench/run.sh --write`; see bench/README.md for "
                "what the columns mean and the caveats.\n\n")
        f.write(f"- date: {env['date']}\n- host: {env['host']}\n")
        f.write(f"- {env['spin']}; {env['gcc']}\n")
        f.write(f"- pan: `gcc -O2 -DSAFETY [-DNOREDUCE] -DMEMLIM={args.memlim}`, "
                f"run `./pan -m{args.depth} -w<W>` (W sized to the state count, "
                "pan grows it when needed; final W in notes)\n")
        f.write(f"- lifecheck: {lc_exe or 'not built'}; "
                f"fastest of {args.repeat} run(s) per search\n\n")
        f.write(table + "\n\n")
        f.write("B/state = pan's \"actual memory usage for states\" / states stored "
                "(stored state vectors + hash-chain overhead, no hash table, no DFS "
                "stack); B/state total = pan's \"total actual memory usage\" / states "
                "stored; for lifecheck B/state is its own `bytes/state`. "
                "SV B = pan's uncompressed State-vector size. "
                f"states/s is left out (-) when pan's elapsed time is below {MIN_TIME} s "
                "(pan's clock ticks every 10 ms). The lc/nr columns are "
                "lifecheck / spin-noreduce; the B/state ratio is left out below "
                f"{MIN_STATES_FOR_BYTES:,} SPIN states (pan's chunked allocation "
                "dominates there).\n")


def selftest(args):
    """ok models verify; every broken variant is reported by SPIN (and lifecheck)."""
    workdir = os.path.abspath(os.path.join(args.workdir, "selftest"))
    lc_exe = lifecheck_path()
    if lc_exe is None:
        print("lifecheck: not built (selftest checks the SPIN models only)")
    failures = 0
    for fam in gen.FAMILIES:
        for variant in gen.VARIANTS[fam]:
            for n in (2, 3):
                lc, pml = gen.generate(fam, n, variant, os.path.join(workdir, "models"))
                res = run_spin(pml, os.path.join(workdir, "pan"), 1000, args)
                want_err = variant != "ok"
                for tool, r in res.items():
                    errs = r.get("errors")
                    ok = (errs is not None) and ((errs > 0) == want_err)
                    what = "; ".join(r.get("warnings", [])) or r.get("failed", "")
                    print(f"{'ok  ' if ok else 'FAIL'} {gen.model_name(fam, n, variant):22} "
                          f"{tool:14} errors={errs} {what}")
                    failures += not ok
                if lc_exe:
                    r = run_lifecheck(lc_exe, lc, args, expect_rc=1 if want_err else 0)
                    ok = r.get("rc") == (1 if want_err else 0)
                    print(f"{'ok  ' if ok else 'FAIL'} {gen.model_name(fam, n, variant):22} "
                          f"{'lifecheck':14} exit={r.get('rc')} "
                          f"{'; '.join(r.get('warnings', [])) or r.get('failed', '')}")
                    failures += not ok
    print(f"selftest: {failures} failure(s)")
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="lifecheck vs SPIN benchmark")
    ap.add_argument("--write", action="store_true", help="also write bench/results.md")
    ap.add_argument("--selftest", action="store_true",
                    help="check that ok models verify and broken variants fail")
    ap.add_argument("--family", choices=gen.FAMILIES)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--big", action="store_true", help="also the larger sizes")
    ap.add_argument("--max-n", type=int)
    ap.add_argument("--w", type=int, help="fixed pan -w (default: sized per model)")
    ap.add_argument("--depth", type=int, default=100000, help="pan -m")
    ap.add_argument("--memlim", type=int, default=8000, help="-DMEMLIM (MB)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run every search K times, keep the fastest")
    ap.add_argument("--timeout", type=int, default=600, help="per run, seconds")
    ap.add_argument("--workdir", default=os.path.join(HERE, "work"))
    args = ap.parse_args(argv)
    for tool in ("spin", "gcc"):
        if shutil.which(tool) is None:
            print(f"bench: {tool} not found", file=sys.stderr)
            return 2
    return selftest(args) if args.selftest else bench(args)


if __name__ == "__main__":
    sys.exit(main())
