// Properties, their verdicts and the counterexamples behind them: the engine-neutral
// result that every reporter prints (CBMC's Property / Engine / Verifier split).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "model/trace.h"

namespace lc {

enum class Status { Holds, Violated, Unknown };
const char* status_name(Status s);

// One checked property: a builtin check or a user invariant/final.
struct PropertyResult {
  std::string name;                // "deadlock", "no_orphan"
  ir::Check check = ir::Check::Assert;
  int property = -1;               // user property index, -1 for builtins
  Status status = Status::Unknown;
  int counterexample = -1;         // index into CheckResult::counterexamples
  std::optional<bool> expect_violated;  // from the model's expect line, if any
  Span span;                       // user properties: where declared
};

// One edge of a lock-order cycle: `thread` took `acquired` while holding `held`.
struct LockEdge {
  int held = 0, acquired = 0, thread = 0;
  Trace trace;                     // a path that takes this edge (its last step acquires)
};

// The property of a k-induction counterexample whose made-up state runs into a model
// error (new past max): no check was violated.
inline constexpr const char* kModelErrorProperty = "model error";

struct Counterexample {
  std::string property;
  Violation violation;             // what went wrong, where
  Trace trace;
  bool violation_in_last_step = false;  // false: the violation is of the state after the trace
  std::vector<Blocked> blocked;    // deadlock: why each thread is stuck
  // lock_order: the cycle's edges, each with the trace that took it.
  std::vector<LockEdge> edges;
};

struct Stats {
  uint64_t states = 0, transitions = 0;
  uint32_t depth = 0;
  double seconds = 0;
  double bytes_per_state = 0;
  size_t state_bytes = 0;          // packed state vector size
  std::vector<double> depth_seconds;  // symbolic engines: [k] = seconds until depth k was checked
};

enum class Outcome { Complete, StoppedAtViolation, LimitHit, ModelError };

struct CheckResult {
  std::string file;
  std::string engine = "explicit";
  std::vector<PropertyResult> properties;
  std::vector<Counterexample> counterexamples;
  Stats stats;
  Outcome outcome = Outcome::Complete;
  std::string limit;               // which limit was hit
  std::string error;               // model error: rendered diagnostic
  std::string note;                // engine remark: "proved by k-induction at k = 4", ...
  std::optional<Trace> error_trace;  // the path that reached a run-time model error
  // k-induction whose step case failed: k+1 states, the first arbitrary (not necessarily
  // reachable), none violating a property before the last step. trace.start is that state.
  std::optional<Counterexample> cti;
  uint32_t cti_k = 0;

  bool any_violated() const;
  // 0 all hold, 1 a violation, 2 model error, 3 inconclusive.
  int exit_code() const;
};

// The violation of user property `i` (an invariant or final that is false in a state).
Violation property_violation(const ir::Program& p, int i);

// The properties of a program, all Unknown, with their expect lines attached.
std::vector<PropertyResult> properties_of(const ir::Program& p);

}  // namespace lc
