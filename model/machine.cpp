#include "model/machine.h"

#include <algorithm>

namespace lc {

using ir::Act;
using ir::Check;
using ir::Op;

// A statement as written, without its ';' (for messages).
static std::string stmt(const ir::Program& p, Span s) {
  std::string t = p.text(s);
  while (!t.empty() && (t.back() == ';' || t.back() == ' ' || t.back() == '\n')) t.pop_back();
  return t;
}

// Evaluation context of one step (or one property check).
struct Machine::Ctx {
  uint8_t* s = nullptr;
  int t = 0;
  int64_t self = 0;
  int local_base = 0;
  bool ghost = false;          // property view: freed instances are readable
  int64_t qv[16];              // set by the quantifier that binds them
  bool failed = false;         // a fatal violation or model error stopped evaluation
  bool has_v = false;
  Violation v;
  bool has_also = false;       // a lock_misuse that a later fatal violation displaced from v
  Violation also;
  std::vector<Event>* events = nullptr;
  bool refused = false;        // the step monitor forbids this step
  bool model_error = false;
  std::string me_msg;
  Span me_span;

  // A model error (a fault of the model, not of the modelled code): ends the evaluation.
  void error(std::string msg, Span at) {
    model_error = true;
    failed = true;
    me_msg = std::move(msg);
    me_span = at;
  }
  void violate(Check k, std::string msg, Span at, int64_t inst = 0, int lock = -1) {
    Violation probe;
    probe.check = k;
    if (!has_v || (!v.fatal() && probe.fatal())) {
      if (has_v && !has_also) {  // keep the lock_misuse: it happened before the path ended
        also = v;
        has_also = true;
      }
      v = Violation{k, std::move(msg), -1, inst, lock, at};
      has_v = true;
    }
    if (v.fatal()) failed = true;
  }
  void event(Event::Kind k, int64_t val) {
    if (events) events->push_back({k, val});
  }
};

Machine::Machine(const ir::Program& p, const StepMonitor* monitor, MachineOptions o)
    : p_(p), monitor_(monitor), opts_(o) {
  size_ = p.state_size + (monitor ? monitor->bytes() : 0);
  init_state_.assign(size_, 0);
  slot_owner_.assign(p.slots.size(), 0);
  for (size_t j = 0; j < p.slots.size(); ++j) {
    if (p.slots[j].type == ir::Type::Ptr) ptr_slots_.push_back(int(j));
    slot_owner_[j] = p.instance_of_slot(int(j));
  }
  for (const auto& k : p.kinds)
    for (int i = 0; i < k.max; ++i) {
      const ir::Slot& st = p.slots[k.first_slot + i * k.stride];
      status_slots_.push_back({st.offset, st.width, uint32_t(ir::kFreed - st.lo)});
    }
  for (const auto& g : p.globals)
    for (int i = 0; i < std::max(1, g.len); ++i) {
      int slot = g.slot + i;
      if (g.type == ir::Type::Int || g.type == ir::Type::Bool || g.type == ir::Type::Ptr)
        set_raw(init_state_.data(), slot, uint64_t(g.init - p.slots[slot].lo));
    }
  for (const auto& th : p.threads)
    set_raw(init_state_.data(), th.pc_slot, uint64_t(p.tmpls[th.tmpl].entry));
  if (p.init_tmpl >= 0) set_raw(init_state_.data(), p.init_pc_slot, uint64_t(p.tmpls[p.init_tmpl].entry));
  if (monitor) monitor->start(*this, init_state_.data());
}

// A copy shares the program and the monitor; its scratch buffers are its own.
Machine::Machine(const Machine& o)
    : p_(o.p_), monitor_(o.monitor_), opts_(o.opts_), size_(o.size_), init_state_(o.init_state_),
      ptr_slots_(o.ptr_slots_), slot_owner_(o.slot_owner_), status_slots_(o.status_slots_) {}

// A slot's stored bytes: 1, 2 or 4 of them (model/lower.cpp sizes slots by range).
static uint64_t read_raw(const uint8_t* q, uint8_t width) {
  switch (width) {
    case 1: return q[0];
    case 2: { uint16_t v; memcpy(&v, q, 2); return v; }
    default: { uint32_t v; memcpy(&v, q, 4); return v; }
  }
}

int64_t Machine::get(const uint8_t* s, int slot) const {
  const ir::Slot& sl = p_.slots[slot];
  return int64_t(read_raw(s + sl.offset, sl.width)) + sl.lo;
}

void Machine::set_raw(uint8_t* s, int slot, uint64_t raw) const {
  const ir::Slot& sl = p_.slots[slot];
  uint8_t* q = s + sl.offset;
  switch (sl.width) {
    case 1: q[0] = uint8_t(raw); break;
    case 2: { uint16_t v = uint16_t(raw); memcpy(q, &v, 2); break; }
    default: { uint32_t v = uint32_t(raw); memcpy(q, &v, 4); break; }
  }
}

const ir::Location& Machine::location(int thread, int loc) const { return p_.tmpls[tmpl_of(thread)].locs[loc]; }

bool Machine::store(Ctx& c, int slot, int64_t v, int64_t lo, int64_t hi, Span at) const {
  if (v < lo || v > hi) {
    c.violate(Check::Range, "value " + std::to_string(v) + " stored in " + p_.slot_name(slot) + " is outside int<" +
                                std::to_string(lo) + ".." + std::to_string(hi) + ">",
              at);
    return false;
  }
  set_raw(c.s, slot, uint64_t(v - p_.slots[slot].lo));
  return true;
}

int Machine::place(int e, Ctx& c) const {
  const ir::Expr& x = p_.exprs[e];
  switch (x.op) {
    case Op::Global: return int(x.k);
    case Op::Local: return c.local_base + int(x.k);
    case Op::Field: {
      int64_t ptr = eval(x.a, c);
      if (c.failed) return -1;
      if (ptr == 0) {
        if (c.ghost) {
          c.error("'" + p_.text(p_.exprs[x.a].span) + "' is null, so '" + p_.text(x.span) + "' cannot be read", x.span);
          return -1;
        }
        c.violate(Check::NullDeref, "'" + p_.text(p_.exprs[x.a].span) + "' is null in '" + p_.text(x.span) + "'", x.span);
        return -1;
      }
      // Reachable states hold only valid pointers; a state made up by k-induction may not.
      if (kind_of(ptr) != x.kind) {
        c.error("'" + p_.text(p_.exprs[x.a].span) + "' holds " + std::to_string(ptr) + ", not a " + p_.kinds[x.kind].name,
                x.span);
        return -1;
      }
      const ir::Kind& k = p_.kinds[p_.gid_kind[ptr - 1]];
      int base = k.first_slot + int(ptr - 1 - k.first_gid) * k.stride;
      if (!c.ghost && get(c.s, base) == ir::kFreed) {
        c.violate(Check::UseAfterFree, "'" + p_.text(x.span) + "' touches " + p_.pointer_name(ptr) + ", which was freed",
                  x.span, ptr);
        return -1;
      }
      return base + int(x.k);
    }
    case Op::Index: {
      int base = place(x.a, c);
      if (c.failed) return -1;
      int64_t i = eval(x.b, c);
      if (c.failed) return -1;
      if (i < 0 || i >= x.k) {
        c.violate(Check::Range, "index " + std::to_string(i) + " is out of bounds in '" + p_.text(x.span) + "' (length " +
                                    std::to_string(x.k) + ")",
                  x.span);
        return -1;
      }
      return base + int(i);
    }
    default: return -1;
  }
}

static bool range_of_place(const ir::Program& p, int e, int64_t* lo, int64_t* hi) {
  const ir::Expr& x = p.exprs[e];
  if (x.type != ir::Type::Int) return false;
  if (x.op == Op::Local) { *lo = x.lo; *hi = x.hi; return true; }
  if (x.op == Op::Index) return range_of_place(p, x.a, lo, hi);
  return false;  // global and field slots carry their declared range
}

int64_t Machine::eval(int e, Ctx& c) const {
  const ir::Expr& x = p_.exprs[e];
  auto status = [&](int64_t ptr) -> int64_t {
    if (kind_of(ptr) < 0) return ir::kUnallocated;
    const ir::Kind& k = p_.kinds[p_.gid_kind[ptr - 1]];
    return get(c.s, k.first_slot + int(ptr - 1 - k.first_gid) * k.stride);
  };
  switch (x.op) {
    case Op::Const: return x.k;
    case Op::Self: return c.self;
    case Op::QVar: return c.qv[x.k];
    case Op::Load: {
      int slot = place(x.a, c);
      return c.failed ? 0 : get(c.s, slot);
    }
    case Op::Not: return !eval(x.a, c);
    case Op::Neg: return -eval(x.a, c);
    case Op::And: { int64_t a = eval(x.a, c); if (c.failed || !a) return 0; return eval(x.b, c) != 0; }
    case Op::Or: { int64_t a = eval(x.a, c); if (c.failed) return 0; if (a) return 1; return eval(x.b, c) != 0; }
    case Op::Implies: { int64_t a = eval(x.a, c); if (c.failed) return 0; if (!a) return 1; return eval(x.b, c) != 0; }
    case Op::Cond: { int64_t a = eval(x.a, c); if (c.failed) return 0; return eval(a ? x.b : x.c, c); }
    case Op::Alive: { int64_t p = eval(x.a, c); return p != 0 && !c.failed && status(p) == ir::kAlive; }
    case Op::Held:
    case Op::Mine: {
      int slot = place(x.a, c);
      if (c.failed) return 0;
      int64_t h = get(c.s, slot);
      return x.op == Op::Held ? h != 0 : h == c.t + 1;
    }
    case Op::Count: {
      const ir::Kind& k = p_.kinds[x.kind];
      int64_t n = 0;
      for (int i = 0; i < k.max; ++i) n += get(c.s, k.first_slot + i * k.stride) == ir::kAlive;
      return n;
    }
    case Op::Is: {
      int64_t p = eval(x.a, c);
      return kind_of(p) == x.kind;
    }
    case Op::As: {
      int64_t p = eval(x.a, c);
      if (c.failed || p == 0 || kind_of(p) == x.kind) return p;
      if (c.ghost) {
        c.error("'" + p_.text(x.span) + "': " + p_.pointer_name(p) + " is not a " + p_.kinds[x.kind].name, x.span);
        return 0;
      }
      c.violate(Check::Assert, "'" + p_.text(x.span) + "': " + p_.pointer_name(p) + " is not a " + p_.kinds[x.kind].name,
                x.span, p);
      return 0;
    }
    case Op::At: {
      const ir::Position& pos = p_.positions[x.k];
      int64_t loc = get(c.s, p_.threads[pos.thread].pc_slot);
      return std::binary_search(pos.locs.begin(), pos.locs.end(), int(loc));
    }
    case Op::HeldBy: {
      int slot = place(x.a, c);
      return !c.failed && get(c.s, slot) == p_.positions[x.k].thread + 1;
    }
    case Op::ThreadVar: {
      const ir::ThreadVar& tv = p_.thread_vars[x.k];
      const ir::ThreadInst& th = p_.threads[tv.thread];
      int64_t loc = get(c.s, th.pc_slot);
      if (loc < 0 || loc >= int64_t(tv.local.size()) || tv.local[loc] < 0) return 0;  // not in scope there
      return get(c.s, th.local_base + tv.local[loc]);
    }
    case Op::Forall:
    case Op::Exists:
    case Op::CountOf: {  // over every instance ever allocated
      const ir::Kind& k = p_.kinds[x.kind];
      int64_t n = 0;
      for (int i = 0; i < k.max; ++i) {
        if (get(c.s, k.first_slot + i * k.stride) == ir::kUnallocated) continue;
        c.qv[x.k] = k.first_gid + i + 1;
        int64_t v = eval(x.a, c);
        if (c.failed) return 0;
        if (x.op == Op::Forall && !v) return 0;
        if (x.op == Op::Exists && v) return 1;
        n += v != 0;
      }
      return x.op == Op::CountOf ? n : x.op == Op::Forall;
    }
    default: break;
  }
  int64_t a = eval(x.a, c);
  if (c.failed) return 0;
  int64_t b = eval(x.b, c);
  if (c.failed) return 0;
  switch (x.op) {
    case Op::Add: return a + b;
    case Op::Sub: return a - b;
    case Op::Mul: return a * b;
    case Op::Div:
    case Op::Mod:
      if (b == 0) {
        if (c.ghost) {
          c.error("division by zero in '" + p_.text(x.span) + "'", x.span);
          return 0;
        }
        c.violate(Check::Range, "division by zero in '" + p_.text(x.span) + "'", x.span);
        return 0;
      }
      return x.op == Op::Div ? a / b : a % b;
    case Op::Eq: return a == b;
    case Op::Ne: return a != b;
    case Op::Lt: return a < b;
    case Op::Le: return a <= b;
    case Op::Gt: return a > b;
    case Op::Ge: return a >= b;
    default: return 0;
  }
}

bool Machine::enabled(const uint8_t* s, int t, const ir::Action& a, bool* errored, int* relock) const {
  Ctx c;
  c.s = const_cast<uint8_t*>(s);  // evaluation only reads
  c.t = t;
  c.self = t < threads() ? p_.threads[t].self : 0;
  c.local_base = local_base(t);
  switch (a.kind) {
    case Act::Lock: {
      int slot = place(a.lock, c);
      if (c.failed) return *errored = true;
      int64_t h = get(s, slot);
      if (h == t + 1) *relock = slot;
      return h == 0;
    }
    case Act::Wait: {
      int64_t v = eval(a.expr, c);
      if (c.failed) return *errored = true;
      return v != 0;
    }
    case Act::Branch: {
      int64_t v = eval(a.expr, c);
      if (c.failed) { *errored = true; return a.branch_value; }  // report the error once
      return (v != 0) == a.branch_value;
    }
    default: return true;
  }
}

std::vector<int> Machine::held_locks(const uint8_t* s, int thread) const {
  std::vector<int> out;
  for (int l : p_.lock_slots)
    if (get(s, l) == thread + 1) out.push_back(l);
  return out;
}

// `guard_failed`: evaluating the guard hit a violation (the action was made enabled so
// that this step reports it).
void Machine::apply(Ctx& c, int t, const ir::Action& a, StepSink& sink, bool guard_failed) const {
  auto int_range = [&](int pl, int slot, int64_t* lo, int64_t* hi) {
    if (!range_of_place(p_, pl, lo, hi)) { *lo = p_.slots[slot].lo; *hi = p_.slots[slot].hi; }
  };
  switch (a.kind) {
    case Act::Assign: {
      int slot = place(a.place, c);
      if (c.failed) break;
      int64_t v = eval(a.expr, c);
      if (c.failed) break;
      int64_t lo, hi;
      int_range(a.place, slot, &lo, &hi);
      store(c, slot, v, lo, hi, a.span);
      break;
    }
    case Act::New: {
      int slot = place(a.place, c);
      if (c.failed) break;
      const ir::Kind& k = p_.kinds[a.kind_id];
      int i = 0;
      while (i < k.max && get(c.s, k.first_slot + i * k.stride) != ir::kUnallocated) ++i;
      if (i == k.max && opts_.reuse_freed) {
        int r = unreferenced_freed(c.s, k);
        if (r >= 0) i = r;
      }
      if (i == k.max) {
        c.error("'new " + k.name + "' exceeds max " + std::to_string(k.max) + " (raise 'max' in object " + k.name + ")",
                a.span);
        break;
      }
      int base = k.first_slot + i * k.stride;
      set_raw(c.s, base, ir::kAlive);
      for (const auto& f : k.fields)
        for (int e = 0; e < std::max(1, f.len); ++e) {
          int fs = base + f.off + e;
          set_raw(c.s, fs, f.type == ir::Type::Lock ? 0 : uint64_t(f.init - p_.slots[fs].lo));
        }
      int64_t ptr = k.first_gid + i + 1;
      set_raw(c.s, slot, uint64_t(ptr - p_.slots[slot].lo));
      c.event(Event::Alloc, ptr);
      break;
    }
    case Act::Free: {
      int64_t ptr = eval(a.expr, c);
      if (c.failed || ptr == 0) break;  // free(null) does nothing, like kfree(NULL)
      if (kind_of(ptr) < 0) {
        c.error("free of " + std::to_string(ptr) + ", not an object", a.span);
        break;
      }
      const ir::Kind& k = p_.kinds[p_.gid_kind[ptr - 1]];
      int base = k.first_slot + int(ptr - 1 - k.first_gid) * k.stride;
      if (get(c.s, base) == ir::kFreed) {
        c.violate(Check::DoubleFree, "'" + stmt(p_, a.span) + "' frees " + p_.pointer_name(ptr) + " a second time", a.span,
                  ptr);
        break;
      }
      // lockdep's "held lock freed!": memory holding a locked lock goes away.
      for (const auto& f : k.fields) {
        if (f.type != ir::Type::Lock) continue;
        for (int e = 0; e < std::max(1, f.len); ++e) {
          int64_t h = get(c.s, base + f.off + e);
          if (h == 0) continue;
          std::string who = h - 1 == threads() ? std::string("init") : p_.threads[h - 1].name;
          c.violate(Check::LockMisuse,
                    "'" + stmt(p_, a.span) + "' frees " + p_.pointer_name(ptr) + " while its lock " +
                        p_.slot_name(base + f.off + e) + " is held by " + who + " (held lock freed)",
                    a.span, ptr, base + f.off + e);
        }
      }
      set_raw(c.s, base, ir::kFreed);
      c.event(Event::Free, ptr);
      if (monitor_) monitor_->freed(*this, c.s, ptr);
      break;
    }
    case Act::Lock: {
      int slot = place(a.lock, c);
      if (c.failed) break;
      for (int l : p_.lock_slots)
        if (get(c.s, l) == t + 1) sink.nested(l, slot, t, a.span);
      set_raw(c.s, slot, uint64_t(t + 1));
      c.event(Event::Lock, slot);
      break;
    }
    case Act::Unlock: {
      int slot = place(a.lock, c);
      if (c.failed) break;
      int64_t h = get(c.s, slot);
      if (h != t + 1) {
        std::string who = h == 0 ? "nobody holds it" : "it is held by " + (h - 1 == threads() ? std::string("init") : p_.threads[h - 1].name);
        c.violate(Check::LockMisuse, "'" + stmt(p_, a.span) + "' releases " + p_.slot_name(slot) + ", but " + who, a.span, 0,
                  slot);
        break;
      }
      set_raw(c.s, slot, 0);
      c.event(Event::Unlock, slot);
      break;
    }
    case Act::Trylock: {
      int slot = place(a.lock, c);
      if (c.failed) break;
      int64_t h = get(c.s, slot);
      bool ok = h == 0;
      if (h == t + 1)
        c.violate(Check::LockMisuse, "'" + stmt(p_, a.span) + "' tries " + p_.slot_name(slot) + ", which this thread already holds",
                  a.span, 0, slot);
      if (ok) {
        set_raw(c.s, slot, uint64_t(t + 1));
        c.event(Event::TrylockOk, slot);
      } else {
        c.event(Event::TrylockFail, slot);
      }
      if (a.place >= 0) {
        int ps = place(a.place, c);
        if (!c.failed) set_raw(c.s, ps, uint64_t(ok - p_.slots[ps].lo));
      }
      break;
    }
    case Act::Assert: {
      int64_t v = eval(a.expr, c);
      if (c.failed || v) break;
      c.violate(Check::Assert,
                a.msg.empty() ? "assertion '" + p_.text(p_.exprs[a.expr].span) + "' failed" : "assertion failed: " + a.msg,
                a.span);
      break;
    }
    case Act::Call: {
      int64_t vals[32];
      size_t n = std::min<size_t>(a.binds.size(), 32);
      for (size_t i = 0; i < n; ++i) {
        vals[i] = eval(a.binds[i].second, c);
        if (c.failed) return;
      }
      for (size_t i = 0; i < n; ++i) {
        int slot = place(a.binds[i].first, c);
        int64_t lo, hi;
        int_range(a.binds[i].first, slot, &lo, &hi);
        if (!store(c, slot, vals[i], lo, hi, p_.exprs[a.binds[i].second].span)) return;
      }
      if (monitor_ && t < threads() && !monitor_->enter(*this, c.s, t, a.callee, vals, n)) {
        c.refused = true;
        return;
      }
      break;
    }
    case Act::Return: {
      int64_t v = 0;
      if (a.expr >= 0) {
        v = eval(a.expr, c);
        if (c.failed) return;
      }
      if (a.expr >= 0 && a.lo <= a.hi && (v < a.lo || v > a.hi)) {
        c.violate(Check::Range, "returned value " + std::to_string(v) + " is outside the result type int<" +
                                    std::to_string(a.lo) + ".." + std::to_string(a.hi) + "> of " + p_.fns[a.callee] + "()",
                  a.span);
        return;
      }
      if (monitor_ && t < threads() && !monitor_->leave(*this, c.s, t, a.callee, a.expr >= 0, v)) {
        c.refused = true;
        return;
      }
      for (uint32_t i = a.clear_lo; i < a.clear_hi; ++i) set_raw(c.s, c.local_base + int(i), 0);
      if (a.place >= 0) {
        int slot = place(a.place, c);
        if (c.failed) return;
        int64_t lo, hi;
        int_range(a.place, slot, &lo, &hi);
        store(c, slot, v, lo, hi, a.span);
      }
      break;
    }
    case Act::Wait:
    case Act::Branch:
      if (guard_failed) eval(a.expr, c);
      break;
    case Act::Choose:
      break;
    case Act::Skip:
      if (a.place >= 0) {  // a local array declaration: every element reads 0, false or null
        const ir::Expr& x = p_.exprs[a.place];
        int64_t v = x.type == ir::Type::Int ? std::clamp<int64_t>(0, x.lo, x.hi) : 0;
        for (uint32_t i = a.clear_lo; i < a.clear_hi; ++i) {
          int slot = c.local_base + int(i);
          set_raw(c.s, slot, uint64_t(v - p_.slots[slot].lo));
        }
      }
      break;
  }
  if (!c.failed || c.has_v) set_raw(c.s, pc_slot(t), uint64_t(a.target));
}

// A thread that reached its end: it must hold no lock; its locals are cleared so that
// finished threads do not split states.
void Machine::finish(uint8_t* s, int t, Ctx& c) const {
  const ir::ThreadTmpl& T = p_.tmpls[tmpl_of(t)];
  for (int l : p_.lock_slots)
    if (get(s, l) == t + 1)
      c.violate(Check::LockMisuse,
                (t == threads() ? std::string("init") : p_.threads[t].name) + " finished while holding " + p_.slot_name(l),
                T.end_span, 0, l);
  int base = local_base(t);
  for (size_t i = 0; i < T.locals.size(); ++i) set_raw(s, base + int(i), 0);
}

void Machine::run(const uint8_t* s, int t, StepSink& sink, bool record, int* ordinal, std::vector<ActRef>& acts,
                  std::vector<Event>& events, Violation* carried, int depth) const {
  if (int(pool_.size()) <= depth) pool_.resize(depth + 1);
  std::vector<uint8_t>& buf = pool_[depth];
  buf.resize(size_);
  const ir::ThreadTmpl& T = p_.tmpls[tmpl_of(t)];
  int loc = int(get(s, pc_slot(t)));
  const ir::Location& L = T.locs[loc];
  bool any = false;
  for (size_t ai = 0; ai < L.actions.size(); ++ai) {
    const ir::Action& a = L.actions[ai];
    bool errored = false;
    int relock = -1;
    if (!enabled(s, t, a, &errored, &relock)) {
      if (relock >= 0 && depth == 0)
        sink.state_violation(Violation{Check::LockMisuse,
                                       p_.threads[t].name + " takes " + p_.slot_name(relock) +
                                           " again while holding it ('" + p_.text(a.span) + "' blocks forever)",
                                       -1, 0, relock, a.span});
      continue;
    }
    any = true;
    // Deeper in an atomic block, `s` is the scratch state of the frame above, which needs
    // it no more: a location with one action steps it in place instead of copying it.
    // (init's first frame reads init_state_, which is no scratch state.)
    bool in_place = depth > 0 && L.actions.size() == 1 && s == pool_[depth - 1].data();
    uint8_t* next = in_place ? const_cast<uint8_t*>(s) : buf.data();
    if (next != s) memcpy(next, s, size_);
    Ctx c;
    c.s = next;
    c.t = t;
    c.self = t < threads() ? p_.threads[t].self : 0;
    c.local_base = local_base(t);
    c.events = record ? &events : nullptr;
    size_t acts_mark = acts.size(), ev_mark = events.size();
    if (record) acts.push_back({loc, int(ai)});
    StepInfo info;
    info.thread = t;
    apply(c, t, a, sink, errored);
    if (c.refused) {
      sink.refused(t);
      acts.resize(acts_mark);
      events.resize(ev_mark);
      continue;
    }
    if (c.model_error) {
      sink.model_error(c.me_span, c.me_msg);
      aborted_ = true;
      return;
    }
    // A step reports at most one non-fatal violation (the first lock_misuse, possibly from
    // an earlier action of the same atomic step) and at most one fatal one, which ends it.
    const Violation* nonfatal = carried;
    const Violation* fatal_v = nullptr;
    if (c.has_v && c.v.fatal()) fatal_v = &c.v;
    if (!nonfatal && c.has_v && !c.v.fatal()) nonfatal = &c.v;
    if (!nonfatal && c.has_also) nonfatal = &c.also;
    const Violation* viol = fatal_v ? fatal_v : nonfatal;
    bool fatal = fatal_v != nullptr;
    if (!fatal && T.locs[a.target].atomic_cont) {
      if (depth >= 10000) {
        sink.model_error(a.span, "atomic block runs more than 10000 actions (does it loop forever?)");
        aborted_ = true;
        return;
      }
      run(next, t, sink, record, ordinal, acts, events, const_cast<Violation*>(nonfatal), depth + 1);
      if (aborted_) return;  // a model error deeper in this atomic step ends the whole step
    } else {
      if (!fatal && a.target == T.end) {
        finish(next, t, c);
        if (c.has_v && !nonfatal) viol = nonfatal = &c.v;
      }
      info.ordinal = (*ordinal)++;
      info.violation = viol;
      info.also = fatal && nonfatal ? nonfatal : nullptr;
      info.acts = record ? &acts : nullptr;
      info.events = record ? &events : nullptr;
      sink.successor(next, info);
    }
    acts.resize(acts_mark);
    events.resize(ev_mark);
  }
  if (!any && depth > 0) {
    const ir::Action* a0 = L.actions.empty() ? nullptr : &L.actions[0];
    sink.model_error(a0 ? a0->span : T.span, t == threads() ? "init blocks here (init runs alone and cannot wait)"
                                                            : "an atomic block blocks after its first statement");
    aborted_ = true;
  }
}

void Machine::initial(StepSink& sink, bool record) const {
  aborted_ = false;
  std::vector<ActRef> acts;
  std::vector<Event> events;
  int ordinal = 0;
  if (p_.init_tmpl < 0) {
    StepInfo info;
    info.thread = -1;
    sink.successor(init_state_.data(), info);
    return;
  }
  // The init block is lowered as one atomic region; its entry is an ordinary location.
  run(init_state_.data(), init_thread(), sink, record, &ordinal, acts, events, nullptr, 1);
}

void Machine::successors(const uint8_t* s, StepSink& sink, bool record) const {
  aborted_ = false;
  std::vector<ActRef> acts;
  std::vector<Event> events;
  int ordinal = 0;
  for (int t = 0; t < threads(); ++t) {
    step_thread(s, t, sink, record, &ordinal, acts, events);
    if (aborted_) return;
  }
}

void Machine::thread_successors(const uint8_t* s, int t, StepSink& sink) const {
  aborted_ = false;
  std::vector<ActRef> acts;
  std::vector<Event> events;
  int ordinal = 0;
  step_thread(s, t, sink, false, &ordinal, acts, events);
}

void Machine::step_thread(const uint8_t* s, int t, StepSink& sink, bool record, int* ordinal, std::vector<ActRef>& acts,
                          std::vector<Event>& events) const {
  const ir::ThreadTmpl& T = p_.tmpls[p_.threads[t].tmpl];
  int loc = int(get(s, p_.threads[t].pc_slot));
  if (loc == T.end) return;
  if (monitor_ && !monitor_->may_run(*this, s, t)) {
    sink.refused(t);
    return;
  }
  run(s, t, sink, record, ordinal, acts, events, nullptr, 0);
}

bool Machine::finished(const uint8_t* s, int thread) const {
  return get(s, p_.threads[thread].pc_slot) == p_.tmpls[p_.threads[thread].tmpl].end;
}

bool Machine::all_finished(const uint8_t* s) const {
  for (int t = 0; t < threads(); ++t)
    if (!finished(s, t)) return false;
  return true;
}

bool Machine::complete(const uint8_t* s) const {
  return all_finished(s) && (!monitor_ || monitor_->accepting(*this, s));
}

void Machine::restart(uint8_t* s, int thread) const {
  const ir::ThreadInst& th = p_.threads[thread];
  const ir::ThreadTmpl& T = p_.tmpls[th.tmpl];
  set_raw(s, th.pc_slot, uint64_t(T.entry));
  for (size_t i = 0; i < T.locals.size(); ++i) set_raw(s, th.local_base + int(i), 0);
}

void Machine::clear_dead_locals(uint8_t* s, int thread, const ir::Liveness& live) const {
  if (dead_for_ != &live) {
    dead_for_ = &live;
    dead_first_.assign(p_.threads.size(), {});
    dead_runs_.clear();
  }
  auto& first = dead_first_[thread];
  if (first.empty()) first.assign(p_.tmpls[p_.threads[thread].tmpl].locs.size(), -1);
  int loc = pc(s, thread);
  if (first[loc] < 0) first[loc] = dead_runs_at(thread, loc, live);
  // Raw 0 in every byte of a dead local is set_raw(slot, 0).
  for (size_t i = size_t(first[loc]); dead_runs_[i].second; ++i) memset(s + dead_runs_[i].first, 0, dead_runs_[i].second);
}

int32_t Machine::dead_runs_at(int thread, int loc, const ir::Liveness& live) const {
  const ir::ThreadInst& th = p_.threads[thread];
  const ir::ThreadTmpl& T = p_.tmpls[th.tmpl];
  std::vector<std::pair<uint32_t, uint32_t>> bytes;
  for (size_t i = 0; i < T.locals.size(); ++i)
    if (!live.live(th.tmpl, loc, int(i))) {
      const ir::Slot& sl = p_.slots[th.local_base + int(i)];
      bytes.push_back({sl.offset, sl.width});
    }
  std::sort(bytes.begin(), bytes.end());
  int32_t at = int32_t(dead_runs_.size());
  for (const auto& b : bytes) {
    if (dead_runs_.size() > size_t(at) && dead_runs_.back().first + dead_runs_.back().second == b.first)
      dead_runs_.back().second += b.second;
    else
      dead_runs_.push_back(b);
  }
  dead_runs_.push_back({0, 0});
  return at;
}

void Machine::collect_garbage(uint8_t* s) const {
  bool any_freed = false;  // the common case: nothing to collect, and no pointer to scan
  for (const StatusSlot& st : status_slots_)
    if (read_raw(s + st.offset, st.width) == st.freed_raw) {
      any_freed = true;
      break;
    }
  if (!any_freed) return;
  size_t n = p_.gid_kind.size();
  if (referenced_.size() != n + 1) referenced_.assign(n + 1, false);
  std::fill(referenced_.begin(), referenced_.end(), false);
  for (int slot : ptr_slots_) {
    int64_t v = get(s, slot);
    if (v <= 0 || v > int64_t(n)) continue;
    int64_t holder = slot_owner_[slot];  // a field of a dead instance refers to nothing
    if (holder) {
      const ir::Kind& hk = p_.kinds[p_.gid_kind[holder - 1]];
      if (get(s, hk.first_slot + int(holder - 1 - hk.first_gid) * hk.stride) != ir::kAlive) continue;
    }
    referenced_[v] = true;
  }
  for (const auto& k : p_.kinds)
    for (int i = 0; i < k.max; ++i) {
      int base = k.first_slot + i * k.stride;
      if (referenced_[k.first_gid + i + 1] || get(s, base) != ir::kFreed) continue;
      for (int j = 0; j < k.stride; ++j) set_raw(s, base + j, 0);  // unallocated, fields as never touched
    }
}

int Machine::unreferenced_freed(const uint8_t* s, const ir::Kind& k) const {
  std::vector<bool> referenced(k.max, false);
  for (int slot : ptr_slots_) {
    int64_t v = get(s, slot);
    if (v <= k.first_gid || v > k.first_gid + k.max) continue;
    int64_t holder = slot_owner_[slot];  // a field of a dead instance refers to nothing
    if (holder) {
      const ir::Kind& hk = p_.kinds[p_.gid_kind[holder - 1]];
      if (get(s, hk.first_slot + int(holder - 1 - hk.first_gid) * hk.stride) != ir::kAlive) continue;
    }
    referenced[v - k.first_gid - 1] = true;
  }
  for (int i = 0; i < k.max; ++i)
    if (!referenced[i] && get(s, k.first_slot + i * k.stride) == ir::kFreed) return i;
  return -1;
}

std::vector<Blocked> Machine::blocked(const uint8_t* s) const {
  std::vector<Blocked> out;
  for (int t = 0; t < threads(); ++t) {
    if (finished(s, t)) continue;
    const ir::Location& L = location(t, pc(s, t));
    if (monitor_) {  // a step the model could take but the monitor forbids
      bool can = monitor_->may_run(*this, s, t) ? false : true;
      for (const auto& a : L.actions) {
        bool errored = false;
        int relock = -1;
        can = can || enabled(s, t, a, &errored, &relock);
      }
      if (can) {
        Blocked b;
        b.thread = t;
        b.kind = Blocked::Monitor;
        b.span = L.actions.empty() ? p_.tmpls[p_.threads[t].tmpl].span : L.actions[0].span;
        out.push_back(b);
        continue;
      }
    }
    for (const auto& a : L.actions) {
      Blocked b;
      b.thread = t;
      if (a.kind == Act::Lock) {
        Ctx c;
        c.s = const_cast<uint8_t*>(s);
        c.t = t;
        c.self = p_.threads[t].self;
        c.local_base = p_.threads[t].local_base;
        int slot = place(a.lock, c);
        if (c.failed) continue;
        b.lock_slot = slot;
        b.holder = int(get(s, slot)) - 1;
        b.kind = b.holder == t ? Blocked::Relock : Blocked::Lock;
        b.span = a.span;
      } else {
        b.kind = Blocked::Wait;
        b.span = a.kind == Act::Wait ? p_.exprs[a.expr].span : a.span;
      }
      out.push_back(b);
      break;
    }
  }
  return out;
}

int Machine::check_property(const uint8_t* s, int i, std::string* why) const {
  Ctx c;
  c.s = const_cast<uint8_t*>(s);
  c.t = -1;
  c.ghost = true;
  int64_t v = eval(p_.properties[i].expr, c);
  if (c.failed) {
    if (why) *why = c.model_error ? c.me_msg : c.v.message;
    return -1;
  }
  return v ? 1 : 0;
}

}  // namespace lc
