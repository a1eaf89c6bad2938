#include <catch2/catch.hpp>

#include "checker/report/report.h"
#include "checker/report/view.h"
#include "tests/support.h"

using namespace lc;

static const char* kModel = R"(model two "two threads";
object o { int refs = 1; int data = 0; }
o* g;
mutex m;
init { g = new o; }
fn release(o* p) {
  lock(m);
  free(p);
  unlock(m);
}
thread closer { release(g); }
thread user { g->data = 1; }
)";

TEST_CASE("report: the race diagram has a column per thread and names the freeing step") {
  auto c = lct::check(kModel);
  std::string t = render_text(*c.machine, c.result);
  CHECK(t.find("  init: g = new o   [new o#0]\n") != std::string::npos);
  CHECK(t.find("  step  closer      user\n"
               "  ----  ----------  -----------\n"
               "     1  release(g)               | closer:11\n"
               "     2    lock(m)                | release:7  holds m\n"
               "     3    free(p)                | release:8  holds m  free o#0\n"
               "     4              g->data = 1  | user:12  <-- violation\n") != std::string::npos);
  CHECK(t.find("=> use_after_free at step 4 (user, test.lc:12:15): 'g->data' touches o#0, which was freed\n") !=
        std::string::npos);
  CHECK(t.find("   o#0 was freed at step 3 by closer in release (free(p), line 8)\n") != std::string::npos);
}

TEST_CASE("report: JSON carries verdicts and the trace under stable names") {
  auto c = lct::check(kModel);
  auto j = to_json(c.machine.get(), c.result);
  CHECK(j["model"] == "two");
  CHECK(j["result"] == "violated");
  CHECK(j["exit_code"] == 1);
  CHECK(j["complete"] == true);
  bool seen = false;
  for (const auto& p : j["properties"])
    if (p["name"] == "use_after_free") {
      seen = true;
      CHECK(p["status"] == "violated");
      CHECK(p["check"] == "builtin");
    }
  CHECK(seen);
  const auto& cx = j["counterexamples"][0];
  CHECK(cx["check"] == "use_after_free");
  CHECK(cx["object"] == "o#0");
  CHECK(cx["location"]["line"] == 12);
  const auto& steps = cx["trace"]["steps"];
  REQUIRE(steps.size() == 5);
  CHECK(steps[0]["thread"] == "init");
  CHECK(steps[3]["statement"] == "free(p)");
  CHECK(steps[3]["function"] == "release");
  CHECK(steps[3]["stack"] == nlohmann::json::array({"release"}));
  CHECK(steps[3]["locks_held"] == nlohmann::json::array({"m"}));
  CHECK(steps[3]["events"] == nlohmann::json::array({"free o#0"}));
  CHECK(steps[4]["violation"] == true);
  CHECK(j["stats"]["states"].get<int>() > 0);
}

TEST_CASE("report: a state shows a thread's locals by the names in scope at its position") {
  // a and b share a slot (f's frame is gone when h's opens); so do k and q, which have
  // different types.
  auto p = lct::compile(R"(model scopes "scopes";
object obj max 2 { int f; }
obj* g = null;
init { g = new obj; g = new obj; }
fn f(int<0..9> a) { int<0..9> k = 2; in_f: skip; }
fn h(int<0..9> b) { obj* q = g; in_h: skip; }
thread t { f(5); h(7); }
)");
  Machine m(*p);
  struct Last : StepSink {
    std::vector<uint8_t> s;
    size_t n = 0;
    void successor(const uint8_t* x, const StepInfo&) override { s.assign(x, x + n); }
  } last;
  last.n = m.state_size();
  m.initial(last);
  auto view_at = [&](const std::string& label) {
    int loc = -1;
    for (const auto& l : p->tmpls[0].labels)
      if (l.name == label) loc = l.at;
    for (int i = 0; i < 10 && m.pc(last.s.data(), 0) != loc; ++i) {
      auto cur = last.s;
      m.successors(cur.data(), last);
    }
    REQUIRE(m.pc(last.s.data(), 0) == loc);
    return view_state(m, last.s).values;
  };
  using V = std::vector<std::pair<std::string, std::string>>;
  CHECK(view_at("in_f") == V{{"t.a", "5"}, {"t.k", "2"}});  // not "obj#1": k is an int
  CHECK(view_at("in_h") == V{{"t.b", "7"}, {"t.q", "obj#1"}});
  CHECK(p->slot_name(p->threads[0].local_base) == "t.a");  // the slot's first user
}

namespace {

// Says that each step entering `fn` matched one captured event, as replay's monitor does
// (its byte counts the entries made).
struct Captured : StepMonitor {
  int fn = -1;
  size_t bytes() const override { return 1; }
  bool enter(const Machine& m, uint8_t* next, int, int f, const int64_t*, size_t) const override {
    if (f == fn) ++m.monitor_bytes(next)[0];
    return true;
  }
  std::vector<Observed> matched(const Machine& m, const uint8_t* before, const uint8_t* after) const override {
    if (m.monitor_bytes(after)[0] == m.monitor_bytes(before)[0]) return {};
    Observed o;
    o.file = "trace";
    o.line = 20417;
    o.ts_ns = 5000;
    o.pid = 143;
    o.task = "iommufd-143";
    o.what = "release()";
    return {o};
  }
};

}  // namespace

TEST_CASE("report: a step shows the observed events it matched, in the margin and in JSON") {
  auto p = lct::compile(kModel);
  Captured cap;
  cap.fn = p->fn_index("release");
  Machine m(*p, &cap);
  EngineOptions o;
  o.all = true;
  CheckResult r = run_engine(m, "test.lc", o);
  std::string t = render_text(m, r);
  CHECK(t.find("     1  release(g)               | closer:11  [trace line 20417 iommufd-143]\n"
               "     2    lock(m)                | release:7  holds m\n") != std::string::npos);
  auto j = to_json(&m, r);
  const auto& steps = j["counterexamples"][0]["trace"]["steps"];
  REQUIRE(steps.size() == 5);
  CHECK(!steps[0].contains("observed"));  // only where a step matched something
  nlohmann::json want = {{{"file", "trace"}, {"line", 20417}, {"record", false}, {"ts_ns", 5000}, {"pid", 143},
                          {"task", "iommufd-143"}, {"what", "release()"}}};
  CHECK(steps[1]["observed"] == want);
  CHECK(!steps[2].contains("observed"));
}

TEST_CASE("report: a thread the step monitor stops is named as such in a deadlock") {
  auto p = lct::compile("int x = 0;\nfn a() { x = 1; }\nthread t { a(); }\n");
  EntryMonitor em;
  em.observed_fn.assign(p->fns.size(), true);
  em.sequence = {{}};  // t may call nothing
  Machine m(*p, &em);
  struct First : StepSink {
    std::vector<uint8_t> s;
    size_t n = 0;
    void successor(const uint8_t* x, const StepInfo&) override { s.assign(x, x + n); }
  } init;
  init.n = m.state_size();
  m.initial(init);
  CheckResult r;
  r.file = "test.lc";
  r.properties = properties_of(*p);
  Counterexample c;
  c.property = "deadlock";
  c.violation.check = ir::Check::Deadlock;
  c.violation.message = "no thread can run, and not every thread has finished";
  c.trace.start = init.s;
  c.blocked = m.blocked(init.s.data());
  REQUIRE(c.blocked.size() == 1);
  REQUIRE(c.blocked[0].kind == Blocked::Monitor);
  r.counterexamples.push_back(c);
  CHECK(render_text(m, r).find("   t cannot take its next step: the observed events do not allow it (test.lc:3:12)\n") !=
        std::string::npos);
  auto b = to_json(&m, r)["counterexamples"][0]["blocked"][0];
  CHECK(b["thread"] == "t");
  CHECK(b["waits_for"] == "monitor");
  CHECK(b["location"]["line"] == 3);
  CHECK(!b.contains("lock"));
}
