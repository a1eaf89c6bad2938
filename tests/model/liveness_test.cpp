#include "model/liveness.h"

#include <catch2/catch.hpp>

#include "model/machine.h"
#include "tests/support.h"

using namespace lc;

TEST_CASE("liveness: a local is live from its definition to its last read, and a return clears the callee's") {
  auto p = lct::compile(R"(
model m "liveness";
int<0..9> g = 0;
fn f(int<0..9> a) -> int<0..9> { int<0..9> b = a + 1; return b; }
thread t {
  int<0..9> r = 1;
  int<0..9> q = 2;
  g = r;
  r = f(q);
  g = 5;
  g = r;
  q = 0;
  g = 1;
}
)");
  ir::Liveness live(*p);
  int tm = p->threads[0].tmpl;
  const ir::ThreadTmpl& T = p->tmpls[tm];
  auto at = [&](const std::string& text) {
    for (size_t l = 0; l < T.locs.size(); ++l)
      for (const auto& a : T.locs[l].actions)
        if (p->text(a.span) == text) return int(l);
    FAIL("no statement " << text);
    return -1;
  };
  auto local = [&](const std::string& name) {
    for (size_t i = 0; i < T.locals.size(); ++i)
      if (T.locals[i].name == name) return int(i);
    FAIL("no local " << name);
    return -1;
  };
  int r = local("r"), q = local("q"), b = local("b");
  CHECK(live.live(tm, at("g = r;"), r));             // read next
  CHECK(live.live(tm, at("g = r;"), q));             // read by the call after it
  CHECK_FALSE(live.live(tm, at("g = 5;"), q));       // written (q = 0) before any read: dead
  CHECK(live.live(tm, at("g = 5;"), r));             // the call's result, read two statements on
  CHECK_FALSE(live.live(tm, at("q = 0;"), r));       // never read again
  CHECK(live.live(tm, at("return b;"), b));          // the callee's local, read by its return
  CHECK_FALSE(live.live(tm, at("g = 1;"), b));       // cleared by the return
  CHECK_FALSE(live.live(tm, T.end, r));
}

TEST_CASE("liveness: a local a property reads is live everywhere") {
  auto p = lct::compile(R"(
model m "liveness";
int<0..9> g = 0;
thread t {
  int<0..9> r = 1;
  g = r;
  g = 2;
}
invariant small: t.r < 5;
)");
  ir::Liveness live(*p);
  int tm = p->threads[0].tmpl;
  const ir::ThreadTmpl& T = p->tmpls[tm];
  for (size_t l = 0; l < T.locs.size(); ++l) CHECK(live.live(tm, int(l), 0));
}

TEST_CASE("liveness: clearing dead locals leaves the live ones and the thread's position") {
  auto p = lct::compile(R"(
model m "liveness";
int<0..9> g = 0;
thread t {
  int<0..9> r = 3;
  int<0..9> q = 4;
  g = q;
  g = r;
}
)");
  ir::Liveness live(*p);
  Machine m(*p);
  const ir::ThreadTmpl& T = p->tmpls[p->threads[0].tmpl];
  int base = p->threads[0].local_base;
  int r = T.locals[0].name == "r" ? 0 : 1, q = 1 - r;
  bool seen = false;
  for (auto s : lct::reachable_states(m, 100)) {
    if (p->text(m.location(0, m.pc(s.data(), 0)).actions.empty() ? Span{} : m.location(0, m.pc(s.data(), 0)).actions[0].span) != "g = r;")
      continue;
    seen = true;  // before `g = r`: q was read by `g = q` and is dead, r is about to be read
    CHECK(m.get(s.data(), base + q) == 4);
    m.clear_dead_locals(s.data(), 0, live);
    CHECK(m.get(s.data(), base + r) == 3);
    CHECK(m.get(s.data(), base + q) == 0);
  }
  CHECK(seen);
}
