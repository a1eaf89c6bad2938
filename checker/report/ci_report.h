// `lifecheck ci`: every property of every model compared with the model's expect lines,
// one test case per property, and the outputs a CI system reads (summary text, JUnit XML,
// SARIF 2.1.0, JSON). Each output is a function of the results alone, so it is
// byte-identical however the models were scheduled.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/verdict.h"

namespace lc {

// How one test case came out. Failures, in order of severity: ModelError (exit 2),
// UnexpectedViolation and VanishedViolation (exit 1), Inconclusive (exit 3).
enum class CiOutcome { Pass, UnexpectedViolation, VanishedViolation, Inconclusive, ModelError };
// "pass", "unexpected_violation", "vanished_violation", "inconclusive", "model_error".
const char* ci_outcome_name(CiOutcome o);

// One checked model file.
struct CiModel {
  std::string file;                        // as found (relative paths stay relative)
  std::unique_ptr<ir::Program> program;    // null when the model does not load
  std::unique_ptr<Machine> machine;        // the Machine of `program` the engine ran on (reports)
  CheckResult result;                      // outcome ModelError: `error` holds the diagnostic
};

// One test case: a property of a model, or the whole model (named "model") when it
// could not be checked.
struct CiCase {
  std::string name;
  CiOutcome outcome = CiOutcome::Pass;
  int property = -1;            // index into result.properties; -1 for the model case
  std::string message;          // one line saying what differs; empty for a pass
  std::string file;             // where the finding points (SARIF, JUnit, text)
  int line = 1, col = 1;
};

// The cases of one model, in property order (builtins first, then invariants/finals).
std::vector<CiCase> ci_cases(const CiModel& m);
// 0 every case passes; else the worst failure: 2 a model error, 1 an unexpected
// verdict, 3 inconclusive.
int ci_exit_code(const std::vector<CiModel>& models);

// The summary table (one row per model), a line per failed case with the race diagram
// of each unexpected violation, and the closing line "N passed, N failed".
std::string render_ci_text(const std::vector<CiModel>& models);
// JUnit XML: a testsuite per model, a testcase per property.
std::string ci_junit(const std::vector<CiModel>& models);
// SARIF 2.1.0: one result per failed case, with code flows for counterexamples.
nlohmann::json ci_sarif(const std::vector<CiModel>& models);
// to_json of every model plus, per model, its cases ("ci") and the overall counts.
nlohmann::json ci_json(const std::vector<CiModel>& models);

}  // namespace lc
