#include <catch2/catch.hpp>

#include "checker/report/report.h"
#include "tests/support.h"

using namespace lc;

static const char* kUaf = R"(
object o { int refs = 2; int data = 0; }
o* g;
init { g = new o; }
fn put(o* p) {
  bool last = false;
  atomic { p->refs = p->refs - 1; last = p->refs == 0; }
  if (last) { free(p); }
}
thread user { o* d = g; put(d); d->data = 1; }
thread owner { put(g); }
)";

TEST_CASE("explorer: use after put, shortest counterexample") {
  auto c = lct::check(kUaf);
  CHECK(c.status("use_after_free") == Status::Violated);
  CHECK(c.status("deadlock") == Status::Holds);
  const auto& x = c.cex("use_after_free");
  // Shortest: the owner drops its reference first, then the user's put frees and the
  // user touches the object: init + d = g, put (call, decl, atomic, if, free, return),
  // owner's call, decl, atomic, and the touch = 12 steps.
  CHECK(x.trace.steps.size() == 12);
  CHECK(x.violation_in_last_step);
  CHECK(x.violation.message == "'d->data' touches o#0, which was freed");
}

TEST_CASE("explorer: without --all it stops at the first violation and leaves the rest unknown") {
  EngineOptions o;
  o.all = false;
  o.limits.max_states = 1000000;
  auto c = lct::check(kUaf, o);
  CHECK(c.result.outcome == Outcome::StoppedAtViolation);
  CHECK(c.status("use_after_free") == Status::Violated);
  CHECK(c.status("deadlock") == Status::Unknown);
  CHECK(c.result.exit_code() == 1);
}

TEST_CASE("explorer: limits give an inconclusive result (exit 3) with how far it got") {
  const char* big = "int<0..100> a = 0;\nint<0..100> b = 0;\nthread t { while (a < 100) { a = a + 1; } }\nthread u { while (b < 100) { b = b + 1; } }\n";
  EngineOptions o;
  o.limits.max_states = 500;
  auto c = lct::check(big, o);
  CHECK(c.result.outcome == Outcome::LimitHit);
  CHECK(c.result.limit == "max-states 500");
  CHECK(c.result.exit_code() == 3);
  CHECK(c.result.stats.states >= 500);
  CHECK(c.status("deadlock") == Status::Unknown);
  EngineOptions d;
  d.limits.depth = 10;
  auto c2 = lct::check(big, d);
  CHECK(c2.result.limit == "depth 10");
  CHECK(c2.result.stats.depth == 10);
  CHECK(c2.result.exit_code() == 3);
  auto full = lct::check(big);
  CHECK(full.result.outcome == Outcome::Complete);
  CHECK(full.result.exit_code() == 0);
}

TEST_CASE("explorer: memory and time limits") {
  const char* big = "int<0..200> a = 0;\nint<0..200> b = 0;\nint<0..200> c = 0;\n"
                    "thread t { while (a < 200) { a = a + 1; } }\nthread u { while (b < 200) { b = b + 1; } }\n"
                    "thread v { while (c < 200) { c = c + 1; } }\n";
  EngineOptions m;
  m.limits.memory_mb = 1;
  auto c = lct::check(big, m);
  CHECK(c.result.outcome == Outcome::LimitHit);
  CHECK(c.result.limit == "memory 1 MB");
  CHECK(c.result.exit_code() == 3);
  EngineOptions t;
  t.limits.timeout_s = 0.0001;
  auto d = lct::check(big, t);
  CHECK(d.result.outcome == Outcome::LimitHit);
  CHECK(d.result.limit == "timeout 0.0001 s");
  CHECK(d.result.stats.states > 0);
}

TEST_CASE("explorer: a violation found before a limit still counts (exit 1)") {
  EngineOptions o;
  o.limits.max_states = 100000;
  o.all = true;
  o.limits.depth = 40;
  auto c = lct::check(kUaf, o);
  CHECK(c.result.exit_code() == 1);
}

TEST_CASE("explorer: deadlock names what each thread waits for") {
  auto c = lct::check(R"(
mutex a; mutex b; int done = 0;
thread t { lock(a); lock(b); unlock(b); unlock(a); }
thread u { lock(b); lock(a); unlock(a); unlock(b); }
thread w { wait(done == 2); }
)");
  CHECK(c.status("deadlock") == Status::Violated);
  CHECK(c.status("lock_order") == Status::Violated);
  const auto& x = c.cex("deadlock");
  REQUIRE(x.blocked.size() == 3);
  CHECK(x.blocked[0].kind == Blocked::Lock);
  CHECK(c.program->slot_name(x.blocked[0].lock_slot) == "b");
  CHECK(x.blocked[0].holder == 1);
  CHECK(x.blocked[2].kind == Blocked::Wait);
  CHECK(c.program->text(x.blocked[2].span) == "done == 2");
}

TEST_CASE("explorer: lock_order is reported even when no schedule deadlocks") {
  auto c = lct::check(R"(
mutex a; mutex b; bool first_done = false;
thread t { lock(a); lock(b); unlock(b); unlock(a); first_done = true; }
thread u { wait(first_done); lock(b); lock(a); unlock(a); unlock(b); }
)");
  CHECK(c.status("deadlock") == Status::Holds);
  CHECK(c.status("lock_order") == Status::Violated);
  const auto& x = c.cex("lock_order");
  REQUIRE(x.edges.size() == 2);
  CHECK(x.violation.message.rfind("lock order cycle b -> a -> b", 0) == 0);
  for (const auto& e : x.edges) {
    REQUIRE(!e.trace.steps.empty());
    bool acquires = false;
    for (const auto& ev : e.trace.steps.back().events) acquires |= ev.kind == Event::Lock && ev.value == e.acquired;
    CHECK(acquires);
  }
}

TEST_CASE("explorer: invariant and final properties") {
  auto c = lct::check(R"(
int x = 0;
thread t { x = 1; x = 2; x = 0; }
invariant small: x < 2;
final back: x == 0;
final never: x == 5;
)");
  CHECK(c.status("small") == Status::Violated);
  CHECK(c.cex("small").trace.steps.size() == 2);
  CHECK(!c.cex("small").violation_in_last_step);
  CHECK(c.status("back") == Status::Holds);
  CHECK(c.status("never") == Status::Violated);
}

TEST_CASE("explorer: a property that reads through null is a model error") {
  auto c = lct::check("object o { int x = 0; }\no* g;\nthread t { skip; }\ninvariant p: g->x == 0;\n");
  CHECK(c.result.outcome == Outcome::ModelError);
  CHECK(c.result.exit_code() == 2);
  CHECK(c.result.error.find("property 'p' cannot be evaluated in a reachable state: 'g' is null, so 'g->x' cannot be read") !=
        std::string::npos);
}

TEST_CASE("explorer: output is deterministic") {
  auto a = lct::check(kUaf);
  auto b = lct::check(kUaf);
  CHECK(render_text(*a.machine, a.result) == render_text(*b.machine, b.result));
  CHECK(to_json(a.machine.get(), a.result).dump() == to_json(b.machine.get(), b.result).dump());
}

TEST_CASE("explorer: statement merging gives every model the same verdicts, in fewer states") {
  // Merged steps skip the states where a thread is inside a run of local statements
  // (model/merge.h). Every check and property keeps its verdict; a counterexample is no
  // shorter in statements (the plain search finds the shortest) and replays on the Machine.
  auto files = lct::models_in({"tests/regress/checks", "specs/examples"});
  REQUIRE(files.size() > 80);
  uint64_t plain_states = 0, merged_states = 0;
  int violations = 0;
  for (const auto& f : files) {
    INFO(f);
    auto [program, machine, plain] = lct::check_file(f);
    EngineOptions o;
    o.all = true;
    o.merge = true;
    CheckResult mg = run_engine(*machine, f, o);
    REQUIRE(mg.outcome == plain.outcome);
    CHECK(mg.stats.states <= plain.stats.states);
    plain_states += plain.stats.states;
    merged_states += mg.stats.states;
    REQUIRE(mg.properties.size() == plain.properties.size());
    for (size_t i = 0; i < mg.properties.size(); ++i) {
      const auto& pp = plain.properties[i];
      const auto& pm = mg.properties[i];
      INFO(pp.name);
      CHECK(pm.status == pp.status);
      if (pm.status != Status::Violated || pp.status != Status::Violated) continue;
      const Counterexample& cm = mg.counterexamples[pm.counterexample];
      const Counterexample& cp = plain.counterexamples[pp.counterexample];
      if (pm.check != ir::Check::LockOrder) CHECK(cm.trace.steps.size() >= cp.trace.steps.size());
      ++violations;
    }
  }
  CHECK(violations > 60);
  CHECK(merged_states * 10 < plain_states * 9);  // at least 10% fewer states over the corpus
}

TEST_CASE("explorer: statement merging keeps the iommufd verdicts, with a tenth of final's states") {
  for (const auto& f : lct::files_in(lct::src("specs/iommufd"))) {
    INFO(f);
    Loaded l = load_model_file(f);
    REQUIRE(l.program);
    EngineOptions o;
    o.all = true;
    o.merge = true;
    CheckResult mg = run_engine(Machine(*l.program), f, o);
    REQUIRE(mg.outcome == Outcome::Complete);
    // Verdicts as the model's expect lines say (unlisted: holds).
    for (const auto& pr : mg.properties) {
      INFO(pr.name);
      bool want = false;
      for (const auto& e : l.program->expects)
        if (e.name == pr.name) want = e.violated;
      CHECK((pr.status == Status::Violated) == want);
      if (pr.status == Status::Violated && pr.check != ir::Check::LockOrder)
        CHECK(!mg.counterexamples[pr.counterexample].trace.steps.empty());
    }
    if (f.find("/final.lc") != std::string::npos) CHECK(mg.stats.states < 752033);  // 7520329 without merging
  }
}

TEST_CASE("explorer: with a step monitor, a refused dead end is no deadlock and finals hold only where the run is complete") {
  // Each thread may call b() once and nothing else (an EntryMonitor). t's call of a() is
  // refused: a dead end of the product. u's skip branch finishes before its observed call:
  // every thread finished, but the monitor does not accept, so `both_b` is not checked there.
  auto p = lct::compile(R"(
int x = 0;
fn a() { x = x + 1; }
fn b() { x = x + 10; }
thread t { choose { a(); } or { b(); } }
thread u { choose { skip; } or { b(); } }
final both_b: x == 20;
)");
  EntryMonitor em;
  em.observed_fn.assign(p->fns.size(), true);
  em.sequence = {{p->fn_index("b")}, {p->fn_index("b")}};
  auto status = [&](const CheckResult& r, const std::string& name) {
    for (const auto& pr : r.properties)
      if (pr.name == name) return pr.status;
    FAIL("no property " << name);
    return Status::Unknown;
  };
  EngineOptions o;
  o.all = true;
  CheckResult plain = run_engine(Machine(*p), "test.lc", o);
  CHECK(status(plain, "both_b") == Status::Violated);
  for (bool merge : {false, true}) {
    INFO("merge " << merge);
    o.merge = merge;
    Machine m(*p, &em);
    CheckResult r = run_engine(m, "test.lc", o);
    CHECK(r.outcome == Outcome::Complete);
    CHECK(status(r, "deadlock") == Status::Holds);
    CHECK(status(r, "both_b") == Status::Holds);
    CHECK(r.exit_code() == 0);
  }
  // A dead end where no step was refused is still a deadlock: w waits for what never comes.
  auto q = lct::compile("int x = 0;\nfn b() { x = 1; }\nthread t { b(); }\nthread w { wait(x == 2); }\n");
  EntryMonitor eq;
  eq.observed_fn.assign(q->fns.size(), true);
  eq.sequence = {{q->fn_index("b")}, {}};
  Machine mq(*q, &eq);
  CheckResult d = run_engine(mq, "test.lc", o);
  CHECK(status(d, "deadlock") == Status::Violated);
}
