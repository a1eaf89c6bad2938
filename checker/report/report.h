// Output formats of a check: the text verdict table with race diagrams, and JSON.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "checker/verdict.h"

namespace lc {

// The verdict table, statistics and every counterexample as race diagrams.
std::string render_text(const ir::Program& p, const CheckResult& r);
// One trace as a race diagram: a column per thread, a row per step.
std::string render_race(const Machine& m, const Trace& t, bool last_violates, std::vector<int> extra_threads = {});
// "stats: states=.. transitions=.. depth=.. bytes/state=.. states/s=.. time=..s"
std::string render_stats(const CheckResult& r);
// The same content as render_text, as JSON (field names documented in README.md).
nlohmann::json to_json(const ir::Program* p, const CheckResult& r);

}  // namespace lc
