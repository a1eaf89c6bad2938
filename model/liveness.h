// Live locals: at each location of a thread template, the locals some path from there
// reads before it writes them (a backward dataflow over the IR). A dead local's value
// cannot change what the thread does next, so two states that differ only in dead locals
// have the same futures: replay clears them (Machine::clear_dead_locals) and keeps one.
// Locals a property reads (T.x) are always live.
#pragma once
#include <cstdint>
#include <vector>

#include "model/ir.h"

namespace lc::ir {

class Liveness {
 public:
  explicit Liveness(const Program& p);
  // Whether local `i` of template `tmpl` may be read after location `loc`.
  bool live(int tmpl, int loc, int i) const {
    const auto& t = tmpls_[tmpl];
    return t.words == 0 || (t.bits[size_t(loc) * t.words + size_t(i) / 64] >> (i % 64) & 1);
  }

 private:
  struct Tmpl {
    size_t words = 0;
    std::vector<uint64_t> bits;  // locations x words
  };
  std::vector<Tmpl> tmpls_;
};

}  // namespace lc::ir
