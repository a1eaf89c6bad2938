#include "traces/replay_monitor.h"

#include <algorithm>
#include <bit>
#include <cstdio>

namespace lc::traces {

namespace {
std::string hex(int64_t v) {
  char b[32];
  snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
  return b;
}
bool err_ptr(int64_t v) { return v >= -4095 && v < 0; }
}  // namespace

ReplayMonitor::ReplayMonitor(const ir::Program& p, Mapper& obs, std::vector<bool> entry_seen,
                             std::vector<bool> exit_seen, uint64_t window_ns)
    : p_(p), obs_(obs), entry_seen_(std::move(entry_seen)), exit_seen_(std::move(exit_seen)), window_ns_(window_ns) {
  off_task_ = 16;
  off_addr_ = off_task_ + 4 * p.threads.size();
  for (const auto& k : p.kinds) instances_ += k.max;
  Symbols& sy = obs.symbols();
  param_names_.resize(p.fns.size());
  for (size_t f = 0; f < p.fns.size(); ++f)
    for (const auto& prm : p.sigs[f].params) param_names_[f].push_back(sy.intern(prm.name));
  kind_fields_.resize(p.kinds.size());
  for (size_t k = 0; k < p.kinds.size(); ++k)
    for (const auto& f : p.kinds[k].fields) {
      if (f.len || f.type == ir::Type::Lock) continue;
      ir::FnSig::Value t{f.name, f.type, f.target, 0, 0};
      kind_fields_[k].push_back({sy.intern(f.name), f.off, t});
    }
}

uint64_t ReplayMonitor::mask(const Machine& m, const uint8_t* s) const {
  uint64_t v;
  memcpy(&v, m.monitor_bytes(s) + 4, 8);
  return v;
}

uint32_t ReplayMonitor::matched_count(const Machine& m, const uint8_t* s) const {
  return pos(m, s) + uint32_t(std::popcount(mask(m, s)));
}

bool ReplayMonitor::is_matched(const Machine& m, const uint8_t* s, uint32_t i) const {
  uint32_t p = pos(m, s);
  if (i < p) return true;
  if (i == p || i > p + kWindow) return false;
  return (mask(m, s) >> (i - p - 1)) & 1;
}

void ReplayMonitor::mark(const Machine& m, uint8_t* s, uint32_t i) const {
  uint8_t* mb = m.monitor_bytes(s);
  uint32_t p = rd32(mb);
  uint64_t k;
  memcpy(&k, mb + 4, 8);
  if (i == p) {  // the prefix grows over every early match that now follows it
    ++p;
    while (k & 1) {
      k >>= 1;
      ++p;
    }
    k >>= 1;
  } else {
    k |= uint64_t(1) << (i - p - 1);
  }
  wr32(mb, p);
  memcpy(mb + 4, &k, 8);
}

bool ReplayMonitor::relaxed(uint32_t pos) const {
  for (const auto& s : lost_)
    if (pos >= s.from && pos < s.to) return true;
  return false;
}

uint32_t ReplayMonitor::next_unmatched(const Machine& m, const uint8_t* s, uint32_t task) const {
  uint32_t p = pos(m, s);
  for (uint32_t j = p; j <= p + kWindow && j < total_; ++j) {
    if (is_matched(m, s, j)) continue;
    const Observation* o = obs_.get(j);
    if (!o) break;
    if (o->task == task) return j;
  }
  return UINT32_MAX;
}

uint32_t ReplayMonitor::next_of_task(const Machine& m, const uint8_t* s, uint32_t task, std::string* why) const {
  uint32_t p = pos(m, s);
  for (uint32_t j = p; j <= p + kWindow && j < total_; ++j) {
    if (is_matched(m, s, j)) continue;
    const Observation* o = obs_.get(j);
    if (!o) break;
    if (o->task != task) continue;
    // Every earlier unmatched observation must be on another CPU and too close in time to
    // order: the same CPU's clock orders its events.
    for (uint32_t k = p; k < j; ++k) {
      if (is_matched(m, s, k)) continue;
      const Observation* e = obs_.get(k);
      if (e->cpu == o->cpu || o->ts_ns - e->ts_ns > window_ns_) {
        if (why) *why = "the capture shows " + obs_.describe(*e) + " first (line " + std::to_string(e->line) + ")";
        return UINT32_MAX;
      }
    }
    return j;
  }
  if (why) *why = "the capture shows no further call of this task here";
  return UINT32_MAX;
}

uint32_t ReplayMonitor::addr_id(int64_t addr) const {
  auto [it, fresh] = addr_ids_.try_emplace(addr, uint32_t(addr_.size()));
  if (fresh) addr_.push_back(addr);
  return it->second;
}

int64_t ReplayMonitor::address_of(const Machine& m, const uint8_t* s, int64_t ptr) const {
  if (ptr <= 0 || ptr > instances_) return 0;
  return addr_[rd32(m.monitor_bytes(s) + off_addr_ + 4 * (ptr - 1))];
}

bool ReplayMonitor::same_pointer(const Machine& m, uint8_t* s, int64_t inst, int64_t addr, std::string* why) const {
  if (addr == 0 || err_ptr(addr)) {  // NULL or ERR_PTR(-E...): the model has no object
    if (inst == 0) return true;
    if (why) *why =
        "the model has " + p_.pointer_name(inst) + " where the capture shows " + (addr ? std::to_string(addr) : "NULL");
    return false;
  }
  if (inst == 0) {
    if (why) *why = "the model has null where the capture shows " + hex(addr);
    return false;
  }
  uint32_t id = addr_id(addr);
  uint8_t* b = m.monitor_bytes(s) + off_addr_;
  uint32_t have = rd32(b + 4 * (inst - 1));
  if (have == id) return true;
  if (have != 0) {
    if (why) *why = p_.pointer_name(inst) + " is " + hex(addr_[have]) + " in the capture, not " + hex(addr);
    return false;
  }
  for (int i = 0; i < instances_; ++i)
    if (rd32(b + 4 * i) == id) {
      if (why) *why = hex(addr) + " is " + p_.pointer_name(i + 1) + " in the capture, not " + p_.pointer_name(inst);
      return false;
    }
  wr32(b + 4 * (inst - 1), id);  // first sight of this object: it is that address from now on
  return true;
}

bool ReplayMonitor::same_value(const Machine& m, uint8_t* s, const ir::FnSig::Value& type, int64_t model,
                               int64_t captured, bool raw_register, std::string* why) const {
  switch (type.type) {
    case ir::Type::Ptr: return same_pointer(m, s, model, captured, why);
    case ir::Type::Bool: {
      bool c = raw_register ? (captured & 0xff) != 0 : captured != 0;
      if ((model != 0) == c) return true;
      if (why) *why = std::string("the model has ") + (model ? "true" : "false") + ", the capture " + (c ? "true" : "false");
      return false;
    }
    default: {
      // Kernel ints are 32 bits: a u32 or raw-register field of -16 reads 0xfffffff0.
      if (model == captured || int32_t(model) == int32_t(captured)) return true;
      if (why) *why = "the model has " + std::to_string(model) + ", the capture " + std::to_string(int32_t(captured));
      return false;
    }
  }
}

bool ReplayMonitor::field_value(const Machine& m, const uint8_t* s, int64_t inst, uint32_t name, int64_t* v,
                                ir::FnSig::Value* type) const {
  if (inst <= 0 || inst > int64_t(p_.gid_kind.size())) return false;
  int k = p_.gid_kind[inst - 1];
  const ir::Kind& kd = p_.kinds[k];
  int base = kd.first_slot + int(inst - 1 - kd.first_gid) * kd.stride;
  for (const auto& f : kind_fields_[k])
    if (f.name == name) {
      *v = m.get(s, base + f.off);
      *type = f.type;
      return true;
    }
  return false;
}

bool ReplayMonitor::refuse(int t, int fn, bool leave, uint32_t obs, const std::string& why) const {
  if (collect) refusals.push_back({t, fn, leave, obs, why});
  return false;
}

bool ReplayMonitor::may_run(const Machine& m, const uint8_t* s, int t) const {
  uint32_t task1 = task_of(m, s, t);
  if (!task1) return false;
  if (!lazy || relaxed(pos(m, s))) return true;
  // Lazy: only the task of the first unmatched observation (the window's reorderings are
  // for the widened search: two threads' silent steps would interleave every way).
  const Observation* o = pos(m, s) < total_ ? obs_.get(pos(m, s)) : nullptr;
  return o && o->task == task1 - 1;
}

bool ReplayMonitor::enter(const Machine& m, uint8_t* next, int t, int fn, const int64_t* args, size_t n) const {
  if (!entry_seen_[fn]) return true;  // never in this capture: a silent step
  uint32_t task1 = task_of(m, next, t);
  std::string why;
  uint32_t j = next_of_task(m, next, task1 - 1, collect ? &why : nullptr);
  if (j == UINT32_MAX) return relaxed(pos(m, next)) || refuse(t, fn, false, j, why);
  const Observation& o = *obs_.get(j);
  if (o.leave || o.kfn != obs_.names().kname[fn])
    return relaxed(pos(m, next)) || refuse(t, fn, false, j, collect ? "the capture shows " + obs_.describe(o) : std::string());
  const ir::FnSig& sig = p_.sigs[fn];
  for (const ObsField& f : o.fields) {
    int64_t model = 0;
    ir::FnSig::Value type;
    if (f.source == ObsField::Param || f.source == ObsField::ByName) {
      auto it = std::find(param_names_[fn].begin(), param_names_[fn].end(), f.name);
      if (it == param_names_[fn].end()) continue;
      size_t i = size_t(it - param_names_[fn].begin());
      if (i >= n) continue;
      model = args[i];
      type = sig.params[i];
    } else if (f.source == ObsField::ParamField) {
      auto it = std::find(param_names_[fn].begin(), param_names_[fn].end(), f.base);
      if (it == param_names_[fn].end()) continue;
      size_t i = size_t(it - param_names_[fn].begin());
      // A field read through NULL means nothing (the probe reads 0 there).
      if (i >= n || args[i] == 0 || !field_value(m, next, args[i], f.name, &model, &type)) continue;
    } else {
      continue;
    }
    if (!same_value(m, next, type, model, f.value, false, collect ? &why : nullptr))
      return refuse(t, fn, false, j, obs_.symbols().str(f.name) + ": " + why);
  }
  mark(m, next, j);
  return true;
}

bool ReplayMonitor::leave(const Machine& m, uint8_t* next, int t, int fn, bool has_value, int64_t value) const {
  if (!exit_seen_[fn]) return true;
  uint32_t task1 = task_of(m, next, t);
  std::string why;
  uint32_t j = next_of_task(m, next, task1 - 1, collect ? &why : nullptr);
  if (j == UINT32_MAX) return relaxed(pos(m, next)) || refuse(t, fn, true, j, why);
  const Observation& o = *obs_.get(j);
  if (!o.leave || o.kfn != obs_.names().kname[fn])
    return relaxed(pos(m, next)) || refuse(t, fn, true, j, collect ? "the capture shows " + obs_.describe(o) : std::string());
  const ir::FnSig& sig = p_.sigs[fn];
  if (has_value && o.has_retval && !same_value(m, next, sig.result, value, o.retval, true, collect ? &why : nullptr))
    return refuse(t, fn, true, j, "return value: " + why);
  for (const ObsField& f : o.fields) {
    if (!has_value) break;
    int64_t model = 0;
    ir::FnSig::Value type;
    if (f.source == ObsField::Result) {
      model = value;
      type = sig.result;
    } else if (f.source == ObsField::ResultField || f.source == ObsField::ByName) {
      if (value == 0 || sig.result.type != ir::Type::Ptr || !field_value(m, next, value, f.name, &model, &type))
        continue;
    } else {
      continue;
    }
    if (!same_value(m, next, type, model, f.value, false, collect ? &why : nullptr))
      return refuse(t, fn, true, j, obs_.symbols().str(f.name) + ": " + why);
  }
  mark(m, next, j);
  return true;
}

void ReplayMonitor::freed(const Machine& m, uint8_t* next, int64_t instance) const {
  if (instance > 0 && instance <= instances_) wr32(m.monitor_bytes(next) + off_addr_ + 4 * (instance - 1), 0);
}

std::vector<Observed> ReplayMonitor::matched(const Machine& m, const uint8_t* before, const uint8_t* after) const {
  std::vector<Observed> out;
  uint32_t a = matched_count(m, before), b = matched_count(m, after);
  if (a == b) return out;
  for (uint32_t i = pos(m, before); i < pos(m, after) + kWindow + 1 && out.size() < b - a; ++i) {
    if (is_matched(m, before, i) || !is_matched(m, after, i)) continue;
    const Observation* o = obs_.get(i);
    if (!o) break;
    Observed x;
    x.file = obs_.file();
    x.line = o->line;
    x.record = obs_.format() == Format::TraceDat;
    x.ts_ns = o->ts_ns;
    const TaskInfo& ti = obs_.tasks()[o->task];
    x.pid = ti.pid;
    x.task = obs_.symbols().str(ti.comm) + (ti.pid >= 0 ? "-" + std::to_string(ti.pid) : "");
    x.what = obs_.describe(*o);
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace lc::traces
