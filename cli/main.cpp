// lifecheck: model checker for the lifecycle and locking of kernel objects.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"lifecheck: model checker and trace replayer for the lifecycle and locking of kernel objects"};
  app.set_version_flag("--version", "lifecheck 0.1");
  app.require_subcommand(1);
  int status = 0;
  lc::cli::add_check(app, &status);
  lc::cli::add_matrix(app, &status);
  lc::cli::add_ci(app, &status);
  lc::cli::add_replay(app, &status);
  lc::cli::add_trace_setup(app, &status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForVersion&) {
    std::cout << "lifecheck 0.1\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    // Every usage error is exit status 2 with one clear line (CLI11's own codes differ).
    std::string what = e.what();
    std::cerr << "lifecheck: error: " << what << "\n"
              << "Run 'lifecheck --help' or 'lifecheck check --help' for usage.\n";
    return 2;
  }
  return status;
}
