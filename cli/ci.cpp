// lifecheck ci PATH... : every property of every model against its expect lines, with
// JUnit XML, SARIF and JSON for a CI system. One test case per property.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "checker/report/ci_report.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "model/frontend.h"

namespace lc::cli {

namespace {

namespace fs = std::filesystem;

struct CiArgs {
  std::vector<std::string> paths;
  EngineOptions engine;
  std::string junit, sarif, json;
  unsigned jobs = 1;
};

// The model files named by the arguments: files as given, folders searched recursively
// for *.lc. Sorted by path and without duplicates, so the order never depends on the
// file system. Returns false (after a diagnostic) when a folder cannot be read.
bool find_models(const std::vector<std::string>& paths, std::vector<std::string>* out) {
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      out->push_back(fs::path(p).lexically_normal().generic_string());
      continue;
    }
    fs::recursive_directory_iterator it(p, ec), end;
    for (; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".lc" && it->is_regular_file(ec))
        out->push_back(it->path().lexically_normal().generic_string());
    if (ec) {
      std::cerr << "lifecheck: error: cannot read folder '" << p << "': " << ec.message() << "\n";
      return false;
    }
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return true;
}

CiModel check_one(const std::string& path, const EngineOptions& o) {
  CiModel m;
  m.file = path;
  Loaded l = load_model_file(path);
  if (!l.program) {
    m.result.file = path;
    m.result.outcome = Outcome::ModelError;
    m.result.error = l.diagnostics;
    return m;
  }
  m.program = std::move(l.program);
  m.machine = std::make_unique<Machine>(*m.program);  // the engine's input, and the reports'
  m.result = run_engine(*m.machine, path, o);
  return m;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "lifecheck: error: cannot write '" << path << "'\n";
    return false;
  }
  return true;
}

int run_ci(const CiArgs& a) {
  require_supported(a.engine);
  std::vector<std::string> files;
  if (!find_models(a.paths, &files)) return 2;
  if (files.empty()) {
    std::cerr << "lifecheck: error: no models (*.lc) found under the given paths\n";
    return 2;
  }
  unsigned jobs = std::max(1u, std::min<unsigned>(a.jobs, unsigned(files.size())));
  EngineOptions o = a.engine;
  o.all = true;
  o.progress = isatty(2) && jobs == 1;  // progress lines of parallel searches would interleave

  // Each worker takes the next model; results land in their sorted slot, so every
  // output is the same for any number of jobs. Each model has its own Machine.
  std::vector<CiModel> models(files.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < files.size();) models[i] = check_one(files[i], o);
  };
  if (jobs == 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (unsigned k = 0; k < jobs; ++k) pool.emplace_back(work);
    for (auto& t : pool) t.join();
  }

  std::cout << render_ci_text(models) << std::flush;
  bool ok = true;
  if (!a.junit.empty()) ok &= write_file(a.junit, ci_junit(models));
  if (!a.sarif.empty()) ok &= write_file(a.sarif, ci_sarif(models).dump(2) + "\n");
  if (!a.json.empty()) ok &= write_file(a.json, ci_json(models).dump(2) + "\n");
  return ok ? ci_exit_code(models) : 2;
}

}  // namespace

void add_ci(CLI::App& app, int* status) {
  auto args = std::make_shared<CiArgs>();
  CLI::App* c = app.add_subcommand(
      "ci", "Check every property of every model against its expect lines, for CI (JUnit, SARIF, JSON)");
  c->add_option("paths", args->paths, "Model files, or folders searched recursively for *.lc")
      ->required()
      ->check(CLI::ExistingPath);
  add_engine_options(c, args->engine);
  c->add_option("--junit", args->junit, "Write JUnit XML here (a testsuite per model, a testcase per property)");
  c->add_option("--sarif", args->sarif, "Write SARIF 2.1.0 here (a result per failed test case)");
  c->add_option("--json", args->json, "Write every verdict and counterexample as JSON here");
  c->add_option("--jobs,-j", args->jobs, "Check this many models at once (output is the same for any N)")
      ->check(CLI::Range(1u, 1024u));
  c->footer(
      "One test case per property. Exit status: 0 every verdict as expected; 1 an unexpected violation or an expected violation that\n"
      "vanished; 2 a model error or bad usage; 3 inconclusive (a limit was hit) and nothing worse.\n"
      "Limits apply to each model separately.");
  c->callback([args, status] { *status = run_ci(*args); });
}

}  // namespace lc::cli
