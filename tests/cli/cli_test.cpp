#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support.h"

using lct::run_cli;

TEST_CASE("cli: exit status 0 when everything holds") {
  auto r = run_cli("check specs/examples/lost_refcount_fixed.lc");
  CHECK(r.status == 0);
  CHECK(r.out.find("result: ALL HOLD") != std::string::npos);
}

TEST_CASE("cli: exit status 1 on a violation") {
  auto r = run_cli("check specs/examples/abba_deadlock.lc");
  CHECK(r.status == 1);
  CHECK(r.out.find("result: VIOLATED (stopped at the first violation; --all checks every property)") != std::string::npos);
}

TEST_CASE("cli: exit status 2 on a broken model, with the caret diagnostic on stderr") {
  auto r = run_cli("check tests/regress/errors/unknown_identifier.lc");
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err.rfind("tests/regress/errors/unknown_identifier.lc:", 0) == 0);
}

TEST_CASE("cli: bad flags and missing files are usage errors (exit 2)") {
  auto r = run_cli("check --bogus specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.err.rfind("lifecheck: error: ", 0) == 0);
  r = run_cli("check no/such/file.lc");
  CHECK(r.status == 2);
  CHECK(r.err.find("no/such/file.lc") != std::string::npos);
  r = run_cli("check --max-states -5 specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  r = run_cli("check --format yaml specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  r = run_cli("frobnicate");
  CHECK(r.status == 2);
  r = run_cli("check --engine bmc specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.err.find("engine 'bmc' is not available") != std::string::npos);
}

TEST_CASE("cli: exit status 3 when a limit is hit, saying how far it got") {
  auto r = run_cli("check --max-states 5 specs/examples/lost_refcount_fixed.lc");
  CHECK(r.status == 3);
  CHECK(r.out.find("INCONCLUSIVE: limit hit (max-states 5) after ") != std::string::npos);
}

TEST_CASE("cli: several models combine to the worst status") {
  auto r = run_cli("check specs/examples/lost_refcount_fixed.lc specs/examples/abba_deadlock.lc");
  CHECK(r.status == 1);
  r = run_cli("check specs/examples/abba_deadlock.lc tests/regress/errors/unknown_identifier.lc");
  CHECK(r.status == 2);
}

TEST_CASE("cli: --format json is valid JSON with the documented fields") {
  auto r = run_cli("check --all --format json specs/examples/abba_deadlock.lc");
  CHECK(r.status == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["exit_code"] == 1);
  REQUIRE(j["models"].size() == 1);
  const auto& m = j["models"][0];
  CHECK(m["file"] == "specs/examples/abba_deadlock.lc");
  CHECK(m["result"] == "violated");
  bool lock_order = false;
  for (const auto& c : m["counterexamples"])
    if (c["check"] == "lock_order") lock_order = c["lock_cycle"].size() == 2;
  CHECK(lock_order);
}

TEST_CASE("cli: --stats prints the figures the benchmark reads") {
  auto r = run_cli("check --stats specs/examples/lost_refcount_fixed.lc");
  CHECK(r.status == 0);
  CHECK(r.out.find("stats: states=49 transitions=85 depth=12 bytes/state=") != std::string::npos);
  CHECK(r.out.find(" states/s=") != std::string::npos);
}
