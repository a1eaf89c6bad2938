// lifecheck trace-setup: the script names every function the captures show of the model's
// and every probe field the replay compares, with the status table's clones and warnings.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <unistd.h>
#include <sstream>

#include "../support.h"
#include "traces/observe.h"
#include "traces/reader.h"

namespace {

const std::string kModel = "specs/iommufd/core-6.12.lc";
const std::string kShared = "../shared/traces/";

struct Script {
  std::set<std::string> functions;          // set_ftrace_filter, clone suffixes stripped
  std::map<std::string, std::string> probes;  // "p:iommufd_get_object" -> its fetch arguments
};

Script parse(const std::string& out) {
  Script s;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    const std::string filt = " >> $T/set_ftrace_filter";
    if (l.rfind("echo ", 0) == 0 && l.size() > filt.size() && l.substr(l.size() - filt.size()) == filt)
      s.functions.insert(lc::traces::base_function(l.substr(5, l.size() - 5 - filt.size())));
    if (l.rfind("echo '", 0) == 0 && l.find("' >> $T/kprobe_events") != std::string::npos) {
      std::string def = l.substr(6, l.find("' >>") - 6);  // "p:lifecheck/NAME SYMBOL args"
      std::string kind = def.substr(0, 1), name = def.substr(def.find('/') + 1, def.find(' ') - def.find('/') - 1);
      if (kind == "r") name = name.substr(0, name.size() - 4);  // NAME_ret
      std::string rest = def.substr(def.find(' ') + 1);
      s.probes[kind + ":" + name] = rest.substr(rest.find(' ') == std::string::npos ? rest.size() : rest.find(' '));
    }
  }
  return s;
}

}  // namespace

TEST_CASE("trace-setup: the script covers every function and compared probe field of the captures", "[traces]") {
  auto r = lct::run_cli("trace-setup " + kModel + " --functions " + kShared + "iommufd_functions_status.tsv");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find("lifecheck: warning: iommufd_put_object cannot be traced in this build "
                   "(ABSENT(inlined/optimized-out))") != std::string::npos);
  CHECK(r.out.find("echo iommufd_device_change_pt.constprop.0 >> $T/set_ftrace_filter\n") != std::string::npos);
  CHECK(r.out.find("echo iommufd_put_object") == std::string::npos);
  CHECK(r.out.find("echo some_error") == std::string::npos);  // a model helper, not in the table
  CHECK(r.out.find("Writing 1 to tracing_on resets the function tracer's buffer") != std::string::npos);
  CHECK(r.out.find("> $T/trace_marker\nstatus=0\n\"$@\" || status=$?\necho \"END") != std::string::npos);
  CHECK(r.out.find("#   trace-cmd record -p function -l _iommufd_object_alloc") != std::string::npos);
  CHECK(r.out.find("# note: fetch arguments use PRIVOFF") != std::string::npos);
  Script s = parse(r.out);
  // Fetches follow the x86_64 registers by position, the arg rules and the offset rules.
  CHECK(s.probes["p:iommufd_object_finalize"] ==
        " ictx=%di obj=%si type=+8(%si):u32 id=+12(%si):u32 users=+4(%si):u32 shortterm=+0(%si):u32");
  CHECK(s.probes["p:iommufd_destroy"] == " ictx=+0(%di) id=+4(+24(%di)):u32");
  CHECK(s.probes["r:_iommufd_object_alloc"] ==
        " obj=$retval:x64 type=+8($retval):u32 id=+12($retval):u32 users=+4($retval):u32 shortterm=+0($retval):u32");

  for (const char* cap : {"iommufd-func_small.trace.txt", "iommufd-graph_small.trace.txt", "iommufd-kprobe_small.trace.txt",
                          "iommufd-lock_kprobe_small.trace.txt"}) {
    INFO(cap);
    auto rp = lct::run_cli("replay " + kModel + " " + kShared + cap + " --probes " + kShared + "kprobes.txt --format json");
    REQUIRE(rp.status == 0);
    auto j = nlohmann::json::parse(rp.out)["replays"][0];
    std::set<std::string> observed, skipped;
    for (const auto& f : j["observed_functions"]) observed.insert(f["function"].get<std::string>());
    for (const auto& [k, v] : j["skipped"]["fields"].items()) skipped.insert(k);
    for (const auto& f : observed) CHECK(s.functions.count(f));
    auto rd = lc::traces::open_trace(lct::src(kShared + cap));
    lc::traces::Event e;
    int fields = 0;
    while (rd->next(e)) {
      bool probe = e.kind == lc::traces::EventKind::Probe, ret = e.kind == lc::traces::EventKind::ReturnProbe;
      if ((!probe && !ret) || !e.function) continue;
      std::string fn = lc::traces::base_function(rd->symbols().str(e.function));
      if (!observed.count(fn)) continue;
      for (const auto& f : e.fields) {
        std::string name = rd->symbols().str(f.name);
        if (skipped.count(rd->symbols().str(e.name) + "." + name)) continue;  // compared with nothing
        INFO(fn << " " << name);
        ++fields;
        CHECK(s.probes[(probe ? "p:" : "r:") + fn].find(" " + name + "=") != std::string::npos);
      }
    }
    if (std::string(cap).find("kprobe") != std::string::npos) CHECK(fields > 100);
  }
}

TEST_CASE("trace-setup: a bad status table or --define is exit 2 with the place", "[traces]") {
  std::string bad = std::string(LC_BINARY_DIR) + "/setup_test_status_" + std::to_string(getpid()) + ".tsv";
  {
    std::ofstream(bad) << "file\tline\tfunction\tqualifiers\tstatus_in_this_kernel\nmain.c\t12\tfoo\n";
  }
  auto r = lct::run_cli("trace-setup " + kModel + " --functions " + bad);
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find(bad + ":2:1: error: expected 5 tab-separated columns") != std::string::npos);
  auto def = lct::run_cli("trace-setup " + kModel + " --define PRIVOFF");
  CHECK(def.status == 2);
  CHECK(def.err == "lifecheck: error: --define takes NAME=VALUE, not 'PRIVOFF'\n");
  auto grp = lct::run_cli("trace-setup " + kModel + " --group 'a b'");
  CHECK(grp.status == 2);
  CHECK(grp.err == "lifecheck: error: --group takes a C identifier (letters, digits, _), not 'a b'\n");
  std::remove(bad.c_str());
  auto dir = lct::run_cli("trace-setup " + kModel + " --functions tests");
  CHECK(dir.status == 2);
}
