#include <catch2/catch.hpp>

#include "tests/support.h"

using lct::diagnostics;

TEST_CASE("sema: diagnostics are file:line:col, the source line and a caret") {
  std::string d = diagnostics("model m;\nint x = 0;\nthread t {\n  x = y + 1;\n}\n");
  CHECK(d ==
        "test.lc:4:7: error: unknown name 'y'\n"
        " 4 |   x = y + 1;\n"
        "   |       ^\n"
        "1 error in test.lc\n");
}

TEST_CASE("sema: several errors in one run") {
  std::string d = diagnostics(
      "object o { int a = 0; }\nthread t {\n  o* p = new o;\n  p->b = 1;\n  q = 2;\n  bool z = 3;\n}\n");
  CHECK(d.find("test.lc:4:6: error: object o has no field 'b'") != std::string::npos);
  CHECK(d.find("test.lc:5:3: error: unknown name 'q'") != std::string::npos);
  CHECK(d.find("test.lc:6:12: error: the initial value has type int, but bool is needed") != std::string::npos);
  CHECK(d.find("3 errors in test.lc") != std::string::npos);
}

TEST_CASE("sema: type rules for pointers") {
  CHECK(diagnostics("object a {int x = 0;}\nobject b {int x = 0;}\nthread t { a* p = new a; b* q = p; }")
            .find("the initial value has type a*, but b* is needed") != std::string::npos);
  CHECK(diagnostics("object a {int x = 0;}\nany* g;\nthread t { a* p = g; }")
            .find("has type any*, but a* is needed: convert it with 'as a'") != std::string::npos);
  CHECK(diagnostics("object a {int x = 0;}\nany* g;\nthread t { a* p = g as a; g = p; }") == "");
}

TEST_CASE("sema: recursion is reported with the cycle") {
  std::string d = diagnostics("fn f() { g(); }\nfn g() { f(); }\nthread t { f(); }\n");
  CHECK(d.find("recursive call (f -> g -> f)") != std::string::npos);
}

TEST_CASE("sema: ranges size the state vector") {
  auto p = lct::compile("int<0..3> a = 0;\nint<0..1000> b = 0;\nbool c = false;\nthread t { a = 1; }\n");
  CHECK(p->slots[p->globals[0].slot].width == 1);
  CHECK(p->slots[p->globals[1].slot].width == 2);
  CHECK(p->slots[p->globals[2].slot].width == 1);
}

TEST_CASE("sema: which steps of a thread enter a function next") {
  auto p = lct::compile(
      "int x = 0;\nfn iommufd_object_remove() { x = x + 1; }\nfn iommufd_device_unbind() { iommufd_object_remove(); }\n"
      "thread t { choose { iommufd_object_remove(); } or { x = 2; } iommufd_device_unbind(); iommufd_object_remove(); }\n");
  int rm = p->fn_index("iommufd_object_remove"), unbind = p->fn_index("iommufd_device_unbind");
  std::vector<bool> observed(p->fns.size(), true);
  const auto& t = p->tmpls[0];
  // From the entry: the call in the first choose branch; the ones after unbind are hidden
  // behind the observed entry of iommufd_device_unbind.
  auto next = p->next_entries(0, t.entry, rm, observed);
  REQUIRE(next.size() == 1);
  CHECK(p->stacks[t.locs[next[0].first].stack].empty());
  auto all = p->entries_of(0, rm);
  CHECK(all.size() == 3);  // first branch, inside unbind, and the last statement
  auto u = p->next_entries(0, t.entry, unbind, observed);
  CHECK(u.size() == 1);
  // Unobserved functions are transparent: with nothing observed, every entry is "next".
  std::vector<bool> none(p->fns.size(), false);
  CHECK(p->next_entries(0, t.entry, rm, none).size() == 3);
}

TEST_CASE("sema: functions are inlined with their names kept as call stacks") {
  auto p = lct::compile(
      "int x = 0;\nfn inner() { x = 1; }\nfn iommufd_device_unbind() { inner(); }\nthread vfio_close { iommufd_device_unbind(); }\n");
  int outer = p->fn_index("iommufd_device_unbind"), in = p->fn_index("inner");
  REQUIRE(outer >= 0);
  REQUIRE(in >= 0);
  // "which steps of this thread enter function F next": the Call actions into F.
  auto entries = p->entries_of(0, in);
  REQUIRE(entries.size() == 1);
  const auto& loc = p->tmpls[0].locs[entries[0].first];
  CHECK(p->stacks[loc.stack] == std::vector<int>{outer});
  bool found_assign = false;
  for (const auto& l : p->tmpls[0].locs)
    for (const auto& a : l.actions)
      if (a.kind == lc::ir::Act::Assign) {
        found_assign = true;
        CHECK(p->stacks[l.stack] == std::vector<int>{outer, in});
      }
  CHECK(found_assign);
}
