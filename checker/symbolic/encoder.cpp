#include "checker/symbolic/encoder.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "model/trace.h"
#include "model/facts.h"
#include "model/merge.h"

namespace lc::symbolic {

using ir::Act;
using ir::Check;
using ir::Op;
using z3::expr;

namespace {

int bits_of(const ir::Slot& s) {
  uint64_t span = uint64_t(s.hi - s.lo);
  int b = 1;
  while (b < 63 && (span >> b) != 0) ++b;
  return b;
}

size_t check_index(Check c) {
  for (size_t i = 0; i < std::size(ir::kBuiltinChecks); ++i)
    if (ir::kBuiltinChecks[i] == c) return i;
  return 0;
}

}  // namespace

// Symbolic execution of the IR's actions, mirroring Machine::apply: a path is one way
// through a step (one action, then an atomic block's continuation).
struct Encoder::Impl {
  const ir::Program& p;
  z3::context& c;
  Encoder& E;
  std::vector<int> bits;
  std::vector<expr> xval;  // value (64-bit) of each slot in X

  struct Path {
    std::vector<expr> v;
    expr cond;                     // path condition (a fatal violation ends a path)
    bool dead = false;             // certainly ended by a fatal violation
  };
  struct Alt {
    expr cond;
    int slot;
  };
  struct Ev {
    Path& P;
    int t;
    int64_t self;
    int local_base;
    bool ghost;
    std::vector<expr> qv;
    expr guard;                    // under which this evaluation happens (short-circuit)
    expr errs;                     // accumulated error conditions of this evaluation
    bool record = true;            // false: evaluate only (the second branch of a condition)
  };

  std::vector<ModelErrorCond> merrs;
  std::vector<expr> enabled;       // first-action enabledness, for deadlock
  std::vector<expr> relock;        // state condition: a thread waits on a lock it holds
  // Conditions over X and the inputs, recorded where they arise (they already carry their
  // path condition, so paths need not carry them to where they merge).
  std::vector<std::pair<size_t, expr>> viol;                   // (property index, a step violates it)
  std::vector<std::pair<std::pair<int, int>, expr>> edges;     // (held, acquired) lock slots
  std::vector<Path> done;          // one per first action: its step, all paths merged
  struct Meta {
    int thread, loc, choose, nchoose;  // choose: which branch of an nchoose-way choose, or -1
  };
  std::vector<Meta> meta;          // of each first action
  std::vector<Path> fatals;        // per first action: the state its fatal violations lead to
  std::vector<Path> fatal;         // of the current first action
  int target = 0;                  // the target of the action being encoded
  std::vector<expr> inputs;        // free per-step inputs: the choice variables
  std::string unsupported;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  bool late = false;               // the deadline passed: build() stopped
  const ir::Merging* merging = nullptr;  // statement merging, when on

  Impl(const ir::Program& p_, z3::context& c_, Encoder& e) : p(p_), c(c_), E(e) {}

  unsigned W = 64;          // width of values: enough for every range and constant, with headroom
  expr bv(int64_t v) { return c.bv_val(v, W); }
  expr tru() { return c.bool_val(true); }
  expr fls() { return c.bool_val(false); }
  expr b2v(const expr& b) { return z3::ite(b, bv(1), bv(0)); }
  expr truth(const expr& v) { return v != bv(0); }

  int64_t gid(int kind, int i) { return p.kinds[kind].first_gid + i + 1; }
  int status_slot(int kind, int i) { return p.kinds[kind].first_slot + i * p.kinds[kind].stride; }
  // Instances a pointer of static kind `k` (-1: any) may point to: (kind, index).
  std::vector<std::pair<int, int>> instances(int k) {
    std::vector<std::pair<int, int>> out;
    for (size_t kk = 0; kk < p.kinds.size(); ++kk)
      if (k < 0 || int(kk) == k)
        for (int i = 0; i < p.kinds[kk].max; ++i) out.push_back({int(kk), i});
    return out;
  }

  void err(Ev& e, Check k, const expr& when) {
    expr w = e.guard && when;
    e.errs = e.errs || w;
    if (!e.record) return;
    if (e.ghost) {
      merrs.push_back({e.P.cond && w, {}, ""});  // span and message filled by the caller
      return;
    }
    viol.push_back({check_index(k), e.P.cond && w});
    Violation probe;
    probe.check = k;
    if (!probe.fatal()) return;
    // A fatal violation ends the step here (Machine: the state so far, pc at the action's
    // target); the path goes on only where it did not happen.
    Path F{e.P.v, e.P.cond && w};
    F.v[pc_slot(e.t)] = bv(target);
    fatal.push_back(std::move(F));
    e.P.cond = e.P.cond && !w;
    if (w.simplify().is_true()) e.P.dead = true;  // e.g. an index run past the end: the path ends
  }

  std::vector<Alt> place(int ei, Ev& e) {
    const ir::Expr& x = p.exprs[ei];
    switch (x.op) {
      case Op::Global: return {{tru(), int(x.k)}};
      case Op::Local: return {{tru(), e.local_base + int(x.k)}};
      case Op::Field: {
        expr ptr = eval(x.a, e);
        std::vector<Alt> out;
        expr any_freed = fls();
        for (int i = 0; i < p.kinds[x.kind].max; ++i) {
          expr is_i = ptr == bv(gid(x.kind, i));
          out.push_back({is_i, status_slot(x.kind, i) + int(x.k)});
          any_freed = any_freed || (is_i && e.P.v[status_slot(x.kind, i)] == bv(ir::kFreed));
        }
        if (e.ghost) {
          err(e, Check::NullDeref, ptr == bv(0));
        } else {
          err(e, Check::NullDeref, ptr == bv(0));
          err(e, Check::UseAfterFree, any_freed);
        }
        return out;
      }
      case Op::Index: {
        auto base = place(x.a, e);
        expr i = eval(x.b, e);
        err(e, Check::Range, i < bv(0) || i >= bv(x.k));
        std::vector<Alt> out;
        for (const auto& b : base)
          for (int k = 0; k < x.k; ++k) out.push_back({b.cond && i == bv(k), b.slot + k});
        return out;
      }
      default: return {};
    }
  }

  expr load(const std::vector<Alt>& alts, Ev& e) {
    if (alts.size() == 1) return e.P.v[alts[0].slot];
    expr acc = bv(0);
    for (auto it = alts.rbegin(); it != alts.rend(); ++it) acc = z3::ite(it->cond, e.P.v[it->slot], acc);
    return acc;
  }

  expr eval(int ei, Ev& e) {
    const ir::Expr& x = p.exprs[ei];
    switch (x.op) {
      case Op::Const: return bv(x.k);
      case Op::Self: return bv(e.self);
      case Op::QVar: return e.qv[x.k];
      case Op::Load: {
        auto alts = place(x.a, e);
        return load(alts, e);
      }
      case Op::Not: return b2v(!truth(eval(x.a, e)));
      case Op::Neg: return -eval(x.a, e);
      case Op::And:
      case Op::Or:
      case Op::Implies: {
        expr a = truth(eval(x.a, e));
        expr saved = e.guard;
        e.guard = saved && (x.op == Op::Or ? !a : a);
        expr b = truth(eval(x.b, e));
        e.guard = saved;
        if (x.op == Op::And) return b2v(a && b);
        if (x.op == Op::Or) return b2v(a || b);
        return b2v(!a || b);
      }
      case Op::Cond: {
        expr a = truth(eval(x.a, e));
        expr saved = e.guard;
        e.guard = saved && a;
        expr b = eval(x.b, e);
        e.guard = saved && !a;
        expr cc = eval(x.c, e);
        e.guard = saved;
        return z3::ite(a, b, cc);
      }
      case Op::Alive: {
        expr ptr = eval(x.a, e);
        expr r = fls();
        for (auto [k, i] : instances(p.exprs[x.a].kind))
          r = r || (ptr == bv(gid(k, i)) && e.P.v[status_slot(k, i)] == bv(ir::kAlive));
        return b2v(r);
      }
      case Op::Held:
      case Op::Mine: {
        auto alts = place(x.a, e);
        expr h = load(alts, e);
        return b2v(x.op == Op::Held ? h != bv(0) : h == bv(e.t + 1));
      }
      case Op::Count: {
        expr n = bv(0);
        for (int i = 0; i < p.kinds[x.kind].max; ++i)
          n = n + z3::ite(e.P.v[status_slot(x.kind, i)] == bv(ir::kAlive), bv(1), bv(0));
        return n;
      }
      case Op::Is: {
        expr ptr = eval(x.a, e);
        expr r = fls();
        for (int i = 0; i < p.kinds[x.kind].max; ++i) r = r || ptr == bv(gid(x.kind, i));
        return b2v(r);
      }
      case Op::As: {
        expr ptr = eval(x.a, e);
        expr ok = ptr == bv(0);
        for (int i = 0; i < p.kinds[x.kind].max; ++i) ok = ok || ptr == bv(gid(x.kind, i));
        err(e, Check::Assert, !ok);
        return ptr;
      }
      case Op::At: {
        const ir::Position& pos = p.positions[x.k];
        expr pc = e.P.v[p.threads[pos.thread].pc_slot];
        expr r = fls();
        for (int l : pos.locs) r = r || pc == bv(l);
        return b2v(r);
      }
      case Op::HeldBy: {
        auto alts = place(x.a, e);
        return b2v(load(alts, e) == bv(p.positions[x.k].thread + 1));
      }
      case Op::ThreadVar: {  // the local that x names at the thread's location, else 0
        const ir::ThreadVar& tv = p.thread_vars[x.k];
        const ir::ThreadInst& th = p.threads[tv.thread];
        expr pc = e.P.v[th.pc_slot];
        std::map<int, expr> at;  // local index -> the thread is where it is x
        for (size_t l = 0; l < tv.local.size(); ++l)
          if (tv.local[l] >= 0) {
            auto it = at.find(tv.local[l]);
            if (it == at.end()) at.emplace(tv.local[l], pc == bv(int64_t(l)));
            else it->second = it->second || pc == bv(int64_t(l));
          }
        expr acc = bv(0);
        for (auto it = at.rbegin(); it != at.rend(); ++it) acc = z3::ite(it->second, e.P.v[th.local_base + it->first], acc);
        return acc;
      }
      case Op::Forall:
      case Op::Exists:
      case Op::CountOf: {  // over every instance ever allocated
        bool all = x.op == Op::Forall;
        expr r = c.bool_val(all);
        expr n = bv(0);
        if (int(e.qv.size()) <= x.k) e.qv.resize(x.k + 1, bv(0));
        for (int i = 0; i < p.kinds[x.kind].max; ++i) {
          expr allocated = e.P.v[status_slot(x.kind, i)] != bv(ir::kUnallocated);
          e.qv[x.k] = bv(gid(x.kind, i));
          expr saved = e.guard;
          e.guard = saved && allocated;
          expr b = truth(eval(x.a, e));
          e.guard = saved;
          r = all ? (r && (!allocated || b)) : (r || (allocated && b));
          n = n + z3::ite(allocated && b, bv(1), bv(0));
        }
        return x.op == Op::CountOf ? n : b2v(r);
      }
      default: break;
    }
    expr a = eval(x.a, e);
    expr b = eval(x.b, e);
    switch (x.op) {
      case Op::Add: return a + b;
      case Op::Sub: return a - b;
      case Op::Mul: return a * b;
      case Op::Div:
      case Op::Mod: {
        err(e, Check::Range, b == bv(0));
        expr safe = z3::ite(b == bv(0), bv(1), b);
        return x.op == Op::Div ? a / safe : z3::srem(a, safe);
      }
      case Op::Eq: return b2v(a == b);
      case Op::Ne: return b2v(a != b);
      case Op::Lt: return b2v(a < b);
      case Op::Le: return b2v(a <= b);
      case Op::Gt: return b2v(a > b);
      case Op::Ge: return b2v(a >= b);
      default: return bv(0);
    }
  }

  void range_of(int pl, int slot, int64_t* lo, int64_t* hi) {
    const ir::Expr& x = p.exprs[pl];
    if (x.type == ir::Type::Int && x.op == Op::Local) { *lo = x.lo; *hi = x.hi; return; }
    if (x.type == ir::Type::Int && x.op == Op::Index) { range_of(x.a, slot, lo, hi); return; }
    *lo = p.slots[slot].lo;
    *hi = p.slots[slot].hi;
  }

  void store(const std::vector<Alt>& alts, int pl, const expr& v, Ev& e, bool check) {
    if (check && p.exprs[pl].type == ir::Type::Int && !alts.empty()) {
      expr out = fls();
      for (const auto& a : alts) {
        int64_t lo, hi;
        range_of(pl, a.slot, &lo, &hi);
        out = out || (a.cond && (v < bv(lo) || v > bv(hi)));
      }
      err(e, Check::Range, out);
    }
    for (const auto& a : alts) e.P.v[a.slot] = a.cond.is_true() ? v : z3::ite(a.cond, v, e.P.v[a.slot]);
  }

  Ev ev(Path& P, int t, bool ghost = false) {
    bool thread = t >= 0 && t < int(p.threads.size());  // -1: a property (ghost view)
    int64_t self = thread ? p.threads[t].self : 0;
    int base = thread ? p.threads[t].local_base : t < 0 ? 0 : p.init_local_base;
    return Ev{P, t, self, base, ghost, {}, tru(), fls()};
  }

  // Guard of an action in path P (errors of the guard's evaluation enable it, so the
  // step reports them). Returns the enabling condition (without P.cond).
  expr guard(Path& P, int t, const ir::Action& a, std::vector<Alt>* lock_alts, bool record) {
    Ev e = ev(P, t);
    e.record = record;
    switch (a.kind) {
      case Act::Lock: {
        *lock_alts = place(a.lock, e);
        expr h = load(*lock_alts, e);
        return e.errs || h == bv(0);
      }
      case Act::Wait: {
        expr v = eval(a.expr, e);
        return e.errs || truth(v);
      }
      case Act::Branch: {
        expr v = eval(a.expr, e);
        if (a.branch_value) return e.errs || truth(v);
        return !e.errs && !truth(v);
      }
      default: return tru();
    }
  }

  void clear(Path& P, int t, uint32_t lo, uint32_t hi) {
    int base = t < int(p.threads.size()) ? p.threads[t].local_base : p.init_local_base;
    for (uint32_t i = lo; i < hi; ++i) P.v[base + int(i)] = bv(p.slots[base + int(i)].lo);
  }

  void apply(Path& P, int t, const ir::Action& a, const std::vector<Alt>& lock_alts) {
    Ev e = ev(P, t);
    switch (a.kind) {
      case Act::Assign: {
        auto alts = place(a.place, e);
        expr v = eval(a.expr, e);
        store(alts, a.place, v, e, true);
        break;
      }
      case Act::New: {
        auto alts = place(a.place, e);
        const ir::Kind& k = p.kinds[a.kind_id];
        expr none = tru();
        expr ptr = bv(0);
        for (int i = k.max - 1; i >= 0; --i) ptr = z3::ite(P.v[status_slot(a.kind_id, i)] == bv(ir::kUnallocated), bv(gid(a.kind_id, i)), ptr);
        for (int i = 0; i < k.max; ++i) {
          expr chosen = ptr == bv(gid(a.kind_id, i));
          none = none && P.v[status_slot(a.kind_id, i)] != bv(ir::kUnallocated);
          int base = status_slot(a.kind_id, i);
          P.v[base] = z3::ite(chosen, bv(ir::kAlive), P.v[base]);
          for (const auto& f : k.fields)
            for (int el = 0; el < std::max(1, f.len); ++el)
              P.v[base + f.off + el] = z3::ite(chosen, bv(f.type == ir::Type::Lock ? 0 : f.init), P.v[base + f.off + el]);
        }
        merrs.push_back({P.cond && none, a.span, "'new " + k.name + "' exceeds max " + std::to_string(k.max) + " (raise 'max' in object " + k.name + ")"});
        P.cond = P.cond && !none;
        store(alts, a.place, ptr, e, false);
        break;
      }
      case Act::Free: {
        expr ptr = eval(a.expr, e);
        for (auto [kk, i] : instances(p.exprs[a.expr].kind)) {
          expr is_i = ptr == bv(gid(kk, i));
          int base = status_slot(kk, i);
          err(e, Check::DoubleFree, is_i && P.v[base] == bv(ir::kFreed));
          for (const auto& f : p.kinds[kk].fields) {
            if (f.type != ir::Type::Lock) continue;
            for (int el = 0; el < std::max(1, f.len); ++el)
              err(e, Check::LockMisuse, is_i && P.v[base] != bv(ir::kFreed) && P.v[base + f.off + el] != bv(0));
          }
          P.v[base] = z3::ite(is_i, bv(ir::kFreed), P.v[base]);
        }
        break;
      }
      case Act::Lock: {
        for (int l : p.lock_slots)
          for (const auto& alt : lock_alts)
            if (l != alt.slot) edges.push_back({{l, alt.slot}, P.cond && alt.cond && P.v[l] == bv(t + 1)});
        for (const auto& alt : lock_alts) P.v[alt.slot] = z3::ite(alt.cond, bv(t + 1), P.v[alt.slot]);
        break;
      }
      case Act::Unlock: {
        auto alts = place(a.lock, e);
        expr h = load(alts, e);
        err(e, Check::LockMisuse, h != bv(t + 1));
        for (const auto& alt : alts) P.v[alt.slot] = z3::ite(alt.cond && P.v[alt.slot] == bv(t + 1), bv(0), P.v[alt.slot]);
        break;
      }
      case Act::Trylock: {
        auto alts = place(a.lock, e);
        expr h = load(alts, e);
        err(e, Check::LockMisuse, h == bv(t + 1));
        expr ok = h == bv(0);
        for (const auto& alt : alts) P.v[alt.slot] = z3::ite(alt.cond && ok, bv(t + 1), P.v[alt.slot]);
        if (a.place >= 0) {
          auto pl = place(a.place, e);
          store(pl, a.place, b2v(ok), e, false);
        }
        break;
      }
      case Act::Assert: {
        expr v = eval(a.expr, e);
        err(e, Check::Assert, !truth(v));
        break;
      }
      case Act::Call: {
        std::vector<expr> vals;
        for (const auto& b : a.binds) vals.push_back(eval(b.second, e));
        for (size_t i = 0; i < a.binds.size(); ++i) {
          auto alts = place(a.binds[i].first, e);
          store(alts, a.binds[i].first, vals[i], e, true);
        }
        break;
      }
      case Act::Return: {
        expr v = bv(0);
        if (a.expr >= 0) {
          v = eval(a.expr, e);
          if (a.lo <= a.hi) err(e, Check::Range, v < bv(a.lo) || v > bv(a.hi));
        }
        clear(P, t, a.clear_lo, a.clear_hi);
        if (a.place >= 0) {
          auto alts = place(a.place, e);
          store(alts, a.place, v, e, true);
        }
        break;
      }
      case Act::Skip:
        if (a.place >= 0) {
          const ir::Expr& x = p.exprs[a.place];
          int64_t v0 = x.type == ir::Type::Int ? std::clamp<int64_t>(0, x.lo, x.hi) : 0;
          for (uint32_t i = a.clear_lo; i < a.clear_hi; ++i) P.v[e.local_base + int(i)] = bv(v0);
        }
        break;
      default: break;
    }
    P.v[pc_slot(t)] = bv(a.target);
  }

  int pc_slot(int t) const { return t >= 0 && t < int(p.threads.size()) ? p.threads[t].pc_slot : p.init_pc_slot; }

  void finish(Path& P, int t) {
    Ev e = ev(P, t);
    for (int l : p.lock_slots) err(e, Check::LockMisuse, P.v[l] == bv(t + 1));
    const ir::ThreadTmpl& T = p.tmpls[p.threads[t].tmpl];
    int base = p.threads[t].local_base;
    for (size_t i = 0; i < T.locals.size(); ++i) P.v[base + int(i)] = bv(p.slots[base + int(i)].lo);
  }

  // A choice variable for an n-way choose inside an atomic block: one per node of the
  // block's walk (a location, per loop iteration), so every visit chooses on its own.
  expr choice(int n) {
    int b = 1;
    while ((1 << b) < n) ++b;
    expr v = c.bv_const(("ch" + std::to_string(inputs.size())).c_str(), b);
    inputs.push_back(v);
    return v;
  }

  // Paths are merged where they meet, so a step costs one symbolic state per location of
  // its atomic block, not one per path through it. Branch guards are mutually exclusive,
  // and a choose inside a block is decided by a free choice variable, so for given X and
  // inputs at most one path is live and a selection by path condition is exact.
  // Terms are kept shallow (n-ary or, balanced trees): Z3 4.8 frees deep chains slowly.
  expr pick(const std::vector<std::pair<expr, expr>>& alts, const expr& dflt) {
    if (alts.empty()) return dflt;
    bool same = true;
    for (const auto& [cnd, v] : alts) same = same && z3::eq(v, alts[0].second);
    z3::expr_vector conds(c);
    for (const auto& a : alts) conds.push_back(a.first);
    if (same && z3::eq(alts[0].second, dflt)) return dflt;
    std::vector<expr> level;
    expr zero = c.bv_val(0, dflt.get_sort().bv_size());
    for (const auto& [cnd, v] : alts) level.push_back(same ? v : z3::ite(cnd, v, zero));
    expr body = level[0];
    if (!same) {
      while (level.size() > 1) {
        std::vector<expr> up;
        for (size_t i = 0; i + 1 < level.size(); i += 2) up.push_back(level[i] | level[i + 1]);
        if (level.size() % 2) up.push_back(level.back());
        level = std::move(up);
      }
      body = level[0];
    }
    return z3::ite(z3::mk_or(conds), body, dflt);
  }
  Path join(std::vector<Path>& in) {
    if (in.size() == 1) return std::move(in[0]);
    Path out{std::vector<expr>(in[0].v), fls()};
    z3::expr_vector conds(c);
    for (const auto& P : in) conds.push_back(P.cond);
    out.cond = z3::mk_or(conds);
    for (size_t j = 0; j < out.v.size(); ++j) {
      bool differ = false;
      for (const auto& P : in) differ = differ || !z3::eq(P.v[j], in[0].v[j]);
      if (!differ) continue;
      std::vector<std::pair<expr, expr>> alts;
      for (size_t i = 1; i < in.size(); ++i) alts.push_back({in[i].cond, in[i].v[j]});
      out.v[j] = pick(alts, in[0].v[j]);  // the first path's value unless another is live
    }
    return out;
  }

  // Whether a step that reaches `to` goes on there: inside an atomic block, and with
  // statement merging (model/merge.h) where threads do not rest.
  bool goes_on(int tmpl, int to) const {
    return p.tmpls[tmpl].locs[to].atomic_cont || (merging && merging->continues(tmpl, to));
  }

  // The rest of a step reachable from `start`: topological ranks once the back edges
  // (loops inside an atomic block) are removed, and those back edges as (location, action).
  struct Shape {
    std::vector<int> rank;
    std::vector<std::pair<int, int>> back;
  };
  Shape shape(int tmpl, int start) {
    const ir::ThreadTmpl& T = p.tmpls[tmpl];
    Shape sh;
    std::vector<int> mark(T.locs.size(), 0), order;  // 0 new, 1 on the DFS stack, 2 done
    std::function<void(int)> dfs = [&](int l) {
      mark[l] = 1;
      for (size_t ai = 0; ai < T.locs[l].actions.size(); ++ai) {
        int to = T.locs[l].actions[ai].target;
        if (!goes_on(tmpl, to)) continue;
        if (mark[to] == 1) sh.back.push_back({l, int(ai)});
        if (mark[to] == 0) dfs(to);
      }
      mark[l] = 2;
      order.push_back(l);
    };
    dfs(start);
    sh.rank.assign(T.locs.size(), -1);
    for (size_t i = 0; i < order.size(); ++i) sh.rank[order[order.size() - 1 - i]] = int(i);
    return sh;
  }

  // Runs the rest of a step from `start` (the target of its first action) through the
  // atomic block's continuation to the one merged end state. Paths meet at a location in
  // the same iteration of every loop of the block (counted per back edge), so loop counters
  // stay concrete and a loop's exit is decided by simplification.
  std::optional<Path> cont(Path P0, int t, int start) {
    int tmpl = p.threads[t].tmpl;
    const ir::ThreadTmpl& T = p.tmpls[tmpl];
    // A step that ends at its first action's target.
    if (!goes_on(tmpl, start)) {
      if (start == T.end) finish(P0, t);
      return P0;
    }
    Shape sh = shape(tmpl, start);
    // (back edges taken, rank, iterations per back edge): predecessors sort first.
    using Key = std::tuple<int, int, std::vector<int>>;
    std::map<Key, std::vector<Path>> pending;
    pending[Key{0, sh.rank[start], std::vector<int>(sh.back.size(), 0)}].push_back(std::move(P0));
    std::vector<Path> out;
    while (!pending.empty()) {
      auto node = pending.extract(pending.begin());
      auto& [taken, rank, iters] = node.key();
      Path P = join(node.mapped());
      int loc = -1;
      for (size_t l = 0; l < sh.rank.size() && loc < 0; ++l)
        if (sh.rank[l] == rank) loc = int(l);
      if (taken > 200) {
        int l = p.file->line_col(T.locs[loc].actions.empty() ? T.span.begin : T.locs[loc].actions[0].span.begin).first;
        unsupported = "the atomic block of " + p.threads[t].name + " loops (line " + std::to_string(l) +
                      ") more than 200 times; the symbolic engine unrolls atomic blocks";
        return std::nullopt;
      }
      const auto& acts = T.locs[loc].actions;
      int nchoose = 0;
      for (const auto& a : acts) nchoose += a.kind == Act::Choose;
      expr ch = nchoose > 1 ? choice(nchoose) : bv(0);
      expr any = fls();
      int ci = 0;
      for (size_t ai = 0; ai < acts.size(); ++ai) {
        const ir::Action& a = acts[ai];
        Path Q = P;
        std::vector<Alt> alts;
        target = a.target;
        expr g = guard(Q, t, a, &alts, true);
        any = any || g;
        if (a.kind == Act::Choose && nchoose > 1) {
          unsigned b = ch.get_sort().bv_size();
          g = g && (ci == nchoose - 1 ? z3::uge(ch, c.bv_val(ci, b)) : ch == c.bv_val(ci, b));
          ++ci;
        }
        // Prune what is decided already (a loop bound reached on concrete values).
        if (g.simplify().is_false()) continue;
        Q.cond = Q.cond && g;
        apply(Q, t, a, alts);
        if (Q.dead) continue;
        std::vector<int> next = iters;
        int next_taken = taken;
        if (!goes_on(tmpl, a.target)) {  // the step ends here
          if (a.target == T.end) finish(Q, t);
          out.push_back(std::move(Q));
          continue;
        }
        for (size_t bi = 0; bi < sh.back.size(); ++bi)
          if (sh.back[bi] == std::make_pair(loc, int(ai))) ++next[bi], ++next_taken;
        pending[Key{next_taken, sh.rank[a.target], std::move(next)}].push_back(std::move(Q));
      }
      // (A merged thread-local location always has an enabled action: model/merge.h.)
      if (T.locs[loc].atomic_cont)
        merrs.push_back({P.cond && !any, acts.empty() ? T.span : acts[0].span,
                         "an atomic block blocks after its first statement"});
    }
    if (out.empty()) return std::nullopt;
    return join(out);
  }

  void build() {
    Path base{xval, tru()};
    for (int t = 0; t < int(p.threads.size()); ++t) {
      const ir::ThreadTmpl& T = p.tmpls[p.threads[t].tmpl];
      expr pc = base.v[p.threads[t].pc_slot];
      for (int L = 0; L < int(T.locs.size()); ++L) {
        if (L == T.end || T.locs[L].atomic_cont) continue;
        // With merging no step starts inside a run of local statements; a thread there (in
        // the state a fatal step leaves) can always go on, which deadlock detection needs.
        if (merging && !merging->rest[p.threads[t].tmpl][L]) {
          enabled.push_back(pc == bv(L));
          continue;
        }
        int nchoose = 0, ci = 0;
        for (const auto& a : T.locs[L].actions) nchoose += a.kind == Act::Choose;
        for (const auto& a : T.locs[L].actions) {
          if (deadline && std::chrono::steady_clock::now() > *deadline) {
            late = true;
            return;
          }
          meta.push_back({t, L, a.kind == Act::Choose && nchoose > 1 ? ci++ : -1, nchoose});
          Path P = base;
          P.cond = pc == bv(L);
          fatal.clear();
          target = a.target;
          std::vector<Alt> alts;
          // The false branch of a condition does not report its evaluation errors again.
          bool record = !(a.kind == Act::Branch && !a.branch_value);
          expr g = guard(P, t, a, &alts, record);
          if (a.kind == Act::Lock) {
            expr own = fls();
            for (const auto& alt : alts) own = own || (alt.cond && base.v[alt.slot] == bv(t + 1));
            relock.push_back(pc == bv(L) && own);
          }
          P.cond = P.cond && g;               // (guard errors already cut their fatal part)
          enabled.push_back(pc == bv(L) && g);  // errors in a guard enable the step (it reports them)
          apply(P, t, a, alts);
          auto step = cont(std::move(P), t, a.target);
          if (!unsupported.empty()) return;
          done.push_back(step ? std::move(*step) : Path{xval, fls()});
          fatals.push_back(fatal.empty() ? Path{xval, fls()} : join(fatal));
        }
      }
    }
  }
};

Encoder::Encoder(const ir::Program& p, z3::context& c, std::optional<std::chrono::steady_clock::time_point> deadline,
                 bool merge)
    : X(c), Y(c), inputs(c), trans(c), fatal(c), domain(c), facts(c), clean_facts(c), touch(c), write(c), p_(p), c_(c) {
  Impl I(p, c, *this);
  if (merge) {
    merging_ = ir::merging(p);
    I.merging = &*merging_;
  }
  size_t n = p.slots.size();
  // Values are W-bit two's complement: wide enough for every slot and constant, with
  // headroom for sums (and products, if the model multiplies), so arithmetic is exact.
  int64_t maxabs = 1;
  bool mul = false;
  for (const auto& s : p.slots) maxabs = std::max({maxabs, std::abs(s.lo), std::abs(s.hi)});
  for (const auto& x : p.exprs) {
    if (x.op == Op::Const) maxabs = std::max(maxabs, std::abs(x.k));
    if (x.op == Op::Index) maxabs = std::max(maxabs, std::abs(x.k));
    mul |= x.op == Op::Mul;
  }
  unsigned vb = 1;
  while (vb < 62 && (maxabs >> vb) != 0) ++vb;
  I.W = std::min(64u, std::max(8u, mul ? 2 * vb + 4 : vb + 6));
  value_bits_ = I.W;
  for (size_t j = 0; j < n; ++j) {
    int b = bits_of(p.slots[j]);
    I.bits.push_back(b);
    X.push_back(c.bv_const(("x_" + std::to_string(j)).c_str(), b));
    Y.push_back(c.bv_const(("y_" + std::to_string(j)).c_str(), b));
    expr v = unsigned(b) < I.W ? z3::zext(X.back(), I.W - b) : X.back();
    I.xval.push_back(v + I.bv(p.slots[j].lo));
  }
  I.deadline = deadline;
  I.build();
  if (I.late) {
    timed_out = true;
    return;
  }
  if (!I.unsupported.empty()) {
    unsupported = I.unsupported;
    return;
  }
  ntrans_ = I.done.size();
  // The inputs of a step: which thread runs (sel), which branch of a choose it takes
  // (fch, and the choice variables of atomic blocks). The thread's pc and the guards decide
  // the rest, so the solver searches over threads, not over every action of the model.
  auto width = [](size_t n) {
    unsigned b = 1;
    while ((size_t(1) << b) < n) ++b;
    return b;
  };
  unsigned sb = width(p.threads.size());
  expr sel = c.bv_const("sel", sb);
  inputs.push_back(sel);
  int maxch = 1;
  for (const auto& m : I.meta) maxch = std::max(maxch, m.nchoose);
  unsigned fb = width(size_t(maxch));
  expr fch = c.bv_const("fch", fb);
  if (maxch > 1) inputs.push_back(fch);
  for (const auto& ch : I.inputs) inputs.push_back(ch);

  // T: the selected thread takes its one enabled step (exactly one first action matches
  // the pc, the guards and the choice); every slot of Y is that step's value (or unchanged).
  std::vector<std::vector<std::pair<expr, expr>>> writes(n), fatal_writes(n);  // per slot: (step taken, value)
  z3::expr_vector conj(c), some(c), fatal_some(c);
  for (size_t i = 0; i < ntrans_; ++i) {
    const auto& P = I.done[i];
    const auto& m = I.meta[i];
    expr chosen = sel == c.bv_val(uint64_t(m.thread), sb);
    if (m.choose >= 0)
      chosen = chosen && (m.choose == m.nchoose - 1 ? z3::uge(fch, c.bv_val(m.choose, fb)) : fch == c.bv_val(m.choose, fb));
    expr is_i = chosen && P.cond;
    some.push_back(is_i);
    for (size_t j = 0; j < n; ++j)
      if (!z3::eq(P.v[j], I.xval[j])) writes[j].push_back({is_i, P.v[j]});
    // The same inputs select the state a fatal violation of this step leads to.
    const auto& F = I.fatals[i];
    if (F.cond.is_false()) continue;
    expr is_f = chosen && F.cond;
    fatal_some.push_back(is_f);
    for (size_t j = 0; j < n; ++j)
      if (!z3::eq(F.v[j], I.xval[j])) fatal_writes[j].push_back({is_f, F.v[j]});
  }
  conj.push_back(z3::mk_or(some));
  // The raw bits of slot j holding value v (the inverse of xval).
  auto raw_of = [&](size_t j, const expr& v) {
    expr r = v - I.bv(p.slots[j].lo);
    return unsigned(I.bits[j]) < I.W ? r.extract(I.bits[j] - 1, 0) : r;
  };
  for (size_t j = 0; j < n; ++j) conj.push_back(Y[j] == raw_of(j, I.pick(writes[j], I.xval[j])));
  trans = z3::mk_and(conj);
  fatal = z3::mk_or(fatal_some);
  footprints(I, sel);

  // Valid raw values (needed where a frame is unconstrained: k-induction).
  z3::expr_vector dom(c);
  for (size_t j = 0; j < n; ++j) {
    uint64_t span = uint64_t(p.slots[j].hi - p.slots[j].lo);
    if (I.bits[j] < 64 && span + 1 < (uint64_t(1) << I.bits[j])) dom.push_back(z3::ule(X[j], c.bv_val(span, I.bits[j])));
  }
  auto typed = [&](int slot, int kind) {
    expr v = I.xval[slot];
    if (kind < 0) {  // any*: null or some instance
      dom.push_back(z3::sle(v, I.bv(int64_t(p.gid_kind.size()))) && z3::sge(v, I.bv(0)));
      return;
    }
    expr ok = v == I.bv(0);
    for (int i = 0; i < p.kinds[kind].max; ++i) ok = ok || v == I.bv(I.gid(kind, i));
    dom.push_back(ok);
  };
  for (const auto& g : p.globals)
    if (g.type == ir::Type::Ptr)
      for (int i = 0; i < std::max(1, g.len); ++i) typed(g.slot + i, g.target);
  for (size_t k = 0; k < p.kinds.size(); ++k)
    for (int i = 0; i < p.kinds[k].max; ++i)
      for (const auto& f : p.kinds[k].fields)
        if (f.type == ir::Type::Ptr)
          for (int el = 0; el < std::max(1, f.len); ++el) typed(I.status_slot(int(k), i) + f.off + el, f.target);
  // A thread rests at one of its own locations, and only between steps: never inside an
  // atomic block.
  for (const auto& th : p.threads) {
    const ir::ThreadTmpl& T = p.tmpls[th.tmpl];
    dom.push_back(z3::sle(I.xval[th.pc_slot], I.bv(int64_t(T.locs.size()) - 1)) && z3::sge(I.xval[th.pc_slot], I.bv(0)));
    for (int L = 0; L < int(T.locs.size()); ++L)
      if (T.locs[L].atomic_cont) dom.push_back(I.xval[th.pc_slot] != I.bv(L));
  }
  domain = z3::mk_and(dom);

  // Per property: the builtin step checks from the recorded path violations; deadlock and
  // relocking on the state; user properties on the state (ghost view).
  auto props = properties_of(p);
  std::vector<z3::expr_vector> badv;  // disjuncts per property, joined flat at the end
  for (size_t i = 0; i < props.size(); ++i) badv.emplace_back(c);
  for (const auto& [k, cond] : I.viol) badv[k].push_back(cond);
  size_t lm = check_index(Check::LockMisuse), dl = check_index(Check::Deadlock);
  for (const auto& r : I.relock) badv[lm].push_back(r);
  z3::expr_vector en(c), fin(c);
  for (const auto& e : I.enabled) en.push_back(e);
  for (const auto& th : p.threads) fin.push_back(I.xval[th.pc_slot] == I.bv(p.tmpls[th.tmpl].end));
  expr all_done = z3::mk_and(fin);
  // State checks (deadlock, invariants, finals) of X, by property index: the state a
  // fatal step leads to gets the same checks, instantiated below.
  std::vector<std::pair<size_t, expr>> state_bad;
  state_bad.push_back({dl, !z3::mk_or(en) && !all_done});
  for (size_t pi = 0; pi < p.properties.size(); ++pi) {
    Impl::Path P{I.xval, c.bool_val(true)};
    size_t before = I.merrs.size();
    Impl::Ev e = I.ev(P, -1, true);
    expr holds = I.truth(I.eval(p.properties[pi].expr, e));
    for (size_t m = before; m < I.merrs.size(); ++m) {
      I.merrs[m].span = p.properties[pi].span;
      I.merrs[m].message = "property '" + p.properties[pi].name + "' cannot be evaluated in a reachable state";
      if (p.properties[pi].is_final) I.merrs[m].cond = I.merrs[m].cond && all_done;
    }
    size_t idx = std::size(ir::kBuiltinChecks) + pi;
    state_bad.push_back({idx, (p.properties[pi].is_final ? all_done : c.bool_val(true)) && !holds});
  }
  for (const auto& [idx, cond] : state_bad) badv[idx].push_back(cond);
  for (auto& v : badv) bad_unless_fatal.push_back(z3::mk_or(v));
  // A fatal step ends its path, but the state it leads to is still checked (LANGUAGE.md):
  // its invariants, finals and deadlock, on the one fatal successor the inputs select.
  if (!fatal_some.empty()) {
    expr fatal = z3::mk_or(fatal_some);
    z3::expr_vector after(c);
    for (size_t j = 0; j < n; ++j) after.push_back(raw_of(j, I.pick(fatal_writes[j], I.xval[j])));
    for (auto& [idx, cond] : state_bad) badv[idx].push_back(fatal && cond.substitute(X, after));
  }
  for (auto& v : badv) bad.push_back(z3::mk_or(v));
  std::map<std::pair<int, int>, z3::expr_vector> by_pair;
  for (const auto& [key, cond] : I.edges) by_pair.try_emplace(key, c).first->second.push_back(cond);
  for (const auto& [key, conds] : by_pair) edges.push_back({key, z3::mk_or(conds)});
  errors = I.merrs;

  // Initial states: the init block runs on concrete values, so the Machine computes them.
  struct Init : StepSink {
    size_t n;
    std::vector<std::vector<uint8_t>>* out;
    void successor(const uint8_t* s, const StepInfo& info) override {
      if (!(info.violation && info.violation->fatal())) out->emplace_back(s, s + n);
    }
  } sink;
  Machine m(p);
  sink.n = m.state_size();
  sink.out = &initial_states;
  m.initial(sink);
  if (merging_)
    for (auto& s : initial_states) {
      init_runs.push_back(initial_run(m, *merging_, s.data()));
      s = init_runs.back().back();
    }
  build_facts(I);
}

// Every fact holds in each state a run reaches through steps without a fatal violation
// (tests sweep the reachable states of every model), so every frame may assume them:
// they rule out the induction step's start states that no run has.
void Encoder::build_facts(Impl& I) {
  const ir::Program& p = p_;
  z3::expr_vector all(c_);
  // Null, or an allocated instance of `kind` (-1: of any kind): pointers come only from new.
  auto allocated = [&](const expr& v, int kind) {
    z3::expr_vector ok(c_);
    ok.push_back(v == I.bv(0));
    for (auto [k, i] : I.instances(kind))
      ok.push_back(v == I.bv(I.gid(k, i)) && I.xval[I.status_slot(k, i)] != I.bv(ir::kUnallocated));
    return z3::mk_or(ok);
  };
  auto facts_of = ir::local_facts(p);
  for (const auto& th : p.threads) {
    const auto& F = facts_of[th.tmpl];
    const ir::ThreadTmpl& T = p.tmpls[th.tmpl];
    expr pc = I.xval[th.pc_slot];
    // Per (local, fact): the locations where it holds, so each fact is one implication.
    std::map<std::tuple<size_t, int, int64_t, int>, z3::expr_vector> where;
    for (int L = 0; L < int(T.locs.size()); ++L) {
      // Merged steps never stop inside a run of thread-local statements (model/merge.h).
      if (!F.reached[L] || (merging_ && !merging_->rest[th.tmpl][L])) {
        all.push_back(pc != I.bv(L));
        continue;
      }
      if (T.locs[L].atomic_cont) continue;  // the domain keeps a pc out of atomic blocks
      for (size_t j = 0; j < F.locals[L].size(); ++j) {
        const ir::LocalFact& f = F.locals[L][j];
        if (f.kind == ir::LocalFact::Value || f.kind == ir::LocalFact::Pointer)
          where.try_emplace({j, int(f.kind), f.value, f.ptr_kind}, c_).first->second.push_back(pc == I.bv(L));
      }
    }
    for (auto& [key, locs] : where) {
      auto [j, kind, value, ptr_kind] = key;
      expr v = I.xval[th.local_base + int(j)];
      all.push_back(z3::implies(z3::mk_or(locs), kind == ir::LocalFact::Value ? v == I.bv(value) : allocated(v, ptr_kind)));
    }
  }
  // A slot no step writes (the init block's pc and locals, globals only init sets) keeps
  // an initial value.
  for (size_t j = 0; j < p.slots.size(); ++j) {
    if (written_[j]) continue;
    z3::expr_vector one(c_);
    for (const auto& s : initial_states) one.push_back(X[j] == raw(s, j));
    if (!one.empty()) all.push_back(z3::mk_or(one));
  }
  // new takes the lowest unallocated instance and no instance becomes unallocated again:
  // the unallocated instances of a kind are a suffix, with the all-zero fields of initial
  // memory, and no pointer names them.
  for (size_t k = 0; k < p.kinds.size(); ++k)
    for (int i = 0; i < p.kinds[k].max; ++i) {
      int st = I.status_slot(int(k), i);
      expr unallocated = I.xval[st] == I.bv(ir::kUnallocated);
      if (i + 1 < p.kinds[k].max)
        all.push_back(z3::implies(unallocated, I.xval[I.status_slot(int(k), i + 1)] == I.bv(ir::kUnallocated)));
      z3::expr_vector zero(c_);
      for (const auto& f : p.kinds[k].fields)
        for (int el = 0; el < std::max(1, f.len); ++el) {
          const expr& x = X[st + f.off + el];
          zero.push_back(x == c_.bv_val(0, x.get_sort().bv_size()));
        }
      if (!zero.empty()) all.push_back(z3::implies(unallocated, z3::mk_and(zero)));
      for (const auto& f : p.kinds[k].fields)
        if (f.type == ir::Type::Ptr)
          for (int el = 0; el < std::max(1, f.len); ++el) all.push_back(allocated(I.xval[st + f.off + el], f.target));
    }
  for (const auto& g : p.globals)
    if (g.type == ir::Type::Ptr)
      for (int i = 0; i < std::max(1, g.len); ++i) all.push_back(allocated(I.xval[g.slot + i], g.target));
  facts = z3::mk_and(all);

  auto classes = ir::lock_classes(p);
  auto locks_of = ir::lock_facts(p, classes);
  z3::expr_vector clean(c_);
  for (size_t t = 0; t < p.threads.size(); ++t) {
    const auto& th = p.threads[t];
    const ir::ThreadTmpl& T = p.tmpls[th.tmpl];
    expr pc = I.xval[th.pc_slot];
    std::map<std::pair<size_t, int>, z3::expr_vector> where;  // (class, count) -> locations
    for (int L = 0; L < int(T.locs.size()); ++L) {
      if (T.locs[L].atomic_cont) continue;
      for (size_t k = 0; k < classes.size(); ++k)
        if (int n = locks_of[th.tmpl].held[L][k]; n >= 0) where.try_emplace({k, n}, c_).first->second.push_back(pc == I.bv(L));
    }
    for (auto& [key, locs] : where) {
      expr count = I.bv(0);
      for (int s : classes[key.first].slots) count = count + z3::ite(I.xval[s] == I.bv(int64_t(t) + 1), I.bv(1), I.bv(0));
      clean.push_back(z3::implies(z3::mk_or(locs), count == I.bv(key.second)));
    }
  }
  // The init block has finished: it holds no lock (finishing with one is a lock_misuse).
  if (p.init_tmpl >= 0)
    for (int s : p.lock_slots) clean.push_back(I.xval[s] != I.bv(int64_t(p.threads.size()) + 1));
  clean_facts = z3::mk_and(clean);
}

// The footprint of a step is read off its encoding (the enabling condition and the values
// it gives each slot), so it is exact for the relation the solver sees: a step touches the
// slots its formulas mention and writes those whose value it may change. A thread's pc and
// locals are its own and never make two threads' steps dependent. Slots that every step
// touches alike form one class, which keeps the masks narrow.
void Encoder::footprints(Impl& I, const expr& sel) {
  const ir::Program& p = p_;
  size_t n = p.slots.size(), nt = p.threads.size();
  std::unordered_map<unsigned, size_t> slot_of;
  for (size_t j = 0; j < n; ++j) slot_of[X[j].id()] = j;
  std::vector<bool> shared(n, true);
  for (const auto& th : p.threads) {
    shared[th.pc_slot] = false;
    for (size_t l = 0; l < p.tmpls[th.tmpl].locals.size(); ++l) shared[th.local_base + l] = false;
  }
  // Per (thread, location): the slots its steps touch and write.
  std::map<std::pair<int, int>, std::pair<std::vector<bool>, std::vector<bool>>> feet;
  for (size_t i = 0; i < I.done.size(); ++i) {
    const auto& P = I.done[i];
    if (P.cond.is_false()) continue;
    auto& [tch, wr] = feet[{I.meta[i].thread, I.meta[i].loc}];
    tch.resize(n);
    wr.resize(n);
    std::unordered_set<unsigned> seen;
    std::vector<expr> todo{P.cond};
    for (size_t j = 0; j < n; ++j)
      if (!z3::eq(P.v[j], I.xval[j])) {
        wr[j] = tch[j] = true;
        todo.push_back(P.v[j]);
      }
    while (!todo.empty()) {
      expr e = todo.back();
      todo.pop_back();
      if (!seen.insert(e.id()).second || !e.is_app()) continue;
      if (e.num_args() == 0) {
        if (auto it = slot_of.find(e.id()); it != slot_of.end()) tch[it->second] = true;
        continue;
      }
      for (unsigned a = 0; a < e.num_args(); ++a) todo.push_back(e.arg(a));
    }
  }
  written_.assign(n, false);
  for (const auto& [key, f] : feet)
    for (size_t j = 0; j < n; ++j) written_[j] = written_[j] || f.second[j];
  // Classes: shared slots with the same column (who touches, who writes).
  std::map<std::vector<bool>, unsigned> classes;
  std::vector<int> cls(n, -1);
  for (size_t j = 0; j < n; ++j) {
    if (!shared[j]) continue;
    std::vector<bool> col;
    bool any = false;
    for (const auto& [key, f] : feet) {
      col.push_back(f.first[j]);
      col.push_back(f.second[j]);
      any = any || f.first[j];
    }
    if (!any) continue;
    cls[j] = int(classes.emplace(col, unsigned(classes.size())).first->second);
  }
  por_classes_ = nt < 2 ? 0 : unsigned(classes.size());
  if (por_classes_ == 0) return;
  unsigned C = por_classes_;
  unsigned sb = sel.get_sort().bv_size();
  std::vector<std::pair<expr, expr>> t_alts, w_alts;
  std::unique_ptr<bool[]> tb(new bool[C]), wb(new bool[C]);
  for (const auto& [key, f] : feet) {
    std::fill(tb.get(), tb.get() + C, false);
    std::fill(wb.get(), wb.get() + C, false);
    bool any = false;
    for (size_t j = 0; j < n; ++j)
      if (cls[j] >= 0) {
        tb[cls[j]] = tb[cls[j]] || f.first[j];
        wb[cls[j]] = wb[cls[j]] || f.second[j];
        any = any || f.first[j];
      }
    if (!any) continue;  // a thread-local step: independent of every other thread's
    auto [t, L] = key;
    expr here = sel == c_.bv_val(uint64_t(t), sb) && I.xval[p.threads[t].pc_slot] == I.bv(L);
    t_alts.push_back({here, c_.bv_val(C, tb.get())});
    if (std::find(wb.get(), wb.get() + C, true) != wb.get() + C) w_alts.push_back({here, c_.bv_val(C, wb.get())});
  }
  // At most one (thread, location) matches, so the selection is exact.
  expr zero = c_.bv_val(0, C);
  touch = I.pick(t_alts, zero);
  write = I.pick(w_alts, zero);
}

expr Encoder::ordered(const z3::expr_vector& f0, const std::string& tag0, const z3::expr_vector& f1,
                      const std::string& tag1) {
  if (por_classes_ == 0) return c_.bool_val(true);
  auto a = at_all({touch, write}, f0, tag0);
  auto b = at_all({touch, write}, f1, tag1);
  expr t0 = a[0], w0 = a[1], t1 = b[0], w1 = b[1];
  expr zero = c_.bv_val(0, por_classes_);
  expr dependent = ((w0 & t1) | (t0 & w1)) != zero;
  unsigned sb = inputs[0].get_sort().bv_size();
  expr sel0 = c_.bv_const((inputs[0].decl().name().str() + "_" + tag0).c_str(), sb);
  expr sel1 = c_.bv_const((inputs[0].decl().name().str() + "_" + tag1).c_str(), sb);
  return z3::implies(z3::ult(sel1, sel0), dependent);
}

expr Encoder::init(const z3::expr_vector& f) const {
  expr any = c_.bool_val(false);
  for (const auto& s : initial_states) any = any || equals(f, s);
  return any;
}

expr Encoder::raw(const std::vector<uint8_t>& s, size_t j) const {
  uint64_t r = 0;
  memcpy(&r, s.data() + p_.slots[j].offset, p_.slots[j].width);
  return c_.bv_val(r, X[j].get_sort().bv_size());
}

expr Encoder::equals(const z3::expr_vector& f, const std::vector<uint8_t>& s) const {
  z3::expr_vector eq(c_);
  for (unsigned j = 0; j < f.size(); ++j) eq.push_back(f[j] == raw(s, j));
  return z3::mk_and(eq);
}

expr Encoder::distinct(const z3::expr_vector& a, const z3::expr_vector& b) const {
  z3::expr_vector ne(c_);
  for (unsigned j = 0; j < a.size(); ++j) ne.push_back(a[j] != b[j]);
  return z3::mk_or(ne);
}

z3::expr_vector Encoder::frame(const std::string& prefix) {
  z3::expr_vector f(c_);
  for (unsigned j = 0; j < X.size(); ++j)
    f.push_back(c_.bv_const((prefix + "_" + std::to_string(j)).c_str(), X[j].get_sort().bv_size()));
  return f;
}

expr Encoder::at(const expr& f, const z3::expr_vector& cur, const z3::expr_vector* next, const std::string& tag) {
  z3::expr_vector from(c_), to(c_);
  for (unsigned j = 0; j < X.size(); ++j) {
    from.push_back(X[j]);
    to.push_back(cur[j]);
  }
  if (next)
    for (unsigned j = 0; j < Y.size(); ++j) {
      from.push_back(Y[j]);
      to.push_back((*next)[j]);
    }
  if (!tag.empty())
    for (unsigned j = 0; j < inputs.size(); ++j) {
      from.push_back(inputs[j]);
      to.push_back(c_.bv_const((inputs[j].decl().name().str() + "_" + tag).c_str(), inputs[j].get_sort().bv_size()));
    }
  return const_cast<expr&>(f).substitute(from, to);
}

std::vector<expr> Encoder::at_all(const std::vector<expr>& fs, const z3::expr_vector& cur, const std::string& tag) {
  if (fs.empty()) return {};
  // Pack the formulas as arguments of one uninterpreted application, substitute once,
  // and unpack: one substitution cache for all of them.
  z3::sort_vector dom(c_);
  z3::expr_vector args(c_);
  for (const auto& f : fs) {
    dom.push_back(f.get_sort());
    args.push_back(f);
  }
  z3::func_decl pack = c_.function("lc_pack", dom, c_.bool_sort());
  expr inst = at(pack(args), cur, nullptr, tag);
  std::vector<expr> out;
  for (unsigned i = 0; i < inst.num_args(); ++i) out.push_back(inst.arg(i));
  return out;
}

std::vector<uint8_t> Encoder::decode(const z3::model& m, const z3::expr_vector& f) const {
  std::vector<uint8_t> s(p_.state_size, 0);
  for (unsigned j = 0; j < f.size(); ++j) {
    expr v = m.eval(f[j], true);
    uint64_t raw = v.get_numeral_uint64();
    memcpy(s.data() + p_.slots[j].offset, &raw, p_.slots[j].width);
  }
  return s;
}

}  // namespace lc::symbolic
