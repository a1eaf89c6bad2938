#include "model/monitor.h"

#include <cstring>

#include "model/machine.h"

namespace lc {

int EntryMonitor::cursor(const Machine& m, const uint8_t* s, int t) const {
  uint16_t v;
  memcpy(&v, m.monitor_bytes(s) + 2 * t, 2);
  return v;
}

bool EntryMonitor::enter(const Machine& m, uint8_t* next, int t, int fn, const int64_t*, size_t) const {
  if (!observed_fn[fn]) return true;
  int k = cursor(m, next, t);
  const auto& seq = sequence[t];
  if (k >= int(seq.size()) || seq[k] != fn) return false;
  uint16_t v = uint16_t(k + 1);
  memcpy(m.monitor_bytes(next) + 2 * t, &v, 2);
  return true;
}

bool EntryMonitor::accepting(const Machine& m, const uint8_t* s) const {
  for (size_t t = 0; t < sequence.size(); ++t)
    if (cursor(m, s, int(t)) != int(sequence[t].size())) return false;
  return true;
}

}  // namespace lc
