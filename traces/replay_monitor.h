// The step monitor of trace validation: the model runs in lockstep with a capture. Its
// bytes in every state say which observations are matched (a prefix plus a window of
// out-of-order ones), which task each thread instance runs, which kernel address each
// object instance stands for, and whether the behaviour so far violated a property.
// A call of an observable function must match the calling task's next observation
// (function, parameters, the fields of the objects they point to, results); every other
// step is silent.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/machine.h"
#include "traces/observe.h"

namespace lc::traces {

class ReplayMonitor : public StepMonitor {
 public:
  static constexpr uint32_t kWindow = 64;  // observations past the first unmatched one that may match early

  // `entry_seen`/`exit_seen`: per model function, whether the capture shows its entries or
  // returns at all (functions it never shows are silent, like inlined ones).
  ReplayMonitor(const ir::Program& p, Mapper& obs, std::vector<bool> entry_seen, std::vector<bool> exit_seen,
                uint64_t window_ns);

  size_t bytes() const override { return off_addr_ + 4 * instances_; }
  bool may_run(const Machine& m, const uint8_t* s, int t) const override;
  // Lazy: only the thread whose task made the first unmatched observation takes steps (the
  // others wait where they are). Every behaviour found is still one of the model's; the
  // search widens when it finds none (replay.cpp).
  mutable bool lazy = false;
  bool enter(const Machine& m, uint8_t* next, int t, int fn, const int64_t* args, size_t n) const override;
  bool leave(const Machine& m, uint8_t* next, int t, int fn, bool has_value, int64_t value) const override;
  void freed(const Machine& m, uint8_t* next, int64_t instance) const override;
  bool accepting(const Machine& m, const uint8_t* s) const override { return matched_count(m, s) == total_; }
  std::vector<Observed> matched(const Machine& m, const uint8_t* before, const uint8_t* after) const override;

  // ---- the monitor bytes ----
  uint32_t pos(const Machine& m, const uint8_t* s) const { return rd32(m.monitor_bytes(s)); }
  uint64_t mask(const Machine& m, const uint8_t* s) const;
  uint32_t matched_count(const Machine& m, const uint8_t* s) const;
  bool is_matched(const Machine& m, const uint8_t* s, uint32_t i) const;
  // Task index + 1 that thread instance t runs (0: none).
  uint32_t task_of(const Machine& m, const uint8_t* s, int t) const {
    return rd32(m.monitor_bytes(s) + off_task_ + 4 * t);
  }
  void set_task(const Machine& m, uint8_t* s, int t, uint32_t task1) const {
    wr32(m.monitor_bytes(s) + off_task_ + 4 * t, task1);
  }
  // The first property (index + 1 into the replay's property list) this behaviour violated, 0 if none.
  uint32_t tainted(const Machine& m, const uint8_t* s) const { return rd32(m.monitor_bytes(s) + 12); }
  void set_tainted(const Machine& m, uint8_t* s, uint32_t prop1) const { wr32(m.monitor_bytes(s) + 12, prop1); }

  // The first observation of `task` not matched in `s` (UINT32_MAX: none within the window).
  uint32_t next_unmatched(const Machine& m, const uint8_t* s, uint32_t task) const;
  // Whether observation `pos` lies in a span where events were lost (matching is relaxed).
  bool relaxed(uint32_t pos) const;

  // The capture has this many observations (known after pass 1).
  void set_total(uint32_t n) { total_ = n; }
  uint32_t total() const { return total_; }
  void set_lost(std::vector<LostSpan> spans) { lost_ = std::move(spans); }

  // Why steps were refused, collected while `collect` is on (the report of a rejection).
  struct Refusal {
    int thread = 0;
    int fn = 0;
    bool leave = false;
    uint32_t obs = 0;  // the observation it was compared with (UINT32_MAX: none)
    std::string why;
  };
  mutable bool collect = false;
  mutable std::vector<Refusal> refusals;
  // Kernel addresses by the id the monitor bytes store.
  const std::vector<int64_t>& addresses() const { return addr_; }
  // The kernel address instance `ptr` stands for in `s`, or 0.
  int64_t address_of(const Machine& m, const uint8_t* s, int64_t ptr) const;

 private:
  static uint32_t rd32(const uint8_t* p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
  }
  static void wr32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }
  // The calling task's next observation if it may be matched now, else UINT32_MAX (and
  // *why says what is first).
  uint32_t next_of_task(const Machine& m, const uint8_t* s, uint32_t task, std::string* why) const;
  void mark(const Machine& m, uint8_t* s, uint32_t i) const;
  // Compares a model value with a captured one; binds kernel addresses to instances.
  bool same_pointer(const Machine& m, uint8_t* s, int64_t inst, int64_t addr, std::string* why) const;
  bool same_value(const Machine& m, uint8_t* s, const ir::FnSig::Value& type, int64_t model, int64_t captured,
                  bool raw_register, std::string* why) const;
  // The value of field `name` of instance `inst` in `s`; false if it has no such scalar field.
  bool field_value(const Machine& m, const uint8_t* s, int64_t inst, uint32_t name, int64_t* v,
                   ir::FnSig::Value* type) const;
  bool refuse(int t, int fn, bool leave, uint32_t obs, const std::string& why) const;
  uint32_t addr_id(int64_t addr) const;

  const ir::Program& p_;
  Mapper& obs_;
  std::vector<bool> entry_seen_, exit_seen_;
  uint64_t window_ns_;
  uint32_t total_ = UINT32_MAX;
  std::vector<LostSpan> lost_;
  size_t off_task_ = 16, off_addr_ = 0;
  int instances_ = 0;                               // object instances (all kinds)
  std::vector<std::vector<uint32_t>> param_names_;  // per fn: Symbols ids
  struct FieldRef {
    uint32_t name;
    int off;
    ir::FnSig::Value type;
  };
  std::vector<std::vector<FieldRef>> kind_fields_;  // per kind: scalar fields by name
  mutable std::unordered_map<int64_t, uint32_t> addr_ids_;
  mutable std::vector<int64_t> addr_ = {0};
};

}  // namespace lc::traces
