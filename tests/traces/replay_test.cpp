// lifecheck replay on the real captures and on mutated copies of them: the verdict, the
// observation and line where a capture is rejected, what the model could do instead, and
// the diagnostics of broken files, pinned as data (tests/regress/replay/*.expect).
#include <catch2/catch.hpp>

#include <sstream>

#include "../support.h"

namespace {

const std::string kModel = "specs/iommufd/core-6.12.lc";
const std::string kDir = "tests/regress/replay/";

// NAME.expect: "exit N", then lines the run prints, each exactly ("out ..." on stdout,
// "err ..." on stderr), in order. The model is core-6.12 unless NAME.lc is given.
void check_fixture(const std::string& name, const std::string& model = kModel) {
  INFO(name);
  std::istringstream ex(lct::slurp(lct::src(kDir + name + ".expect")));
  std::string first;
  std::getline(ex, first);
  REQUIRE(first.rfind("exit ", 0) == 0);
  auto r = lct::run_cli("replay " + model + " " + kDir + name + ".txt --probes " + kDir + "probes.txt");
  INFO(r.out << r.err);
  CHECK(r.status == std::stoi(first.substr(5)));
  size_t out_at = 0, err_at = 0;
  for (std::string l; std::getline(ex, l);) {
    bool out = l.rfind("out ", 0) == 0;
    REQUIRE((out || l.rfind("err ", 0) == 0));
    const std::string& text = out ? r.out : r.err;
    size_t& at = out ? out_at : err_at;
    std::string want = l.substr(4) + "\n";
    size_t p = text.find(want, at);
    INFO(want);
    CHECK(p != std::string::npos);
    if (p != std::string::npos) at = p + want.size();
  }
}

}  // namespace

TEST_CASE("replay: the small captures are behaviours of core-6.12, with every property holding", "[traces]") {
  for (const char* n : {"kprobe_small", "func_small"}) check_fixture(n);
}

TEST_CASE("replay: a mutated capture is rejected at its event, with what the model could do instead", "[traces]") {
  for (const char* n : {"reject_moved_task", "reject_dropped_destroy", "reject_duplicate", "reject_refcount",
                        "reject_wild_pointer", "reject_func_dropped"})
    check_fixture(n);
}

TEST_CASE("replay: a capture the model explains only through a violation is VIOLATED, with the race diagram",
          "[traces]") {
  // Every behaviour of violated_uaf.lc that matches the capture touches the object after
  // the release the capture shows; only the exact tier can tell (the others stop the
  // owner's thread once its task is done).
  check_fixture("violated_uaf", kDir + "violated_uaf.lc");
}

TEST_CASE("replay: an invariant broken along every matching behaviour is VIOLATED, even by a thread-local step",
          "[traces]") {
  check_fixture("violated_invariant", kDir + "violated_invariant.lc");
}

TEST_CASE("replay: a limit hit is INCONCLUSIVE, exit 3, saying which limit and how far it got", "[traces]") {
  auto r = lct::run_cli("replay " + kModel + " " + kDir + "func_small.txt --max-states 20");
  CHECK(r.status == 3);
  CHECK(r.out.find("  result: INCONCLUSIVE: limit hit (max-states 20 (between observations 7 and 8) after 7 of 110 "
                   "observations)\n") != std::string::npos);
  auto j = lct::run_cli("replay " + kModel + " " + kDir + "func_small.txt --max-states 20 --format json");
  CHECK(j.status == 3);
  CHECK(j.out.find("\"limit\": \"max-states 20 (between observations 7 and 8)") != std::string::npos);
  CHECK(j.out.find("\"result\": \"inconclusive\"") != std::string::npos);
}

TEST_CASE("replay: a truncated or garbled capture is an error at file:line:col, exit 2", "[traces]") {
  for (const char* n : {"error_truncated", "error_garbled"}) check_fixture(n);
}

namespace {

const char* const kShared = "../shared/traces/";

// The result line of `lifecheck replay` on a capture, without the capture's name.
std::string result_of(const std::string& capture, std::string* out = nullptr) {
  auto r = lct::run_cli("replay " + kModel + " " + kShared + capture + " --probes " + kShared + "kprobes.txt");
  INFO(capture << "\n" << r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  size_t b = r.out.find("  result: ");
  REQUIRE(b != std::string::npos);
  if (out) *out = r.out;
  return r.out.substr(b, r.out.find('\n', b) - b);
}

}  // namespace

TEST_CASE("replay: every real capture is accepted by core-6.12 in every format it comes in", "[traces]") {
  // The same run as trace-cmd report text, trace.dat v7 (zstd) and v6 gives the same result.
  // Not always the same behaviour: the report's timestamps are rounded to microseconds, so
  // events close together on two CPUs may match in another order, with other silent steps.
  auto verdict = [](const std::string& result) { return result.substr(0, result.find(" matched, ")); };
  for (const char* run : {"func_small", "graphfilt_small", "kprobe_small"}) {
    std::string base = std::string("iommufd-") + run;
    std::string report = result_of(base + ".report.txt");
    CHECK(report.find("result: ACCEPTED") != std::string::npos);
    CHECK(verdict(result_of(base + ".dat")) == verdict(report));
    CHECK(verdict(result_of(base + ".v6.dat")) == verdict(report));
    CHECK(result_of(base + ".v6.dat") == result_of(base + ".dat"));
  }
  // The tracefs text captures (their own runs of the same tests).
  for (const char* f : {"iommufd-func_small.trace.txt", "iommufd-func_small_symoff.trace.txt", "iommufd-graph_small.trace.txt",
                        "iommufd-kprobe_small.trace.txt", "iommufd-lock_kprobe_small.trace.txt"})
    CHECK(result_of(f).find("result: ACCEPTED") != std::string::npos);
  // The function tracer with and without sym-offset is the same capture.
  CHECK(result_of("iommufd-func_small_symoff.trace.txt") == result_of("iommufd-func_small.trace.txt"));
}

TEST_CASE("replay: the fault-injection sweep (51,430 events, every error path) is accepted", "[traces]") {
  std::string out;
  std::string res = result_of("iommufd-failnth.trace.txt.gz", &out);
  CHECK(res == "  result: ACCEPTED: the model matches every observation (51,428 matched, " +
                   res.substr(res.find("matched, ") + 9));
  CHECK(out.find("  tasks: 7 (") != std::string::npos);
  CHECK(out.find("    no_warn              holds\n") != std::string::npos);
}
