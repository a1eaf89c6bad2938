// lifecheck trace-setup MODEL: the tracefs commands that capture a run MODEL can replay
// (traces/setup.h).
#include <cctype>
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "model/frontend.h"
#include "traces/reader.h"
#include "traces/setup.h"

namespace lc::cli {

namespace {

struct SetupArgs {
  std::string model;
  std::string functions;
  std::vector<std::string> define;
  std::string group = "lifecheck";
};

int run_setup(const SetupArgs& a) {
  Loaded l = load_model_file(a.model);
  if (!l.program) {
    std::cerr << l.diagnostics;
    return 2;
  }
  // tracefs takes an event group only as a C identifier.
  bool ident = !a.group.empty() && !std::isdigit((unsigned char)a.group[0]);
  for (char c : a.group) ident = ident && (std::isalnum((unsigned char)c) || c == '_');
  if (!ident) {
    std::cerr << "lifecheck: error: --group takes a C identifier (letters, digits, _), not '" << a.group << "'\n";
    return 2;
  }
  traces::FunctionStatus status;
  traces::SetupOptions o;
  o.group = a.group;
  try {
    if (!a.functions.empty()) {
      status.load(a.functions);
      o.status = &status;
    }
  } catch (const traces::TraceError& e) {
    std::cerr << e.render();
    return 2;
  }
  for (const auto& d : a.define) {
    size_t eq = d.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "lifecheck: error: --define takes NAME=VALUE, not '" << d << "'\n";
      return 2;
    }
    o.define[d.substr(0, eq)] = d.substr(eq + 1);
  }
  traces::Setup s = traces::plan_setup(*l.program, o);
  std::cout << traces::render_setup(*l.program, s, o, a.model);
  for (const auto& w : s.warnings) std::cerr << "lifecheck: warning: " << w << "\n";
  return 0;
}

}  // namespace

void add_trace_setup(CLI::App& app, int* status) {
  auto args = std::make_shared<SetupArgs>();
  CLI::App* c = app.add_subcommand("trace-setup", "Print the tracefs commands that capture a run the model can replay");
  c->add_option("model", args->model, "Model file (.lc)")->required()->check(CLI::ExistingFile);
  c->add_option("--functions", args->functions,
                "The build's function status table (TSV: file, line, function, qualifiers, status)")
      ->check(CLI::ExistingFile);
  c->add_option("--define", args->define, "NAME=VALUE substituted in the model's fetch arguments (PRIVOFF=200)");
  c->add_option("--group", args->group, "kprobe event group (default lifecheck)");
  c->callback([args, status] { *status = run_setup(*args); });
}

}  // namespace lc::cli
