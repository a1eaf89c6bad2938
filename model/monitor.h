// A step monitor runs in lockstep with the Machine: the product of the model with an
// observer (DESIGN.md: "its own state bytes, which steps it allows, how it advances, when
// it accepts"). Trace replay builds one from a capture, predictive analysis from per-task
// call orders; every engine and reporter then works on the product through the Machine.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lc {

class Machine;

// An observed event that a step matched: where it is in its capture and what it was.
struct Observed {
  std::string file;        // the capture as named on the command line
  uint32_t line = 0;       // 1-based line (text) or record index (trace.dat, `record` true)
  bool record = false;
  uint64_t ts_ns = 0;
  int32_t pid = -1;
  std::string task;        // "iommufd-56"
  std::string what;        // the event as a reader would say it ("iommufd_object_remove obj=0x.. flags=1")
};

class StepMonitor {
 public:
  virtual ~StepMonitor() = default;
  // Bytes the monitor keeps after the model's slots in every state vector; every hook
  // below finds them at Machine::monitor_bytes(state).
  virtual size_t bytes() const = 0;
  // Sets the initial monitor bytes (they start zeroed).
  virtual void start(const Machine& m, uint8_t* s) const {}
  // Whether thread `t` may step at all in `s` (replay: no task is bound to an instance yet).
  virtual bool may_run(const Machine& m, const uint8_t* s, int t) const { return true; }
  // Thread `t` enters function `fn` with these argument values (its Call action, already
  // applied to `next`): false forbids the step; true may advance the monitor bytes of `next`.
  virtual bool enter(const Machine& m, uint8_t* next, int t, int fn, const int64_t* args, size_t n) const {
    return true;
  }
  // Thread `t` returns from `fn` (`has_value`: the function has a result, `value`), before
  // the frame's locals are cleared: the same contract as enter().
  virtual bool leave(const Machine& m, uint8_t* next, int t, int fn, bool has_value, int64_t value) const {
    return true;
  }
  // An instance (pointer value) was freed in `next`: what the monitor bound to it ends.
  virtual void freed(const Machine& m, uint8_t* next, int64_t instance) const {}
  // Whether a run may end in `s` as far as the monitor is concerned (replay: every observed
  // event matched). Finals are checked, and a stuck state is a deadlock, only where it does.
  virtual bool accepting(const Machine& m, const uint8_t* s) const { return true; }
  // The observed events the step from `before` to `after` matched (reports), in order.
  virtual std::vector<Observed> matched(const Machine& m, const uint8_t* before, const uint8_t* after) const {
    return {};
  }
};

// The monitor of a fixed call order per thread (predictive analysis, tests): a call of an
// observed function is allowed only as the thread's next observed entry, and a run is
// complete only when every thread made all of its entries.
class EntryMonitor : public StepMonitor {
 public:
  std::vector<bool> observed_fn;            // per function index
  std::vector<std::vector<int>> sequence;   // per thread instance: function indices in order

  size_t bytes() const override { return 2 * sequence.size(); }
  bool enter(const Machine& m, uint8_t* next, int t, int fn, const int64_t* args, size_t n) const override;
  bool accepting(const Machine& m, const uint8_t* s) const override;
  // Thread t's cursor: how many of its entries it has made in `s`.
  int cursor(const Machine& m, const uint8_t* s, int t) const;
};

}  // namespace lc
