// Which observed calls a thread can make next, from each location: the static lookahead
// that prunes silent paths early. A silent step that takes a thread where its task's next
// observation can no longer be its next observed call starts a path no behaviour of the
// capture follows (every later step of that thread is either silent or refused), so the
// search drops it at once instead of when the observation comes. Data is ignored (every
// branch is taken), so the pruning removes no behaviour of the capture.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "model/ir.h"
#include "traces/observe.h"

namespace lc::traces {

class Lookahead {
 public:
  // `entry_seen`/`exit_seen` (per model function): the calls the capture shows, the
  // observed steps; every other step is silent.
  Lookahead(const ir::Program& p, const ModelNames& names, const std::vector<bool>& entry_seen,
            const std::vector<bool>& exit_seen);
  // Whether a thread of template `tmpl` at `loc` can make the observed call `kfn` (its
  // return if `leave`) before any other observed call. A thread that finishes starts
  // again at its entry (its task may go on in a fresh instance). True for calls no model
  // step makes (nothing to prune by).
  bool may_reach(int tmpl, int loc, uint32_t kfn, bool leave) const;

 private:
  size_t words_ = 0;  // bits per location: one per observed call (bit 0 unused)
  std::unordered_map<uint64_t, uint32_t> bit_;             // kfn << 1 | leave -> bit
  std::vector<std::vector<uint64_t>> reach_;               // per template: locations x words_
};

}  // namespace lc::traces
