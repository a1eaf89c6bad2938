#include "checker/report/matrix.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace lc {

namespace {

// "p13_unbind_failed" -> 13; names without a P-number sort after numbered ones.
long pnum(const std::string& n) {
  if (n.size() < 2 || (n[0] != 'p' && n[0] != 'P') || !isdigit((unsigned char)n[1])) return 1L << 30;
  return strtol(n.c_str() + 1, nullptr, 10);
}

const PropertyResult* find(const CheckResult& r, const std::string& name) {
  for (const auto& p : r.properties)
    if (p.name == name) return &p;
  return nullptr;
}

// A cell: holds / VIOLATED / unknown / n/a / error; "!" marks a verdict that differs from
// the model's expect line (no line = expected to hold).
std::string cell(const MatrixRow& row, const std::string& col) {
  if (row.result.outcome == Outcome::ModelError) return "error";
  const PropertyResult* p = find(row.result, col);
  if (!p) return "n/a";
  std::string s = p->status == Status::Violated ? "VIOLATED" : p->status == Status::Holds ? "holds" : "unknown";
  bool want = p->expect_violated.value_or(false);
  if (p->status != Status::Unknown && (p->status == Status::Violated) != want) s += "!";
  return s;
}

std::string seconds(double s) {
  char b[32];
  snprintf(b, sizeof b, "%.2fs", s);
  return b;
}

std::string pad(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
std::string lpad(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

}  // namespace

std::vector<std::string> matrix_columns(const std::vector<MatrixRow>& rows) {
  std::vector<std::string> cols;
  for (ir::Check c : ir::kBuiltinChecks) cols.push_back(ir::check_name(c));
  std::set<std::string> named;
  for (const auto& r : rows)
    for (const auto& p : r.result.properties)
      if (p.property >= 0) named.insert(p.name);
  std::vector<std::string> v(named.begin(), named.end());
  std::stable_sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) {
    return pnum(a) != pnum(b) ? pnum(a) < pnum(b) : a < b;
  });
  cols.insert(cols.end(), v.begin(), v.end());
  return cols;
}

std::string render_matrix_text(const std::vector<MatrixRow>& rows, const MatrixOptions& o) {
  auto cols = matrix_columns(rows);
  size_t mw = 5;
  for (const auto& r : rows) mw = std::max(mw, r.model.size());
  std::string out = pad("model", mw) + "  " + lpad("states", 10) + (o.time ? "  " + lpad("time", 8) : "");
  std::vector<size_t> w;
  for (const auto& c : cols) {
    w.push_back(std::max<size_t>(c.size(), 9));
    out += "  " + pad(c, w.back());
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += "\n";
  for (const auto& r : rows) {
    std::string line = pad(r.model, mw) + "  " + lpad(std::to_string(r.result.stats.states), 10) +
                       (o.time ? "  " + lpad(seconds(r.result.stats.seconds), 8) : "");
    for (size_t i = 0; i < cols.size(); ++i) line += "  " + pad(cell(r, cols[i]), w[i]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += "(VIOLATED: a counterexample exists; n/a: the model has no such property; "
         "!: differs from the model's expect line; unknown: a limit was hit)\n";
  return out;
}

std::string render_matrix_markdown(const std::vector<MatrixRow>& rows, const MatrixOptions& o) {
  auto cols = matrix_columns(rows);
  std::string out = "| model | states |" + std::string(o.time ? " time |" : "");
  std::string rule = "|---|--:|" + std::string(o.time ? "--:|" : "");
  for (const auto& c : cols) {
    out += " " + c + " |";
    rule += "---|";
  }
  out += "\n" + rule + "\n";
  for (const auto& r : rows) {
    out += "| " + r.model + " | " + std::to_string(r.result.stats.states) + " |" +
           (o.time ? " " + seconds(r.result.stats.seconds) + " |" : "");
    for (const auto& c : cols) {
      std::string v = cell(r, c);
      if (v.rfind("VIOLATED", 0) == 0) v = "**" + v + "**";
      out += " " + v + " |";
    }
    out += "\n";
  }
  return out;
}

nlohmann::json matrix_json(const std::vector<MatrixRow>& rows, const MatrixOptions& o) {
  auto cols = matrix_columns(rows);
  nlohmann::json models = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json v = nlohmann::json::object();
    for (const auto& c : cols) {
      std::string x = cell(r, c);
      bool surprise = !x.empty() && x.back() == '!';
      if (surprise) x.pop_back();
      if (x == "VIOLATED") x = "violated";
      v[c] = {{"status", x}, {"as_expected", !surprise}};
    }
    nlohmann::json m = {{"file", r.file},
                        {"model", r.model},
                        {"states", r.result.stats.states},
                        {"complete", r.result.outcome == Outcome::Complete},
                        {"verdicts", v}};
    if (o.time) m["seconds"] = r.result.stats.seconds;
    if (r.result.outcome == Outcome::ModelError) m["error"] = r.result.error;
    models.push_back(m);
  }
  return {{"properties", cols}, {"models", models}};
}

}  // namespace lc
