// lifecheck check MODEL... : explore every interleaving and report each violation.
#include <unistd.h>

#include <chrono>
#include <future>
#include <iostream>

#include "checker/report/report.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "model/frontend.h"

namespace lc::cli {

namespace {

struct CheckArgs {
  std::vector<std::string> models;
  EngineOptions engine;
  std::string format = "text";
  bool all = false, stats = false;
};

int run_check(const CheckArgs& a) {
  require_supported(a.engine);
  EngineOptions o = a.engine;
  o.all = a.all;
  o.progress = isatty(2);
  // The engines a model runs on. `all` runs the explicit engine and induction side by
  // side and reports them in the order they finish: the faster verdict first. Each
  // engine searches its own copies of the one Machine.
  auto run_engines = [&](const Machine& m, const std::string& path) {
    std::vector<CheckResult> rs;
    if (o.engine != Engine::All) {
      rs.push_back(run_engine(m, path, o));
    } else {
      EngineOptions ex_o = o, in_o = o;
      ex_o.engine = Engine::Explicit;
      ex_o.progress = false;  // two engines would garble one progress line
      in_o.engine = Engine::Induction;
      auto ex = std::async(std::launch::async, [&] { return run_engine(m, path, ex_o); });
      auto sy = std::async(std::launch::async, [&] { return run_engine(m, path, in_o); });
      bool ex_first = true;
      for (;;) {
        if (ex.wait_for(std::chrono::milliseconds(5)) == std::future_status::ready) break;
        if (sy.wait_for(std::chrono::milliseconds(5)) == std::future_status::ready) {
          ex_first = false;
          break;
        }
      }
      CheckResult e = ex.get(), s = sy.get();
      rs.push_back(ex_first ? std::move(e) : std::move(s));
      rs.push_back(ex_first ? std::move(s) : std::move(e));
    }
    return rs;
  };
  int status = 0;
  nlohmann::json models = nlohmann::json::array();
  bool first = true;
  for (const auto& path : a.models) {
    Loaded l = load_model_file(path);
    if (!l.program) {
      std::cerr << l.diagnostics;
      status = combine_status(status, 2);
      if (a.format == "json") {
        CheckResult r;
        r.file = path;
        r.outcome = Outcome::ModelError;
        r.error = l.diagnostics;
        models.push_back(to_json(nullptr, r));
      }
      continue;
    }
    Machine m(*l.program);  // the engines' input, and the reporters'
    for (CheckResult& r : run_engines(m, path)) {
    status = combine_status(status, r.exit_code());
    if (a.format == "json") {
      nlohmann::json j = to_json(&m, r);
      if (a.stats) {
        j["stats"]["seconds"] = r.stats.seconds;
        j["stats"]["bytes_per_state"] = r.stats.bytes_per_state;
        if (!r.stats.depth_seconds.empty()) j["stats"]["depth_seconds"] = r.stats.depth_seconds;
      }
      models.push_back(j);
      continue;
    }
    if (r.outcome == Outcome::ModelError) {
      std::cerr << r.error;
      if (r.error_trace) std::cerr << "  reached by:\n" << render_race(m, *r.error_trace, false);
      continue;
    }
    if (!first) std::cout << "\n";
    first = false;
    std::cout << render_text(m, r);
    if (a.stats) std::cout << render_stats(r);
    }
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
  add_engine_options(c, args->engine);
  c->add_option("--format", args->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  c->add_flag("--all", args->all, "Report every violated property, not only the first");
  c->add_flag("--stats", args->stats, "Print states, transitions, depth, bytes/state and states/s");
  c->callback([args, status] { *status = run_check(*args); });
}

}  // namespace lc::cli
