#include "traces/lookahead.h"

#include <deque>

namespace lc::traces {

namespace {
uint64_t key(uint32_t kfn, bool leave) { return uint64_t(kfn) << 1 | (leave ? 1 : 0); }
}  // namespace

Lookahead::Lookahead(const ir::Program& p, const ModelNames& names, const std::vector<bool>& entry_seen,
                     const std::vector<bool>& exit_seen) {
  uint32_t bits = 1;  // bit 0: anything (unused: a finished thread is one at its entry)
  auto observed = [&](const ir::Action& a) -> int {  // the bit of an observed step, or -1
    bool leave = a.kind == ir::Act::Return;
    if ((a.kind != ir::Act::Call && !leave) || a.callee < 0 || !names.kname[a.callee]) return -1;
    if (!(leave ? exit_seen : entry_seen)[a.callee]) return -1;
    auto [it, fresh] = bit_.try_emplace(key(names.kname[a.callee], leave), bits);
    if (fresh) ++bits;
    return int(it->second);
  };
  for (const auto& T : p.tmpls)
    for (const auto& L : T.locs)
      for (const auto& a : L.actions) observed(a);
  words_ = (bits + 63) / 64;
  reach_.resize(p.tmpls.size());
  for (size_t t = 0; t < p.tmpls.size(); ++t) {
    const auto& T = p.tmpls[t];
    std::vector<uint64_t>& R = reach_[t];
    R.assign(T.locs.size() * words_, 0);
    // Silent predecessors of each location; the sets grow to a least fixed point.
    std::vector<std::vector<int>> preds(T.locs.size());
    std::deque<int> work;
    for (size_t l = 0; l < T.locs.size(); ++l) {
      // A finished thread starts again at its entry (its task may go on there).
      if (int(l) == T.end && T.entry != T.end) preds[T.entry].push_back(int(l));
      for (const auto& a : T.locs[l].actions) {
        int b = observed(a);
        if (b >= 0) R[l * words_ + b / 64] |= uint64_t(1) << (b % 64);
        else if (a.target >= 0 && a.target < int(T.locs.size())) preds[a.target].push_back(int(l));
      }
      work.push_back(int(l));
    }
    std::vector<bool> queued(T.locs.size(), true);
    while (!work.empty()) {
      int l = work.front();
      work.pop_front();
      queued[l] = false;
      for (int q : preds[l]) {
        bool grew = false;
        for (size_t w = 0; w < words_; ++w) {
          uint64_t before = R[q * words_ + w];
          R[q * words_ + w] |= R[l * words_ + w];
          grew = grew || R[q * words_ + w] != before;
        }
        if (grew && !queued[q]) {
          queued[q] = true;
          work.push_back(q);
        }
      }
    }
  }
}

bool Lookahead::may_reach(int tmpl, int loc, uint32_t kfn, bool leave) const {
  auto it = bit_.find(key(kfn, leave));
  if (it == bit_.end() || loc < 0) return true;
  const uint64_t* r = reach_[tmpl].data() + size_t(loc) * words_;
  return (r[0] & 1) || (r[it->second / 64] >> (it->second % 64) & 1);
}

}  // namespace lc::traces
