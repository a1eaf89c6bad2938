#include "cli/common.h"

#include <unistd.h>

#include <iostream>

namespace lc::cli {

void add_limit_options(CLI::App* c, LimitArgs& a) {
  c->add_option("--engine", a.engine, "explicit (default); bmc|induction|all need the Z3 engine")
      ->check(CLI::IsMember({"explicit", "bmc", "induction", "all"}));
  c->add_option("--depth", a.depth, "Explore at most this many steps (inconclusive beyond)")->check(CLI::Range(1u, 1000000u));
  c->add_option("--max-states", a.max_states, "Stop after this many states (inconclusive, exit 3)")
      ->check(CLI::Range(uint64_t(1), uint64_t(4000000000ull)));
  c->add_option("--memory", a.memory, "Stop when the state store exceeds this many MB (exit 3)")
      ->check(CLI::Range(uint64_t(1), uint64_t(1) << 30));
  c->add_option("--timeout", a.timeout, "Stop after this many seconds (exit 3)")->check(CLI::PositiveNumber);
  c->add_option("--rlimit", a.rlimit, "Symbolic engines: Z3 resource limit per query (unknown, exit 3, when hit; deterministic, unlike --timeout)")
      ->check(CLI::Range(uint64_t(1), uint64_t(4294967295u)));
  c->add_flag("--reduction", a.reduction,
              "Symbolic engines: unroll one order of adjacent independent steps (partial-order reduction; same verdicts)");
  c->add_flag("--merge", a.merge,
              "A step also runs the thread-local statements after it (statement merging; same verdicts; "
              "--depth, depths and shortest counterexamples count merged steps)");
}

ExploreOptions explore_options(const LimitArgs& a, bool all) {
  ExploreOptions o;
  o.all = all;
  o.max_states = a.max_states;
  o.memory_mb = a.memory;
  o.timeout_s = a.timeout;
  o.max_depth = a.depth;
  o.progress = isatty(2);
  o.merge = a.merge;
  return o;
}

symbolic::SymbolicOptions symbolic_options(const LimitArgs& a, bool all) {
  symbolic::SymbolicOptions so;
  so.depth = a.depth ? a.depth : 30;
  so.induction = a.engine == "induction" || a.engine == "all";
  so.all = all;
  so.timeout_s = a.timeout;
  so.rlimit = a.rlimit;
  so.por = a.reduction;
  so.merge = a.merge;
  so.progress = isatty(2);
  return so;
}

CheckResult run_engine(const ir::Program& p, const std::string& path, const LimitArgs& a, const ExploreOptions& o) {
  if (a.engine == "bmc" || a.engine == "induction") return symbolic::check_symbolic(p, path, symbolic_options(a, o.all));
  return explore(p, path, o);
}

int combine_status(int a, int b) {
  auto rank = [](int s) { return s == 2 ? 3 : s == 1 ? 2 : s == 3 ? 1 : 0; };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace lc::cli
