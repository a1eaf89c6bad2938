#include "model/merge.h"

#include <functional>

namespace lc::ir {

namespace {

struct Locality {
  const Program& p;
  std::vector<bool> written;  // global slots some thread's step may write

  // A global place's slots: one, or the whole array under an index.
  void mark_written(int place) {
    const Expr& x = p.exprs[place];
    if (x.op == Op::Global) written[x.k] = true;
    if (x.op != Op::Index) return;
    const Expr& base = p.exprs[x.a];
    if (base.op == Op::Global)
      for (int64_t e = 0; e < x.k; ++e) written[base.k + e] = true;
    else
      mark_written(x.a);
  }

  // The expression reads only the thread's locals, constants and globals no thread writes.
  bool pure(int e) const {
    if (e < 0) return true;
    const Expr& x = p.exprs[e];
    switch (x.op) {
      case Op::Const:
      case Op::Self: return true;
      case Op::Local: return true;
      case Op::Global: return !written[x.k];
      case Op::Index: {
        const Expr& base = p.exprs[x.a];
        if (base.op == Op::Global) {
          for (int64_t i = 0; i < x.k; ++i)
            if (written[base.k + i]) return false;
          return pure(x.b);
        }
        return pure(x.a) && pure(x.b);
      }
      case Op::Load:
      case Op::Not:
      case Op::Neg:
      case Op::Is:
      case Op::As:  // a pointer's kind is fixed by its value
        return pure(x.a);
      case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: case Op::Mod: case Op::Eq: case Op::Ne: case Op::Lt:
      case Op::Le: case Op::Gt: case Op::Ge: case Op::And: case Op::Or: case Op::Implies:
        return pure(x.a) && pure(x.b);
      case Op::Cond: return pure(x.a) && pure(x.b) && pure(x.c);
      default: return false;  // fields, liveness, locks, counts, quantifiers: shared state
    }
  }
  // A place the thread alone writes: one of its locals (or an element, by a pure index).
  bool own(int place) const {
    if (place < 0) return true;
    const Expr& x = p.exprs[place];
    if (x.op == Op::Local) return true;
    return x.op == Op::Index && own(x.a) && pure(x.b);
  }

  bool local(const Action& a) const {
    switch (a.kind) {
      case Act::Assign:
      case Act::Assert:
      case Act::Branch:
      case Act::Return:
      case Act::Skip: return own(a.place) && pure(a.expr);
      case Act::Call:
        for (const auto& [param, arg] : a.binds)
          if (!own(param) || !pure(arg)) return false;
        return true;
      default: return false;  // new, free, locks, wait, choose
    }
  }
};

}  // namespace

Merging merging(const Program& p) {
  Locality loc{p, std::vector<bool>(p.slots.size(), false)};
  for (size_t ti = 0; ti < p.tmpls.size(); ++ti) {
    if (int(ti) == p.init_tmpl) continue;  // init runs before any thread
    for (const auto& L : p.tmpls[ti].locs)
      for (const auto& a : L.actions) {
        if (a.place >= 0) loc.mark_written(a.place);
        for (const auto& [param, arg] : a.binds) loc.mark_written(param);
      }
  }
  // Properties that read a thread's position or locals (at(), in(), done(), T.x) must not
  // see a merged step skip a change: a statement that moves the thread into or out of a
  // position they name, or writes a local they read, is not local.
  std::vector<std::vector<std::vector<bool>>> sets(p.tmpls.size());  // per template: position sets
  std::vector<std::vector<bool>> read(p.tmpls.size());               // per template: locals read
  for (const auto& x : p.exprs) {
    if (x.op == Op::At) {
      const Position& pos = p.positions[x.k];
      int tm = p.threads[pos.thread].tmpl;
      std::vector<bool> in(p.tmpls[tm].locs.size(), false);
      for (int l : pos.locs) in[l] = true;
      sets[tm].push_back(std::move(in));
    }
    if (x.op == Op::ThreadVar) {
      const ThreadVar& tv = p.thread_vars[x.k];
      auto& r = read[p.threads[tv.thread].tmpl];
      r.resize(p.tmpls[p.threads[tv.thread].tmpl].locals.size(), false);
      for (int li : tv.local)
        if (li >= 0) r[li] = true;
    }
  }
  auto watched_write = [&](size_t ti, const Action& a) {
    const auto& r = read[ti];
    if (r.empty()) return false;
    auto hits = [&](int place) {
      while (place >= 0 && p.exprs[place].op == Op::Index) place = p.exprs[place].a;
      return place >= 0 && p.exprs[place].op == Op::Local && r[p.exprs[place].k];
    };
    if (hits(a.place)) return true;
    for (const auto& [param, arg] : a.binds)
      if (hits(param)) return true;
    for (uint32_t i = a.clear_lo; i < a.clear_hi; ++i)
      if (r[i]) return true;
    return false;
  };
  Merging m;
  for (size_t ti = 0; ti < p.tmpls.size(); ++ti) {
    const auto& T = p.tmpls[ti];
    size_t n = T.locs.size();
    std::vector<bool> local(n, false), rest(n, false);
    for (size_t l = 0; l < n; ++l) {
      const auto& acts = T.locs[l].actions;
      if (int(l) == T.end || T.locs[l].atomic_cont || acts.empty()) continue;
      bool ok = true;
      for (const auto& a : acts) {
        ok = ok && loc.local(a) && !T.locs[a.target].atomic_cont && !watched_write(ti, a);
        for (const auto& in : sets[ti]) ok = ok && in[l] == in[a.target];
      }
      // Exactly one action is enabled: a lone statement, or a condition's two outcomes.
      if (acts.size() == 1)
        ok = ok && acts[0].kind != Act::Branch;
      else
        ok = ok && acts.size() == 2 && acts[0].kind == Act::Branch && acts[1].kind == Act::Branch &&
             acts[0].expr == acts[1].expr && acts[0].branch_value != acts[1].branch_value;
      local[l] = ok;
    }
    // Back edges, depth-first from the entry in action order (deterministic).
    std::vector<std::vector<bool>> back(n);
    std::vector<int> mark(n, 0);  // 0 new, 1 on the stack, 2 done
    std::function<void(int)> dfs = [&](int l) {
      mark[l] = 1;
      const auto& acts = T.locs[l].actions;
      back[l].assign(acts.size(), false);
      for (size_t ai = 0; ai < acts.size(); ++ai) {
        int to = acts[ai].target;
        if (mark[to] == 1) back[l][ai] = true;
        if (mark[to] == 0) dfs(to);
      }
      mark[l] = 2;
    };
    dfs(T.entry);
    for (size_t l = 0; l < n; ++l) {
      if (mark[l] == 0) back[l].assign(T.locs[l].actions.size(), false);
      rest[l] = !local[l] || int(l) == T.entry;
    }
    for (size_t l = 0; l < n; ++l)
      for (size_t ai = 0; ai < T.locs[l].actions.size(); ++ai)
        if (back[l][ai]) rest[T.locs[l].actions[ai].target] = true;
    m.local.push_back(std::move(local));
    m.rest.push_back(std::move(rest));
  }
  return m;
}

}  // namespace lc::ir
