// The iommufd review history: each model gets the verdicts its expect lines give, and the
// counterexample of each violated property contains the key steps the review described
// (specs/iommufd/<design>.keysteps).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "checker/report/view.h"
#include "tests/support.h"

namespace fs = std::filesystem;

namespace {

struct KeyStep {
  std::string property, thread, text;
  int line;
};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<KeyStep> read_keysteps(const std::string& path) {
  std::vector<KeyStep> out;
  std::istringstream in(lct::slurp(path));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto hash = line.find('#');
    if (hash != std::string::npos) line = line.substr(0, hash);
    if (trim(line).empty()) continue;
    auto a = line.find('|'), b = line.find('|', a + 1);
    REQUIRE(a != std::string::npos);
    REQUIRE(b != std::string::npos);
    out.push_back({trim(line.substr(0, a)), trim(line.substr(a + 1, b - a - 1)), trim(line.substr(b + 1)), n});
  }
  return out;
}

}  // namespace

TEST_CASE("iommufd: counterexamples show the interleavings the review found") {
  auto files = lct::files_in(lct::src("specs/iommufd"), ".keysteps");
  REQUIRE(files.size() >= 8);
  for (const auto& ks : files) {
    std::string model = ks.substr(0, ks.size() - 9) + ".lc";
    INFO(model);
    auto [program, machine, r] = lct::check_file(model);
    REQUIRE(r.outcome == lc::Outcome::Complete);
    const lc::Machine& m = *machine;
    std::map<std::string, std::vector<lc::StepView>> views;
    for (const auto& c : r.counterexamples) {
      if (!c.edges.empty()) {
        for (const auto& e : c.edges)
          for (auto& v : lc::view_trace(m, e.trace, true)) views[c.property].push_back(v);
      } else {
        views[c.property] = lc::view_trace(m, c.trace, c.violation_in_last_step);
      }
    }
    std::map<std::string, size_t> next;  // per property: where the next key step may start
    for (const auto& k : read_keysteps(ks)) {
      INFO(ks << ":" << k.line << ": " << k.property << " | " << k.thread << " | " << k.text);
      REQUIRE(views.count(k.property));
      const auto& steps = views[k.property];
      size_t i = next[k.property];
      while (i < steps.size() &&
             !(steps[i].thread_name == k.thread && (steps[i].function + ": " + steps[i].text).find(k.text) != std::string::npos))
        ++i;
      CHECK(i < steps.size());
      next[k.property] = i + 1;
    }
  }
}

TEST_CASE("iommufd: the README's verdict matrix is what lifecheck prints, and matches every expect line", "[slow][matrix]") {
  std::string models = lct::slurp(lct::src("specs/iommufd/models.txt"));
  std::string args;
  for (char c : models) args += c == '\n' ? ' ' : c;
  auto r = lct::run_cli("matrix --no-time --format markdown " + args);
  CHECK(r.status == 1);  // the review bugs are violations
  CHECK(r.err.empty());
  CHECK(r.out.find('!') == std::string::npos);  // no verdict differs from its expect line
  CHECK(r.out.find("unknown") == std::string::npos);
  CHECK(r.out.find("| iommufd_final | ") != std::string::npos);
  std::string readme = lct::slurp(lct::src("specs/iommufd/README.md"));
  auto b = readme.find("<!-- matrix -->\n"), e = readme.find("<!-- /matrix -->");
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  b += std::string("<!-- matrix -->\n").size();
  CHECK(readme.substr(b, e - b) == r.out);
  // Every model in the folder is in the matrix.
  for (const auto& f : lct::files_in(lct::src("specs/iommufd")))
    CHECK(models.find("specs/iommufd/" + fs::path(f).filename().string()) != std::string::npos);
}

// specs/iommufd/proof/: the auxiliary invariants for the k-induction of final are each true
// in every reachable state (README there). A model change that breaks one shows up here.
TEST_CASE("iommufd: the proof scaffold's invariants hold in every reachable state of final", "[slow][proof_scaffold]") {
  std::string out = std::string(LC_BINARY_DIR) + "/final-aux.lc";
  std::string cmd = "python3 " + lct::src("specs/iommufd/proof/build.py") + " " + out;
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto [program, machine, r] = lct::check_file(out);
  CHECK(r.outcome == lc::Outcome::Complete);
  CHECK(r.counterexamples.empty());
  size_t aux = 0;
  for (const auto& p : r.properties) {
    INFO(p.name);
    CHECK(p.status == lc::Status::Holds);
    if (p.name.rfind("a_", 0) == 0) ++aux;
  }
  CHECK(aux == 88);
}
