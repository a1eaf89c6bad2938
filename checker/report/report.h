// Output formats of a check: the text verdict table with race diagrams, and JSON.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "checker/verdict.h"

namespace lc {

// The verdict table, statistics and every counterexample as race diagrams. `m` is the
// Machine the engine ran on (with a monitor, steps show the observed events they matched).
std::string render_text(const Machine& m, const CheckResult& r);
// One trace as a race diagram: a column per thread, a row per step.
std::string render_race(const Machine& m, const Trace& t, bool last_violates, std::vector<int> extra_threads = {});
// The "=> property at step N (...): message" lines under a counterexample's diagram: what
// broke, where, the objects' histories or what each blocked thread waits for.
std::string render_violation(const Machine& m, const Counterexample& c);
// One trace as the JSON "trace" object ({threads, steps}, README.md).
nlohmann::json trace_to_json(const Machine& m, const Trace& t, bool last_violates);
// "stats: states=.. transitions=.. depth=.. bytes/state=.. states/s=.. time=..s"
std::string render_stats(const CheckResult& r);
// The same content as render_text, as JSON (field names documented in README.md); `m` is
// null when the model did not load.
nlohmann::json to_json(const Machine* m, const CheckResult& r);

}  // namespace lc
