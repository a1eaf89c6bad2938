#!/usr/bin/env python3
"""Generate equivalent lifecheck (.lc) and SPIN/Promela (.pml) benchmark models.

Usage:
    python3 bench/gen.py --family refcount --n 3 --out bench/work
    python3 bench/gen.py --family teardown --n 4 --out bench/work --variant no_wait
    python3 bench/gen.py --all --out bench/work          # every family, N = 2..6

Each call writes OUT/<family>_<N>[_<variant>].lc and .pml.

Families
--------
refcount  N worker threads; each takes the global mutex, obj->users++, unlocks,
          then takes the mutex again, obj->users--, unlocks.  Final property:
          users is back at its start value (1).  No violation.
teardown  iommufd-like teardown of one object `idev` (users, wait_cnt).  N user
          threads look the object up under xa_lock (refcount_inc_not_zero on
          wait_cnt, plus users++), unlock, then put (users--, wait_cnt--).  One
          destroyer drops its wait bias, waits for wait_cnt == 0, then under
          xa_lock checks users == 1, sets `removed` and frees the object.
          Final property: removed, freed, users == 1, wait_cnt == 0.  No violation.

Variants (deliberately broken, used by `run.sh --selftest` to show that the
properties are real; every one of them must be reported by both tools):
refcount  racy       the put is done without the mutex and as a split
                     load/store (t = users; users = t - 1): lost update,
                     final property violated.
teardown  put_order  the put drops wait_cnt before users: the destroyer can
                     see users == 2, skips the removal, final violated.
          no_wait    the destroyer does not wait for wait_cnt == 0 (and frees
                     regardless of users): a user's put touches the freed
                     object (lifecheck: use_after_free; Promela: assert(!freed)).

How the two versions of a model correspond (step structure)
-----------------------------------------------------------
Both languages make every statement one atomic step, so each lifecheck
statement maps to one Promela statement:
  lock(m)                 atomic { owner == 0 -> owner = _pid+1 }   (owner: byte, 0 = free)
  unlock(m)               owner = 0
  p->f = e                f = e       (one object, so its fields are plain globals)
  if (c) {..}             if :: c -> .. :: else fi   (the condition is one step in both)
  atomic {..}             d_step {..}
  wait(c)                 c           (a blocking guard)
  free(p) / alive(p)      freed = true / !freed
  final P                 a process declared first (pid 0) that waits for
                          _nr_pr == 1 (all other processes have terminated)
                          and then assert(P).
Known differences (they change the number of states, not the per-state work):
  * lifecheck runs `init { o = new obj; }` as one step from an initial state
    in which nothing is allocated; Promela initialises the globals statically.
  * SPIN keeps a terminated process in the state vector until every process
    with a higher pid has terminated ("dies" in LIFO order); each death is a
    transition to a new state.  Lifecheck has just a `finished` pc.
  * The Promela final-check process adds one process (and its pc) to the
    state vector and one transition after the last worker has died.
  * lifecheck checks every field access for use_after_free, every store for
    range, every lock operation for lock_misuse and the lock order graph;
    the Promela models assert only what can fail in these models:
    assert(!freed) on the user's put (the only access another thread's free
    can precede; the destroyer's own accesses all precede its free) and
    the final properties.  SPIN's "invalid end state" check corresponds to
    lifecheck's deadlock check.  Promela bytes wrap silently where lifecheck
    would report `range`; the ranges are chosen so that no store can leave them.
  * Integer types: lifecheck fields use int<0..N+1> (all values fit), Promela
    uses byte.  The per-thread `got` flag is a global bool array in both.
"""

import argparse
import os
import sys

FAMILIES = ("refcount", "teardown")
VARIANTS = {
    "refcount": ("ok", "racy"),
    "teardown": ("ok", "put_order", "no_wait"),
}
DEFAULT_SIZES = {"refcount": range(2, 8), "teardown": range(2, 7)}


def model_name(family, n, variant):
    return f"{family}_{n}" + ("" if variant == "ok" else f"_{variant}")


# ---------------------------------------------------------------- refcount
def refcount_lc(n, variant):
    name = model_name("refcount", n, variant)
    top = n + 1
    if variant == "racy":
        put = (
            "  int t = 0;                       // racy put: no mutex, split load/store\n"
            "  t = o->users;\n"
            "  o->users = t - 1;\n"
        )
    else:
        put = (
            "  lock(m);\n"
            "  o->users = o->users - 1;\n"
            "  unlock(m);\n"
        )
    expect = "expect users_back violated;\n" if variant == "racy" else ""
    return f"""// generated by bench/gen.py -- family refcount, N={n}, variant {variant}
model {name} "{n} threads get/put obj->users under a mutex";

object obj max 1 {{
  int<0..{top}> users = 1;           // the creator's reference
}}

mutex m;
obj* o = null;

init {{ o = new obj; }}

thread worker[{n}] {{
  lock(m);
  o->users = o->users + 1;
  unlock(m);
{put}}}

final users_back: forall x: obj . x->users == 1;
{expect}"""


def refcount_pml(n, variant):
    name = model_name("refcount", n, variant)
    if variant == "racy":
        put = (
            "\tt = users;\t\t\t\t/* racy put: no mutex, split load/store */\n"
            "\tusers = t - 1\n"
        )
        local = "\tbyte t = 0;\n"
    else:
        put = (
            "\tatomic { owner == 0 -> owner = _pid + 1 };\t/* lock(m) */\n"
            "\tusers = users - 1;\n"
            "\towner = 0\t\t\t\t/* unlock(m) */\n"
        )
        local = ""
    return f"""/* generated by bench/gen.py -- family refcount, N={n}, variant {variant} ({name})
 * Equivalent of {name}.lc; see bench/gen.py for how the two correspond. */
#define N {n}

byte owner = 0;		/* mutex m: 0 = free, else holder's _pid + 1 */
byte users = 1;		/* obj->users, the creator's reference */

/* final users_back: checked once every worker has terminated.
 * Declared first (pid 0) so that the workers (pids 1..N) can die before it. */
active proctype final_check()
{{
	(_nr_pr == 1) -> assert(users == 1)
}}

active [N] proctype worker()
{{
{local}	atomic {{ owner == 0 -> owner = _pid + 1 }};	/* lock(m) */
	users = users + 1;
	owner = 0;				/* unlock(m) */
{put}}}
"""


# ---------------------------------------------------------------- teardown
def teardown_lc(n, variant):
    name = model_name("teardown", n, variant)
    top = n + 1
    if variant == "put_order":
        put = (
            "    xa->wait_cnt = xa->wait_cnt - 1;   // BROKEN: wait_cnt dropped before users\n"
            "    xa->users = xa->users - 1;\n"
        )
    else:
        put = (
            "    xa->users = xa->users - 1;\n"
            "    xa->wait_cnt = xa->wait_cnt - 1;\n"
        )
    if variant == "no_wait":
        wait = "  skip;                              // BROKEN: no wait for wait_cnt == 0\n"
        check = "  if (true) {                        // BROKEN: frees whatever users is\n"
    else:
        wait = "  wait(xa->wait_cnt == 0);\n"
        check = "  if (xa->users == 1) {\n"
    expect = ""
    if variant == "put_order":
        expect = "expect torn_down violated;\n"
    elif variant == "no_wait":
        expect = "expect use_after_free violated;\n"
    return f"""// generated by bench/gen.py -- family teardown, N={n}, variant {variant}
model {name} "iommufd-like teardown: {n} users look up/put idev, one destroyer waits and frees";

object idev max 1 {{
  int<0..{top}> users = 1;           // the xarray's reference
  int<0..{top}> wait_cnt = 1;        // the destroyer's wait bias
}}

spinlock xa_lock;
idev* xa = null;                    // the xarray slot
bool removed = false;
bool got[{n}];                        // user `self` holds a reference

init {{ xa = new idev; }}

thread user[{n}] {{
  lock(xa_lock);
  atomic {{                           // lookup: refcount_inc_not_zero(&wait_cnt), users++
    if (alive(xa) && xa->wait_cnt > 0) {{
      xa->users = xa->users + 1;
      xa->wait_cnt = xa->wait_cnt + 1;
      got[self] = true;
    }}
  }}
  unlock(xa_lock);
  if (got[self]) {{                    // put
{put}  }}
}}

thread destroyer {{
  xa->wait_cnt = xa->wait_cnt - 1;   // drop the wait bias
{wait}  lock(xa_lock);
{check}    removed = true;
    free(xa);
  }}
  unlock(xa_lock);
}}

final torn_down: forall d: idev . removed && !alive(d) && d->users == 1 && d->wait_cnt == 0;
{expect}"""


def teardown_pml(n, variant):
    name = model_name("teardown", n, variant)
    if variant == "put_order":
        put = (
            "\t\td_step { assert(!freed); wait_cnt = wait_cnt - 1 };\t/* BROKEN: before users */\n"
            "\t\td_step { assert(!freed); users = users - 1 }\n"
        )
    else:
        put = (
            "\t\td_step { assert(!freed); users = users - 1 };\n"
            "\t\td_step { assert(!freed); wait_cnt = wait_cnt - 1 }\n"
        )
    if variant == "no_wait":
        wait = "\tskip;\t\t\t\t\t/* BROKEN: no wait for wait_cnt == 0 */\n"
        check = "\t:: (true) ->\t\t\t\t/* BROKEN: frees whatever users is */\n"
    else:
        wait = "\t(wait_cnt == 0);\t\t\t/* wait(xa->wait_cnt == 0) */\n"
        check = "\t:: (users == 1) ->\n"
    return f"""/* generated by bench/gen.py -- family teardown, N={n}, variant {variant} ({name})
 * Equivalent of {name}.lc; see bench/gen.py for how the two correspond.
 * The single idev object's fields are plain globals; `freed` stands for !alive(xa). */
#define N {n}

byte owner = 0;		/* spinlock xa_lock: 0 = free, else holder's _pid + 1 */
byte users = 1;		/* idev->users, the xarray's reference */
byte wait_cnt = 1;	/* idev->wait_cnt, the destroyer's wait bias */
bool freed = false;
bool removed = false;
bool got[N];		/* user i holds a reference */

/* final torn_down: checked once every other process has terminated.
 * Declared first (pid 0) so that the others can die before it. */
active proctype final_check()
{{
	(_nr_pr == 1) -> assert(removed && freed && users == 1 && wait_cnt == 0)
}}

/* users: pids 1..N, got[] index _pid - 1 */
active [N] proctype user()
{{
	atomic {{ owner == 0 -> owner = _pid + 1 }};	/* lock(xa_lock) */
	d_step {{	/* lookup: refcount_inc_not_zero(&wait_cnt), users++ */
		if
		:: (!freed && wait_cnt > 0) ->
			users = users + 1;
			wait_cnt = wait_cnt + 1;
			got[_pid - 1] = true
		:: else -> skip
		fi
	}};
	owner = 0;				/* unlock(xa_lock) */
	if
	:: got[_pid - 1] ->			/* put */
{put}	:: else
	fi
}}

active proctype destroyer()
{{
	wait_cnt = wait_cnt - 1;		/* drop the wait bias */
{wait}	atomic {{ owner == 0 -> owner = _pid + 1 }};	/* lock(xa_lock) */
	if
{check}		removed = true;
		freed = true			/* free(xa) */
	:: else
	fi;
	owner = 0				/* unlock(xa_lock) */
}}
"""


GEN = {
    "refcount": (refcount_lc, refcount_pml),
    "teardown": (teardown_lc, teardown_pml),
}


def generate(family, n, variant, out):
    if variant not in VARIANTS[family]:
        raise SystemExit(f"gen.py: family {family} has no variant {variant} "
                         f"(have: {', '.join(VARIANTS[family])})")
    if not 1 <= n <= 200:
        raise SystemExit("gen.py: N must be in 1..200 (byte ranges)")
    lc, pml = GEN[family]
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, model_name(family, n, variant))
    paths = []
    for ext, text in (("lc", lc(n, variant)), ("pml", pml(n, variant))):
        path = f"{base}.{ext}"
        with open(path, "w") as f:
            f.write(text)
        paths.append(path)
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", choices=FAMILIES)
    ap.add_argument("--n", type=int)
    ap.add_argument("--variant", default="ok")
    ap.add_argument("--all", action="store_true",
                    help="every family at its default sizes (ok variant)")
    ap.add_argument("--out", default="bench/work")
    a = ap.parse_args(argv)
    if a.all:
        for fam in FAMILIES:
            for n in DEFAULT_SIZES[fam]:
                for p in generate(fam, n, "ok", a.out):
                    print(p)
        return 0
    if a.family is None or a.n is None:
        ap.error("need --family and --n (or --all)")
    for p in generate(a.family, a.n, a.variant, a.out):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
