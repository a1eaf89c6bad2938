// The one trace type: a counterexample from any engine (and, later, a replayed ftrace
// capture) is a sequence of steps, each a thread executing one or more IR actions.
#pragma once
#include <optional>
#include <vector>

#include "model/machine.h"
#include "model/merge.h"

namespace lc {

struct TraceStep {
  int thread = -1;                 // thread instance; Machine::init_thread() for init
  std::vector<ActRef> acts;        // IR actions executed (several for an atomic block)
  std::vector<Event> events;       // allocations, frees, lock operations
  std::vector<uint8_t> after;      // the state after the step
  std::optional<Violation> violation;
};

struct Trace {
  std::vector<TraceStep> steps;
  std::vector<uint8_t> start;      // the state before the first step
};

// Re-executes a path of states (each a successor of the previous; the first an initial
// state unless `from_initial` is false, as for a k-induction counterexample, which starts
// anywhere) and records what each step did. `last_ordinal` >= 0 appends the violating step
// with that successor ordinal from the last state. Returns false if the path does not
// replay (an internal error: engines must only hand in paths of this machine).
bool rebuild_trace(const Machine& m, const std::vector<std::vector<uint8_t>>& path, int last_ordinal, Trace* out,
                   bool from_initial = true);

// Appends to `t` the first step of `thread` from t's last state that acquires `lock`.
bool append_acquisition(const Machine& m, Trace* t, int thread, int lock);

// Statement merging (model/merge.h). A merged step is one step of a thread, then the
// thread-local steps after it. `unmerge` replaces each merged step of `path` by the states
// of its single steps; false if some pair of states is no merged step.
bool unmerge(const Machine& m, const ir::Merging& mg, std::vector<std::vector<uint8_t>>* path);
// The runs of single steps a merged step from `s` may take before its last step: for each
// thread, the states its thread-local steps pass through, shortest run first. A violation
// of a merged step from `s` is a violation of a single step from `s` or from the end of
// one of these runs.
std::vector<std::vector<std::vector<uint8_t>>> merged_prefixes(const Machine& m, const ir::Merging& mg, const uint8_t* s);
// The first merged step of `thread` from `s` when it rests at its entry and the entry is
// thread-local: the states after each of its single steps. Empty when the entry is not
// local or a step of the run violates something (then it stays a step of its own).
std::vector<std::vector<uint8_t>> entry_run(const Machine& m, const ir::Merging& mg, const uint8_t* s, int thread);

}  // namespace lc
