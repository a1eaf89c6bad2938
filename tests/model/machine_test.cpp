#include <catch2/catch.hpp>

#include "model/machine.h"
#include "tests/support.h"

using namespace lc;

namespace {
struct Collect : StepSink {
  size_t n;
  std::vector<std::vector<uint8_t>> states;
  std::vector<int> threads;
  std::vector<std::optional<Violation>> violations;
  std::vector<std::pair<int, int>> nested_edges;
  std::vector<Violation> state_violations;
  std::string error;
  void successor(const uint8_t* s, const StepInfo& i) override {
    states.emplace_back(s, s + n);
    threads.push_back(i.thread);
    violations.push_back(i.violation ? std::optional<Violation>(*i.violation) : std::nullopt);
  }
  void nested(int h, int a, int, lc::Span) override { nested_edges.push_back({h, a}); }
  void state_violation(const Violation& v) override { state_violations.push_back(v); }
  void model_error(Span, const std::string& m) override { error = m; }
};

std::vector<uint8_t> initial(const Machine& m) {
  Collect c;
  c.n = m.state_size();
  m.initial(c);
  REQUIRE(c.states.size() == 1);
  return c.states[0];
}

// The successors of `s`, or of thread `t` alone.
Collect succ(const Machine& m, const std::vector<uint8_t>& s, int t = -1) {
  Collect c;
  c.n = m.state_size();
  if (t < 0) m.successors(s.data(), c);
  else m.thread_successors(s.data(), t, c);
  return c;
}
}  // namespace

TEST_CASE("machine: each statement is one step, an if condition is its own step") {
  auto p = lct::compile("int x = 0;\nthread t { x = 1; if (x == 1) { x = 2; } }\n");
  Machine m(*p);
  auto s = initial(m);
  auto c1 = succ(m, s);
  REQUIRE(c1.states.size() == 1);
  CHECK(m.get(c1.states[0].data(), p->globals[0].slot) == 1);
  auto c2 = succ(m, c1.states[0]);  // the condition step changes only the pc
  REQUIRE(c2.states.size() == 1);
  CHECK(m.get(c2.states[0].data(), p->globals[0].slot) == 1);
  auto c3 = succ(m, c2.states[0]);
  CHECK(m.get(c3.states[0].data(), p->globals[0].slot) == 2);
  CHECK(m.all_finished(c3.states[0].data()));
}

TEST_CASE("machine: atomic is one step, choose gives one successor per branch") {
  auto p = lct::compile("int x = 0;\nthread t { atomic { x = 1; x = x + 1; } choose { x = 5; } or { x = 6; } }\n");
  Machine m(*p);
  auto c1 = succ(m, initial(m));
  REQUIRE(c1.states.size() == 1);
  CHECK(m.get(c1.states[0].data(), p->globals[0].slot) == 2);
  auto c2 = succ(m, c1.states[0]);
  CHECK(c2.states.size() == 2);
}

TEST_CASE("machine: lock blocks while another thread holds it, and records nesting") {
  auto p = lct::compile("mutex a;\nmutex b;\nthread t { lock(a); lock(b); unlock(b); unlock(a); }\nthread u { lock(a); unlock(a); }\n");
  Machine m(*p);
  auto c1 = succ(m, initial(m));
  REQUIRE(c1.states.size() == 2);  // t locks a, or u locks a
  auto after_t = c1.states[0];
  auto c2 = succ(m, after_t);      // u is blocked: only t can step
  REQUIRE(c2.states.size() == 1);
  CHECK(c2.threads[0] == 0);
  REQUIRE(c2.nested_edges.size() == 1);
  CHECK(c2.nested_edges[0] == std::make_pair(p->globals[0].slot, p->globals[1].slot));
}

TEST_CASE("machine: a step that touches a freed object reports use_after_free with the instance") {
  auto p = lct::compile("object o { int x = 0; }\no* g;\ninit { g = new o; }\nthread t { free(g); g->x = 1; }\n");
  Machine m(*p);
  auto c1 = succ(m, initial(m));
  auto c2 = succ(m, c1.states[0]);
  REQUIRE(c2.violations.size() == 1);
  REQUIRE(c2.violations[0]);
  CHECK(c2.violations[0]->check == ir::Check::UseAfterFree);
  CHECK(p->pointer_name(c2.violations[0]->instance) == "o#0");
  CHECK(c2.violations[0]->message == "'g->x' touches o#0, which was freed");
}

TEST_CASE("machine: relocking an own lock is reported on the state") {
  auto p = lct::compile("mutex a;\nthread t { lock(a); lock(a); }\n");
  Machine m(*p);
  auto c1 = succ(m, initial(m));
  auto c2 = succ(m, c1.states[0]);
  CHECK(c2.states.empty());
  REQUIRE(c2.state_violations.size() == 1);
  CHECK(c2.state_violations[0].check == ir::Check::LockMisuse);
  auto b = m.blocked(c1.states[0].data());
  REQUIRE(b.size() == 1);
  CHECK(b[0].kind == Blocked::Relock);
}

TEST_CASE("machine: an entry monitor restricts a thread to an observed call sequence and accepts at its end") {
  auto p = lct::compile(
      "int x = 0;\nfn iommufd_object_remove() { x = x + 1; }\nfn iommufd_device_unbind() { x = x + 10; }\n"
      "thread t { choose { iommufd_object_remove(); } or { iommufd_device_unbind(); } }\n");
  EntryMonitor em;
  em.observed_fn.assign(p->fns.size(), true);
  em.sequence = {{p->fn_index("iommufd_device_unbind")}};
  Machine m(*p, &em);
  CHECK(m.state_size() == p->state_size + 2);
  auto c1 = succ(m, initial(m));   // choose: two branches
  REQUIRE(c1.states.size() == 2);
  CHECK(!m.complete(c1.states[1].data()));
  auto blocked = succ(m, c1.states[0]);  // branch 1 would enter iommufd_object_remove: not observed next
  CHECK(blocked.states.empty());
  auto why = m.blocked(c1.states[0].data());
  REQUIRE(why.size() == 1);
  CHECK(why[0].kind == Blocked::Monitor);  // a dead end of the product, not a model deadlock
  auto ok = succ(m, c1.states[1]);
  REQUIRE(ok.states.size() == 1);
  CHECK(em.cursor(m, ok.states[0].data(), 0) == 1);
  auto rest = succ(m, ok.states[0]);
  while (!rest.states.empty() && !m.all_finished(rest.states[0].data())) rest = succ(m, rest.states[0]);
  REQUIRE(rest.states.size() == 1);
  CHECK(m.complete(rest.states[0].data()));  // finished, and every observed entry made
}

TEST_CASE("machine: new past max is a model error, not a violation") {
  auto p = lct::compile("object o max 1 { int x = 0; }\nthread t { o* a = new o; o* b = new o; }\n");
  Machine m(*p);
  auto c1 = succ(m, initial(m));
  auto c2 = succ(m, c1.states[0]);
  CHECK(c2.states.empty());
  CHECK(c2.error == "'new o' exceeds max 1 (raise 'max' in object o)");
}

TEST_CASE("machine: properties read freed instances (ghost view)") {
  auto p = lct::compile("object o { int x = 7; }\no* g;\ninit { g = new o; free(g); }\nthread t { skip; }\n"
                        "invariant ghost: forall v: o . v->x == 7;\ninvariant bad: g->x == 8;\n");
  Machine m(*p);
  auto s = initial(m);
  CHECK(m.check_property(s.data(), 0, nullptr) == 1);
  CHECK(m.check_property(s.data(), 1, nullptr) == 0);
}

TEST_CASE("machine: a pointer that names no object of its kind is a model error, not a crash") {
  // Only states that k-induction makes up hold such values; replaying one must not read
  // out of bounds.
  auto p = lct::compile(
      "model m; object dev { int<0..3> x = 0; } object other { int<0..3> y = 0; }\n"
      "dev* d = null; any* a = null;\n"
      "init { d = new dev; a = new other; }\n"
      "thread t { d->x = 1; free(a); }\n");
  Machine m(*p);
  auto s = initial(m);
  int d_slot = p->globals[0].slot;
  int64_t other_gid = p->kinds[1].first_gid + 1;  // d holds an object of the wrong kind
  uint64_t raw = uint64_t(other_gid - p->slots[d_slot].lo);
  memcpy(s.data() + p->slots[d_slot].offset, &raw, p->slots[d_slot].width);
  auto c = succ(m, s);
  CHECK(c.states.empty());
  CHECK(c.error == "'d' holds " + std::to_string(other_gid) + ", not a dev");
}

TEST_CASE("machine: the statements of an atomic block after a choose run on that branch's own state") {
  // Deeper frames of an atomic step reuse the frame above's scratch state; each branch of a
  // choose inside the block must still start from the state before it.
  auto p = lct::compile("int x = 0;\nint y = 0;\n"
                        "thread t { atomic { x = 1; choose { x = x + 1; } or { x = x + 2; } y = x; x = x * 10; } }\n");
  Machine m(*p);
  auto c = succ(m, initial(m));
  REQUIRE(c.states.size() == 2);
  CHECK(m.get(c.states[0].data(), p->globals[0].slot) == 20);
  CHECK(m.get(c.states[0].data(), p->globals[1].slot) == 2);
  CHECK(m.get(c.states[1].data(), p->globals[0].slot) == 30);
  CHECK(m.get(c.states[1].data(), p->globals[1].slot) == 3);
}

TEST_CASE("machine: thread_successors gives one thread's successors, as successors() does") {
  auto p = lct::compile("int x = 0;\nthread t { choose { x = 1; } or { x = 2; } }\nthread u { x = 3; }\n");
  Machine m(*p);
  auto s = initial(m);
  auto all = succ(m, s);
  REQUIRE(all.states.size() == 3);
  for (int t = 0; t < 2; ++t) {
    Collect one = succ(m, s, t);
    std::vector<std::vector<uint8_t>> want;
    for (size_t i = 0; i < all.states.size(); ++i)
      if (all.threads[i] == t) want.push_back(all.states[i]);
    CHECK(one.states == want);
    CHECK(one.threads == std::vector<int>(want.size(), t));
  }
}

TEST_CASE("machine: collect_garbage clears freed instances that nothing refers to, and only those") {
  auto p = lct::compile("object o max 3 { int<0..9> x = 0; }\no* g;\n"
                        "init { o* a = new o; a->x = 4; g = new o; g->x = 5; o* c = new o; c->x = 6; free(a); free(g); }\n"
                        "thread t { skip; }\n");
  Machine m(*p);
  auto s = initial(m);
  const ir::Kind& k = p->kinds[0];
  auto status = [&](int i) { return m.get(s.data(), k.first_slot + i * k.stride); };
  auto x = [&](int i) { return m.get(s.data(), k.first_slot + i * k.stride + 1); };
  REQUIRE(status(0) == ir::kFreed);
  REQUIRE(status(1) == ir::kFreed);
  m.collect_garbage(s.data());
  CHECK(status(0) == ir::kUnallocated);  // freed, and init's local no longer refers to it
  CHECK(x(0) == 0);
  CHECK(status(1) == ir::kFreed);        // freed, but g still points at it
  CHECK(x(1) == 5);
  CHECK(status(2) == ir::kAlive);
  CHECK(x(2) == 6);
}

TEST_CASE("machine: init runs from the same initial memory every time") {
  // init's first frame reads the machine's own initial memory, not a scratch state: it
  // must not step it in place.
  auto p = lct::compile("int x = 0;\nint y = 0;\ninit { x = x + 1; y = x; }\nthread t { skip; }\n");
  Machine m(*p);
  auto a = initial(m);
  auto b = initial(m);
  CHECK(a == b);
  CHECK(m.get(b.data(), p->globals[0].slot) == 1);
}
