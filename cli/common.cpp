#include "cli/common.h"

namespace lc::cli {

void add_engine_options(CLI::App* c, EngineOptions& o) {
  c->add_option_function<std::string>(
       "--engine", [&o](const std::string& name) { engine_named(name, &o.engine); },
       "explicit (default); bmc|induction|all need the Z3 engine")
      ->check(CLI::IsMember({"explicit", "bmc", "induction", "all"}));
  Limits& l = o.limits;
  c->add_option("--depth", l.depth, "Explore at most this many steps (inconclusive beyond)")->check(CLI::Range(1u, 1000000u));
  c->add_option("--max-states", l.max_states, "Explicit engine: stop after this many states (inconclusive, exit 3)")
      ->check(CLI::Range(uint64_t(1), uint64_t(4000000000ull)));
  c->add_option("--memory", l.memory_mb, "Explicit engine: stop when the state store exceeds this many MB (exit 3)")
      ->check(CLI::Range(uint64_t(1), uint64_t(1) << 30));
  c->add_option("--timeout", l.timeout_s, "Stop after this many seconds (exit 3)")->check(CLI::PositiveNumber);
  c->add_option("--rlimit", l.rlimit, "Symbolic engines: Z3 resource limit per query (unknown, exit 3, when hit; deterministic, unlike --timeout)")
      ->check(CLI::Range(uint64_t(1), uint64_t(4294967295u)));
  c->add_flag("--reduction", o.reduction,
              "Symbolic engines: unroll one order of adjacent independent steps (partial-order reduction; same verdicts)");
  c->add_flag("--merge", o.merge,
              "A step also runs the thread-local statements after it (statement merging; same verdicts; "
              "--depth, depths and shortest counterexamples count merged steps)");
}

void require_supported(const EngineOptions& o) {
  std::string what;
  for (const auto& e : unsupported(o)) what += (what.empty() ? "" : "; ") + e;
  if (!what.empty()) throw CLI::ValidationError(what);
}

int combine_status(int a, int b) {
  auto rank = [](int s) { return s == 2 ? 3 : s == 1 ? 2 : s == 3 ? 1 : 0; };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace lc::cli
