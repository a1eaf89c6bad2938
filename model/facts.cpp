#include "model/facts.h"

#include <algorithm>

namespace lc::ir {

namespace {

LocalFact value(int64_t v) { return {LocalFact::Value, v, -1}; }
LocalFact pointer(int kind) { return {LocalFact::Pointer, 0, kind}; }
LocalFact any() { return {LocalFact::Any, 0, -1}; }

LocalFact join(const LocalFact& a, const LocalFact& b) {
  if (a.kind == LocalFact::Unreached) return b;
  if (b.kind == LocalFact::Unreached || a == b) return a;
  if (a.kind == LocalFact::Any || b.kind == LocalFact::Any) return any();
  if (a.kind == LocalFact::Pointer && b.kind == LocalFact::Pointer) return pointer(a.ptr_kind == b.ptr_kind ? a.ptr_kind : -1);
  // A pointer joined with null stays a pointer of its kind.
  const LocalFact& p = a.kind == LocalFact::Pointer ? a : b;
  const LocalFact& v = a.kind == LocalFact::Pointer ? b : a;
  if (p.kind == LocalFact::Pointer && v.value == 0) return p;
  return any();
}

struct Analysis {
  const Program& p;
  const ThreadTmpl& T;
  std::vector<int64_t> reset;  // a local's value after a return clears it (raw 0)

  // What an expression stores: a constant, or a pointer of its static kind (the type
  // checker and the run-time check of `as` guarantee it), or anything.
  LocalFact of_expr(int e) const {
    const Expr& x = p.exprs[e];
    if (x.op == Op::Const || x.type == Type::Null) return value(x.op == Op::Const ? x.k : 0);
    if (x.type == Type::Ptr) return pointer(x.kind);
    return any();
  }

  void store(std::vector<LocalFact>& F, int place, const LocalFact& f) const {
    const Expr& x = p.exprs[place];
    if (x.op == Op::Local) {
      F[x.k] = f;
      return;
    }
    if (x.op != Op::Index || p.exprs[x.a].op != Op::Local) return;  // a global or a field
    int first = int(p.exprs[x.a].k);
    const Expr& i = p.exprs[x.b];
    for (int e = 0; e < x.k; ++e) {
      LocalFact& slot = F[first + e];
      if (i.op == Op::Const) {
        if (i.k == e) slot = f;
      } else {
        slot = join(slot, f);  // some element gets f, the others keep theirs
      }
    }
  }

  std::vector<LocalFact> apply(std::vector<LocalFact> F, const Action& a) const {
    switch (a.kind) {
      case Act::Assign: store(F, a.place, of_expr(a.expr)); break;
      case Act::New: store(F, a.place, pointer(a.kind_id)); break;
      case Act::Trylock:
        if (a.place >= 0) store(F, a.place, any());
        break;
      case Act::Call:
        for (const auto& [param, arg] : a.binds) store(F, param, of_expr(arg));
        break;
      case Act::Return: {
        LocalFact result = a.expr >= 0 ? of_expr(a.expr) : value(0);
        for (uint32_t i = a.clear_lo; i < a.clear_hi; ++i) F[i] = value(reset[i]);
        if (a.place >= 0) store(F, a.place, result);
        break;
      }
      case Act::Skip:
        if (a.place >= 0) {
          const Expr& x = p.exprs[a.place];
          int64_t v0 = x.type == Type::Int ? std::clamp<int64_t>(0, x.lo, x.hi) : 0;
          for (uint32_t i = a.clear_lo; i < a.clear_hi; ++i) F[i] = value(v0);
        }
        break;
      default: break;
    }
    if (a.target == T.end)  // a finished thread's locals are cleared
      for (size_t i = 0; i < F.size(); ++i) F[i] = value(reset[i]);
    return F;
  }
};

}  // namespace

std::vector<TmplFacts> local_facts(const Program& p) {
  std::vector<TmplFacts> out;
  for (size_t ti = 0; ti < p.tmpls.size(); ++ti) {
    const ThreadTmpl& T = p.tmpls[ti];
    Analysis an{p, T, {}};
    int base = int(ti) == p.init_tmpl ? p.init_local_base : -1;
    for (const auto& th : p.threads)
      if (th.tmpl == int(ti) && base < 0) base = th.local_base;
    for (size_t i = 0; i < T.locals.size(); ++i) an.reset.push_back(base >= 0 ? p.slots[base + i].lo : 0);
    std::vector<std::vector<LocalFact>> at(T.locs.size(), std::vector<LocalFact>(T.locals.size()));
    for (size_t i = 0; i < T.locals.size(); ++i) at[T.entry][i] = value(an.reset[i]);
    std::vector<bool> reached(T.locs.size(), false);
    reached[T.entry] = true;
    std::vector<int> work = {T.entry};
    while (!work.empty()) {
      int l = work.back();
      work.pop_back();
      for (const auto& a : T.locs[l].actions) {
        auto F = an.apply(at[l], a);
        auto& G = at[a.target];
        bool changed = !reached[a.target];
        reached[a.target] = true;
        for (size_t i = 0; i < F.size(); ++i) {
          LocalFact j = join(G[i], F[i]);
          changed = changed || !(j == G[i]);
          G[i] = j;
        }
        if (changed) work.push_back(a.target);
      }
    }
    out.push_back({std::move(reached), std::move(at)});
  }
  return out;
}

std::vector<LockClass> lock_classes(const Program& p) {
  std::vector<LockClass> out;
  for (const auto& g : p.globals)
    if (g.type == Type::Lock) {
      LockClass c{g.name, {}};
      for (int i = 0; i < std::max(1, g.len); ++i) c.slots.push_back(g.slot + i);
      out.push_back(std::move(c));
    }
  for (const auto& k : p.kinds)
    for (const auto& f : k.fields)
      if (f.type == Type::Lock) {
        LockClass c{k.name + "." + f.name, {}};
        for (int i = 0; i < k.max; ++i)
          for (int e = 0; e < std::max(1, f.len); ++e) c.slots.push_back(k.first_slot + i * k.stride + f.off + e);
        out.push_back(std::move(c));
      }
  return out;
}

int lock_class_of(const Program& p, const std::vector<LockClass>& classes, int place) {
  const Expr& x = p.exprs[place];
  if (x.op == Op::Index) return lock_class_of(p, classes, x.a);
  int slot = -1;
  if (x.op == Op::Global) slot = int(x.k);
  if (x.op == Op::Field) {
    const Kind& k = p.kinds[x.kind];
    slot = k.first_slot + int(x.k);  // instance 0's slot of this field
  }
  for (size_t c = 0; c < classes.size(); ++c)
    if (std::find(classes[c].slots.begin(), classes[c].slots.end(), slot) != classes[c].slots.end()) return int(c);
  return -1;
}

std::vector<LockFacts> lock_facts(const Program& p, const std::vector<LockClass>& classes) {
  constexpr int kUnreached = -2, kUnknown = -1;
  std::vector<LockFacts> out;
  for (const auto& T : p.tmpls) {
    size_t n = classes.size();
    std::vector<std::vector<int>> at(T.locs.size(), std::vector<int>(n, kUnreached));
    at[T.entry].assign(n, 0);
    std::vector<int> work = {T.entry};
    while (!work.empty()) {
      int l = work.back();
      work.pop_back();
      for (const auto& a : T.locs[l].actions) {
        std::vector<int> F = at[l];
        int c = a.lock >= 0 ? lock_class_of(p, classes, a.lock) : -1;
        if (c >= 0 && F[c] >= 0) {
          if (a.kind == Act::Lock) F[c] = F[c] + 1 <= int(classes[c].slots.size()) ? F[c] + 1 : kUnknown;
          if (a.kind == Act::Unlock) F[c] = F[c] > 0 ? F[c] - 1 : kUnknown;
          if (a.kind == Act::Trylock) F[c] = kUnknown;
        }
        auto& G = at[a.target];
        bool changed = false;
        for (size_t i = 0; i < n; ++i) {
          int j = G[i] == kUnreached ? F[i] : G[i] == F[i] ? G[i] : kUnknown;
          changed = changed || j != G[i];
          G[i] = j;
        }
        if (changed) work.push_back(a.target);
      }
    }
    for (auto& v : at)
      for (auto& x : v)
        if (x == kUnreached) x = kUnknown;
    out.push_back({std::move(at)});
  }
  return out;
}

}  // namespace lc::ir
