// `lifecheck trace-setup`: the tracefs commands that capture a run this model can replay.
// The function tracer filtered to the model's traced functions (entries), and kprobes for
// what the model compares: the parameters (x86_64 argument registers by position, or the
// model's `arg` rule), the scalar fields of the objects they point to (the `offset` rules),
// and the results with the fields of the objects they return. Functions the build's status
// table lists as absent (inlined) are left out with a warning: the model runs them silently.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "model/ir.h"

namespace lc::traces {

// iommufd_functions_status.tsv: file, line, function, qualifiers, status ("traceable",
// "ABSENT(inlined/optimized-out)", ...). Throws TraceError (file:line) on a malformed row.
struct FunctionStatus {
  std::map<std::string, std::string> status;  // function -> status
  std::string file;
  void load(const std::string& path);
  // Known and not traceable in this build.
  bool absent(const std::string& fn) const;
  // The symbol ftrace knows `fn` by: "traceable-as:iommufd_device_change_pt.constprop.0"
  // names a compiler clone; else `fn` itself.
  std::string symbol(const std::string& fn) const;
};

struct SetupOptions {
  const FunctionStatus* status = nullptr;     // none: every function is taken as traceable
  std::map<std::string, std::string> define;  // NAME -> text substituted in fetch arguments (PRIVOFF=200)
  std::string group = "lifecheck";            // the kprobe event group
};

struct Setup {
  std::vector<std::string> functions;  // set_ftrace_filter, sorted
  std::vector<std::string> probes;     // kprobe_events lines
  std::vector<std::string> warnings;   // "iommufd_put_object is absent in this build (...)"
  std::vector<std::string> notes;      // placeholders left in fetch arguments, skipped parameters
};

// What to trace for `p` (its trace section: kernel names, silent functions, arg and
// offset rules, result field names).
Setup plan_setup(const ir::Program& p, const SetupOptions& o);
// The shell script (sh, as root): set up, run "$@" between BEGIN and END markers, save the
// capture; then the trace-cmd equivalent as comments.
std::string render_setup(const ir::Program& p, const Setup& s, const SetupOptions& o, const std::string& model_path);

}  // namespace lc::traces
