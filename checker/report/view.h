// What a reader sees of a trace step: the statement, the function it is in, the locks
// held after it and what it allocated or freed. Shared by every output format.
#pragma once
#include <string>
#include <vector>

#include "checker/verdict.h"

namespace lc {

struct StepView {
  int index = 0;                   // 1-based step number (0 for init)
  int thread = -1;                 // -1: init
  std::string thread_name;
  std::string text;                // "lock(d->igroup_lock)", "if (x == 0) [true]", "atomic { a; b }"
  std::string kind;                // IR action kind of the first action ("lock", "call", ...)
  int depth = 0;                   // inlined call depth (for indentation)
  std::string function;            // innermost kernel function, or the thread name at top level
  std::vector<std::string> stack;  // function names, outermost first
  int line = 0, col = 0;
  std::vector<std::string> locks;  // held by this thread after the step
  std::vector<std::string> events; // "new idev#0", "free idev#0", "trylock failed: m"
  bool violating = false;          // this step's own action is the violation
  std::vector<Observed> observed;  // replay: the captured events the step matched
};

std::vector<StepView> view_trace(const Machine& m, const Trace& t, bool last_violates);
// One-line text of an IR action as written in the model.
std::string action_text(const ir::Program& p, const ir::Action& a);
std::string thread_name(const Machine& m, int thread);
// "file:line:col" of a span.
std::string where(const ir::Program& p, Span s);
// Where an observed event is in its capture: "trace line 20417 iommufd-143".
std::string observed_at(const Observed& o);
// A state as a reader needs it when it is not reached from init (a k-induction
// counterexample): where each thread is, and every value that differs from the initial
// state ("xa[0]" -> "idev#0", "idev#0.users" -> "2"); a thread's locals only where they are in
// scope at its position, by their names there ("user.obj" -> "vdev#3").
struct StateView {
  std::vector<std::pair<std::string, std::string>> threads;  // name -> "file:line:col 'statement'" / "finished"
  std::vector<std::pair<std::string, std::string>> values;
};
StateView view_state(const Machine& m, const std::vector<uint8_t>& s);
// Where each object involved in a violation was allocated and freed, in trace terms.
std::vector<std::string> object_history(const Machine& m, const Trace& t, int64_t instance);

}  // namespace lc
