// What a thread's locals hold at each of its locations, in every reachable state, by a
// forward must-analysis of the thread's control-flow graph: a local is a known constant
// (its reset value after a return, a constant assigned), a pointer of a known kind, or
// anything. The semantics guarantee these facts, so the k-induction step may assume them:
// without them its made-up start states hold stale locals that no run has (and pointer
// locals of another kind, which the interpreter rejects).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/ir.h"

namespace lc::ir {

struct LocalFact {
  enum Kind : uint8_t { Unreached, Value, Pointer, Any } kind = Unreached;
  int64_t value = 0;   // Value: the local's value
  int ptr_kind = -1;   // Pointer: null or an instance of this kind (-1: of any kind)
  bool operator==(const LocalFact&) const = default;
};

struct TmplFacts {
  std::vector<bool> reached;                   // per location: some path of the thread gets there
  std::vector<std::vector<LocalFact>> locals;  // [location][local]
};

// Per template (Program::tmpls order).
std::vector<TmplFacts> local_facts(const Program& p);

// A lock class: a global lock (all elements of a lock array), or a lock field of a kind
// (in every instance).
struct LockClass {
  std::string name;        // "xa_lock", "igroup.lock"
  std::vector<int> slots;  // its lock slots
};
std::vector<LockClass> lock_classes(const Program& p);
// The class of a lock place (a global, a field, or an element of either), or -1.
int lock_class_of(const Program& p, const std::vector<LockClass>& classes, int place);

// How many locks of each class a thread holds at each of its locations, in every state a
// run reaches without a violation (a run with a lock_misuse may hold anything): a lock
// step adds one, an unlock takes one, where every path to the location agrees. -1: the
// paths disagree, a trylock decided it, or the location is unreachable. The k-induction
// step may assume these in its first k states, where no property is violated.
struct LockFacts {
  std::vector<std::vector<int>> held;  // [location][class]
};
std::vector<LockFacts> lock_facts(const Program& p, const std::vector<LockClass>& classes);

}  // namespace lc::ir
