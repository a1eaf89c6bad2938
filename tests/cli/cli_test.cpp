#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "checker/symbolic/bmc.h"
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
  r = run_cli("check --engine z3 specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.err.find("--engine") != std::string::npos);
  r = run_cli("check --depth 0 specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  r = run_cli("check --engine bmc --rlimit 0 specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.err.find("--rlimit") != std::string::npos);
  r = run_cli("check --engine bmc --timeout -1 specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.err.find("--timeout") != std::string::npos);
}

TEST_CASE("cli: an option the chosen engine does not honour is a usage error (exit 2), never ignored") {
  const std::string hint = "Run 'lifecheck --help' or 'lifecheck check --help' for usage.\n";
  auto r = run_cli("check --engine bmc --memory 100 specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.out.empty());  // before any work
  CHECK(r.err == "lifecheck: error: --memory is not supported by --engine bmc (the Z3 engines do not bound their memory "
                 "yet)\n" + hint);
  r = run_cli("check --engine induction --max-states 5 specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "lifecheck: error: --max-states is not supported by --engine induction (the Z3 engines do not enumerate "
                 "states; --depth bounds them)\n" + hint);
  r = run_cli("check --engine explicit --rlimit 10 specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "lifecheck: error: --rlimit is not supported by --engine explicit (it limits each Z3 query, and the "
                 "explicit engine makes none)\n" + hint);
  r = run_cli("check --engine all --memory 10 specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "lifecheck: error: --memory is not supported by --engine all (induction, one of its two engines, does "
                 "not bound its memory yet)\n" + hint);
  // Several at once: every one, on the one error line.
  r = run_cli("check --reduction --rlimit 10 --format json specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "lifecheck: error: --rlimit is not supported by --engine explicit (it limits each Z3 query, and the "
                 "explicit engine makes none); --reduction is not supported by --engine explicit (the explicit engine "
                 "has no partial-order reduction yet)\n" + hint);
  r = run_cli("matrix --engine bmc --max-states 5 specs/examples/abba_deadlock.lc");
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "lifecheck: error: --max-states is not supported by --engine bmc (the Z3 engines do not enumerate "
                 "states; --depth bounds them)\n" + hint);
}

TEST_CASE("cli: the symbolic engines: violation 1, proof 0, bound 3, timeout 3, Z3 unknown 3") {
  auto r = run_cli("check --engine bmc specs/examples/abba_deadlock.lc");
  CHECK(r.status == 1);
  CHECK(r.out.find("engine bmc (Z3 4.") != std::string::npos);
  r = run_cli("check --engine induction --depth 10 tests/regress/checks/induction_counter_holds.lc");
  CHECK(r.status == 0);
  CHECK(r.out.find("  proved by k-induction at k = 1\n") != std::string::npos);
  r = run_cli("check --engine bmc --depth 4 specs/examples/lost_refcount_fixed.lc");
  CHECK(r.status == 3);
  CHECK(r.out.find("result: INCONCLUSIVE: limit hit (no violation up to depth 4 (bounded: not a proof)) after depth 4") !=
        std::string::npos);
  r = run_cli("check --engine bmc --depth 1000 --timeout 1 specs/iommufd/v1.lc");
  CHECK(r.status == 3);
  CHECK(r.out.find("INCONCLUSIVE: limit hit (timeout 1 s (while checking depth ") != std::string::npos);
  // --engine all: both engines side by side, both reported (the first to finish first).
  r = run_cli("check --engine all specs/examples/lost_refcount_fixed.lc");
  CHECK(r.status == 0);
  CHECK(r.out.find("  explored ") != std::string::npos);
  CHECK(r.out.find("  engine induction (Z3 4.") != std::string::npos);
  CHECK(r.out.find("ALL HOLD (every reachable state explored)") != std::string::npos);
  CHECK(r.out.find("ALL HOLD (proved)") != std::string::npos);
  // A resource limit makes Z3 give up deterministically: unknown is inconclusive, never a pass.
  r = run_cli("check --engine bmc --depth 8 --rlimit 10000 specs/examples/lost_refcount_fixed.lc");
  CHECK(r.status == 3);
  CHECK(r.out.find("INCONCLUSIVE: limit hit (Z3 returned unknown (sat.canceled; --rlimit 10000 per query) at depth ") !=
        std::string::npos);
  auto again = run_cli("check --engine bmc --depth 8 --rlimit 10000 specs/examples/lost_refcount_fixed.lc");
  CHECK(again.out == r.out);  // the same depth every time
}

TEST_CASE("cli: --reduction: BMC with partial-order reduction finds the same violation at the same step") {
  auto line = [](const std::string& out, const std::string& head) {
    size_t at = out.find(head);
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
  };
  auto n = run_cli("check --engine bmc --depth 12 specs/examples/use_after_put.lc");
  auto r = run_cli("check --engine bmc --depth 12 --reduction specs/examples/use_after_put.lc");
  CHECK(n.status == 1);
  CHECK(r.status == 1);
  const std::string want =
      "=> use_after_free at step 11 (user, specs/examples/use_after_put.lc:33:3): 'd->stats' touches dev#0, which was freed";
  CHECK(line(n.out, "=> ") == want);
  CHECK(line(r.out, "=> ") == want);
  // The reduction keeps one order of adjacent independent steps, the lower thread first:
  // user's three steps before owner touches the refcount.
  CHECK(line(r.out, "     4 ").find("dev_put(the_dev)") != std::string::npos);
}

TEST_CASE("cli: --merge: BMC counts merged steps, and prints every statement of them") {
  auto line = [](const std::string& out, const std::string& head) {
    size_t at = out.find(head);
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
  };
  auto r = run_cli("check --engine bmc --depth 12 --merge specs/examples/use_after_put.lc");
  CHECK(r.status == 1);
  // Both threads start with local statements (up to dev_put's atomic decrement), which the
  // initial states have run. Then three merged steps: owner's put, user's put, user's
  // free (each with the local statements after it), and the violating write. Printed as
  // the 13 statements they are.
  CHECK(line(r.out, "  engine ") == "  engine bmc (" + lc::symbolic::solver_version() +
                                          ", merged steps): 7 symbolic transitions, unrolled to depth 3");
  CHECK(line(r.out, "=> ") ==
        "=> use_after_free at step 13 (user, specs/examples/use_after_put.lc:33:3): 'd->stats' touches dev#0, which was freed");
  CHECK(line(r.out, "     3 ").find("bool last = false") != std::string::npos);
  // Two merged steps hold no violation, and the note says what the depth counts.
  auto shallow = run_cli("check --engine bmc --depth 2 --merge specs/examples/use_after_put.lc");
  CHECK(shallow.status == 3);
  CHECK(shallow.out.find("no violation up to depth 2 merged steps (bounded: not a proof)") != std::string::npos);
}

TEST_CASE("cli: --merge: the explicit engine explores merged steps, with the same verdict") {
  auto plain = run_cli("check --all specs/examples/use_after_put.lc");
  auto r = run_cli("check --all --merge specs/examples/use_after_put.lc");
  CHECK(plain.status == 1);
  CHECK(r.status == 1);
  CHECK(plain.out.find("  explored 63 states, 109 transitions, depth 13\n") != std::string::npos);
  CHECK(r.out.find("  explored 9 states, 12 transitions, depth 4\n"
                   "  statement merging: states where every thread rests; depths count merged steps\n") != std::string::npos);
  CHECK(r.out.find("=> use_after_free at step 13 (user, specs/examples/use_after_put.lc:33:3)") != std::string::npos);
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

TEST_CASE("cli: JSON of a failed induction step carries its counterexample to induction") {
  auto r = run_cli("check --engine induction --depth 3 --format json --stats tests/regress/checks/induction_aux_missing_holds.lc");
  CHECK(r.status == 3);
  auto j = nlohmann::json::parse(r.out);
  const auto& m = j["models"][0];
  CHECK(m["engine"].get<std::string>().rfind("induction (Z3 4.", 0) == 0);
  REQUIRE(m.contains("induction_cti"));
  const auto& c = m["induction_cti"];
  CHECK(c["k"] == 3);
  CHECK(c["property"] == "y_bounded");
  CHECK(c["check"] == "invariant");
  CHECK(c["start"]["threads"]["t"].get<std::string>().find("induction_aux_missing_holds.lc:10:") != std::string::npos);
  CHECK(c["start"]["values"].contains("y"));
  CHECK(c["trace"]["steps"].size() == 3);
  CHECK(m["stats"]["depth_seconds"].size() == 4);  // depths 0..3
}

TEST_CASE("cli: --stats prints the figures the benchmark reads") {
  auto r = run_cli("check --stats specs/examples/lost_refcount_fixed.lc");
  CHECK(r.status == 0);
  CHECK(r.out.find("stats: states=49 transitions=85 depth=12 bytes/state=") != std::string::npos);
  CHECK(r.out.find(" states/s=") != std::string::npos);
}

TEST_CASE("cli: matrix prints a model x property table (text, markdown, json)") {
  std::string models = "specs/examples/abba_deadlock.lc specs/examples/lost_refcount.lc specs/examples/wait_forever.lc";
  auto r = run_cli("matrix --no-time " + models);
  CHECK(r.status == 1);
  CHECK(r.out ==
        "model              states  use_after_free  double_free  lock_misuse  deadlock   lock_order  assert     range      null_deref  freed      users_balanced\n"
        "abba_deadlock          23  holds           holds        holds        VIOLATED   VIOLATED    holds      holds      holds       n/a        n/a\n"
        "lost_refcount         203  holds           holds        holds        holds      holds       holds      holds      holds       n/a        VIOLATED\n"
        "wait_forever           48  holds           holds        holds        VIOLATED   holds       holds      holds      holds       holds      n/a\n"
        "(VIOLATED: a counterexample exists; n/a: the model has no such property; !: differs from the model's expect line; unknown: a limit was hit)\n");
  auto md = run_cli("matrix --no-time --format markdown " + models);
  CHECK(md.out.find("| lost_refcount | 203 | holds | holds | holds | holds | holds | holds | holds | holds | n/a | **VIOLATED** |\n") !=
        std::string::npos);
  auto js = run_cli("matrix --format json " + models);
  auto j = nlohmann::json::parse(js.out);
  CHECK(j["properties"].size() == 10);
  CHECK(j["models"][1]["verdicts"]["users_balanced"]["status"] == "violated");
  CHECK(j["models"][1]["verdicts"]["users_balanced"]["as_expected"] == true);
  CHECK(j["models"][0]["verdicts"]["freed"]["status"] == "n/a");
  CHECK(j["models"][0].contains("seconds"));
}

TEST_CASE("cli: matrix marks a verdict that differs from the expect line") {
  auto r = run_cli("matrix --no-time tests/regress/checks/deadlock_wait_holds.lc tests/regress/checks/deadlock_wait_violated.lc");
  CHECK(r.status == 1);
  CHECK(r.out.find("VIOLATED!") == std::string::npos);
  auto bad = run_cli("matrix --no-time tests/regress/errors/unknown_identifier.lc specs/examples/abba_deadlock.lc");
  CHECK(bad.status == 2);
  CHECK(bad.out.find("error") != std::string::npos);
}
