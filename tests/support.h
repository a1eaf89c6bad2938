// Helpers shared by the tests: loading model text, checking it, running the CLI.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include "checker/engine.h"
#include "model/frontend.h"
#include "model/machine.h"

namespace lct {

inline std::string src(const std::string& rel) { return std::string(LC_SOURCE_DIR) + "/" + rel; }
inline std::string lifecheck() { return std::string(LC_BINARY_DIR) + "/lifecheck"; }

// The files in `dir` whose names end in `ext` (".lc"), sorted; none if `dir` is missing.
inline std::vector<std::string> files_in(const std::string& dir, const std::string& ext = ".lc") {
  std::vector<std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ext) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The models (.lc) of several folders (relative to the source tree), folder by folder.
inline std::vector<std::string> models_in(std::initializer_list<const char*> dirs) {
  std::vector<std::string> out;
  for (const char* d : dirs)
    for (auto& f : files_in(src(d))) out.push_back(f);
  return out;
}

// specs/iommufd/core-*.lc model a whole kernel release for replaying its captures: their
// ioctl surface is far larger than a review model's, beyond what the Z3 engines unroll
// within the suite's budget (bench/ measures them), so the symbolic sweeps leave them out.
inline bool is_replay_model(const std::string& path) {
  return std::filesystem::path(path).filename().string().rfind("core-", 0) == 0;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compiles model text; fails the test with the diagnostics if it does not compile.
inline std::unique_ptr<lc::ir::Program> compile(const std::string& text) {
  lc::Loaded l = lc::load_model_text("test.lc", text);
  if (!l.program) throw std::runtime_error("model does not compile:\n" + l.diagnostics);
  return std::move(l.program);
}

inline std::string diagnostics(const std::string& text) { return lc::load_model_text("test.lc", text).diagnostics; }

struct Checked {
  std::unique_ptr<lc::ir::Program> program;
  std::unique_ptr<lc::Machine> machine;  // the engine's input: hand it to the reporters
  lc::CheckResult result;
  lc::Status status(const std::string& name) const {
    for (const auto& p : result.properties)
      if (p.name == name) return p.status;
    throw std::runtime_error("no property " + name);
  }
  const lc::Counterexample& cex(const std::string& name) const {
    for (const auto& c : result.counterexamples)
      if (c.property == name) return c;
    throw std::runtime_error("no counterexample for " + name);
  }
};

inline Checked check(const std::string& text, lc::EngineOptions o = {}) {
  const lc::Limits& l = o.limits;
  if (!o.all && !l.max_states && !l.timeout_s && !l.memory_mb && !l.depth) o.all = true;
  Checked c;
  c.program = compile(text);
  c.machine = std::make_unique<lc::Machine>(*c.program);
  c.result = lc::run_engine(*c.machine, "test.lc", o);
  return c;
}

// Loads a model file (failing the test if it does not compile) and checks every property.
struct FileChecked {
  std::unique_ptr<lc::ir::Program> program;
  std::unique_ptr<lc::Machine> machine;  // the engine's input: hand it to the reporters and other engines
  lc::CheckResult result;
};
inline FileChecked check_file(const std::string& path) {
  lc::Loaded l = lc::load_model_file(path);
  if (!l.program) throw std::runtime_error("model does not compile:\n" + l.diagnostics);
  lc::EngineOptions o;
  o.all = true;
  FileChecked c;
  c.program = std::move(l.program);
  c.machine = std::make_unique<lc::Machine>(*c.program);
  c.result = lc::run_engine(*c.machine, path, o);
  return c;
}

// Breadth-first over the states that steps without a fatal violation reach (the states
// the symbolic engines unroll), at most `cap` of them.
// Breadth-first, up to about `cap` states. `clean`: only states a run reaches without any
// violation (the lock facts hold there).
inline std::vector<std::vector<uint8_t>> reachable_states(const lc::Machine& m, size_t cap, bool clean = false) {
  struct Collect : lc::StepSink {
    std::vector<std::vector<uint8_t>> out;
    size_t n = 0;
    bool clean = false;
    void successor(const uint8_t* s, const lc::StepInfo& i) override {
      if (i.violation && (clean || i.violation->fatal())) return;
      out.emplace_back(s, s + n);
    }
  };
  std::set<std::vector<uint8_t>> seen;
  auto fresh = [&](const std::vector<uint8_t>& s) { return seen.insert(s).second; };
  std::vector<std::vector<uint8_t>> order;
  Collect init;
  init.n = m.state_size();
  init.clean = clean;
  m.initial(init);
  for (auto& s : init.out)
    if (fresh(s)) order.push_back(std::move(s));
  for (size_t i = 0; i < order.size() && order.size() < cap; ++i) {
    Collect c;
    c.n = m.state_size();
    c.clean = clean;
    m.successors(order[i].data(), c);
    for (auto& s : c.out)
      if (fresh(s)) order.push_back(std::move(s));
  }
  return order;
}

struct CliRun {
  int status = -1;
  std::string out, err;
};

// Runs a shell command in the source directory; `out` is its stdout, `status` its exit code.
inline CliRun run_sh(const std::string& cmd) {
  std::string full = "cd '" + std::string(LC_SOURCE_DIR) + "' && (" + cmd + ") </dev/null";
  CliRun r;
  FILE* p = popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, k);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Runs `lifecheck ARGS` in the source directory (so file names in output are relative).
inline CliRun run_cli(const std::string& args) {
  static int n = 0;
  std::string errf = std::string(LC_BINARY_DIR) + "/cli_test_stderr_" + std::to_string(getpid()) + "_" + std::to_string(n++);
  std::string cmd = "'";  // built in steps: gcc 12 warns (-Wrestrict) on "'" + std::string&&
  cmd += lifecheck();
  cmd += "' " + args + " 2>'" + errf + "'";
  CliRun r = run_sh(cmd);
  r.err = slurp(errf);
  std::remove(errf.c_str());
  return r;
}

}  // namespace lct
