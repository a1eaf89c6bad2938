#include "model/facts.h"

#include <catch2/catch.hpp>

#include "model/machine.h"
#include "tests/support.h"

using namespace lc;

namespace {

// Why state `s` breaks a fact of thread t, or "".
std::string broken(const Machine& m, const std::vector<ir::TmplFacts>& facts, const uint8_t* s, int t) {
  const ir::Program& p = m.program();
  const auto& th = p.threads[t];
  const auto& F = facts[th.tmpl];
  int loc = m.pc(s, t);
  if (!F.reached[loc]) return th.name + " rests at location " + std::to_string(loc) + ", which the analysis finds unreachable";
  for (size_t j = 0; j < F.locals[loc].size(); ++j) {
    const ir::LocalFact& f = F.locals[loc][j];
    int64_t v = m.get(s, th.local_base + int(j));
    std::string at = th.name + "." + p.tmpls[th.tmpl].locals[j].name + " at location " + std::to_string(loc);
    if (f.kind == ir::LocalFact::Value && v != f.value)
      return at + " is " + std::to_string(v) + ", the analysis says " + std::to_string(f.value);
    if (f.kind == ir::LocalFact::Pointer && v != 0) {
      if (v < 0 || v > int64_t(p.gid_kind.size())) return at + " is no pointer: " + std::to_string(v);
      if (f.ptr_kind >= 0 && p.gid_kind[v - 1] != f.ptr_kind) return at + " points to " + p.pointer_name(v) + ", of another kind";
    }
  }
  return "";
}

}  // namespace

TEST_CASE("facts: every reachable state keeps the locals' facts, in every model") {
  auto files = lct::models_in({"tests/regress/checks", "specs/examples", "specs/iommufd"});
  REQUIRE(files.size() > 100);
  size_t states = 0, values = 0, pointers = 0;
  for (const auto& f : files) {
    INFO(f);
    Loaded l = load_model_file(f);
    REQUIRE(l.program);
    const ir::Program& p = *l.program;
    auto facts = ir::local_facts(p);
    REQUIRE(facts.size() == p.tmpls.size());
    for (const auto& F : facts)
      for (const auto& at : F.locals)
        for (const auto& lf : at) {
          values += lf.kind == ir::LocalFact::Value;
          pointers += lf.kind == ir::LocalFact::Pointer;
        }
    Machine m(p);
    for (const auto& s : lct::reachable_states(m, 20000)) {
      ++states;
      for (int t = 0; t < m.threads(); ++t) {
        std::string why = broken(m, facts, s.data(), t);
        if (!why.empty()) FAIL(why);
      }
    }
  }
  CHECK(states > 200000);
  CHECK(values > 10000);   // the analysis knows something, not only "anything"
  CHECK(pointers > 1000);
}

TEST_CASE("facts: every state reached without a violation keeps the lock facts, in every model") {
  auto files = lct::models_in({"tests/regress/checks", "specs/examples", "specs/iommufd"});
  size_t states = 0, known = 0, held = 0;
  for (const auto& f : files) {
    INFO(f);
    Loaded l = load_model_file(f);
    REQUIRE(l.program);
    const ir::Program& p = *l.program;
    auto classes = ir::lock_classes(p);
    auto facts = ir::lock_facts(p, classes);
    REQUIRE(facts.size() == p.tmpls.size());
    for (const auto& F : facts)
      for (const auto& at : F.held)
        for (int n : at) {
          known += n >= 0;
          held += n > 0;
        }
    Machine m(p);
    for (const auto& s : lct::reachable_states(m, 20000, true)) {
      ++states;
      for (int t = 0; t < m.threads(); ++t) {
        int loc = m.pc(s.data(), t);
        for (size_t c = 0; c < classes.size(); ++c) {
          int n = facts[p.threads[t].tmpl].held[loc][c];
          if (n < 0) continue;
          int count = 0;
          for (int slot : classes[c].slots) count += m.lock_holder(s.data(), slot) == t;
          if (count != n)
            FAIL(p.threads[t].name << " at location " << loc << " holds " << count << " of " << classes[c].name
                                   << ", the analysis says " << n);
        }
      }
    }
  }
  CHECK(states > 200000);
  CHECK(known > 10000);
  CHECK(held > 1000);
}

TEST_CASE("facts: a lock step adds one, an unlock takes one; paths that disagree say nothing") {
  auto p = lct::compile(R"(
model m "locks";
mutex a;
object o max 2 { mutex l; }
o* x = null;
init { x = new o; }
thread t {
  bool ok = false;
  lock(a);
  lock(x->l);
  one: skip;
  unlock(x->l);
  if (ok) { unlock(a); }
  joined: skip;
  ok = trylock(a);
  tried: skip;
}
)");
  auto classes = ir::lock_classes(*p);
  REQUIRE(classes.size() == 2);
  CHECK(classes[0].name == "a");
  CHECK(classes[1].name == "o.l");
  CHECK(classes[1].slots.size() == 2);
  auto F = ir::lock_facts(*p, classes)[0];
  auto at = [&](const std::string& label) {
    for (const auto& l : p->tmpls[0].labels)
      if (l.name == label) return F.held[l.at];
    FAIL("no label " << label);
    return std::vector<int>{};
  };
  CHECK(F.held[p->tmpls[0].entry] == std::vector<int>{0, 0});
  CHECK(at("one") == std::vector<int>{1, 1});
  CHECK(at("joined") == std::vector<int>{-1, 0});
  CHECK(at("tried") == std::vector<int>{-1, 0});
}

TEST_CASE("facts: constants, pointer kinds and the reset after a return") {
  auto p = lct::compile(R"(
model m "facts";
object dev { int<0..3> users = 1; }
int<0..3> g = 0;
fn bump(int<0..9> v) -> int<0..9> { int<0..9> w = v + 1; return w; }
thread t {
  int<0..9> r = 2;
  dev* d = new dev;
  r = bump(r);
  g = 1;
}
)");
  auto facts = ir::local_facts(*p);
  const ir::ThreadTmpl& T = p->tmpls[p->threads[0].tmpl];
  const auto& F = facts[p->threads[0].tmpl];
  auto local = [&](const std::string& name) {
    for (size_t j = 0; j < T.locals.size(); ++j)
      if (T.locals[j].name == name) return int(j);
    FAIL("no local " << name);
    return -1;
  };
  int r = local("r"), d = local("d"), v = local("v"), w = local("w");
  // The last statement, `g = 1`: r was assigned a call's result (anything in range),
  // d holds a dev (or null), and bump's frame was cleared by its return.
  int last = -1;
  for (size_t l = 0; l < T.locs.size(); ++l)
    for (const auto& a : T.locs[l].actions)
      if (a.kind == ir::Act::Assign && p->exprs[a.place].op == ir::Op::Global) last = int(l);
  REQUIRE(last >= 0);
  CHECK(F.locals[last][r].kind == ir::LocalFact::Any);
  CHECK(F.locals[last][d].kind == ir::LocalFact::Pointer);
  CHECK(F.locals[last][d].ptr_kind == 0);
  CHECK(F.locals[last][v] == ir::LocalFact{ir::LocalFact::Value, 0, -1});
  CHECK(F.locals[last][w] == ir::LocalFact{ir::LocalFact::Value, 0, -1});
  // At the entry every local is at its reset value; at the end too (a finished thread's
  // locals are cleared).
  for (int l : {T.entry, T.end})
    for (size_t j = 0; j < T.locals.size(); ++j) CHECK(F.locals[l][j].kind == ir::LocalFact::Value);
  // `r = 2` was the first statement: right after it r is the constant 2.
  const ir::Action& first = T.locs[T.entry].actions[0];
  CHECK(F.locals[first.target][r] == ir::LocalFact{ir::LocalFact::Value, 2, -1});
}
