// The Z3-backed engines: bounded model checking (shortest counterexamples, depth by
// depth) and k-induction (proofs for every depth). Counterexamples found by Z3 are
// replayed on the Machine, so they are ordinary Traces printed by the same reporter.
#pragma once
#include <string>

#include "checker/verdict.h"

namespace lc::symbolic {

struct SymbolicOptions {
  uint32_t depth = 30;        // unroll at most this many steps
  bool induction = false;     // also try to prove the remaining properties by k-induction
  bool all = true;            // every property (false: stop at the first violation)
  double timeout_s = 0;       // overall budget (0: none); each query gets what is left
  uint64_t rlimit = 0;        // Z3 resource limit per query (0: none); unlike time, deterministic
  bool progress = false;      // "depth K done after T s" on stderr (a terminal)
  bool por = true;            // peephole partial-order reduction (off: every interleaving, to compare)
};

CheckResult check_symbolic(const ir::Program& p, const std::string& file, const SymbolicOptions& o);
// "Z3 4.8.12"
std::string solver_version();

}  // namespace lc::symbolic
