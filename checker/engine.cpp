#include "checker/engine.h"

#include "checker/explicit/explorer.h"
#include "checker/symbolic/bmc.h"

namespace lc {
namespace {

// An option one kind of engine does not honour (README.md, "Command line": the table).
struct Gap {
  const char* flag;
  bool symbolic;         // the Z3 engines lack it (else the explicit engine does)
  bool (*given)(const EngineOptions&);
  const char* why;       // for the engine that lacks it
  const char* why_all;   // for --engine all, saying which of its two engines
};

const Gap kGaps[] = {
    {"--max-states", true, [](const EngineOptions& o) { return o.limits.max_states != 0; },
     "the Z3 engines do not enumerate states; --depth bounds them",
     "induction, one of its two engines, does not enumerate states"},
    {"--memory", true, [](const EngineOptions& o) { return o.limits.memory_mb != 0; },
     "the Z3 engines do not bound their memory yet", "induction, one of its two engines, does not bound its memory yet"},
    {"--rlimit", false, [](const EngineOptions& o) { return o.limits.rlimit != 0; },
     "it limits each Z3 query, and the explicit engine makes none",
     "the explicit engine, one of its two engines, makes no Z3 queries"},
    {"--reduction", false, [](const EngineOptions& o) { return o.reduction; },
     "the explicit engine has no partial-order reduction yet",
     "the explicit engine, one of its two engines, has no partial-order reduction yet"},
};

ExploreOptions explore_options(const EngineOptions& o) {
  ExploreOptions e;
  e.all = o.all;
  e.max_states = o.limits.max_states;
  e.memory_mb = o.limits.memory_mb;
  e.timeout_s = o.limits.timeout_s;
  e.max_depth = o.limits.depth;
  e.progress = o.progress;
  e.merge = o.merge;
  return e;
}

symbolic::SymbolicOptions symbolic_options(const EngineOptions& o) {
  symbolic::SymbolicOptions s;
  s.depth = o.limits.depth ? o.limits.depth : kSymbolicDepth;
  s.induction = o.engine == Engine::Induction || o.engine == Engine::All;
  s.all = o.all;
  s.timeout_s = o.limits.timeout_s;
  s.rlimit = o.limits.rlimit;
  s.progress = o.progress;
  s.por = o.reduction;
  s.merge = o.merge;
  return s;
}

}  // namespace

const char* engine_name(Engine e) {
  switch (e) {
    case Engine::Explicit: return "explicit";
    case Engine::Bmc: return "bmc";
    case Engine::Induction: return "induction";
    case Engine::All: return "all";
  }
  return "?";
}

bool engine_named(const std::string& name, Engine* out) {
  for (Engine e : {Engine::Explicit, Engine::Bmc, Engine::Induction, Engine::All})
    if (name == engine_name(e)) {
      *out = e;
      return true;
    }
  return false;
}

std::vector<std::string> unsupported(const EngineOptions& o, bool monitored) {
  bool all = o.engine == Engine::All;
  bool runs_explicit = o.engine == Engine::Explicit || all, runs_symbolic = o.engine != Engine::Explicit;
  std::string by = std::string("--engine ") + engine_name(o.engine);
  std::vector<std::string> out;
  for (const Gap& g : kGaps)
    if (g.given(o) && (g.symbolic ? runs_symbolic : runs_explicit))
      out.push_back(std::string(g.flag) + " is not supported by " + by + " (" + (all ? g.why_all : g.why) + ")");
  if (monitored && runs_symbolic)
    out.push_back(by + " cannot run with a step monitor (" +
                  (all ? "induction, one of its two engines, cannot encode one; " : "") +
                  "replay and prediction use the explicit search)");
  return out;
}

CheckResult run_engine(const Machine& m, const std::string& file, const EngineOptions& o) {
  auto errors = unsupported(o, m.monitor() != nullptr);
  if (!errors.empty()) {  // a caller that skipped unsupported(): refuse, never ignore
    CheckResult r;
    r.file = file;
    r.outcome = Outcome::ModelError;
    for (const auto& e : errors) r.error += "lifecheck: error: " + e + "\n";
    r.properties = properties_of(m.program());
    return r;
  }
  if (o.engine == Engine::Bmc || o.engine == Engine::Induction)
    return symbolic::check_symbolic(m, file, symbolic_options(o));
  return explore(m, file, explore_options(o));
}

}  // namespace lc
