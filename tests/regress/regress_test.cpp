// Data-driven regression cases: models with their expected verdicts (expect lines),
// malformed models with their exact diagnostics (.err), and the full text output of the
// teaching examples (golden/*.out).
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "tests/support.h"

namespace fs = std::filesystem;

using lct::files_in;

TEST_CASE("regress: every model gets the verdicts its expect lines give") {
  auto files = lct::models_in({"tests/regress/checks", "specs/examples", "../shared/examples"});
  REQUIRE(files.size() > 60);
  for (const auto& f : files) {
    INFO(f);
    auto r = lct::check_file(f).result;
    REQUIRE(r.outcome == lc::Outcome::Complete);
    for (const auto& p : r.properties) {
      INFO(p.name);
      bool want = p.expect_violated.value_or(false);
      CHECK(p.status == (want ? lc::Status::Violated : lc::Status::Holds));
    }
  }
}

TEST_CASE("regress: malformed models give exit 2 and exactly the pinned diagnostics") {
  auto files = files_in(lct::src("tests/regress/errors"));
  REQUIRE(files.size() > 30);
  std::regex header(R"(// error: (\d+):(\d+))");
  for (const auto& f : files) {
    std::string rel = fs::relative(f, LC_SOURCE_DIR).string();
    INFO(rel);
    auto r = lct::run_cli("check " + rel);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    std::string text = lct::slurp(f);
    std::smatch m;
    REQUIRE(std::regex_search(text, m, header));
    CHECK(r.err.rfind(rel + ":" + m[1].str() + ":" + m[2].str() + ": error: ", 0) == 0);
    std::string want = lct::slurp(f.substr(0, f.size() - 3) + ".err");
    CHECK(r.err == want);
  }
}

TEST_CASE("regress: teaching examples print the pinned counterexamples") {
  for (const auto& f : files_in(lct::src("specs/examples"))) {
    std::string name = fs::path(f).stem().string();
    std::string rel = "specs/examples/" + name + ".lc";
    INFO(rel);
    auto r = lct::run_cli("check --all " + rel);
    CHECK(r.out == lct::slurp(lct::src("tests/regress/golden/" + name + ".out")));
    CHECK(r.err.empty());
  }
}
