#include "model/liveness.h"

#include <deque>

namespace lc::ir {

namespace {

struct Sets {
  std::vector<int> uses, defs;  // local indices
};

// Every local an expression tree reads; `as_place`: the root is written, not read (a plain
// local there is a definition).
void reads(const Program& p, int e, bool as_place, Sets& s) {
  if (e < 0) return;
  const Expr& x = p.exprs[size_t(e)];
  if (x.op == Op::Local) {
    (as_place ? s.defs : s.uses).push_back(int(x.k));
    return;
  }
  // Inside a written field or element, the pointer and the index are read.
  reads(p, x.a, false, s);
  reads(p, x.b, false, s);
  reads(p, x.c, false, s);
}

Sets effect(const Program& p, const Action& a) {
  Sets s;
  reads(p, a.expr, false, s);
  reads(p, a.lock, false, s);
  for (const auto& [param, arg] : a.binds) {
    reads(p, arg, false, s);
    reads(p, param, true, s);
  }
  reads(p, a.place, a.kind == Act::Assign || a.kind == Act::New || a.kind == Act::Trylock || a.kind == Act::Return, s);
  if (a.kind == Act::Return)
    for (uint32_t i = a.clear_lo; i < a.clear_hi; ++i) s.defs.push_back(int(i));
  return s;
}

}  // namespace

Liveness::Liveness(const Program& p) : tmpls_(p.tmpls.size()) {
  std::vector<std::vector<int>> pinned(p.tmpls.size());  // read by properties
  for (const auto& tv : p.thread_vars)
    if (tv.thread >= 0 && size_t(tv.thread) < p.threads.size())
      for (int l : tv.local)
        if (l >= 0) pinned[size_t(p.threads[size_t(tv.thread)].tmpl)].push_back(l);
  for (size_t t = 0; t < p.tmpls.size(); ++t) {
    const ThreadTmpl& T = p.tmpls[t];
    Tmpl& R = tmpls_[t];
    R.words = (T.locals.size() + 63) / 64;
    if (!R.words) continue;
    size_t n = T.locs.size(), w = R.words;
    R.bits.assign(n * w, 0);
    // gen/kill per action; live_in(l) = union over its actions of uses | (live_in(target) & ~defs).
    std::vector<std::vector<Sets>> eff(n);
    std::vector<std::vector<int>> preds(n);
    for (size_t l = 0; l < n; ++l)
      for (const auto& a : T.locs[l].actions) {
        eff[l].push_back(effect(p, a));
        if (a.target >= 0 && size_t(a.target) < n) preds[size_t(a.target)].push_back(int(l));
      }
    std::vector<uint64_t> acc(w), out(w);
    auto set = [&](std::vector<uint64_t>& v, int i) { v[size_t(i) / 64] |= uint64_t(1) << (i % 64); };
    auto clr = [&](std::vector<uint64_t>& v, int i) { v[size_t(i) / 64] &= ~(uint64_t(1) << (i % 64)); };
    std::deque<int> work;
    std::vector<bool> queued(n, true);
    for (size_t l = n; l-- > 0;) work.push_back(int(l));
    while (!work.empty()) {
      int l = work.front();
      work.pop_front();
      queued[size_t(l)] = false;
      std::fill(acc.begin(), acc.end(), 0);
      for (int i : pinned[t]) set(acc, i);
      const auto& acts = T.locs[size_t(l)].actions;
      for (size_t k = 0; k < acts.size(); ++k) {
        int tg = acts[k].target;
        if (tg >= 0 && size_t(tg) < n) out.assign(R.bits.begin() + long(size_t(tg) * w), R.bits.begin() + long(size_t(tg) * w + w));
        else std::fill(out.begin(), out.end(), 0);
        for (int d : eff[size_t(l)][k].defs) clr(out, d);
        for (int u : eff[size_t(l)][k].uses) set(out, u);
        for (size_t j = 0; j < w; ++j) acc[j] |= out[j];
      }
      bool grew = false;
      for (size_t j = 0; j < w; ++j) {
        uint64_t& b = R.bits[size_t(l) * w + j];
        if ((acc[j] | b) != b) grew = true;
        b |= acc[j];
      }
      if (grew)
        for (int q : preds[size_t(l)])
          if (!queued[size_t(q)]) {
            queued[size_t(q)] = true;
            work.push_back(q);
          }
    }
  }
}

}  // namespace lc::ir
