// lifecheck replay MODEL TRACE... : validate captures against a model and check its
// properties along them (traces/replay.h).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "checker/report/report.h"
#include "checker/report/view.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "model/frontend.h"
#include "traces/replay.h"

namespace lc::cli {

namespace {

struct ReplayArgs {
  std::string model;
  std::vector<std::string> traces;
  std::vector<std::string> probes;
  std::string format = "text";
  double window_us = 1;
  uint32_t max_silent = 10000;
  uint64_t max_states = 1000000, memory = 0;
  double timeout = 0;
  uint32_t context = 40;
  bool exact = false;
};

std::string num(uint64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string at_of(const Observed& o) {
  return o.file + (o.record ? ": record " : ":") + std::to_string(o.line);
}

std::string ts_of(uint64_t ns) {
  char b[64];
  snprintf(b, sizeof b, "%llu.%06llu", (unsigned long long)(ns / 1000000000ull),
           (unsigned long long)(ns % 1000000000ull / 1000));
  return b;
}

const char* verdict_name(traces::ReplayResult::Verdict v) {
  switch (v) {
    case traces::ReplayResult::Verdict::Accepted: return "accepted";
    case traces::ReplayResult::Verdict::Rejected: return "rejected";
    case traces::ReplayResult::Verdict::Violated: return "violated";
    case traces::ReplayResult::Verdict::Inconclusive: return "inconclusive";
  }
  return "?";
}

int exit_of(traces::ReplayResult::Verdict v) {
  switch (v) {
    case traces::ReplayResult::Verdict::Accepted: return 0;
    case traces::ReplayResult::Verdict::Rejected:
    case traces::ReplayResult::Verdict::Violated: return 1;
    case traces::ReplayResult::Verdict::Inconclusive: return 3;
  }
  return 4;
}

const char* prop_status(traces::ReplayProperty::Status s) {
  switch (s) {
    case traces::ReplayProperty::Holds: return "holds";
    case traces::ReplayProperty::Violated: return "violated";
    case traces::ReplayProperty::NotChecked: return "not checked";
  }
  return "?";
}

std::string render_replay_text(const traces::Replay& rp, const traces::ReplayResult& r) {
  const ir::Program& p = rp.program();
  const Machine& m = rp.machine();
  std::string out = r.file + ": replayed against model " + p.name + (p.title.empty() ? "" : " \"" + p.title + "\"") + "\n";
  out += "  capture: " + std::string(traces::format_name(r.format)) + ", " + num(r.events) + " events, " +
         num(r.observations) + " observations of the model (" + num(r.observed_events) + " events)\n";
  std::string tasks;
  size_t shown = 0, mapped = 0;
  for (const auto& t : r.tasks) {
    if (!t.observations) continue;
    ++mapped;
    if (shown++ >= 8) continue;
    std::string th;
    for (const auto& x : t.threads) th += (th.empty() ? "" : "|") + x;
    tasks += (tasks.empty() ? "" : ", ") + t.name + " -> " + (th.empty() ? "no thread" : th);
  }
  if (shown > 8) tasks += ", ... (" + std::to_string(shown - 8) + " more)";
  out += "  tasks: " + std::to_string(mapped) + (mapped ? " (" + tasks + ")" : "") + "\n";
  std::string obs;
  for (const auto& [fn, ret] : r.observable) obs += (obs.empty() ? "" : ", ") + fn + (ret ? " (entry, return)" : "");
  out += "  observed functions: " + (obs.empty() ? std::string("none") : obs) + "\n";
  switch (r.verdict) {
    case traces::ReplayResult::Verdict::Accepted:
      out += "  result: ACCEPTED: the model matches every observation (" + num(r.matched) + " matched, " +
             num(r.silent_steps) + " silent steps between them)\n";
      break;
    case traces::ReplayResult::Verdict::Rejected:
      if (r.unmatched)
        out += "  result: REJECTED at observation #" + std::to_string(r.unmatched_index + 1) + " (" + at_of(*r.unmatched) +
               ", " + r.unmatched->task + ", " + ts_of(r.unmatched->ts_ns) + "): " + r.unmatched->what + "\n" +
               "    no behaviour of the model that matches the " + num(r.matched) + " observations before it can make it" +
               (r.exhaustive ? " (every behaviour explored)" : "") + "\n";
      else
        out += "  result: REJECTED after " + num(r.matched) + " observations\n";
      break;
    case traces::ReplayResult::Verdict::Violated:
      out += "  result: VIOLATED: the model explains this capture only through a violation of " + r.violated_property +
             " (" + num(r.matched) + " observations matched" + (r.exhaustive ? ", every behaviour explored" : "") + ")\n";
      break;
    case traces::ReplayResult::Verdict::Inconclusive:
      out += "  result: INCONCLUSIVE: limit hit (" + r.limit + ")\n";
      break;
  }
  if (!r.expected.empty()) {
    out += "    the model could instead make:\n";
    for (const auto& e : r.expected) out += "      " + e + "\n";
  }
  for (const auto& s : r.lost)
    out += "  relaxed: " + (s.events ? num(s.events) + " events" : std::string("events")) + " of CPU " +
           std::to_string(s.cpu) + " lost (line " + std::to_string(s.line) + "): calls between observations #" +
           std::to_string(s.from + 1) + " and #" + std::to_string(s.to) + " did not have to appear\n";
  const auto& sk = r.skipped;
  std::string skipped;
  if (sk.markers) skipped += num(sk.markers) + " markers";
  auto list = [&](const std::map<std::string, uint64_t>& mp, const char* what) {
    if (mp.empty()) return;
    std::string l;
    size_t k = 0;
    for (const auto& [n, c] : mp) {
      if (k++ == 6) {
        l += ", ...";
        break;
      }
      l += (l.empty() ? "" : ", ") + n + " (" + num(c) + ")";
    }
    skipped += (skipped.empty() ? "" : "; ") + std::string(what) + ": " + l;
  };
  list(sk.functions, "functions the model does not have");
  list(sk.events, "events");
  list(sk.fields, "fields compared with nothing");
  if (!skipped.empty()) out += "  skipped: " + skipped + "\n";
  out += "  properties along the behaviour:\n";
  size_t w = 8;
  for (const auto& pr : r.properties) w = std::max(w, pr.name.size());
  for (const auto& pr : r.properties) {
    std::string n = pr.name;
    n.resize(w + 2, ' ');
    std::string why = pr.status == traces::ReplayProperty::NotChecked &&
                              (pr.check == ir::Check::Final || pr.check == ir::Check::Deadlock)
                          ? " (a capture ends while the threads run)"
                          : "";
    out += "    " + n + prop_status(pr.status) + why + "\n";
  }
  if (!r.trace.steps.empty() || r.violation) {
    out += "\n--- ";
    if (r.violation) out += r.violated_property + ": " + r.violation->message + "\n";
    else out += "the matched behaviour before observation #" + std::to_string(r.unmatched_index + 1) + "\n";
    if (r.trace_from) out += "  (" + num(r.trace_from) + " earlier observations matched before this point)\n";
    out += render_race(m, r.trace, r.violation && r.violation_in_last_step);
    if (r.violation) {
      Counterexample c;
      c.property = r.violated_property;
      c.violation = *r.violation;
      c.trace = r.trace;
      c.violation_in_last_step = r.violation_in_last_step;
      out += render_violation(m, c);
    }
  }
  return out;
}

nlohmann::json replay_json(const traces::Replay& rp, const traces::ReplayResult& r) {
  using nlohmann::json;
  json j;
  j["file"] = r.file;
  j["model"] = rp.program().name;
  j["format"] = traces::format_name(r.format);
  j["result"] = verdict_name(r.verdict);
  j["exit_code"] = exit_of(r.verdict);
  j["events"] = r.events;
  j["observations"] = r.observations;
  j["observed_events"] = r.observed_events;
  j["matched"] = r.matched;
  j["silent_steps"] = r.silent_steps;
  j["states"] = r.states;
  j["exhaustive"] = r.exhaustive;
  j["search"] = {{"tier", r.search}, {"widened", r.widened}, {"state_bytes", r.state_bytes}};
  j["limit"] = r.limit.empty() ? json(nullptr) : json(r.limit);
  json tasks = json::array();
  for (const auto& t : r.tasks)
    if (t.observations) tasks.push_back({{"task", t.name}, {"observations", t.observations}, {"threads", t.threads}});
  j["tasks"] = tasks;
  json obs = json::array();
  for (const auto& [fn, ret] : r.observable) obs.push_back({{"function", fn}, {"returns", ret}});
  j["observed_functions"] = obs;
  json lost = json::array();
  for (const auto& s : r.lost)
    lost.push_back({{"cpu", s.cpu}, {"events", s.events}, {"line", s.line}, {"from", s.from}, {"to", s.to}});
  j["relaxed"] = lost;
  j["skipped"] = {{"markers", r.skipped.markers},
                  {"functions", r.skipped.functions},
                  {"events", r.skipped.events},
                  {"fields", r.skipped.fields}};
  json props = json::array();
  for (const auto& pr : r.properties)
    props.push_back({{"name", pr.name},
                     {"check", pr.property < 0 ? "builtin" : pr.check == ir::Check::Final ? "final" : "invariant"},
                     {"status", prop_status(pr.status)}});
  j["properties"] = props;
  if (r.unmatched)
    j["unmatched"] = {{"observation", r.unmatched_index + 1}, {"file", r.unmatched->file}, {"line", r.unmatched->line},
                      {"record", r.unmatched->record}, {"ts_ns", r.unmatched->ts_ns}, {"pid", r.unmatched->pid},
                      {"task", r.unmatched->task}, {"what", r.unmatched->what}, {"expected", r.expected}};
  else
    j["unmatched"] = nullptr;
  if (r.violation)
    j["violation"] = {{"property", r.violated_property},
                      {"check", ir::check_name(r.violation->check)},
                      {"message", r.violation->message},
                      {"violating_step", r.violation_in_last_step}};
  else
    j["violation"] = nullptr;
  j["trace"] = r.trace.steps.empty() ? json(nullptr) : trace_to_json(rp.machine(), r.trace, r.violation && r.violation_in_last_step);
  j["trace_from"] = r.trace_from;
  return j;
}

// Standard input is spooled to a temporary file: replay reads a capture twice.
std::string spool_stdin() {
  const char* dir = getenv("TMPDIR");
  std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/lifecheck-stdin-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0) throw traces::TraceError("<stdin>", 0, 0, "cannot create a temporary file to hold standard input");
  char buf[1 << 16];
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0)
    if (write(fd, buf, size_t(n)) != n) {
      close(fd);
      unlink(name.data());
      throw traces::TraceError("<stdin>", 0, 0, "cannot spool standard input (disk full?)");
    }
  close(fd);
  return name.data();
}

int run_replay(const ReplayArgs& a) {
  Loaded l = load_model_file(a.model);
  if (!l.program) {
    std::cerr << l.diagnostics;
    return 2;
  }
  traces::ProbeDefs probes;
  try {
    for (const auto& f : a.probes) probes.load(f);
  } catch (const traces::TraceError& e) {
    std::cerr << e.render();
    return 2;
  }
  traces::ReplayOptions o;
  o.window_ns = uint64_t(a.window_us * 1000);
  o.max_silent = a.max_silent;
  o.max_states = a.max_states;
  o.timeout_s = a.timeout;
  o.memory_mb = a.memory;
  o.context = a.context;
  o.progress = isatty(2);
  o.exact = a.exact;
  int status = 0;
  nlohmann::json all = nlohmann::json::array();
  bool first = true;
  for (const auto& path : a.traces) {
    std::string file = path, shown;
    try {
      if (path == "-") {
        file = spool_stdin();
        shown = "<stdin>";
      }
      auto open = [&] { return traces::open_trace(file, shown); };
      auto rp = std::make_unique<traces::Replay>(*l.program, open, probes, o);
      traces::ReplayResult r = rp->run();
      status = combine_status(status, exit_of(r.verdict));
      if (a.format == "json") all.push_back(replay_json(*rp, r));
      else {
        if (!first) std::cout << "\n";
        first = false;
        std::cout << render_replay_text(*rp, r);
      }
    } catch (const traces::TraceError& e) {
      std::cerr << e.render();
      status = combine_status(status, 2);
      if (a.format == "json") all.push_back({{"file", shown.empty() ? path : shown}, {"result", "error"}, {"exit_code", 2},
                                             {"error", e.render()}});
    } catch (const traces::ModelError& e) {
      std::cerr << e.diagnostics;
      status = combine_status(status, 2);
      if (a.format == "json") all.push_back({{"file", shown.empty() ? path : shown}, {"result", "error"}, {"exit_code", 2},
                                             {"error", e.diagnostics}});
    }
    if (path == "-") unlink(file.c_str());
  }
  if (a.format == "json")
    std::cout << nlohmann::json({{"lifecheck", "0.1"}, {"replays", all}, {"exit_code", status}}).dump(2) << "\n";
  return status;
}

}  // namespace

void add_replay(CLI::App& app, int* status) {
  auto args = std::make_shared<ReplayArgs>();
  CLI::App* c = app.add_subcommand("replay", "Validate ftrace captures against a model and check its properties along them");
  c->add_option("model", args->model, "Model file (.lc)")->required()->check(CLI::ExistingFile);
  c->add_option("traces", args->traces, "Captures: tracefs text, trace-cmd report, trace.dat; .gz; - for stdin")->required();
  c->add_option("--probes", args->probes, "kprobe_events definitions (which function each probe event is)");
  c->add_option("--format", args->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  c->add_option("--window", args->window_us,
                "Events on different CPUs this many microseconds apart may match in either order (default 1)")
      ->check(CLI::Range(0.0, 1e9));
  c->add_option("--max-silent", args->max_silent, "Silent steps allowed between two observations (default 10000)")
      ->check(CLI::Range(1u, 100000000u));
  c->add_option("--max-states", args->max_states, "States of the search between two observations (default 1000000)")
      ->check(CLI::Range(uint64_t(1), uint64_t(4000000000ull)));
  c->add_option("--memory", args->memory, "Stop when the search holds this many MB (exit 3)")
      ->check(CLI::Range(uint64_t(1), uint64_t(1) << 30));
  c->add_option("--timeout", args->timeout, "Stop after this many seconds (exit 3)")->check(CLI::PositiveNumber);
  c->add_option("--context", args->context, "Observations shown before the point of interest (default 40)")
      ->check(CLI::Range(1u, 1000000u));
  c->add_flag("--exact", args->exact,
              "Explore every behaviour from the start (by default only a result other than an acceptance is)");
  c->callback([args, status] { *status = run_replay(*args); });
}

}  // namespace lc::cli
