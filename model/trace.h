// The one trace type: a counterexample from any engine and a replayed ftrace capture are
// a sequence of steps, each a thread executing one or more IR actions.
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
  std::vector<Observed> observed;  // replay: the captured events this step matched, in order
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

// Re-executes the successor of `from` with this ordinal and records what it did (its
// observed events included); false if there is none.
bool record_step(const Machine& m, const uint8_t* from, int ordinal, TraceStep* out);

// Appends to `t` the first step of `thread` from t's last state that acquires `lock`.
bool append_acquisition(const Machine& m, Trace* t, int thread, int lock);

// One step the Machine reported, copied out of its callback.
struct SingleStep {
  int thread = 0, ordinal = 0;
  std::vector<uint8_t> next;
  std::optional<Violation> violation, also;
  bool fatal() const { return violation && violation->fatal(); }
};
// The steps from `s` (of `thread` only, if >= 0). `events`, if given, receives the
// lock-order edges, state violations and model errors of the expansion.
std::vector<SingleStep> single_steps(const Machine& m, const uint8_t* s, int thread = -1, StepSink* events = nullptr);

// Statement merging (model/merge.h): a merged step is one step of a thread, then the
// thread-local steps after it until the thread rests. The one place that follows them:
// the steps after `first` in its merged step (the last may be fatal and end it).
std::vector<SingleStep> merged_rest(const Machine& m, const ir::Merging& mg, const SingleStep& first,
                                    StepSink* events = nullptr);
// Replaces each merged step of `path` by the states of its single steps; false if some pair
// of states is no merged step. A first state that ends one of `init_runs` (initial_run)
// is replaced by that run.
bool unmerge(const Machine& m, const ir::Merging& mg, std::vector<std::vector<uint8_t>>* path,
             const std::vector<std::vector<std::vector<uint8_t>>>& init_runs = {});
// The runs of single steps a merged step from `s` may take before its last step, shortest
// first per thread. A violation of a merged step from `s` is a violation of a single step
// from `s` or from the end of one of these runs.
std::vector<std::vector<std::vector<uint8_t>>> merged_prefixes(const Machine& m, const ir::Merging& mg, const uint8_t* s);
// From a state the init block made (first) to the initial state of merged runs: each
// thread whose entry is thread-local takes its first merged step, as those steps touch only
// its own locals. A thread whose run would violate something stays at its entry.
std::vector<std::vector<uint8_t>> initial_run(const Machine& m, const ir::Merging& mg, const uint8_t* s);

}  // namespace lc
