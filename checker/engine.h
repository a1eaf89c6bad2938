// One set of options for every engine and the one dispatch to them: which engine runs,
// the limits that bound it, and which of those options each engine honours (an option
// the chosen engine would ignore is a usage error, never silently dropped).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "checker/verdict.h"

namespace lc {

// --engine: the explicit search, BMC, k-induction, or explicit and induction side by side.
enum class Engine { Explicit, Bmc, Induction, All };
// "explicit", "bmc", "induction", "all" (the --engine values).
const char* engine_name(Engine e);
// The engine an --engine value names; false if none does.
bool engine_named(const std::string& name, Engine* out);

// What bounds a run (0: no bound). Which engine honours which: unsupported().
struct Limits {
  uint64_t max_states = 0;  // explicit: stop after this many states
  uint64_t memory_mb = 0;   // explicit: stop when the state store exceeds this many MB
  double timeout_s = 0;     // every engine: stop after this many seconds (symbolic: encoding counts)
  uint32_t depth = 0;       // explicit: expand no deeper state; symbolic: unroll this far (0: kSymbolicDepth)
  uint64_t rlimit = 0;      // symbolic: Z3 resource limit per query (deterministic, unlike the timeout)
};

// The unrolling bound of the symbolic engines when Limits::depth is 0.
inline constexpr uint32_t kSymbolicDepth = 30;

struct EngineOptions {
  Engine engine = Engine::Explicit;
  bool all = false;         // report every violated property, not only the first
  bool merge = false;       // statement merging (model/merge.h): depths count merged steps
  bool reduction = false;   // symbolic: unroll one order of adjacent independent steps
  bool progress = false;    // a progress line on stderr
  Limits limits;
};

// One user-facing line per option that `o.engine` does not honour, and one if it cannot
// run on a Machine with a step monitor (`monitored`). Empty: the run may start.
std::vector<std::string> unsupported(const EngineOptions& o, bool monitored = false);

// The verdict of `m` by the chosen engine; Engine::All gives the explicit one (exhaustive:
// `check --engine all` runs Explicit and Induction itself, side by side). An option
// unsupported() rejects gives a result with outcome ModelError (exit 2) that says so.
CheckResult run_engine(const Machine& m, const std::string& file, const EngineOptions& o);

}  // namespace lc
