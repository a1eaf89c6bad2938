#include <catch2/catch.hpp>
#include <set>

#include "checker/report/report.h"
#include "checker/symbolic/bmc.h"
#include "model/merge.h"
#include "tests/support.h"

using namespace lc;

namespace {

size_t steps_without_init(const ir::Program& p, const CheckResult& r, const PropertyResult& pr) {
  size_t n = r.counterexamples[pr.counterexample].trace.steps.size();
  return p.init_tmpl >= 0 && n > 0 ? n - 1 : n;
}

// The merged steps (model/merge.h) a trace's single steps amount to: a step from where
// threads do not rest is part of its thread's previous merged step, and a thread's first
// run of local steps from a local entry is part of the initial states. A thread-local step commutes
// with other threads' steps, so this holds where the thread's steps are not adjacent too:
// for a BMC trace it is the depth, for an explicit one a bound on the shortest merged depth.
size_t merged_steps(const ir::Program& p, const Trace& t) {
  auto M = ir::merging(p);
  std::set<int> started;  // threads with a step so far
  size_t n = 0;
  for (const auto& st : t.steps) {
    if (st.thread >= int(p.threads.size())) continue;  // init
    int tmpl = p.threads[st.thread].tmpl;
    bool goes_on = started.insert(st.thread).second ? M.local[tmpl][p.tmpls[tmpl].entry] : M.continues(tmpl, st.acts[0].loc);
    n += !goes_on;
  }
  return n;
}

// A symbolic run whose paths replayed on the Machine and that met no model error.
void require_replayed(const CheckResult& r) {
  INFO(r.limit);
  REQUIRE(r.limit.rfind("internal", 0) != 0);
  REQUIRE(r.outcome != Outcome::ModelError);
}

std::unique_ptr<ir::Program> regress_check(const std::string& name) {
  return lct::compile(lct::slurp(lct::src("tests/regress/checks/" + name + ".lc")));
}

// BMC to `depth`, every property.
EngineOptions bmc(uint32_t depth) {
  EngineOptions o;
  o.engine = Engine::Bmc;
  o.all = true;
  o.limits.depth = depth;
  return o;
}
EngineOptions induction(uint32_t depth) {
  EngineOptions o = bmc(depth);
  o.engine = Engine::Induction;
  return o;
}

}  // namespace

TEST_CASE("symbolic: the engines agree on every regression model and example within depth 10") {
  auto files = lct::models_in({"tests/regress/checks", "specs/examples"});
  REQUIRE(files.size() > 80);
  const uint32_t D = 10;
  int compared_violations = 0, proved = 0, merged_violations = 0, merged_deeper = 0;
  for (const auto& f : files) {
    INFO(f);
    auto [program, machine, ex] = lct::check_file(f);
    REQUIRE(ex.outcome == Outcome::Complete);
    EngineOptions so = bmc(D);
    so.limits.timeout_s = 120;
    CheckResult sy = run_engine(*machine, f, so);
    INFO(sy.limit);
    REQUIRE(sy.limit.rfind("Z3 returned unknown", 0) != 0);
    require_replayed(sy);
    REQUIRE(ex.properties.size() == sy.properties.size());
    for (size_t i = 0; i < ex.properties.size(); ++i) {
      const auto& pe = ex.properties[i];
      const auto& ps = sy.properties[i];
      INFO(pe.name);
      if (ps.status == Status::Violated) {
        CHECK(pe.status == Status::Violated);
        if (pe.status == Status::Violated && pe.check != ir::Check::LockOrder) {
          CHECK(steps_without_init(*program, sy, ps) == steps_without_init(*program, ex, pe));
          ++compared_violations;
        }
      } else if (pe.status == Status::Violated && pe.check != ir::Check::LockOrder) {
        // Only a violation deeper than the bound may be missed.
        CHECK(steps_without_init(*program, ex, pe) > D);
      }
      if (ps.status == Status::Holds) CHECK(pe.status == Status::Holds);
    }
    // The partial-order reduction drops interleavings, never a state at its depth: with
    // it BMC finds the same violations at the same depths, and proves nothing more.
    so.reduction = true;
    CheckResult red = run_engine(*machine, f, so);
    so.reduction = false;
    REQUIRE(red.properties.size() == sy.properties.size());
    for (size_t i = 0; i < sy.properties.size(); ++i) {
      const auto& pf = sy.properties[i];
      const auto& pr = red.properties[i];
      INFO(pr.name << " with reduction");
      if (pr.status == Status::Holds)
        CHECK(pf.status != Status::Violated);  // with fewer paths, the completeness check may succeed sooner
      else
        CHECK(pr.status == pf.status);
      if (pr.status == Status::Violated && pf.status == Status::Violated && pr.check != ir::Check::LockOrder)
        CHECK(steps_without_init(*program, red, pr) == steps_without_init(*program, sy, pf));
    }
    // Statement merging: the explicit engine with merging finds each violation at the same
    // merged depth as BMC with merging, never in fewer statements than without it.
    EngineOptions eo;
    eo.all = true;
    eo.merge = true;
    CheckResult exm = run_engine(*machine, f, eo);
    REQUIRE(exm.outcome == Outcome::Complete);
    so.merge = true;
    CheckResult mg = run_engine(*machine, f, so);
    so.merge = false;
    require_replayed(mg);
    REQUIRE(mg.properties.size() == ex.properties.size());
    for (size_t i = 0; i < ex.properties.size(); ++i) {
      const auto& pe = exm.properties[i];
      const auto& pm = mg.properties[i];
      INFO(pe.name << " with merging");
      CHECK(pe.status == ex.properties[i].status);
      if (pm.status == Status::Holds) CHECK(pe.status == Status::Holds);
      if (pm.status == Status::Violated) CHECK(pe.status == Status::Violated);
      if (pe.status != Status::Violated || pe.check == ir::Check::LockOrder) continue;
      size_t depth = merged_steps(*program, exm.counterexamples[pe.counterexample].trace);
      if (depth <= D) CHECK(pm.status == Status::Violated);
      if (pm.status != Status::Violated) continue;
      CHECK(merged_steps(*program, mg.counterexamples[pm.counterexample].trace) == depth);
      CHECK(steps_without_init(*program, mg, pm) >= steps_without_init(*program, ex, ex.properties[i]));
      ++merged_violations;
      merged_deeper += steps_without_init(*program, mg, pm) > D;
    }
    // k-induction: whatever it proves holds, whatever it refutes is violated, and its
    // counterexamples to induction (from made-up states) replay without harm.
    so.limits.depth = 3;
    so.engine = Engine::Induction;
    CheckResult in = run_engine(*machine, f, so);
    require_replayed(in);
    for (size_t i = 0; i < ex.properties.size(); ++i) {
      INFO(ex.properties[i].name);
      if (in.properties[i].status == Status::Holds) CHECK(ex.properties[i].status == Status::Holds);
      if (in.properties[i].status == Status::Violated) CHECK(ex.properties[i].status == Status::Violated);
    }
    proved += in.outcome == Outcome::Complete;
  }
  CHECK(compared_violations > 40);
  CHECK(proved > 10);
  CHECK(merged_violations > compared_violations);
  CHECK(merged_deeper > 0);  // merging finds violations deeper than D single steps
}

TEST_CASE("symbolic: the engines agree on every iommufd model within depth 5", "[slow][engines_iommufd]") {
  // Every review bug in specs/iommufd needs 29 or more steps, beyond this bound: here
  // the symbolic engine must find nothing the explicit engine does not, and encode every
  // model (the atomic blocks of these models were not encodable before paths merged).
  auto files = lct::files_in(lct::src("specs/iommufd"));
  REQUIRE(files.size() >= 17);
  const uint32_t D = 5;
  for (const auto& f : files) {
    if (lct::is_replay_model(f)) continue;
    INFO(f);
    auto [program, machine, ex] = lct::check_file(f);
    REQUIRE(ex.outcome == Outcome::Complete);
    CheckResult sy = run_engine(*machine, f, bmc(D));
    INFO(sy.limit);
    CHECK(sy.limit == "no violation up to depth 5 (bounded: not a proof)");
    CHECK(sy.stats.depth == D);
    REQUIRE(ex.properties.size() == sy.properties.size());
    for (size_t i = 0; i < ex.properties.size(); ++i) {
      INFO(ex.properties[i].name);
      CHECK(sy.properties[i].status == Status::Unknown);
      if (ex.properties[i].status == Status::Violated && ex.properties[i].check != ir::Check::LockOrder)
        CHECK(steps_without_init(*program, ex, ex.properties[i]) > D);
    }
  }
}

TEST_CASE("symbolic: BMC finds an iommufd review bug 49 steps deep, as long as the explicit engine's", "[slow][bmc_49]") {
  // aneesh-june-noeintr: close after a TSM bind skips tsm_unbind, and a later lookup
  // dereferences a NULL idev. About a minute of Z3 (bench/symbolic-results.md).
  std::string f = lct::src("specs/iommufd/aneesh-june-noeintr.lc");
  Loaded l = load_model_file(f);
  REQUIRE(l.program);
  Machine m(*l.program);
  CheckResult ex = run_engine(m, f, EngineOptions{});
  EngineOptions so = bmc(49);
  so.all = false;
  CheckResult sy = run_engine(m, f, so);
  REQUIRE(ex.counterexamples.size() == 1);
  REQUIRE(sy.counterexamples.size() == 1);
  CHECK(sy.outcome == Outcome::StoppedAtViolation);
  CHECK(sy.counterexamples[0].property == "null_deref");
  CHECK(ex.counterexamples[0].property == "null_deref");
  CHECK(sy.counterexamples[0].violation.message == ex.counterexamples[0].violation.message);
  CHECK(sy.counterexamples[0].trace.steps.size() == ex.counterexamples[0].trace.steps.size());
  CHECK(sy.counterexamples[0].trace.steps.size() == 50);  // init + 49 steps
}

TEST_CASE("symbolic: with statement merging, BMC finds iommufd review bugs 44 to 49 statements deep") {
  // The first violation BMC finds in merged steps is one the explicit engine finds too, no
  // shorter in statements than the explicit engine's shortest, and in no more merged steps
  // than the explicit counterexample amounts to. About 50 s of Z3 (bench/symbolic-results.md).
  for (auto [name, depth] : {std::pair{"aneesh-june-noeintr", 15u}, {"aneesh-june-bindrace", 10u}, {"aneesh-june", 12u}}) {
    std::string f = lct::src(std::string("specs/iommufd/") + name + ".lc");
    INFO(f);
    Loaded l = load_model_file(f);
    REQUIRE(l.program);
    Machine m(*l.program);
    EngineOptions eo;
    eo.all = true;
    CheckResult ex = run_engine(m, f, eo);
    EngineOptions so = bmc(depth);
    so.all = false;
    so.merge = true;
    CheckResult sy = run_engine(m, f, so);
    REQUIRE(sy.outcome == Outcome::StoppedAtViolation);
    CHECK(sy.stats.depth == depth);
    REQUIRE(sy.counterexamples.size() == 1);
    const Counterexample& cm = sy.counterexamples[0];
    CHECK(cm.property == "null_deref");
    const PropertyResult* pe = nullptr;
    for (const auto& pr : ex.properties)
      if (pr.name == cm.property) pe = &pr;
    REQUIRE(pe);
    REQUIRE(pe->status == Status::Violated);
    const Counterexample& ce = ex.counterexamples[pe->counterexample];
    CHECK(cm.violation.message == ce.violation.message);
    CHECK(cm.trace.steps.size() >= ce.trace.steps.size());
    CHECK(merged_steps(*l.program, cm.trace) <= merged_steps(*l.program, ce.trace));
    CHECK(ce.trace.steps.size() - 1 >= 40);  // init + 40 or more statements
  }
}

TEST_CASE("symbolic: k-induction proves what explicit search needs 100 steps for") {
  auto p = regress_check("induction_counter_holds");
  Machine m(*p);
  auto r = run_engine(m, "t.lc", induction(10));
  CHECK(r.outcome == Outcome::Complete);
  CHECK(r.note == "proved by k-induction at k = 1");
  CHECK(r.exit_code() == 0);
  for (const auto& pr : r.properties) CHECK(pr.status == Status::Holds);
  auto b = run_engine(m, "t.lc", bmc(10));
  CHECK(b.outcome == Outcome::LimitHit);
  CHECK(b.exit_code() == 3);
  CHECK(b.note == "no violation up to depth 10 (bounded: not a proof)");
}

TEST_CASE("symbolic: a failed induction step shows its counterexample; an auxiliary invariant proves it") {
  auto p = regress_check("induction_aux_missing_holds");
  auto so = induction(3);
  Machine m(*p);
  auto r = run_engine(m, "t.lc", so);
  CHECK(r.exit_code() == 3);
  CHECK(r.note == "no violation up to depth 3 (bounded: not a proof); the induction step fails at k = 3 "
                  "(its counterexample to induction is shown)");
  REQUIRE(r.cti);
  CHECK(r.cti_k == 3);
  CHECK(r.cti->property == "y_bounded");
  // Three steps from an unreachable state (y ahead of x) that keep y <= 5, then y = 6.
  const auto& t = r.cti->trace;
  REQUIRE(t.steps.size() == 3);
  CHECK(m.get(t.start.data(), p->globals[1].slot) > m.get(t.start.data(), p->globals[0].slot));
  CHECK(m.get(t.steps.back().after.data(), p->globals[1].slot) == 6);
  std::string text = render_text(m, r);
  CHECK(text.find("--- counterexample to induction at k = 3: y_bounded: invariant 'y_bounded' is false\n") != std::string::npos);

  auto q = regress_check("induction_aux_given_holds");
  auto g = run_engine(Machine(*q), "t.lc", so);
  CHECK(g.outcome == Outcome::Complete);
  CHECK(g.note == "proved by k-induction at k = 1");
  CHECK(!g.cti);
  for (const auto& pr : g.properties) CHECK(pr.status == Status::Holds);
}

TEST_CASE("symbolic: the induction step blames the invariant with a conjunct that is not inductive") {
  // The step asks about one property at a time: 'first' is inductive; of 'both', x <= 5
  // is and y <= 5 is not.
  std::string counters = R"(model conj "two counters";
int<0..7> x = 0;
int<0..7> y = 0;
thread t { while (true) { atomic { if (x < 5) { x = x + 1; y = y + 1; } else { x = 0; y = 0; } } } }
)";
  auto p = lct::compile(counters + "invariant first: x >= 0;\ninvariant both: x <= 5 && y <= 5 && x >= 0;\n");
  auto so = induction(2);
  Machine m(*p);
  auto r = run_engine(m, "conj.lc", so);
  CHECK(r.exit_code() == 3);
  REQUIRE(r.cti);
  CHECK(r.cti->property == "both");
  REQUIRE(!r.cti->trace.steps.empty());
  CHECK(m.get(r.cti->trace.steps.back().after.data(), p->globals[1].slot) == 6);
  // With y == x among the conjuncts the step is proved.
  auto q = lct::compile(counters + "invariant both: x <= 5 && y == x && y <= 5;\n");
  auto g = run_engine(Machine(*q), "conj.lc", so);
  CHECK(g.note == "proved by k-induction at k = 1");
  CHECK(g.exit_code() == 0);
}

TEST_CASE("symbolic: an auxiliary invariant over thread positions (at()) proves a refcount bound") {
  auto p = regress_check("induction_positions_missing_holds");
  auto so = induction(4);
  Machine m(*p);
  auto r = run_engine(m, "t.lc", so);
  CHECK(r.exit_code() == 3);
  REQUIRE(r.cti);
  CHECK(r.cti_k == 4);
  // The step checks the properties one at a time, in order: the built-in range check
  // comes before ref_positive and is not inductive either (a get from ref = 4, or a put
  // from ref = 0).
  CHECK(r.cti->property == "range");
  // The made-up start: the refcount is not what the holders' positions account for.
  const auto& t = r.cti->trace;
  int ref = p->kinds[0].first_slot + 1;
  int between = 0;
  for (int h = 0; h < 2; ++h) {
    const auto& T = p->tmpls[p->threads[h].tmpl];
    int loc = int(m.get(t.start.data(), p->threads[h].pc_slot));
    for (const auto& l : T.labels) between += l.at == loc && (l.name == "held" || l.name == "put");
  }
  CHECK(m.get(t.start.data(), ref) != 1 + between);
  const auto& before_last = t.steps.size() > 1 ? t.steps[t.steps.size() - 2].after : t.start;
  auto last_ref = m.get(before_last.data(), ref);
  CHECK((last_ref == 0 || last_ref == 4));
  REQUIRE(t.steps.back().violation);
  CHECK(t.steps.back().violation->check == ir::Check::Range);

  auto q = regress_check("induction_positions_given_holds");
  auto g = run_engine(Machine(*q), "t.lc", so);
  CHECK(g.outcome == Outcome::Complete);
  CHECK(g.note == "proved by k-induction at k = 1");
  for (const auto& pr : g.properties) CHECK(pr.status == Status::Holds);
}

TEST_CASE("symbolic: the induction step assumes each thread holds the locks its position says") {
  auto p = regress_check("induction_locks_holds");
  Machine m(*p);
  auto r = run_engine(m, "t.lc", induction(4));
  CHECK(r.note == "proved by k-induction at k = 1");
  symbolic::SymbolicOptions so;  // the facts switch is the engine's own, not an EngineOptions one
  so.depth = 4;
  so.induction = true;
  so.facts = false;
  auto without = symbolic::check_symbolic(m, "t.lc", so);
  REQUIRE(without.cti);
  // Its start: a thread whose position and the lock disagree (inside without it, or
  // holding it outside).
  int lock = p->globals[1].slot;
  const auto& s = without.cti->trace.start;
  bool disagree = false;
  for (int t = 0; t < 2; ++t) {
    bool inside = false;
    for (const auto& l : p->tmpls[0].labels) inside |= l.at == m.pc(s.data(), t);
    disagree |= inside != (m.lock_holder(s.data(), lock) == t);
  }
  CHECK(disagree);
  // A state with a thread inside and the lock free breaks the lock facts.
  auto clean = lct::reachable_states(m, 100, true);
  std::vector<std::vector<uint8_t>> inside_free;
  for (auto st : clean) {
    if (m.lock_holder(st.data(), lock) != 0) continue;
    bool in0 = false;
    for (const auto& l : p->tmpls[0].labels) in0 |= l.at == m.pc(st.data(), 0) && l.name == "dec";
    if (!in0) continue;
    st[p->slots[lock].offset] = 0;  // raw 0: free
    inside_free.push_back(st);
  }
  REQUIRE(!inside_free.empty());
  CHECK(symbolic::first_breaking_facts(*p, clean, false, true) == -1);
  CHECK(symbolic::first_breaking_facts(*p, inside_free, false, true) == 0);
}

TEST_CASE("symbolic: nested locks in one order need no lock-order step; a model error is a counterexample to induction") {
  auto p = regress_check("induction_lock_order_holds");
  auto so = induction(3);
  auto r = run_engine(Machine(*p), "t.lc", so);
  CHECK(r.note == "proved by k-induction at k = 1");
  for (const auto& pr : r.properties) CHECK(pr.status == Status::Holds);
  // A made-up state where the one instance is already taken and a thread is about to
  // allocate: the step's model error is shown with its start state.
  auto q = lct::compile(R"(model me "one allocation";
object o max 1 { int f; }
int<0..1> n = 0;
int<0..9> c = 0;
thread t { wait(c == 9); if (n == 0) { o* p = new o; n = 1; } }
thread u { while (c < 9) { c = c + 1; } }
)");
  Machine mq(*q);
  auto me = run_engine(mq, "me.lc", so);
  CHECK(me.exit_code() == 3);
  REQUIRE(me.cti);
  CHECK(me.cti->property == "model error");
  CHECK(me.cti->violation.message == "'new o' exceeds max 1 (raise 'max' in object o)");
  CHECK(me.cti->trace.steps.empty());
  CHECK(render_text(mq, me).find("--- counterexample to induction at k = 3: model error: 'new o' exceeds max 1") != std::string::npos);
  CHECK(to_json(&mq, me)["induction_cti"]["check"] == "model_error");
}

TEST_CASE("symbolic: the solver is named and a counterexample is a replayed Trace") {
  auto p = lct::compile(lct::slurp(lct::src("specs/examples/use_after_put.lc")));
  auto r = run_engine(Machine(*p), "t.lc", bmc(20));
  CHECK(r.engine == "bmc (" + symbolic::solver_version() + ")");
  CHECK(symbolic::solver_version().rfind("Z3 4.", 0) == 0);
  REQUIRE(r.counterexamples.size() == 1);
  CHECK(r.counterexamples[0].violation.check == ir::Check::UseAfterFree);
  CHECK(r.counterexamples[0].violation_in_last_step);
  CHECK(r.counterexamples[0].trace.steps.size() == 12);  // init + 11 steps, as the explicit engine
}

TEST_CASE("symbolic: a timeout is inconclusive (exit 3), never a pass") {
  auto p = lct::compile(lct::slurp(lct::src("specs/examples/lost_refcount_fixed.lc")));
  EngineOptions so = bmc(40);
  so.limits.timeout_s = 0.001;
  auto r = run_engine(Machine(*p), "t.lc", so);
  CHECK(r.exit_code() == 3);
  CHECK(r.outcome == Outcome::LimitHit);
  // Where the time ran out depends on the machine: encoding (tiny here) or a query.
  bool where = r.limit.rfind("timeout 0.001 s (while checking depth ", 0) == 0 ||
               r.limit == "timeout 0.001 s (while encoding the model)";
  CHECK(where);
  // Encoding counts against the budget: a big model runs out before its first query.
  auto big = lct::compile(lct::slurp(lct::src("specs/iommufd/final.lc")));
  so.limits.timeout_s = 0.01;
  r = run_engine(Machine(*big), "final.lc", so);
  CHECK(r.exit_code() == 3);
  CHECK(r.limit == "timeout 0.01 s (while encoding the model)");  // it stopped encoding there
}

TEST_CASE("symbolic: a Z3 unknown in the induction step says it was the step") {
  // The base case is a few concrete steps; the step case must factor a 40-bit semiprime
  // (a = 1000002, b = 999983 is a counterexample to induction), far beyond the rlimit.
  auto p = lct::compile(R"(model hard_step "an induction step that is factoring";
int<0..2000000> a = 1;
int<0..2000000> b = 1;
thread t { while (true) { atomic { if (a < 2000000) { a = a + 1; } } } }
thread u { b = 999983; }
invariant no_factor: a * b != 1000002999949;
)");
  auto so = induction(2);
  so.limits.rlimit = 1000000;
  auto r = run_engine(Machine(*p), "hs.lc", so);
  CHECK(r.exit_code() == 3);
  CHECK(r.outcome == Outcome::LimitHit);
  CHECK(r.limit.rfind("Z3 returned unknown (", 0) == 0);
  CHECK(r.limit.find("; --rlimit 1000000 per query) at the induction step at k = 1") != std::string::npos);
  CHECK(!r.cti);
  for (const auto& pr : r.properties) CHECK(pr.status == Status::Unknown);
}

TEST_CASE("symbolic: the facts the induction step assumes hold in every reachable state") {
  auto files = lct::models_in({"tests/regress/checks", "specs/examples", "specs/iommufd"});
  size_t checked = 0, clean_checked = 0, merged_checked = 0, merged_inside = 0;
  for (const auto& f : files) {
    if (lct::is_replay_model(f)) continue;
    INFO(f);
    Loaded l = load_model_file(f);
    REQUIRE(l.program);
    Machine m(*l.program);
    // A spread of the first few thousand states, deep ones included.
    auto all = lct::reachable_states(m, 4000);
    std::vector<std::vector<uint8_t>> sample;
    for (size_t i = 0; i < all.size(); i += std::max<size_t>(1, all.size() / 150)) sample.push_back(all[i]);
    CHECK(symbolic::first_breaking_facts(*l.program, sample) == -1);
    checked += sample.size();
    // The lock facts hold where no violation happened on the way.
    auto clean = lct::reachable_states(m, 4000, true);
    std::vector<std::vector<uint8_t>> clean_sample;
    for (size_t i = 0; i < clean.size(); i += std::max<size_t>(1, clean.size() / 150)) clean_sample.push_back(clean[i]);
    CHECK(symbolic::first_breaking_facts(*l.program, clean_sample, false, true) == -1);
    clean_checked += clean_sample.size();
    // With statement merging no thread rests inside a run of local statements: the states
    // where every thread rests keep the facts, a state where one does not breaks them.
    auto M = ir::merging(*l.program);
    auto rests = [&](const std::vector<uint8_t>& s) {
      for (int t = 0; t < m.threads(); ++t)
        if (!M.rest[l.program->threads[t].tmpl][m.pc(s.data(), t)]) return false;
      return true;
    };
    std::vector<std::vector<uint8_t>> resting;
    const std::vector<uint8_t>* inside = nullptr;
    for (const auto& s : sample) {
      if (rests(s)) resting.push_back(s);
      else if (!inside) inside = &s;
    }
    CHECK(symbolic::first_breaking_facts(*l.program, resting, true) == -1);
    if (inside) CHECK(symbolic::first_breaking_facts(*l.program, {*inside}, true) == 0);
    merged_checked += resting.size();
    merged_inside += inside != nullptr;
  }
  CHECK(checked > 5000);
  CHECK(clean_checked > 5000);
  CHECK(merged_checked > 2000);
  CHECK(merged_inside > 50);
}

TEST_CASE("symbolic: with the semantics' facts, k-induction proves models it could not") {
  for (auto [name, k] : {std::pair{"null_deref_holds", 1}, {"any_is_as_holds", 4}, {"quant_empty_kind_holds", 1}}) {
    std::string f = lct::src(std::string("tests/regress/checks/") + name + ".lc");
    INFO(f);
    Loaded l = load_model_file(f);
    REQUIRE(l.program);
    Machine m(*l.program);
    symbolic::SymbolicOptions so;  // the facts switch is the engine's own, not an EngineOptions one
    so.depth = 6;
    so.induction = true;
    so.facts = false;
    CheckResult without = symbolic::check_symbolic(m, f, so);
    CHECK(without.note.find("proved by k-induction") == std::string::npos);
    so.facts = true;
    CheckResult with = symbolic::check_symbolic(m, f, so);
    CHECK(with.outcome == Outcome::Complete);
    CHECK(with.note == "proved by k-induction at k = " + std::to_string(k));
    CHECK(!with.cti);  // a failed shallower step is not shown once the proof succeeds
  }
}
