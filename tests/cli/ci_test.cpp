// lifecheck ci: expected verdicts, exit statuses, and the JUnit / SARIF / JSON files,
// read back with real parsers (python3's xml.etree for JUnit, nlohmann::json for SARIF).
// Also scripts/kernel-ci on a throwaway git tree.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support.h"

namespace fs = std::filesystem;
using lct::run_cli;
using nlohmann::json;

namespace {

// A scratch folder for one test, removed at the end.
struct Scratch {
  std::string dir;
  explicit Scratch(const std::string& name) {
    dir = std::string(LC_BINARY_DIR) + "/ci_test_" + name + "_" + std::to_string(getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
  std::string operator/(const std::string& f) const { return dir + "/" + f; }
};

// Runs a shell command in the source directory; stdout and stderr together.
lct::CliRun run_sh(const std::string& cmd) { return lct::run_sh("(" + cmd + ") 2>&1"); }

bool have_python3() { return run_sh("command -v python3 >/dev/null").status == 0; }

// Parses a JUnit file with python3's xml.etree.ElementTree (a real XML parser) and
// returns what it read as JSON: {tag, attrib, suites: [{attrib, properties, cases:
// [{attrib, failure?|error?: {attrib, text}}]}]}.
json parse_junit(const std::string& file) {
  std::string script = file + ".py";
  std::ofstream(script) << R"(import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
out = {"tag": root.tag, "attrib": root.attrib, "suites": []}
for s in root.findall("testsuite"):
    su = {"attrib": s.attrib, "cases": [],
          "properties": {p.get("name"): p.get("value") for p in s.findall("properties/property")}}
    for c in s.findall("testcase"):
        cd = {"attrib": c.attrib}
        for k in ("failure", "error", "skipped"):
            e = c.find(k)
            if e is not None:
                cd[k] = {"attrib": e.attrib, "text": e.text or ""}
        su["cases"].append(cd)
    out["suites"].append(su)
print(json.dumps(out))
)";
  auto r = run_sh("python3 '" + script + "' '" + file + "'");
  INFO(r.out);
  REQUIRE(r.status == 0);
  return json::parse(r.out);
}

const json* find_case(const json& suite, const std::string& name) {
  for (const auto& c : suite["cases"])
    if (c["attrib"]["name"] == name) return &c;
  return nullptr;
}

const json* find_result(const json& sarif, const std::string& rule) {
  for (const auto& r : sarif["runs"][0]["results"])
    if (r["ruleId"] == rule) return &r;
  return nullptr;
}

// The fields SARIF 2.1.0 requires of a log and of each result, and the ones GitHub
// code scanning reads; every physical location names the model file and a line.
void check_sarif_shape(const json& s) {
  REQUIRE(s.contains("$schema"));
  CHECK(s["$schema"].get<std::string>().find("sarif-2.1.0") != std::string::npos);
  CHECK(s["version"] == "2.1.0");
  REQUIRE(s["runs"].size() == 1);
  const json& run = s["runs"][0];
  CHECK(run["tool"]["driver"]["name"] == "lifecheck");
  const json& rules = run["tool"]["driver"]["rules"];
  auto check_phys = [](const json& pl) {
    CHECK(pl["artifactLocation"]["uri"].get<std::string>().size() > 3);
    CHECK(pl["region"]["startLine"].get<int>() >= 1);
    CHECK(pl["region"]["startColumn"].get<int>() >= 1);
  };
  for (const auto& r : run["results"]) {
    CHECK(r["ruleId"].is_string());
    REQUIRE(r["ruleIndex"].get<size_t>() < rules.size());
    CHECK(rules[r["ruleIndex"].get<size_t>()]["id"] == r["ruleId"]);
    CHECK((r["level"] == "error" || r["level"] == "warning"));
    CHECK(!r["message"]["text"].get<std::string>().empty());
    REQUIRE(r["locations"].size() >= 1);
    for (const auto& l : r["locations"]) check_phys(l["physicalLocation"]);
    if (r.contains("relatedLocations"))
      for (const auto& l : r["relatedLocations"]) check_phys(l["physicalLocation"]);
    if (r.contains("codeFlows"))
      for (const auto& cf : r["codeFlows"]) {
        REQUIRE(cf["threadFlows"].size() >= 1);
        for (const auto& tf : cf["threadFlows"]) {
          REQUIRE(tf["locations"].size() >= 1);
          for (const auto& tl : tf["locations"]) {
            check_phys(tl["location"]["physicalLocation"]);
            CHECK(!tl["location"]["message"]["text"].get<std::string>().empty());
            CHECK(tl["executionOrder"].get<int>() >= 0);
          }
        }
      }
  }
}

const std::string kUnexpected = "tests/regress/ci/unexpected_violation.lc";
const std::string kVanished = "tests/regress/ci/vanished_violation.lc";
const std::string kError = "tests/regress/ci/model_error.lc";
const std::string kLockOrder = "tests/regress/ci/lock_order.lc";

}  // namespace

TEST_CASE("ci: with statement merging every bundled model still meets its expect lines") {
  // The explicit engine with --merge over specs/ (iommufd and examples): the same 355
  // verdicts as CI's plain run, in a fraction of its time.
  auto r = run_cli("ci specs/ --jobs 2 --merge");
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  std::string tail = "\n\n355 passed, 0 failed\n";
  CHECK(r.out.size() > tail.size());
  CHECK(r.out.substr(r.out.size() - tail.size()) == tail);
}

TEST_CASE("ci: the teaching examples pass, one test case per property") {
  Scratch s("examples");
  auto r = run_cli("ci specs/examples/ --junit " + (s / "j.xml") + " --sarif " + (s / "s.sarif"));
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.rfind("lifecheck ci: 6 models, 51 test cases (one per property)\n", 0) == 0);
  CHECK(r.out.find("\nspecs/examples/abba_deadlock.lc         abba_deadlock                 23       8       0  ok\n") !=
        std::string::npos);
  std::string tail = "\n\n51 passed, 0 failed\n";  // the closing line, after a blank line
  CHECK(r.out.size() > tail.size());
  CHECK(r.out.substr(r.out.size() - tail.size()) == tail);
  json sarif = json::parse(lct::slurp(s / "s.sarif"));
  check_sarif_shape(sarif);
  CHECK(sarif["runs"][0]["results"].empty());
  if (!have_python3()) {
    WARN("python3 not found: JUnit XML not parsed");
    return;
  }
  json j = parse_junit(s / "j.xml");
  CHECK(j["tag"] == "testsuites");
  CHECK(j["attrib"]["tests"] == "51");
  CHECK(j["attrib"]["failures"] == "0");
  REQUIRE(j["suites"].size() == 6);
  const json& abba = j["suites"][0];
  CHECK(abba["attrib"]["name"] == "specs/examples/abba_deadlock.lc");
  CHECK(abba["attrib"]["tests"] == "8");
  CHECK(abba["properties"]["model"] == "abba_deadlock");
  CHECK(abba["properties"]["states"] == "23");
  const json* dl = find_case(abba, "deadlock");
  REQUIRE(dl);
  CHECK((*dl)["attrib"]["classname"] == "specs.examples.abba_deadlock");
  CHECK((*dl)["attrib"]["line"] == "31");  // its expect line
  CHECK(!dl->contains("failure"));
}

TEST_CASE("ci: an unexpected violation fails (exit 1) with the race diagram in every output") {
  Scratch s("unexpected");
  auto r = run_cli("ci " + kUnexpected + " --junit " + (s / "j.xml") + " --sarif " + (s / "s.sarif") + " --json " +
                   (s / "r.json"));
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find("FAIL " + kUnexpected +
                   ":30:3: use_after_free: unexpected violation (no expect line: must hold): 'd->stats' touches dev#0, "
                   "which was freed\n") != std::string::npos);
  CHECK(r.out.find("FAIL " + kUnexpected + ":39:1: users_balanced: unexpected violation (no expect line: must hold): ") !=
        std::string::npos);
  CHECK(r.out.find("d->stats = d->stats + 1") != std::string::npos);
  CHECK(r.out.find("<-- violation") != std::string::npos);
  CHECK(r.out.find("\nfailed: 2 unexpected violations\n7 passed, 2 failed\n") != std::string::npos);

  // SARIF: one result per unexpected verdict, at the violating statement (builtin) or
  // the property (final), with a thread flow per thread.
  json sarif = json::parse(lct::slurp(s / "s.sarif"));
  check_sarif_shape(sarif);
  REQUIRE(sarif["runs"][0]["results"].size() == 2);
  const json* uaf = find_result(sarif, "use_after_free");
  REQUIRE(uaf);
  CHECK((*uaf)["level"] == "error");
  const json& pl = (*uaf)["locations"][0]["physicalLocation"];
  CHECK(pl["artifactLocation"]["uri"] == kUnexpected);
  CHECK(pl["region"]["startLine"] == 30);
  CHECK((*uaf)["message"]["text"].get<std::string>().find("touches dev#0") != std::string::npos);
  REQUIRE((*uaf)["codeFlows"].size() == 1);
  const json& tfs = (*uaf)["codeFlows"][0]["threadFlows"];
  std::vector<std::string> ids;
  for (const auto& tf : tfs) ids.push_back(tf["id"]);
  CHECK(ids == std::vector<std::string>{"init", "user", "owner"});
  const json& last = tfs[1]["locations"].back();
  CHECK(last["location"]["physicalLocation"]["region"]["startLine"] == 30);
  CHECK(last["location"]["physicalLocation"]["region"]["startColumn"] == 3);
  CHECK(last["location"]["message"]["text"] == "d->stats = d->stats + 1");
  CHECK(last["executionOrder"] == 11);
  CHECK(last["importance"] == "essential");
  CHECK(tfs[2]["locations"][0]["location"]["message"]["text"] == "dev_put(the_dev)");
  const json* fin = find_result(sarif, "users_balanced");
  REQUIRE(fin);
  CHECK((*fin)["locations"][0]["physicalLocation"]["region"]["startLine"] == 39);
  CHECK((*fin)["codeFlows"][0]["threadFlows"].size() == 3);

  // JSON: the full verdicts and traces (to_json per model) plus the ci cases.
  json js = json::parse(lct::slurp(s / "r.json"));
  CHECK(js["exit_code"] == 1);
  CHECK(js["passed"] == 7);
  CHECK(js["failed"] == 2);
  REQUIRE(js["models"].size() == 1);
  CHECK(js["models"][0]["result"] == "violated");
  CHECK(js["models"][0]["counterexamples"][0]["trace"]["steps"].size() == 12);
  int unexpected = 0;
  for (const auto& c : js["models"][0]["ci"]["cases"]) unexpected += c["outcome"] == "unexpected_violation";
  CHECK(unexpected == 2);

  if (!have_python3()) {
    WARN("python3 not found: JUnit XML not parsed");
    return;
  }
  json j = parse_junit(s / "j.xml");
  CHECK(j["attrib"]["failures"] == "2");
  REQUIRE(j["suites"].size() == 1);
  const json& suite = j["suites"][0];
  CHECK(suite["attrib"]["tests"] == "9");
  CHECK(suite["attrib"]["failures"] == "2");
  CHECK(suite["attrib"]["errors"] == "0");
  const json* c = find_case(suite, "use_after_free");
  REQUIRE(c);
  REQUIRE(c->contains("failure"));
  CHECK((*c)["attrib"]["line"] == "30");
  CHECK((*c)["failure"]["attrib"]["type"] == "unexpected_violation");
  std::string text = (*c)["failure"]["text"];
  CHECK(text.find("  step  user") != std::string::npos);        // the race diagram, as text
  CHECK(text.find("<-- violation") != std::string::npos);      // escaped in the file, read back
  CHECK(!find_case(suite, "double_free")->contains("failure"));
}

TEST_CASE("ci: an expected violation that no longer happens fails (exit 1), pointing at its expect line") {
  Scratch s("vanished");
  auto r = run_cli("ci " + kVanished + " --junit " + (s / "j.xml") + " --sarif " + (s / "s.sarif"));
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find("FAIL " + kVanished +
                   ":38:1: use_after_free: expected violation vanished: holds in every reachable state, but the model "
                   "says 'expect use_after_free violated'\n") != std::string::npos);
  CHECK(r.out.find("FAIL " + kVanished + ":36:1: refs_nonneg: expected violation vanished: ") != std::string::npos);
  CHECK(r.out.find("\nfailed: 2 expected violations vanished\n7 passed, 2 failed\n") != std::string::npos);
  json sarif = json::parse(lct::slurp(s / "s.sarif"));
  check_sarif_shape(sarif);
  REQUIRE(sarif["runs"][0]["results"].size() == 2);
  const json* uaf = find_result(sarif, "use_after_free");
  REQUIRE(uaf);
  CHECK((*uaf)["locations"][0]["physicalLocation"]["region"]["startLine"] == 38);  // the expect line
  CHECK(!uaf->contains("codeFlows"));
  const json* inv = find_result(sarif, "refs_nonneg");
  REQUIRE(inv);
  CHECK((*inv)["locations"][0]["physicalLocation"]["region"]["startLine"] == 36);  // the invariant
  CHECK((*inv)["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 39);  // its expect line
  if (!have_python3()) return;
  json j = parse_junit(s / "j.xml");
  const json* c = find_case(j["suites"][0], "refs_nonneg");
  REQUIRE(c);
  CHECK((*c)["failure"]["attrib"]["type"] == "vanished_violation");
}

TEST_CASE("ci: a limit hit before a verdict is inconclusive (exit 3)") {
  Scratch s("inconclusive");
  auto r = run_cli("ci --max-states 10 specs/examples/lost_refcount_fixed.lc --junit " + (s / "j.xml") + " --sarif " +
                   (s / "s.sarif"));
  INFO(r.out << r.err);
  CHECK(r.status == 3);
  CHECK(r.out.find("INCONCLUSIVE (max-states 10)\n") != std::string::npos);
  CHECK(r.out.find("INCONCLUSIVE specs/examples/lost_refcount_fixed.lc:28:1: users_balanced: inconclusive: not decided, "
                   "limit hit (max-states 10) after ") != std::string::npos);
  CHECK(r.out.find("\nfailed: 9 inconclusive\n0 passed, 9 failed\n") != std::string::npos);
  json sarif = json::parse(lct::slurp(s / "s.sarif"));
  check_sarif_shape(sarif);
  CHECK(sarif["runs"][0]["results"].size() == 9);
  CHECK(sarif["runs"][0]["results"][0]["level"] == "warning");
  // Inconclusive and worse: an unexpected violation wins.
  CHECK(run_cli("ci --max-states 30 " + kLockOrder + " specs/examples/lost_refcount_fixed.lc").status == 1);
  if (!have_python3()) return;
  json j = parse_junit(s / "j.xml");
  CHECK(j["attrib"]["errors"] == "9");
  CHECK(j["suites"][0]["properties"]["limit"] == "max-states 10");
  CHECK((*find_case(j["suites"][0], "users_balanced"))["error"]["attrib"]["type"] == "inconclusive");
}

TEST_CASE("ci: a model error fails (exit 2) and beats every other failure") {
  Scratch s("error");
  auto r = run_cli("ci " + kError + " " + kUnexpected + " --junit " + (s / "j.xml") + " --sarif " + (s / "s.sarif"));
  INFO(r.out << r.err);
  CHECK(r.status == 2);
  CHECK(r.out.find("ERROR " + kError + ":7:7: model: model error: unknown name 'y'\n") != std::string::npos);
  CHECK(r.out.find("     |       ^\n") != std::string::npos);  // the caret diagnostic
  CHECK(r.out.find("\nfailed: 2 unexpected violations, 1 model error\n7 passed, 3 failed\n") != std::string::npos);
  json sarif = json::parse(lct::slurp(s / "s.sarif"));
  check_sarif_shape(sarif);
  const json* e = find_result(sarif, "model_error");
  REQUIRE(e);
  CHECK((*e)["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == kError);
  CHECK((*e)["locations"][0]["physicalLocation"]["region"]["startLine"] == 7);
  if (!have_python3()) return;
  json j = parse_junit(s / "j.xml");
  REQUIRE(j["suites"].size() == 2);
  CHECK(j["suites"][0]["attrib"]["errors"] == "1");
  const json* c = find_case(j["suites"][0], "model");
  REQUIRE(c);
  CHECK((*c)["error"]["attrib"]["type"] == "model_error");
  CHECK((*c)["error"]["text"].get<std::string>().find("unknown name 'y'") != std::string::npos);
}

TEST_CASE("ci: a lock-order cycle gives a code flow per path") {
  Scratch s("lock_order");
  auto r = run_cli("ci " + kLockOrder + " --sarif " + (s / "s.sarif"));
  CHECK(r.status == 1);
  json sarif = json::parse(lct::slurp(s / "s.sarif"));
  check_sarif_shape(sarif);
  const json* lo = find_result(sarif, "lock_order");
  REQUIRE(lo);
  CHECK((*lo)["locations"][0]["physicalLocation"]["region"]["startLine"] == 17);
  CHECK((*lo)["codeFlows"].size() == 2);
  const json* dl = find_result(sarif, "deadlock");
  REQUIRE(dl);
  CHECK((*dl)["locations"][0]["physicalLocation"]["region"]["startLine"] == 10);  // where probe blocks
}

TEST_CASE("ci: folders are searched recursively and sorted; output does not depend on --jobs") {
  Scratch s("jobs");
  std::string paths = "tests/regress/ci specs/examples";
  auto one = run_cli("ci " + paths + " --jobs 1 --junit " + (s / "1.xml") + " --sarif " + (s / "1.sarif") + " --json " +
                     (s / "1.json"));
  auto three = run_cli("ci specs/examples/ ./tests/regress/ci/ specs/examples/abba_deadlock.lc --jobs 3 --junit " +
                       (s / "3.xml") + " --sarif " + (s / "3.sarif") + " --json " + (s / "3.json"));
  CHECK(one.status == 2);
  CHECK(three.status == 2);
  CHECK(one.out.rfind("lifecheck ci: 10 models, ", 0) == 0);
  CHECK(one.out == three.out);
  CHECK(lct::slurp(s / "1.xml") == lct::slurp(s / "3.xml"));
  CHECK(lct::slurp(s / "1.sarif") == lct::slurp(s / "3.sarif"));
  CHECK(lct::slurp(s / "1.json") == lct::slurp(s / "3.json"));
  // Sorted by path: specs/ before tests/.
  CHECK(one.out.find("specs/examples/wait_forever.lc") < one.out.find("tests/regress/ci/lock_order.lc"));
}

TEST_CASE("ci: usage errors exit 2") {
  CHECK(run_cli("ci").status == 2);
  CHECK(run_cli("ci no/such/dir").status == 2);
  auto none = run_cli("ci cli");
  CHECK(none.status == 2);
  CHECK(none.err.find("no models (*.lc) found") != std::string::npos);
  CHECK(run_cli("ci --jobs 0 specs/examples").status == 2);
  CHECK(run_cli("ci --engine z3 specs/examples").status == 2);
  // The symbolic engine is bounded: a model that holds is inconclusive at its depth (exit 3),
  // a violation within the bound is found as with the explicit engine.
  auto bmc = run_cli("ci --engine bmc --depth 20 specs/examples/use_after_put.lc");
  CHECK(bmc.status == 0);
  auto bounded = run_cli("ci --engine bmc --depth 3 specs/examples/lost_refcount_fixed.lc");
  CHECK(bounded.status == 3);
  // An option the engine does not honour: exit 2 before any model is checked or report written.
  Scratch s("unsupported");
  auto mem = run_cli("ci --engine induction --memory 10 specs/examples --junit " + (s / "j.xml"));
  CHECK(mem.status == 2);
  CHECK(mem.out.empty());
  CHECK(mem.err == "lifecheck: error: --memory is not supported by --engine induction (the Z3 engines do not bound "
                   "their memory yet)\nRun 'lifecheck --help' or 'lifecheck check --help' for usage.\n");
  CHECK(!fs::exists(s / "j.xml"));
  auto unwritable = run_cli("ci specs/examples/abba_deadlock.lc --junit /nonexistent/dir/j.xml");
  CHECK(unwritable.status == 2);
  CHECK(unwritable.err.find("cannot write '/nonexistent/dir/j.xml'") != std::string::npos);
}

TEST_CASE("kernel-ci: checks the models whose functions a patch touches") {
  Scratch s("kernel");
  std::string tree = s / "linux";
  fs::create_directories(tree + "/drivers/misc");
  std::ofstream(tree + "/drivers/misc/dev.c") << "#include <linux/kref.h>\n\n"
                                                 "void dev_put(struct dev *d)\n{\n\tkref_put(&d->kref, dev_release);\n}\n\n"
                                                 "int other_fn(int x)\n{\n\treturn x + 1;\n}\n";
  std::string git = "git -C '" + tree + "' -c user.name=t -c user.email=t@t ";
  REQUIRE(run_sh(git + "init -q && " + git + "add . && " + git + "commit -qm init").status == 0);
  std::string env = "LIFECHECK='" + lct::lifecheck() + "' scripts/kernel-ci '" + tree + "' ";

  // A change inside dev_put(): the hunk header names it.
  REQUIRE(run_sh("sed -i 's/kref_put(/if (d) kref_put(/' '" + tree + "/drivers/misc/dev.c' && " + git + "commit -qam fix")
              .status == 0);
  auto r = run_sh(env + "HEAD~1..HEAD specs/examples");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("kernel-ci: checking specs/examples/use_after_put.lc: it models dev_put (drivers/misc/dev.c)\n") !=
        std::string::npos);
  CHECK(r.out.find("abba_deadlock") == std::string::npos);
  CHECK(r.out.find("\n35 passed, 0 failed\n") != std::string::npos);

  // The same patch against models whose expect lines are wrong: lifecheck ci's status.
  auto bad = run_sh(env + "HEAD~1..HEAD tests/regress/ci -- --jobs 2");
  INFO(bad.out);
  CHECK(bad.status == 1);
  CHECK(bad.out.find("checking tests/regress/ci/unexpected_violation.lc: it models dev_put") != std::string::npos);

  // A change in a function no model declares: nothing to check, exit 0.
  REQUIRE(run_sh("sed -i 's/x + 1/x + 2/' '" + tree + "/drivers/misc/dev.c' && " + git + "commit -qam other").status == 0);
  auto none = run_sh(env + "HEAD~1..HEAD specs/examples");
  INFO(none.out);
  CHECK(none.status == 0);
  CHECK(none.out.find("no model under specs/examples declares a function that HEAD~1..HEAD touches; nothing to check") !=
        std::string::npos);
  CHECK(none.out.find("lifecheck ci:") == std::string::npos);

  // A wider range; the default range is the last commit; a bad tree is a usage error.
  CHECK(run_sh(env + "HEAD~2..HEAD specs/examples").out.find("use_after_put.lc") != std::string::npos);
  auto dflt = run_sh(env);
  CHECK(dflt.status == 0);
  CHECK(dflt.out.find("that HEAD~1..HEAD touches; nothing to check") != std::string::npos);
  CHECK(run_sh("LIFECHECK='" + lct::lifecheck() + "' scripts/kernel-ci '" + s.dir + "/nope'").status == 2);
}
