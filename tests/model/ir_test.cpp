// Program's questions about the layout and about what an expression reads: the replay
// skips an invariant after a step that left every shared byte as it was, so an invariant
// classified as "shared state only" must really read nothing of any thread.
#include "model/ir.h"

#include <catch2/catch.hpp>

#include "tests/support.h"

using namespace lc;

TEST_CASE("ir: the shared bytes are the globals and instances, and every thread's pc and locals follow them") {
  auto p = lct::compile(R"(
model m "layout";
object obj max 2 { int<0..300> n = 0; }
int<0..9> g = 0;
obj* root = null;
init { root = new obj; }
thread a { int<0..9> x = 1; g = x; }
thread b { int<0..70000> y = 1; root->n = 2; }
)");
  uint32_t shared = p->shared_bytes();
  REQUIRE(shared > 0);
  CHECK(shared < p->state_size);
  for (const auto& t : p->threads) {
    CHECK(p->slots[size_t(t.pc_slot)].offset >= shared);
    const auto& T = p->tmpls[size_t(t.tmpl)];
    for (size_t i = 0; i < T.locals.size(); ++i) CHECK(p->slots[size_t(t.local_base) + i].offset >= shared);
  }
  for (const auto& g : p->globals) CHECK(p->slots[size_t(g.slot)].offset < shared);
  for (int64_t v = 1; v <= int64_t(p->gid_kind.size()); ++v)
    for (size_t s = 0; s < p->slots.size(); ++s)
      if (p->instance_of_slot(int(s)) == v) CHECK(p->slots[s].offset + p->slots[s].width <= shared);
}

TEST_CASE("ir: an expression reads thread state when it names a position, a thread's local or a lock holder") {
  auto p = lct::compile(R"(
model m "reads";
object obj max 2 { int<0..3> n = 0; }
int<0..9> g = 0;
mutex mu;
thread a {
  int<0..9> x = 1;
  here: g = x;
  lock(mu); unlock(mu);
}
invariant shared_only: g < 9 && (forall o: obj . o->n < 3) && !held(mu);
invariant position: !at(a, here) || g == 0;
invariant thread_local: a.x < 9;
invariant holder: !held_by(mu, a);
invariant finished: done(a) || g < 9;
)");
  auto reads = [&](const std::string& name) {
    for (const auto& pr : p->properties)
      if (pr.name == name) return p->reads_threads(pr.expr);
    FAIL("no property " << name);
    return false;
  };
  CHECK_FALSE(reads("shared_only"));
  CHECK(reads("position"));
  CHECK(reads("thread_local"));
  CHECK(reads("holder"));
  CHECK(reads("finished"));
}
