// The Z3-backed engines: bounded model checking (shortest counterexamples, depth by
// depth) and k-induction (proofs for every depth). Counterexamples found by Z3 are
// replayed on the Machine, so they are ordinary Traces printed by the same reporter.
#pragma once
#include <string>
#include <vector>

#include "checker/verdict.h"

namespace lc::symbolic {

// The symbolic engines' own options; the CLI and tests set them through EngineOptions
// (checker/engine.h), except the facts switch, which only tests flip.
struct SymbolicOptions {
  uint32_t depth = 30;        // unroll at most this many steps
  bool induction = false;     // also try to prove the remaining properties by k-induction
  bool all = true;            // every property (false: stop at the first violation)
  double timeout_s = 0;       // overall budget (0: none); each query gets what is left
  uint64_t rlimit = 0;        // Z3 resource limit per query (0: none); unlike time, deterministic
  bool progress = false;      // "depth K done after T s" on stderr (a terminal)
  bool facts = true;          // every frame assumes the semantics' facts (off: to compare)
  bool por = false;           // peephole partial-order reduction (bench/symbolic-results.md: it pays on
                              // some models and costs on most iommufd ones, so it is opt-in)
  bool merge = false;         // statement merging (model/merge.h): a step also runs the thread-local
                              // statements after it; depths and shortest counterexamples count merged steps
};

// Unrolls m.program() (the encoder reads the IR, not the Machine) and replays what Z3 finds
// on a copy of `m`. A step monitor cannot be encoded: with one, the result is an error
// (outcome ModelError, exit 2), never a run that ignores it.
CheckResult check_symbolic(const Machine& m, const std::string& file, const SymbolicOptions& o);
// "Z3 4.8.12"
std::string solver_version();
// For tests: the index of the first of `states` that breaks the facts every frame assumes
// (they must hold in every reachable state; with `merge`, in every state merged steps
// reach), or -1 (also when the model is not encodable). With `clean`: the lock facts the
// induction step assumes, which hold in every state reached without a violation.
long first_breaking_facts(const ir::Program& p, const std::vector<std::vector<uint8_t>>& states, bool merge = false,
                          bool clean = false);

}  // namespace lc::symbolic
