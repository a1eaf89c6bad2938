#include "traces/observe.h"

#include <algorithm>
#include <cstdio>

namespace lc::traces {

namespace {
constexpr uint64_t kFinalAfter = 64;  // events read after an observation before it is handed out
constexpr uint8_t kFromTracer = 1, kFromProbe = 2;
}  // namespace

std::string base_function(const std::string& name) {
  size_t dot = name.find('.');  // C names have no dots: ".constprop.0", ".isra.0", ".part.0", ".cold"
  return dot == std::string::npos ? name : name.substr(0, dot);
}

ModelNames::ModelNames(const ir::Program& p, Symbols& syms) : program(p) {
  const ir::TraceMap& tm = p.trace_map;
  kname.resize(p.fns.size());
  result_field.assign(p.fns.size(), 0);
  for (size_t f = 0; f < p.fns.size(); ++f) {
    if (f < tm.silent.size() && tm.silent[f]) continue;  // never observed: no kernel name
    std::string k = f < tm.kernel.size() && !tm.kernel[f].empty() ? tm.kernel[f] : p.fns[f];
    kname[f] = syms.intern(k);
    fns_of[kname[f]].push_back(int(f));
  }
  for (const auto& [from, to] : tm.fields) field_alias[syms.intern(from)] = syms.intern(to);
  for (const auto& r : tm.events) event_rules[r.event] = {r.fn, r.ret};
  for (const auto& [fn, field] : tm.results) result_field[fn] = syms.intern(field);
}

Mapper::Mapper(std::unique_ptr<EventReader> reader, const ir::Program& p, const ProbeDefs& probes, uint64_t window_ns)
    : reader_(std::move(reader)), p_(p), probes_(probes), names_(p, reader_->symbols()), window_ns_(window_ns) {
  sym_ret_ = symbols().intern("ret");
  sym_retval_ = symbols().intern("retval");
}

const Observation* Mapper::get(uint32_t i) {
  if (i < base_) return nullptr;  // released: a caller bug, but never a crash
  // Read until observation i exists and kFinalAfter more events follow it (or the end):
  // until then a probe event of the same call may still merge into it.
  while (!eof_ && (i >= next_index_ || events_ < read_at_[i - base_] + kFinalAfter)) pull();
  if (i >= next_index_) return nullptr;
  return &buf_[i - base_];
}

void Mapper::release(uint32_t i) {
  while (base_ < i && !buf_.empty()) {
    buf_.pop_front();
    read_at_.pop_front();
    ++base_;
  }
}

void Mapper::read_all() {
  while (pull()) {
    if (buf_.size() > 4096) release(next_index_ - 1024);  // pass 1 keeps only what merging needs
  }
}

bool Mapper::pull() {
  if (eof_) return false;
  if (!reader_->next(ev_)) {
    eof_ = true;
    for (uint32_t k : lost_open_) lost_[k].to = next_index_;
    lost_open_.clear();
    return false;
  }
  ++events_;
  if (ev_.has_ts) last_ts_ = ev_.ts_ns;
  map_event(ev_);
  return true;
}

// The model function index of a kernel function name, or -1.
static const std::vector<int>* model_fns(const ModelNames& n, uint32_t kfn) {
  auto it = n.fns_of.find(kfn);
  return it == n.fns_of.end() ? nullptr : &it->second;
}

uint32_t Mapper::task_index(const Event& e) {
  int64_t key = e.pid >= 0 ? e.pid : -1 - int64_t(e.cpu);  // no task column: one pseudo-task per CPU
  auto [it, fresh] = task_of_pid_.try_emplace(key, uint32_t(tasks_.size()));
  if (fresh) {
    TaskInfo t;
    t.pid = e.pid;
    t.comm = e.comm;
    t.first = next_index_;
    tasks_.push_back(t);
    open_.push_back({UINT32_MAX, 0});
  }
  return it->second;
}

void Mapper::map_event(const Event& e) {
  Symbols& sy = symbols();
  switch (e.kind) {
    case EventKind::Marker:
      ++skipped_.markers;
      if (skipped_.marker_texts.size() < 8) skipped_.marker_texts.push_back(sy.str(e.text));
      return;
    case EventKind::Lost: {
      LostSpan s;
      s.cpu = e.cpu;
      s.events = e.lost;
      s.line = e.line;
      s.from = next_index_;
      // The lost events came before this point on that CPU: relax from its last observation.
      for (uint32_t k = next_index_; k > base_; --k)
        if (e.cpu < 0 || buf_[k - 1 - base_].cpu == e.cpu) {
          s.from = k - 1;
          break;
        }
      lost_open_.push_back(uint32_t(lost_.size()));
      lost_.push_back(s);
      return;
    }
    case EventKind::Tracepoint: ++skipped_.events[sy.str(e.name)]; return;
    default: break;
  }
  // Entry, Exit, Probe, ReturnProbe: which kernel function, entry or return.
  bool leave = e.kind == EventKind::Exit || e.kind == EventKind::ReturnProbe;
  uint8_t source = e.kind == EventKind::Entry || e.kind == EventKind::Exit ? kFromTracer : kFromProbe;
  std::string fname = e.function ? sy.str(e.function) : "";
  const ProbeDef* def = nullptr;
  uint64_t offset = e.offset;
  if (source == kFromProbe) {
    const std::string& ev = sy.str(e.name);
    auto rule = names_.event_rules.find(ev);
    if (rule == names_.event_rules.end() && e.system) rule = names_.event_rules.find(sy.str(e.system) + "/" + ev);
    def = probes_.find(e.system ? sy.str(e.system) + "/" + ev : ev);
    if (!def) def = probes_.find(ev);
    if (rule != names_.event_rules.end()) {
      fname = p_.fns[rule->second.first];
      leave = rule->second.second;
      offset = 0;
    } else if (fname.empty() && def) {
      fname = def->function;
      offset = def->offset;
      leave = def->ret;
    }
    if (fname.empty()) {
      ++skipped_.events[ev + " (no function: give its kprobe_events line with --probes)"];
      return;
    }
    if (!leave && offset != 0) {
      ++skipped_.events[ev + " (inside " + base_function(fname) + ", not at its entry)"];
      return;
    }
  }
  uint32_t kfn = sy.intern(base_function(fname));
  const std::vector<int>* fns = model_fns(names_, kfn);
  uint32_t task = task_index(e);
  auto& open = open_[task];
  if (!fns) {
    ++skipped_.functions[sy.str(kfn)];
    open.first = UINT32_MAX;  // another call of the task sits between: nothing merges across it
    return;
  }
  // The same call seen by both the tracer and a probe: one observation.
  if (open.first != UINT32_MAX && open.first >= base_ && !(open.second & source)) {
    Observation& o = buf_[open.first - base_];
    if (o.leave == leave && o.kfn == kfn) {
      o.sources |= source;
      o.events += 1;
      if (e.has_retval) {
        o.has_retval = true;
        o.retval = e.retval;
      }
      add_fields(o, e, def, (*fns)[0]);
      open.first = UINT32_MAX;
      return;
    }
  }
  Observation o;
  o.task = task;
  o.leave = leave;
  o.kfn = kfn;
  o.has_retval = e.has_retval;
  o.retval = e.retval;
  o.ts_ns = e.ts_ns;
  o.cpu = e.cpu;
  o.line = e.line;
  o.sources = source;
  add_fields(o, e, def, (*fns)[0]);
  TaskInfo& t = tasks_[task];
  if (!std::binary_search(t.kfns.begin(), t.kfns.end(), kfn))
    t.kfns.insert(std::upper_bound(t.kfns.begin(), t.kfns.end(), kfn), kfn);
  t.last = next_index_;
  ++t.count;
  open = {next_index_, source};
  for (auto it = lost_open_.begin(); it != lost_open_.end();) {
    LostSpan& s = lost_[*it];
    if (s.cpu < 0 || s.cpu == o.cpu) {
      s.to = next_index_ + 1;
      it = lost_open_.erase(it);
    } else {
      ++it;
    }
  }
  buf_.push_back(std::move(o));
  read_at_.push_back(events_);
  ++next_index_;
}

}  // namespace lc::traces

namespace lc::traces {
namespace {

int param_named(const ir::FnSig& sig, const std::string& name) {
  for (size_t i = 0; i < sig.params.size(); ++i)
    if (sig.params[i].name == name) return int(i);
  return -1;
}

// Whether objects of `kind` (-1: any kind) have a field called `name`.
bool has_field(const ir::Program& p, int kind, const std::string& name) {
  for (size_t k = 0; k < p.kinds.size(); ++k) {
    if (kind >= 0 && int(k) != kind) continue;
    for (const auto& f : p.kinds[k].fields)
      if (f.name == name) return true;
  }
  return false;
}

bool looks_like_pointer(int64_t v) { return v < -4095; }  // a kernel address, not an ERR_PTR

}  // namespace

void Mapper::add_fields(Observation& o, const Event& e, const ProbeDef* def, int fn) {
  Symbols& sy = symbols();
  const ir::FnSig& sig = p_.sigs[fn];
  const std::string& ev = e.name ? sy.str(e.name) : sy.str(o.kfn);
  size_t first = o.fields.size();
  int pointer_candidates = 0, candidate = -1;
  for (const Field& f : e.fields) {
    if (!f.numeric) {
      ++skipped_.fields[ev + "." + sy.str(f.name) + " (not a number)"];
      continue;
    }
    uint32_t name = f.name;
    if (auto a = names_.field_alias.find(name); a != names_.field_alias.end()) name = a->second;
    const std::string& n = sy.str(name);
    const ProbeArg* arg = nullptr;
    if (def)
      for (const auto& a : def->args)
        if (a.name == sy.str(f.name)) arg = &a;
    ObsField of;
    of.name = name;
    of.value = f.value;
    bool ok = false;
    if (!o.leave) {
      // A field named like a parameter is that parameter, however the probe fetched it
      // ("ictx=+PRIVOFF(%di)", "id=+4(+24(%di))").
      if (param_named(sig, n) >= 0) {
        of.source = ObsField::Param;
        ok = true;
      } else if (arg && arg->base == ProbeArg::Arg && arg->deref) {
        const ProbeArg* b = def->base_of(*arg);
        int pi = b ? param_named(sig, b->name) : -1;
        if (pi >= 0 && sig.params[pi].type == ir::Type::Ptr && has_field(p_, sig.params[pi].kind, n)) {
          of.source = ObsField::ParamField;
          of.base = sy.intern(b->name);
          ok = true;
        }
      } else if (!arg) {
        for (const auto& prm : sig.params)
          if (prm.type == ir::Type::Ptr && has_field(p_, prm.kind, n)) {
            of.source = ObsField::ParamField;
            of.base = sy.intern(prm.name);
            ok = true;
            break;
          }
      }
    } else if (sig.has_result) {
      bool is_result = arg ? arg->base == ProbeArg::Retval && !arg->deref
                           : name == sym_ret_ || name == sym_retval_ || name == names_.result_field[fn];
      bool result_field = sig.result.type == ir::Type::Ptr && has_field(p_, sig.result.kind, n) &&
                          (!arg || (arg->base == ProbeArg::Retval && arg->deref));
      if (is_result) {
        of.source = ObsField::Result;
        ok = true;
      } else if (result_field) {
        of.source = ObsField::ResultField;
        ok = true;
      } else if (!arg && sig.result.type == ir::Type::Ptr && looks_like_pointer(f.value)) {
        ++pointer_candidates;  // "obj=0xffff..." of a pointer-returning function: its result
        candidate = int(o.fields.size());
        of.source = ObsField::Result;
        o.fields.push_back(of);
        continue;
      }
    }
    if (!ok) {
      ++skipped_.fields[ev + "." + sy.str(f.name)];
      continue;
    }
    o.fields.push_back(of);
  }
  // Only a lone pointer-valued field of a return probe is taken for the result.
  if (pointer_candidates > 1) {
    for (size_t i = o.fields.size(); i-- > first;)
      if (o.fields[i].source == ObsField::Result && looks_like_pointer(o.fields[i].value) &&
          o.fields[i].name != sym_ret_ && o.fields[i].name != sym_retval_) {
        ++skipped_.fields[ev + "." + sy.str(o.fields[i].name) + " (which field is the result?)"];
        o.fields.erase(o.fields.begin() + long(i));
      }
  }
  (void)candidate;
}

std::string Mapper::describe(const Observation& o) {
  Symbols& sy = symbols();
  std::string s = o.leave ? "return from " + sy.str(o.kfn) : sy.str(o.kfn);
  char b[64];
  for (const auto& f : o.fields) {
    if (f.value < -4095 || f.value > 0xffff)
      snprintf(b, sizeof b, "0x%llx", (unsigned long long)f.value);
    else
      snprintf(b, sizeof b, "%lld", (long long)f.value);
    s += " " + sy.str(f.name) + "=" + b;
  }
  if (o.has_retval) {
    if (o.retval < -4095 || o.retval > 0xffff)
      snprintf(b, sizeof b, "0x%llx", (unsigned long long)o.retval);
    else
      snprintf(b, sizeof b, "%lld", (long long)o.retval);
    s += std::string(" = ") + b;
  }
  return s;
}

}  // namespace lc::traces
