// Statement merging (SPIN's): a statement that reads and writes only its own thread's
// locals (and globals no thread writes) commutes with every step of every other thread
// and is always enabled, so it may run in the same step as the statement before it. A
// merged step is one statement followed by the thread-local statements after it, up to the
// next statement that touches shared state. Runs reach the same shared states in fewer
// steps, and properties see the same values: they read shared state, and where they read a
// thread's position or locals (at(), in(), done(), T.x), a statement that changes what
// they read is not local. So every verdict stays the same.
#pragma once
#include <vector>

#include "model/ir.h"

namespace lc::ir {

struct Merging {
  // Per template, per location: every action there is thread-local, one of them is always
  // enabled (a lone statement, or both outcomes of a condition), and none starts an atomic
  // block. The end location is never local.
  std::vector<std::vector<bool>> local;
  // Per template, per location: a thread rests there between merged steps. Its entry, a
  // location that is not local, and a local one that a back edge of the control-flow
  // graph enters (depth-first from the entry), so every loop has a resting place and
  // merged steps are finite.
  std::vector<std::vector<bool>> rest;

  // A merged step that reaches `loc` goes on there.
  bool continues(int tmpl, int loc) const { return !rest[tmpl][loc]; }
};

Merging merging(const Program& p);

}  // namespace lc::ir
