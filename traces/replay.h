// Trace validation: search for a behaviour of the model whose observable calls are the
// capture's, per task and across tasks in timestamp order, with any number of silent steps
// between them; check the model's properties along it. The search is the product of the
// Machine with a ReplayMonitor, explored observation by observation (a breadth-first
// closure of silent steps per matched prefix), so memory stays flat in the capture's length.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/machine.h"
#include "model/trace.h"
#include "traces/observe.h"
#include "traces/replay_monitor.h"

namespace lc::traces {

struct ReplayOptions {
  uint64_t window_ns = 1000;      // events on different CPUs this close may match in either order
  uint32_t max_silent = 10000;    // silent steps along a behaviour between two matched observations
  uint64_t max_states = 1000000;  // states of the search between two observations (0: no limit)
  double timeout_s = 0;           // 0: none
  uint64_t memory_mb = 0;         // 0: none
  uint32_t context = 40;          // observations before the point of interest kept for the race diagram
  bool progress = false;          // progress on stderr
  // Explore every behaviour. Off, a thread whose task made its last observed call stops
  // there (when it holds no lock): that keeps the search small, and an acceptance is still
  // a behaviour of the model; a rejection or a violation is confirmed again with exact on.
  bool exact = false;
};

// One property along the matched behaviour.
struct ReplayProperty {
  std::string name;
  ir::Check check = ir::Check::Assert;
  int property = -1;  // user property index, -1 for builtins
  enum Status : uint8_t { Holds, Violated, NotChecked } status = Holds;
};

struct ReplayResult {
  enum class Verdict : uint8_t { Accepted, Rejected, Violated, Inconclusive };
  Verdict verdict = Verdict::Accepted;
  std::string file;
  Format format = Format::TracefsText;
  uint64_t events = 0;  // events read
  uint64_t observations =
      0;  // events the model stands for, as observations (a probe and the tracer's event of one call are one)
  uint64_t observed_events = 0;  // the events behind them
  uint64_t matched = 0;          // observations matched (all, when accepted)
  uint64_t silent_steps = 0;     // steps of the found behaviour that match nothing
  uint64_t states = 0;           // states the search visited
  Skipped skipped;
  std::vector<LostSpan> lost;  // where matching was relaxed
  struct Task {
    std::string name;  // "iommufd-56"
    uint32_t observations = 0;
    std::vector<std::string> threads;  // the model threads that can run it
  };
  std::vector<Task> tasks;
  std::vector<std::pair<std::string, bool>> observable;  // kernel function -> entries only (false) / returns too
  std::vector<ReplayProperty> properties;

  // Rejected: the first observation no behaviour matches, and what the model could do instead.
  std::optional<Observed> unmatched;
  uint32_t unmatched_index = 0;
  std::vector<std::string> expected;
  // Violated: what broke, where.
  std::optional<Violation> violation;
  std::string violated_property;
  bool violation_in_last_step = false;
  // The behaviour around the point of interest (rejection: the matched prefix's last
  // `context` observations; violation: up to the violating step); trace.start is where it
  // starts (not the initial state when earlier observations were cut off).
  Trace trace;
  uint32_t trace_from = 0;  // observations matched before trace.start
  std::string limit;        // Inconclusive: which limit, and how far it got
  bool exhaustive = false;  // decided by the exact search (ReplayOptions::exact)
  std::string search;       // the tier that decided: "lazy", "every thread", "exact"
  uint64_t widened = 0;     // lazy tier: layers where every thread had to move
  uint64_t state_bytes = 0; // bytes per state (model state and the monitor's)
};

// A model error found while replaying (rendered diagnostics, caret format).
struct ModelError {
  std::string diagnostics;
};

// One replay: owns the instantiated program and the Machine its traces refer to.
class Replay {
 public:
  // `base`: the model as loaded (its text is compiled again with the trace section's
  // constants and as many thread instances as the capture's tasks need); `open` opens the
  // capture afresh for each pass. run() throws TraceError on bad input and ModelError when
  // the model fails at run time (new past max) or does not compile with those bounds.
  Replay(const ir::Program& base, std::function<std::unique_ptr<EventReader>()> open, const ProbeDefs& probes,
         const ReplayOptions& o);
  ~Replay();
  ReplayResult run();
  // The Machine the result's trace belongs to (for the reporters).
  const Machine& machine() const { return *m_; }
  const ir::Program& program() const { return *program_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  const ir::Program& base_;
  std::unique_ptr<ir::Program> program_;
  std::unique_ptr<Machine> m_;
  friend struct Impl;
};

}  // namespace lc::traces
