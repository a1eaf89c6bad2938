// The step semantics of the IR: initial states, enabled transitions, their effects, and
// the violations a step or a state exhibits. The only interpreter of the language: the
// explorer, the replayer, the reporter and the symbolic engine's cross-checks all use it.
#pragma once
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "model/ir.h"
#include "model/liveness.h"
#include "model/monitor.h"

namespace lc {

// A problem a step or a state exhibits.
struct Violation {
  ir::Check check = ir::Check::Assert;
  std::string message;    // one line, in model terms ("d->users: idev#0 was freed")
  int property = -1;      // Invariant/Final: index into Program::properties
  int64_t instance = 0;   // the object involved (pointer value), if any
  int lock_slot = -1;     // the lock involved, if any
  Span span;              // the statement or property
  bool fatal() const {
    return check == ir::Check::UseAfterFree || check == ir::Check::DoubleFree || check == ir::Check::Assert ||
           check == ir::Check::Range || check == ir::Check::NullDeref;
  }
};

// Something a step did that a reader of a counterexample wants to see.
struct Event {
  enum Kind : uint8_t { Alloc, Free, Lock, Unlock, TrylockOk, TrylockFail } kind;
  int64_t value;  // instance pointer value (Alloc/Free) or lock slot (lock events)
};

// The actions one transition executed (several inside an atomic block).
struct ActRef {
  int loc, action;
};

// Why a thread cannot step in a state.
struct Blocked {
  int thread = 0;
  enum Kind { Lock, Wait, Relock, Monitor } kind = Lock;  // Monitor: the step monitor forbids its step
  int lock_slot = -1;
  int holder = -1;        // thread index holding the lock (-1 none)
  Span span;              // the blocking statement (wait condition for Wait)
};

// Detail of a successor, given to the sink. `acts`/`events` are filled only when the
// machine records (trace reconstruction), so the search's hot loop allocates nothing.
struct StepInfo {
  int thread = 0;
  int ordinal = 0;                     // index among this state's successors
  const Violation* violation = nullptr;     // the fatal one if any, else the lock_misuse
  const Violation* also = nullptr;          // a lock_misuse in the same step as a fatal violation
  const std::vector<ActRef>* acts = nullptr;
  const std::vector<Event>* events = nullptr;
};

class StepSink {
 public:
  virtual ~StepSink() = default;
  // `next` is the machine's scratch state for this step (successors(), thread_successors()):
  // the machine does not read it after the call, so a sink may change it in place, and
  // must copy what it keeps.
  virtual void successor(const uint8_t* next, const StepInfo& info) = 0;
  // A thread acquired `acquired` with lock() while holding `held` (lock-order edge).
  virtual void nested(int held, int acquired, int thread, Span at) {}
  // The expanded state itself shows a violation (a thread waits on a lock it holds).
  virtual void state_violation(const Violation& v) {}
  // A model error found at run time (new past max, a blocked atomic block).
  virtual void model_error(Span at, const std::string& message) {}
  // The step monitor forbade a step of `thread` that the model alone would take (so a
  // state without successors is a dead end of the product, not a deadlock).
  virtual void refused(int thread) {}
};

struct MachineOptions {
  // `new` may reuse a freed instance that no pointer in the state refers to any more, once
  // every instance of the kind has been allocated (replay of long captures: the kernel
  // reuses memory too). Off for checking: there, `max` bounds the instances ever made.
  bool reuse_freed = false;
};

// Not thread-safe: a search thread uses its own copy (they are cheap to make).
class Machine {
 public:
  explicit Machine(const ir::Program& p, const StepMonitor* monitor = nullptr, MachineOptions o = {});
  Machine(const Machine& o);
  Machine& operator=(const Machine&) = delete;
  const ir::Program& program() const { return p_; }
  const StepMonitor* monitor() const { return monitor_; }
  // Bytes per state: the model's slots, then the monitor's bytes.
  size_t state_size() const { return size_; }
  size_t monitor_offset() const { return p_.state_size; }
  uint8_t* monitor_bytes(uint8_t* s) const { return s + p_.state_size; }
  const uint8_t* monitor_bytes(const uint8_t* s) const { return s + p_.state_size; }
  int threads() const { return int(p_.threads.size()); }

  // Initial states: all-zero memory with globals initialised, then the init block run
  // atomically (several states when init makes choices).
  void initial(StepSink& sink, bool record = false) const;
  // Every enabled transition of every thread, thread by thread in index order.
  void successors(const uint8_t* s, StepSink& sink, bool record = false) const;
  // The transitions of thread t alone, as successors() gives them but with ordinals
  // counted from 0 (so not for trace rebuilding, which needs successors()' ordinals).
  void thread_successors(const uint8_t* s, int t, StepSink& sink) const;

  bool finished(const uint8_t* s, int thread) const;
  bool all_finished(const uint8_t* s) const;
  // A run may end here: every thread finished and the monitor (if any) accepts. Finals are
  // checked only in complete states.
  bool complete(const uint8_t* s) const;
  // Sets a thread back to its entry with its locals cleared (replay: a new task reuses the
  // instance; a thread that will never run again looks like an unused one).
  void restart(uint8_t* s, int thread) const;
  // Clears the locals of `thread` that are dead at its location (replay: states that differ
  // only in values the thread will never read again are one state). Runs in the replay's
  // every step: the dead bytes per thread and location are worked out once per `live`.
  void clear_dead_locals(uint8_t* s, int thread, const ir::Liveness& live) const;
  // Turns every freed instance that no pointer refers to back into an unallocated one, its
  // fields cleared (replay: states that differ only in the remains of dead objects are the
  // same state). Properties then no longer see those instances.
  void collect_garbage(uint8_t* s) const;
  // The reason each unfinished thread cannot step (call on a state without successors).
  std::vector<Blocked> blocked(const uint8_t* s) const;
  // Evaluates property `i` (ghost view). Returns 1 holds, 0 violated, -1 the evaluation
  // itself failed (then *why says how, e.g. a field read through null).
  int check_property(const uint8_t* s, int i, std::string* why) const;

  int64_t get(const uint8_t* s, int slot) const;
  int pc(const uint8_t* s, int thread) const { return int(get(s, p_.threads[thread].pc_slot)); }
  int lock_holder(const uint8_t* s, int lock_slot) const { return int(get(s, lock_slot)) - 1; }
  // Locks held by `thread` (lock slots, in slot order).
  std::vector<int> held_locks(const uint8_t* s, int thread) const;
  // The thread index the init block runs as (one past the last thread).
  int init_thread() const { return threads(); }
  const ir::Location& location(int thread, int loc) const;

  struct Ctx;

 private:
  void set_raw(uint8_t* s, int slot, uint64_t raw) const;
  bool store(Ctx& c, int slot, int64_t v, int64_t lo, int64_t hi, Span at) const;
  int64_t eval(int e, Ctx& c) const;
  int place(int e, Ctx& c) const;
  bool enabled(const uint8_t* s, int t, const ir::Action& a, bool* errored, int* relock) const;
  void apply(Ctx& c, int t, const ir::Action& a, StepSink& sink, bool guard_failed) const;
  void run(const uint8_t* s, int t, StepSink& sink, bool record, int* ordinal, std::vector<ActRef>& acts,
           std::vector<Event>& events, Violation* carried, int depth) const;
  void step_thread(const uint8_t* s, int t, StepSink& sink, bool record, int* ordinal, std::vector<ActRef>& acts,
                   std::vector<Event>& events) const;
  void finish(uint8_t* s, int t, Ctx& c) const;
  int tmpl_of(int t) const { return t == threads() ? p_.init_tmpl : p_.threads[t].tmpl; }
  // The kind a pointer value names, or -1 (null, or a value no reachable state holds: the
  // states k-induction makes up may).
  int kind_of(int64_t ptr) const { return ptr > 0 && ptr <= int64_t(p_.gid_kind.size()) ? p_.gid_kind[ptr - 1] : -1; }
  int pc_slot(int t) const { return t == threads() ? p_.init_pc_slot : p_.threads[t].pc_slot; }
  int local_base(int t) const { return t == threads() ? p_.init_local_base : p_.threads[t].local_base; }

  // A freed instance of kind k that no pointer slot (globals, locals, fields of live
  // instances) refers to, or -1 (MachineOptions::reuse_freed).
  int unreferenced_freed(const uint8_t* s, const ir::Kind& k) const;

  const ir::Program& p_;
  const StepMonitor* monitor_;
  MachineOptions opts_;
  size_t size_;
  std::vector<uint8_t> init_state_;
  std::vector<int> ptr_slots_;  // slots that hold pointers (reuse_freed)
  std::vector<int64_t> slot_owner_;  // per slot: the instance whose field it is, or 0
  // Every instance's status slot, with the raw value of kFreed: collect_garbage's first
  // scan, which finds nothing to do in most states, reads bytes without decoding slots.
  struct StatusSlot {
    uint32_t offset;
    uint8_t width;
    uint32_t freed_raw;
  };
  std::vector<StatusSlot> status_slots_;
  // clear_dead_locals: per thread and location, the first of its runs of dead local bytes
  // in dead_runs_ (offset, length; each list ends with length 0), or -1 not yet built;
  // for the Liveness it was last called with.
  int32_t dead_runs_at(int thread, int loc, const ir::Liveness& live) const;
  mutable const ir::Liveness* dead_for_ = nullptr;
  mutable std::vector<std::vector<int32_t>> dead_first_;
  mutable std::vector<std::pair<uint32_t, uint32_t>> dead_runs_;
  mutable std::vector<bool> referenced_;
  // Scratch states per atomic depth. A deque: growing it (a deeper atomic step) must not
  // move the buffers that shallower frames of run() still use. One Machine per thread.
  mutable std::deque<std::vector<uint8_t>> pool_;
  mutable bool aborted_ = false;  // a model error ended the current expansion
};

}  // namespace lc
