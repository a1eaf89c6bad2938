#include "traces/lookahead.h"

#include <catch2/catch.hpp>

#include "tests/support.h"

using namespace lc;

TEST_CASE("lookahead: the observed calls a thread can make next, from each location", "[traces]") {
  auto p = lct::compile(R"(
model m "lookahead";
int<0..9> g = 0;
fn open_file() { g = 1; }
fn do_ioctl() -> int<-22..0> { choose { return -22; } or { return 0; } }
fn close_file() { g = 0; }
fn helper() { g = 2; }
thread t {
  open_file();
  int<-22..0> r = do_ioctl();
  if (r == 0) { helper(); do_ioctl(); }
  close_file();
}
)");
  traces::Symbols sy;
  traces::ModelNames names(*p, sy);
  std::vector<bool> entry(p->fns.size(), false), exit(p->fns.size(), false);
  auto fn = [&](const std::string& n) {
    for (size_t f = 0; f < p->fns.size(); ++f)
      if (p->fns[f] == n) return int(f);
    FAIL("no fn " << n);
    return -1;
  };
  for (const char* f : {"open_file", "do_ioctl", "close_file"}) entry[fn(f)] = true;  // helper: not traced
  exit[fn("do_ioctl")] = true;
  traces::Lookahead la(*p, names, entry, exit);
  int tm = p->threads[0].tmpl;
  const ir::ThreadTmpl& T = p->tmpls[tm];
  auto at = [&](const std::string& text) {
    for (size_t l = 0; l < T.locs.size(); ++l)
      for (const auto& a : T.locs[l].actions)
        if (p->text(a.span) == text) return int(l);
    FAIL("no statement " << text);
    return -1;
  };
  auto k = [&](const char* f) { return sy.find(f); };
  REQUIRE(k("do_ioctl"));
  // Before the branch on r: the second ioctl (through the silent helper) or the close.
  int branch = at("r == 0");
  CHECK(la.may_reach(tm, branch, k("do_ioctl"), false));
  CHECK(la.may_reach(tm, branch, k("close_file"), false));
  CHECK_FALSE(la.may_reach(tm, branch, k("open_file"), false));
  CHECK_FALSE(la.may_reach(tm, branch, k("do_ioctl"), true));  // no return before the next entry
  // Inside do_ioctl its return comes first, nothing else.
  int ret = at("return -22;");
  CHECK(la.may_reach(tm, ret, k("do_ioctl"), true));
  CHECK_FALSE(la.may_reach(tm, ret, k("close_file"), false));
  // After the close the thread ends and starts again: open_file is next.
  CHECK(la.may_reach(tm, T.end, k("open_file"), false));
  CHECK_FALSE(la.may_reach(tm, T.end, k("close_file"), false));
  // A call no model step makes prunes nothing.
  CHECK(la.may_reach(tm, branch, sy.intern("iommufd_other"), false));
}
