// Exhaustive explicit-state search: breadth-first over the Machine's transitions, so the
// first counterexample of each property is a shortest one.
#pragma once
#include <string>

#include "checker/verdict.h"

namespace lc {

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

CheckResult explore(const ir::Program& p, const std::string& file, const ExploreOptions& o);

}  // namespace lc
