// lifecheck check MODEL... : explore every interleaving and report each violation.
#include <unistd.h>

#include <iostream>

#include "checker/explicit/explorer.h"
#include "checker/report/report.h"
#include "cli/commands.h"
#include "model/frontend.h"

namespace lc::cli {

namespace {

struct CheckArgs {
  std::vector<std::string> models;
  std::string engine = "explicit";
  std::string format = "text";
  uint64_t max_states = 0, memory = 0;
  uint32_t depth = 0;
  double timeout = 0;
  bool all = false, stats = false;
};

// Combined exit status over several models: an error beats a violation beats an
// inconclusive result beats success.
int combine(int a, int b) {
  auto rank = [](int s) { return s == 2 ? 3 : s == 1 ? 2 : s == 3 ? 1 : 0; };
  return rank(a) >= rank(b) ? a : b;
}

int run_check(const CheckArgs& a) {
  if (a.engine != "explicit") {
    std::cerr << "lifecheck: error: engine '" << a.engine
              << "' is not available in this build (only 'explicit'; the Z3 engines are not built yet)\n";
    return 2;
  }
  ExploreOptions o;
  o.all = a.all;
  o.max_states = a.max_states;
  o.memory_mb = a.memory;
  o.timeout_s = a.timeout;
  o.max_depth = a.depth;
  o.progress = isatty(2);
  int status = 0;
  nlohmann::json models = nlohmann::json::array();
  bool first = true;
  for (const auto& path : a.models) {
    Loaded l = load_model_file(path);
    if (!l.program) {
      std::cerr << l.diagnostics;
      status = combine(status, 2);
      if (a.format == "json") {
        CheckResult r;
        r.file = path;
        r.outcome = Outcome::ModelError;
        r.error = l.diagnostics;
        models.push_back(to_json(nullptr, r));
      }
      continue;
    }
    CheckResult r = explore(*l.program, path, o);
    status = combine(status, r.exit_code());
    if (a.format == "json") {
      nlohmann::json j = to_json(l.program.get(), r);
      if (a.stats) {
        j["stats"]["seconds"] = r.stats.seconds;
        j["stats"]["bytes_per_state"] = r.stats.bytes_per_state;
      }
      models.push_back(j);
      continue;
    }
    if (r.outcome == Outcome::ModelError) {
      std::cerr << r.error;
      if (r.error_trace) {
        Machine m(*l.program);
        std::cerr << "  reached by:\n" << render_race(m, *r.error_trace, false);
      }
      continue;
    }
    if (!first) std::cout << "\n";
    first = false;
    std::cout << render_text(*l.program, r);
    if (a.stats) std::cout << render_stats(r);
  }
  if (a.format == "json") {
    nlohmann::json out = {{"lifecheck", "0.1"}, {"models", models}, {"exit_code", status}};
    std::cout << out.dump(2) << "\n";
  }
  return status;
}

}  // namespace

void add_check(CLI::App& app, int* status) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* c = app.add_subcommand("check", "Explore every interleaving of each model and report violated properties");
  c->add_option("models", args->models, "Model files (.lc)")->required()->check(CLI::ExistingFile);
  c->add_option("--engine", args->engine, "explicit (default); bmc|induction|all need the Z3 engine")
      ->check(CLI::IsMember({"explicit", "bmc", "induction", "all"}));
  c->add_option("--depth", args->depth, "Explore at most this many steps (inconclusive beyond)")->check(CLI::Range(1u, 1000000u));
  c->add_option("--max-states", args->max_states, "Stop after this many states (inconclusive, exit 3)")
      ->check(CLI::Range(uint64_t(1), uint64_t(4000000000ull)));
  c->add_option("--memory", args->memory, "Stop when the state store exceeds this many MB (exit 3)")
      ->check(CLI::Range(uint64_t(1), uint64_t(1) << 30));
  c->add_option("--timeout", args->timeout, "Stop after this many seconds (exit 3)")->check(CLI::PositiveNumber);
  c->add_option("--format", args->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  c->add_flag("--all", args->all, "Report every violated property, not only the first");
  c->add_flag("--stats", args->stats, "Print states, transitions, depth, bytes/state and states/s");
  c->callback([args, status] { *status = run_check(*args); });
}

}  // namespace lc::cli
