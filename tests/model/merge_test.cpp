#include "model/merge.h"

#include <algorithm>

#include <catch2/catch.hpp>

#include "model/machine.h"
#include "tests/support.h"

using namespace lc;

TEST_CASE("merge: which statements are thread-local, and where merged steps stop") {
  auto p = lct::compile(R"(
model m "merge";
int<0..9> g = 0;
int<0..9> k = 2;
mutex mu;
init { k = 3; }
thread t {
  int<0..9> r = 1;
  r = r + k;
  if (r > 2) { r = 0; }
  g = r;
  lock(mu);
  r = g;
  unlock(mu);
  while (r < 3) { r = r + 1; }
}
thread u { g = 1; }
)");
  auto M = ir::merging(*p);
  int tm = p->threads[0].tmpl;
  const ir::ThreadTmpl& T = p->tmpls[tm];
  // The location of the statement whose source text is `text`.
  auto at = [&](const std::string& text) {
    for (size_t l = 0; l < T.locs.size(); ++l)
      for (const auto& a : T.locs[l].actions)
        if (p->text(a.span) == text) return int(l);
    FAIL("no statement " << text);
    return -1;
  };
  // Locals, a global only init writes (k), and a condition on locals (both outcomes).
  CHECK(M.local[tm][at("int<0..9> r = 1;")]);
  CHECK(M.local[tm][at("r = r + k;")]);
  CHECK(M.local[tm][at("r > 2")]);
  // Shared state: a global a thread writes (read or written), a lock.
  CHECK_FALSE(M.local[tm][at("g = r;")]);
  CHECK_FALSE(M.local[tm][at("lock(mu);")]);
  CHECK_FALSE(M.local[tm][at("r = g;")]);
  CHECK_FALSE(M.local[tm][T.end]);
  // A thread rests at its entry, before shared statements, and at a loop head a back edge
  // enters; never inside a run of local statements.
  CHECK(M.rest[tm][T.entry]);
  CHECK_FALSE(M.rest[tm][at("r = r + k;")]);
  CHECK_FALSE(M.rest[tm][at("r > 2")]);
  CHECK(M.rest[tm][at("g = r;")]);
  int head = at("r < 3");
  CHECK(M.local[tm][head]);
  CHECK(M.rest[tm][head]);
  // The loop body's edge back to the head is a back edge: a merged step stops there.
  CHECK_FALSE(M.continues(tm, head));
  // `r = 1` goes on into `r = r + k`, which goes on into the condition.
  CHECK(M.continues(tm, T.locs[T.entry].actions[0].target));
  CHECK(M.continues(tm, at("r > 2")));
}

TEST_CASE("merge: at a thread-local location the interpreter has one step, and it changes only the thread") {
  // What merging relies on, against the one interpreter in every reachable state of every
  // model: a thread at a local location is never blocked, never chooses, its step leaves
  // every slot but its own pc and locals as it was, and it does the same after any other
  // thread's step. So the step commutes with every other thread's and may run right after
  // the thread's previous one.
  auto files = lct::models_in({"tests/regress/checks", "specs/examples", "specs/iommufd"});
  REQUIRE(files.size() > 100);
  size_t checked = 0;
  for (const auto& f : files) {
    INFO(f);
    Loaded l = load_model_file(f);
    REQUIRE(l.program);
    const ir::Program& p = *l.program;
    auto M = ir::merging(p);
    Machine m(p);
    // The successors of `s` by `thread` (-1: by any other than `other`), fatal ones included
    // unless `nonfatal`.
    auto steps = [&](const uint8_t* s, int thread, int other, bool nonfatal) {
      struct Steps : StepSink {
        int thread, other;
        bool nonfatal;
        size_t n;
        std::vector<std::vector<uint8_t>> next;
        void successor(const uint8_t* s, const StepInfo& i) override {
          if (nonfatal && i.violation && i.violation->fatal()) return;
          if (thread >= 0 ? i.thread == thread : i.thread != other) next.emplace_back(s, s + n);
        }
      } st;
      st.thread = thread;
      st.other = other;
      st.nonfatal = nonfatal;
      st.n = m.state_size();
      m.successors(s, st);
      return std::move(st.next);
    };
    for (const auto& s : lct::reachable_states(m, 20000)) {
      for (int t = 0; t < m.threads(); ++t) {
        const auto& th = p.threads[t];
        if (!M.local[th.tmpl][m.pc(s.data(), t)]) continue;
        INFO(th.name << " at location " << m.pc(s.data(), t));
        auto mine = steps(s.data(), t, -1, false);
        REQUIRE(mine.size() == 1);
        int own_lo = th.local_base, own_hi = th.local_base + int(p.tmpls[th.tmpl].locals.size());
        auto own = [&](int j) { return j == th.pc_slot || (j >= own_lo && j < own_hi); };
        for (int j = 0; j < int(p.slots.size()); ++j)
          if (!own(j) && m.get(mine[0].data(), j) != m.get(s.data(), j)) FAIL("the step changes " << p.slot_name(j));
        // After another thread's step, the thread's step does the same to its own slots.
        for (const auto& other : steps(s.data(), -1, t, true)) {
          auto again = steps(other.data(), t, -1, false);
          REQUIRE(again.size() == 1);
          for (int j = 0; j < int(p.slots.size()); ++j)
            if (own(j) && m.get(again[0].data(), j) != m.get(mine[0].data(), j))
              FAIL("after another thread's step, the step gives " << p.slot_name(j) << " another value");
        }
        ++checked;
      }
    }
  }
  CHECK(checked > 100000);
}

TEST_CASE("merge: a statement that changes what a property reads of its thread is not local") {
  // Each thread has three local statements: `int r = 1`, `r = r + 1` and, after the shared
  // `g = r`, the last one `r = 0` (which finishes the thread).
  auto locals = [](const std::string& props) {
    auto p = lct::compile("model m \"watched\";\nint<0..9> g = 0;\n"
                          "thread t { int<0..9> r = 1; r = r + 1; g = r; r = 0; }\n"
                          "thread u { int<0..9> r = 1; here: r = r + 1; g = r; r = 0; }\n" + props);
    auto M = ir::merging(*p);
    std::vector<int> n;
    for (const auto& th : p->threads) n.push_back(int(std::count(M.local[th.tmpl].begin(), M.local[th.tmpl].end(), true)));
    return n;
  };
  CHECK(locals("invariant shared: g <= 9;") == std::vector<int>{3, 3});
  // Every statement of t writes r.
  CHECK(locals("invariant t_local: t.r <= 9;") == std::vector<int>{0, 3});
  // u steps into `here` and out of it.
  CHECK(locals("invariant u_position: at(u, here) => g == 0;") == std::vector<int>{3, 1});
  // u's last statement finishes it.
  CHECK(locals("final u_done: done(u) => g >= 1;") == std::vector<int>{3, 2});
  // A lock holder is not a position: nothing changes.
  CHECK(locals("mutex mu;\ninvariant holder: !held_by(mu, u);") == std::vector<int>{3, 3});
}
