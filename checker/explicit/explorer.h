// Exhaustive explicit-state search: breadth-first over the Machine's transitions, so the
// first counterexample of each property is a shortest one.
#pragma once
#include <string>

#include "checker/verdict.h"

namespace lc {

// The explicit engine's own options; the CLI and tests set them through EngineOptions
// (checker/engine.h).
struct ExploreOptions {
  bool all = false;            // report every violated property, not only the first
  uint64_t max_states = 0;     // 0: no limit
  uint64_t memory_mb = 0;      // 0: no limit
  double timeout_s = 0;        // 0: no limit
  uint32_t max_depth = 0;      // 0: no limit; else states deeper than this are not expanded
  bool progress = false;       // periodic progress line on stderr
  bool merge = false;          // statement merging (model/merge.h): a step also runs the thread-local
                               // statements after it; depths and shortest counterexamples count merged steps
};

// Searches the states of `m` on copies of it (a Machine is not thread-safe, so engines
// running side by side may share one). With a step monitor, a dead end where the monitor
// refused a step is no deadlock, and finals are checked only where the run is complete
// (Machine::complete).
CheckResult explore(const Machine& m, const std::string& file, const ExploreOptions& o);

}  // namespace lc
