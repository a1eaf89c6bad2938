// Options shared by the subcommands that run an engine (check, matrix).
#pragma once
#include <CLI/CLI.hpp>

#include "checker/explicit/explorer.h"

namespace lc::cli {

struct LimitArgs {
  std::string engine = "explicit";
  uint64_t max_states = 0, memory = 0;
  uint32_t depth = 0;
  double timeout = 0;
};

// --engine, --depth, --max-states, --memory, --timeout.
void add_limit_options(CLI::App* c, LimitArgs& a);
// Explorer options from the limits; progress on stderr when it is a terminal.
ExploreOptions explore_options(const LimitArgs& a, bool all);
// An engine this build cannot run: prints the diagnostic and returns true.
bool unsupported_engine(const LimitArgs& a);
// Combined exit status over several models: an error beats a violation beats an
// inconclusive result beats success.
int combine_status(int a, int b);

}  // namespace lc::cli
