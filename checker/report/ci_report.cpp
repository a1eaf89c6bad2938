#include "checker/report/ci_report.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "checker/report/report.h"
#include "checker/report/view.h"

namespace lc {

using nlohmann::json;

const char* ci_outcome_name(CiOutcome o) {
  switch (o) {
    case CiOutcome::Pass: return "pass";
    case CiOutcome::UnexpectedViolation: return "unexpected_violation";
    case CiOutcome::VanishedViolation: return "vanished_violation";
    case CiOutcome::Inconclusive: return "inconclusive";
    case CiOutcome::ModelError: return "model_error";
  }
  return "?";
}

namespace {

struct Loc {
  std::string file;
  int line = 1, col = 1;
};

Loc loc_of(const ir::Program& p, Span s) {
  auto [l, c] = p.file->line_col(s.begin);
  return {p.file->name(), l, c};
}

// The `model NAME "title";` line: where findings about the model as a whole point.
Loc model_loc(const ir::Program& p) {
  const std::string& t = p.file->text();
  size_t at = 0;
  int line = 1;
  while (at < t.size()) {
    size_t b = t.find_first_not_of(" \t", at);
    if (b != std::string::npos && t.compare(b, 6, "model ") == 0) return {p.file->name(), line, int(b - at) + 1};
    at = t.find('\n', at);
    if (at == std::string::npos) break;
    ++at;
    ++line;
  }
  return {p.file->name(), 1, 1};
}

bool model_failed(const CiModel& m) { return !m.machine || m.result.outcome == Outcome::ModelError; }

const ir::Expect* expect_line(const ir::Program& p, const std::string& name) {
  for (const auto& e : p.expects)
    if (e.name == name) return &e;
  return nullptr;
}

// Where a builtin check's counterexample points: the violating statement, else the
// statement a deadlocked thread is blocked on, else the last step.
Loc cex_loc(const Machine& m, const Counterexample& c) {
  const ir::Program& p = m.program();
  if (c.violation.span.begin || c.violation.span.end) return loc_of(p, c.violation.span);
  if (!c.blocked.empty()) return loc_of(p, c.blocked[0].span);
  auto views = view_trace(m, c.trace, c.violation_in_last_step);
  if (!views.empty()) return {p.file->name(), views.back().line, views.back().col};
  return {p.file->name(), 1, 1};
}

// "file:line:col: error: message" (the first line of a rendered diagnostic).
CiCase model_error_case(const CiModel& m) {
  CiCase c;
  c.name = "model";
  c.outcome = CiOutcome::ModelError;
  c.file = m.program ? m.program->file->name() : m.file;
  std::string first = m.result.error.substr(0, m.result.error.find('\n'));
  static const std::regex diag(R"(^(.*):(\d+):(\d+): error: (.*)$)");
  std::smatch sm;
  if (std::regex_match(first, sm, diag)) {
    c.file = sm[1].str();
    c.line = std::stoi(sm[2].str());
    c.col = std::stoi(sm[3].str());
    c.message = "model error: " + sm[4].str();
  } else {
    c.message = "model error: " + (first.empty() ? std::string("the model could not be checked") : first);
  }
  return c;
}

std::string pad(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
std::string lpad(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

std::string indent(const std::string& text, const std::string& by) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    out += by + text.substr(i, j - i) + "\n";
    i = j + 1;
  }
  return out;
}

// The race diagram(s) of a counterexample: one per edge of a lock-order cycle.
std::string diagram(const Machine& m, const Counterexample& c) {
  const ir::Program& p = m.program();
  if (c.violation.check == ir::Check::LockOrder) {
    std::string out;
    for (size_t i = 0; i < c.edges.size(); ++i) {
      out += std::string(i ? "\n" : "") + "  path " + std::to_string(i + 1) + ": " + thread_name(m, c.edges[i].thread) +
             " takes " + p.slot_name(c.edges[i].acquired) + " while holding " + p.slot_name(c.edges[i].held) + "\n";
      out += render_race(m, c.edges[i].trace, true);
    }
    return out;
  }
  std::vector<int> extra;
  for (const auto& b : c.blocked) extra.push_back(b.thread);
  return render_race(m, c.trace, c.violation_in_last_step, extra);
}

// What a reader of a failed case wants to see below its one-line message.
std::string details(const CiModel& m, const CiCase& c) {
  if (c.outcome == CiOutcome::ModelError) {
    std::string out = m.result.error;
    if (m.machine && m.result.error_trace) out += "  reached by:\n" + render_race(*m.machine, *m.result.error_trace, false);
    return out;
  }
  if (c.outcome != CiOutcome::UnexpectedViolation) return "";
  const PropertyResult& pr = m.result.properties[c.property];
  if (pr.counterexample < 0) return "";
  return diagram(*m.machine, m.result.counterexamples[pr.counterexample]);
}

struct Counts {
  int passed = 0, failed = 0;
  int by[5] = {0, 0, 0, 0, 0};
  void add(const CiCase& c) {
    ++by[int(c.outcome)];
    (c.outcome == CiOutcome::Pass ? passed : failed)++;
  }
};

Counts count(const std::vector<CiCase>& cases) {
  Counts n;
  for (const auto& c : cases) n.add(c);
  return n;
}

// ---- XML ----

// Escapes text for XML 1.0 element content and attributes; drops characters XML 1.0
// cannot carry (control characters other than tab, newline and carriage return).
std::string xml_escape(const std::string& s, bool attr) {
  std::string out;
  for (char ch : s) {
    unsigned char u = (unsigned char)ch;
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attr ? "&quot;" : "\""; break;
      case '\n': out += attr ? "&#10;" : "\n"; break;
      case '\r': out += attr ? "&#13;" : "\r"; break;
      case '\t': out += attr ? "&#9;" : "\t"; break;
      default:
        if (u < 0x20) break;
        out += ch;
    }
  }
  return out;
}

std::string attr(const std::string& name, const std::string& value) {
  return " " + name + "=\"" + xml_escape(value, true) + "\"";
}

// "specs/iommufd/v1.lc" -> "specs.iommufd.v1" (the dotted class name JUnit readers group by).
std::string classname(const std::string& file) {
  std::string s = file;
  if (s.size() > 3 && s.compare(s.size() - 3, 3, ".lc") == 0) s.resize(s.size() - 3);
  while (s.rfind("./", 0) == 0) s = s.substr(2);
  while (!s.empty() && s[0] == '/') s = s.substr(1);
  std::replace(s.begin(), s.end(), '/', '.');
  return s;
}

// ---- SARIF ----

// A relative path stays relative (to %SRCROOT%, the checkout); an absolute one becomes
// a file: URI. Characters outside RFC 3986's unreserved set and '/' are percent-encoded.
json artifact(const std::string& file) {
  static const char* hex = "0123456789ABCDEF";
  std::string path = file;
  while (path.rfind("./", 0) == 0) path = path.substr(2);
  std::string enc;
  for (char ch : path) {
    unsigned char u = (unsigned char)ch;
    if (isalnum(u) || ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '/') {
      enc += ch;
    } else {
      enc += '%';
      enc += hex[u >> 4];
      enc += hex[u & 15];
    }
  }
  if (!path.empty() && path[0] == '/') return {{"uri", "file://" + enc}};
  return {{"uri", enc}, {"uriBaseId", "%SRCROOT%"}};
}

json physical(const std::string& file, int line, int col) {
  return {{"artifactLocation", artifact(file)}, {"region", {{"startLine", line}, {"startColumn", col}}}};
}

// A code flow: a thread flow per thread, in order of first appearance, each location a
// step with its statement; executionOrder gives the interleaving.
json code_flow(const Machine& m, const Trace& t, bool last_violates, const std::string& message) {
  const ir::Program& p = m.program();
  std::vector<std::string> order;
  std::map<std::string, json> flows;
  for (const auto& v : view_trace(m, t, last_violates)) {
    if (!flows.count(v.thread_name)) {
      order.push_back(v.thread_name);
      flows[v.thread_name] = json::array();
    }
    json loc = {{"location", {{"physicalLocation", physical(p.file->name(), v.line, v.col)}, {"message", {{"text", v.text}}}}},
                {"executionOrder", v.index},
                {"nestingLevel", v.depth},
                {"importance", v.violating ? "essential" : "important"},
                {"properties", {{"step", v.index}, {"function", v.function}, {"locks_held", v.locks}, {"events", v.events}}}};
    flows[v.thread_name].push_back(loc);
  }
  json tfs = json::array();
  for (const auto& name : order)
    tfs.push_back({{"id", name}, {"message", {{"text", "thread " + name}}}, {"locations", flows[name]}});
  return {{"message", {{"text", message}}}, {"threadFlows", tfs}};
}

// Model text on one line, without its closing ';'.
std::string one_line(const std::string& text) {
  std::string out;
  for (char ch : text) {
    bool space = ch == '\n' || ch == '\t' || ch == '\r' || ch == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : ch;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

const char* builtin_description(const std::string& name) {
  static const std::map<std::string, const char*> d = {
      {"use_after_free", "An object is read or written after it was freed."},
      {"double_free", "An object is freed twice."},
      {"lock_misuse", "A lock is released when not held, taken twice, freed while held, or held at thread exit."},
      {"deadlock", "No thread can run, and not every thread has finished."},
      {"lock_order", "Two locks are taken in both orders (a lockdep cycle), even if no explored schedule deadlocks."},
      {"assert", "An assert() condition is false."},
      {"range", "A bounded integer leaves its range, or a division by zero."},
      {"null_deref", "A null pointer is dereferenced."},
  };
  auto it = d.find(name);
  return it == d.end() ? nullptr : it->second;
}

}  // namespace

std::vector<CiCase> ci_cases(const CiModel& m) {
  if (model_failed(m)) return {model_error_case(m)};
  const ir::Program& p = *m.program;
  const CheckResult& r = m.result;
  const Machine& mach = *m.machine;
  std::vector<CiCase> out;
  for (size_t i = 0; i < r.properties.size(); ++i) {
    const PropertyResult& pr = r.properties[i];
    CiCase c;
    c.name = pr.name;
    c.property = int(i);
    bool user = pr.property >= 0;
    bool want = pr.expect_violated.value_or(false);
    const ir::Expect* ex = expect_line(p, pr.name);
    Loc at = user ? loc_of(p, pr.span) : ex ? loc_of(p, ex->span) : model_loc(p);
    if (pr.status == Status::Violated && !want) {
      c.outcome = CiOutcome::UnexpectedViolation;
      const Counterexample& cx = r.counterexamples[pr.counterexample];
      if (!user) at = cex_loc(mach, cx);
      c.message = std::string("unexpected violation (") + (ex ? "expect " + pr.name + " holds" : "no expect line: must hold") +
                  "): " + cx.violation.message;
    } else if (pr.status == Status::Holds && want) {
      c.outcome = CiOutcome::VanishedViolation;
      c.message = "expected violation vanished: holds in every reachable state, but the model says 'expect " + pr.name +
                  " violated'";
    } else if (pr.status == Status::Unknown) {
      c.outcome = CiOutcome::Inconclusive;
      c.message = "inconclusive: not decided, " +
                  (r.limit.empty() ? std::string("the search stopped early") : "limit hit (" + r.limit + ")") + " after " +
                  (r.engine == "explicit" ? std::to_string(r.stats.states) + " states, depth " : "depth ") +
                  std::to_string(r.stats.depth);
    }
    c.file = at.file;
    c.line = at.line;
    c.col = at.col;
    out.push_back(std::move(c));
  }
  return out;
}

int ci_exit_code(const std::vector<CiModel>& models) {
  Counts n;
  for (const auto& m : models)
    for (const auto& c : ci_cases(m)) n.add(c);
  if (n.by[int(CiOutcome::ModelError)]) return 2;
  if (n.by[int(CiOutcome::UnexpectedViolation)] || n.by[int(CiOutcome::VanishedViolation)]) return 1;
  if (n.by[int(CiOutcome::Inconclusive)]) return 3;
  return 0;
}

std::string render_ci_text(const std::vector<CiModel>& models) {
  std::vector<std::vector<CiCase>> cases;
  Counts total;
  for (const auto& m : models) {
    cases.push_back(ci_cases(m));
    for (const auto& c : cases.back()) total.add(c);
  }
  size_t fw = 4, mw = 5;
  for (const auto& m : models) {
    fw = std::max(fw, m.file.size());
    mw = std::max(mw, m.program ? m.program->name.size() : 1);
  }
  int n_cases = total.passed + total.failed;
  std::string out = "lifecheck ci: " + std::to_string(models.size()) + " model" + (models.size() == 1 ? "" : "s") + ", " +
                    std::to_string(n_cases) + " test case" + (n_cases == 1 ? "" : "s") + " (one per property)\n\n";
  out += pad("file", fw) + "  " + pad("model", mw) + "  " + lpad("states", 10) + "  " + lpad("passed", 6) + "  " +
         lpad("failed", 6) + "  result\n";
  for (size_t i = 0; i < models.size(); ++i) {
    const CiModel& m = models[i];
    Counts n = count(cases[i]);
    std::string result = "ok";
    if (n.by[int(CiOutcome::ModelError)]) result = "ERROR";
    else if (n.by[int(CiOutcome::UnexpectedViolation)] || n.by[int(CiOutcome::VanishedViolation)]) result = "FAIL";
    else if (n.by[int(CiOutcome::Inconclusive)]) result = "INCONCLUSIVE (" + m.result.limit + ")";
    out += pad(m.file, fw) + "  " + pad(m.program ? m.program->name : "-", mw) + "  " +
           lpad(model_failed(m) ? "-" : std::to_string(m.result.stats.states), 10) + "  " +
           lpad(std::to_string(n.passed), 6) + "  " + lpad(std::to_string(n.failed), 6) + "  " + result + "\n";
  }
  bool gap = true;  // a blank line before the first failure and after each diagram
  for (size_t i = 0; i < models.size(); ++i)
    for (const auto& c : cases[i]) {
      if (c.outcome == CiOutcome::Pass) continue;
      if (gap) out += "\n";
      const char* tag = c.outcome == CiOutcome::ModelError     ? "ERROR"
                        : c.outcome == CiOutcome::Inconclusive ? "INCONCLUSIVE"
                                                               : "FAIL";
      out += tag;
      out += " " + c.file + ":" + std::to_string(c.line) + ":" + std::to_string(c.col) + ": " +
             c.name + ": " + c.message + "\n";
      std::string more = details(models[i], c);
      if (c.outcome == CiOutcome::ModelError) more = indent(more, "  ");
      out += more;
      gap = !more.empty();
    }
  out += "\n";
  if (total.failed) {
    std::vector<std::string> parts;
    auto part = [&](CiOutcome o, const char* one, const char* many) {
      int k = total.by[int(o)];
      if (k) parts.push_back(std::to_string(k) + " " + (k == 1 ? one : many));
    };
    part(CiOutcome::UnexpectedViolation, "unexpected violation", "unexpected violations");
    part(CiOutcome::VanishedViolation, "expected violation vanished", "expected violations vanished");
    part(CiOutcome::Inconclusive, "inconclusive", "inconclusive");
    part(CiOutcome::ModelError, "model error", "model errors");
    out += "failed:";
    for (size_t i = 0; i < parts.size(); ++i) {
      out += i ? ", " : " ";
      out += parts[i];
    }
    out += "\n";
  }
  out += std::to_string(total.passed) + " passed, " + std::to_string(total.failed) + " failed\n";
  return out;
}

std::string ci_junit(const std::vector<CiModel>& models) {
  std::string body;
  Counts total;
  for (const auto& m : models) {
    auto cases = ci_cases(m);
    Counts n = count(cases);
    int errors = n.by[int(CiOutcome::ModelError)] + n.by[int(CiOutcome::Inconclusive)];
    int failures = n.failed - errors;
    for (const auto& c : cases) total.add(c);
    body += "  <testsuite" + attr("name", m.file) + attr("tests", std::to_string(cases.size())) +
            attr("failures", std::to_string(failures)) + attr("errors", std::to_string(errors)) + attr("skipped", "0") +
            attr("time", "0") + attr("file", m.file) + ">\n";
    body += "    <properties>\n";
    auto prop = [&](const std::string& k, const std::string& v) {
      body += "      <property" + attr("name", k) + attr("value", v) + "/>\n";
    };
    if (m.program) {
      prop("model", m.program->name);
      if (!m.program->title.empty()) prop("title", m.program->title);
    }
    prop("engine", m.result.engine);
    if (!model_failed(m)) {
      prop("states", std::to_string(m.result.stats.states));
      prop("depth", std::to_string(m.result.stats.depth));
      prop("complete", m.result.outcome == Outcome::Complete ? "true" : "false");
    }
    if (!m.result.limit.empty()) prop("limit", m.result.limit);
    body += "    </properties>\n";
    for (const auto& c : cases) {
      body += "    <testcase" + attr("name", c.name) + attr("classname", classname(m.file)) + attr("file", c.file) +
              attr("line", std::to_string(c.line)) + attr("time", "0");
      if (c.outcome == CiOutcome::Pass) {
        body += "/>\n";
        continue;
      }
      bool error = c.outcome == CiOutcome::ModelError || c.outcome == CiOutcome::Inconclusive;
      const char* tag = error ? "error" : "failure";
      std::string text = c.file + ":" + std::to_string(c.line) + ":" + std::to_string(c.col) + ": " + c.message + "\n";
      std::string more = details(m, c);
      if (!more.empty() && c.outcome != CiOutcome::ModelError) text += "\n";
      text += more;
      body += ">\n      <" + std::string(tag) + attr("type", ci_outcome_name(c.outcome)) + attr("message", c.message) + ">" +
              xml_escape(text, false) + "</" + tag + ">\n    </testcase>\n";
    }
    body += "  </testsuite>\n";
  }
  int errors = total.by[int(CiOutcome::ModelError)] + total.by[int(CiOutcome::Inconclusive)];
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites" + attr("name", "lifecheck ci") +
         attr("tests", std::to_string(total.passed + total.failed)) + attr("failures", std::to_string(total.failed - errors)) +
         attr("errors", std::to_string(errors)) + attr("time", "0") + ">\n" + body + "</testsuites>\n";
}

json ci_sarif(const std::vector<CiModel>& models) {
  // Rules: the builtin checks in their fixed order, then model_error, then every user
  // property that has a result, by name.
  std::vector<std::string> rule_ids;
  for (ir::Check c : ir::kBuiltinChecks) rule_ids.push_back(ir::check_name(c));
  rule_ids.push_back("model_error");
  std::map<std::string, std::pair<std::string, std::string>> user_rules;  // name -> (kind, text)
  json results = json::array();
  struct Pending {
    json result;
    std::string rule;
  };
  std::vector<Pending> pending;
  for (const auto& m : models) {
    for (const auto& c : ci_cases(m)) {
      if (c.outcome == CiOutcome::Pass) continue;
      json res;
      res["ruleId"] = c.name == "model" && c.outcome == CiOutcome::ModelError ? "model_error" : c.name;
      res["level"] = c.outcome == CiOutcome::Inconclusive ? "warning" : "error";
      res["kind"] = "fail";
      std::string model = m.program ? m.program->name : m.file;
      res["message"] = {{"text", c.name + ": " + c.message + " (model " + model + ", " + m.file + ")"}};
      res["locations"] = json::array({{{"physicalLocation", physical(c.file, c.line, c.col)}}});
      res["properties"] = {{"model", model}, {"file", m.file}, {"outcome", ci_outcome_name(c.outcome)}};
      if (c.property >= 0) {
        const ir::Program& p = *m.program;
        const PropertyResult& pr = m.result.properties[c.property];
        const Machine& mach = *m.machine;
        json related = json::array();
        if (pr.property >= 0 && !user_rules.count(pr.name))
          user_rules[pr.name] = {pr.check == ir::Check::Final ? "final" : "invariant", one_line(p.text(pr.span))};
        if (const ir::Expect* ex = expect_line(p, pr.name)) {
          Loc l = loc_of(p, ex->span);
          if (l.line != c.line || l.col != c.col)
            related.push_back({{"id", int(related.size()) + 1},
                             {"physicalLocation", physical(l.file, l.line, l.col)},
                             {"message", {{"text", "expect " + pr.name + (ex->violated ? " violated" : " holds")}}}});
        }
        if (c.outcome == CiOutcome::UnexpectedViolation) {
          const Counterexample& cx = m.result.counterexamples[pr.counterexample];
          Loc v = cex_loc(mach, cx);
          if (v.line != c.line || v.col != c.col)  // the violating statement, when not the primary location
            related.push_back({{"id", int(related.size()) + 1},
                             {"physicalLocation", physical(v.file, v.line, v.col)},
                             {"message", {{"text", cx.violation.message}}}});
          json flows = json::array();
          if (cx.violation.check == ir::Check::LockOrder) {
            for (size_t i = 0; i < cx.edges.size(); ++i) {
              const LockEdge& e = cx.edges[i];
              flows.push_back(code_flow(mach, e.trace, true,
                                        "path " + std::to_string(i + 1) + ": " + thread_name(mach, e.thread) + " takes " +
                                            p.slot_name(e.acquired) + " while holding " + p.slot_name(e.held)));
            }
          } else {
            flows.push_back(code_flow(mach, cx.trace, cx.violation_in_last_step, cx.violation.message));
          }
          res["codeFlows"] = flows;
        }
        if (!related.empty()) res["relatedLocations"] = related;
      } else if (m.machine && m.result.error_trace) {
        res["codeFlows"] = json::array({code_flow(*m.machine, *m.result.error_trace, false, c.message)});
      }
      pending.push_back({res, res["ruleId"].get<std::string>()});
    }
  }
  for (const auto& [name, info] : user_rules)
    if (std::find(rule_ids.begin(), rule_ids.end(), name) == rule_ids.end()) rule_ids.push_back(name);
  json rules = json::array();
  for (const auto& id : rule_ids) {
    std::string text;
    if (const char* d = builtin_description(id)) text = d;
    else if (id == "model_error") text = "The model does not compile, cannot be read, or reaches a run-time model error.";
    else text = user_rules[id].second;  // "invariant NAME: EXPR" as written
    rules.push_back({{"id", id},
                     {"name", id},
                     {"shortDescription", {{"text", text}}},
                     {"defaultConfiguration", {{"level", "error"}}}});
  }
  for (auto& pd : pending) {
    pd.result["ruleIndex"] = int(std::find(rule_ids.begin(), rule_ids.end(), pd.rule) - rule_ids.begin());
    results.push_back(pd.result);
  }
  json driver = {{"name", "lifecheck"},
                 {"version", "0.1"},
                 {"semanticVersion", "0.1.0"},
                 {"rules", rules}};
  json run = {{"tool", {{"driver", driver}}},
              {"results", results},
              {"invocations", json::array({{{"executionSuccessful", true}, {"exitCode", ci_exit_code(models)}}})}};
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"}, {"version", "2.1.0"}, {"runs", json::array({run})}};
}

json ci_json(const std::vector<CiModel>& models) {
  json out = json::array();
  Counts total;
  for (const auto& m : models) {
    json j = to_json(m.machine.get(), m.result);
    auto cases = ci_cases(m);
    Counts n = count(cases);
    json cs = json::array();
    for (const auto& c : cases) {
      total.add(c);
      cs.push_back({{"name", c.name},
                    {"outcome", ci_outcome_name(c.outcome)},
                    {"message", c.message.empty() ? json(nullptr) : json(c.message)},
                    {"location", {{"file", c.file}, {"line", c.line}, {"col", c.col}}}});
    }
    j["ci"] = {{"passed", n.passed}, {"failed", n.failed}, {"cases", cs}};
    out.push_back(j);
  }
  return {{"lifecheck", "0.1"},
          {"command", "ci"},
          {"exit_code", ci_exit_code(models)},
          {"passed", total.passed},
          {"failed", total.failed},
          {"models", out}};
}

}  // namespace lc
