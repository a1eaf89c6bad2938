// Options shared by the subcommands that run an engine (check, matrix, ci).
#pragma once
#include <CLI/CLI.hpp>

#include "checker/engine.h"

namespace lc::cli {

// --engine, --depth, --max-states, --memory, --timeout, --rlimit, --reduction, --merge,
// stored in `o`.
void add_engine_options(CLI::App* c, EngineOptions& o);
// Throws the usage error (CLI::ValidationError, printed by main) when the chosen engine
// does not honour an option given: call before any work.
void require_supported(const EngineOptions& o);
// Combined exit status over several models: an error beats a violation beats an
// inconclusive result beats success.
int combine_status(int a, int b);

}  // namespace lc::cli
