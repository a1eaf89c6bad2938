// Subcommands of the lifecheck executable, one file each.
#pragma once
#include <CLI/CLI.hpp>

namespace lc::cli {

// Registers `check`; the callback stores the process exit status in *status.
void add_check(CLI::App& app, int* status);
// Registers `matrix`.
void add_matrix(CLI::App& app, int* status);
// Registers `ci`.
void add_ci(CLI::App& app, int* status);
// Registers `replay`.
void add_replay(CLI::App& app, int* status);
// Registers `trace-setup`.
void add_trace_setup(CLI::App& app, int* status);

}  // namespace lc::cli
