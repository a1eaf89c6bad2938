// Options shared by the subcommands that run an engine (check, matrix).
#pragma once
#include <CLI/CLI.hpp>

#include "checker/explicit/explorer.h"
#include "checker/symbolic/bmc.h"

namespace lc::cli {

struct LimitArgs {
  std::string engine = "explicit";
  uint64_t max_states = 0, memory = 0;
  uint32_t depth = 0;
  double timeout = 0;
  uint64_t rlimit = 0;
  bool reduction = false;
  bool merge = false;
};

// --engine, --depth, --max-states, --memory, --timeout, --rlimit, --reduction, --merge.
void add_limit_options(CLI::App* c, LimitArgs& a);
// Explorer options from the limits; progress on stderr when it is a terminal.
ExploreOptions explore_options(const LimitArgs& a, bool all);
// Symbolic-engine options from the limits (default depth 30; induction for
// `induction` and `all`).
symbolic::SymbolicOptions symbolic_options(const LimitArgs& a, bool all);
// One verdict for a model with the chosen engine (`all`: the explicit one, which is
// exhaustive; `check --engine all` shows both).
CheckResult run_engine(const ir::Program& p, const std::string& path, const LimitArgs& a, const ExploreOptions& o);
// Combined exit status over several models: an error beats a violation beats an
// inconclusive result beats success.
int combine_status(int a, int b);

}  // namespace lc::cli
