#include "traces/setup.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "traces/reader.h"

namespace lc::traces {

void FunctionStatus::load(const std::string& path) {
  file = path;
  std::ifstream in(path);
  if (!in) throw TraceError(path, 0, 0, "cannot open the function status table");
  std::string line;
  for (uint32_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, '\t');) cols.push_back(c);
    if (n == 1 && !cols.empty() && cols[0] == "file") continue;  // the header row
    if (cols.size() < 5 || cols[2].empty())
      throw TraceError(path, n, 1, "expected 5 tab-separated columns (file, line, function, qualifiers, status)", line);
    status[cols[2]] = cols[4];
  }
}

bool FunctionStatus::absent(const std::string& fn) const {
  auto it = status.find(fn);
  return it != status.end() && it->second.rfind("traceable", 0) != 0;
}

std::string FunctionStatus::symbol(const std::string& fn) const {
  auto it = status.find(fn);
  const std::string as = "traceable-as:";
  if (it != status.end() && it->second.rfind(as, 0) == 0 && it->second.size() > as.size()) return it->second.substr(as.size());
  return fn;
}

namespace {

const char* const kRegs[] = {"%di", "%si", "%dx", "%cx", "%r8", "%r9"};  // x86_64 arguments 1..6

// The kprobe type of a model value: pointers print as hex (the default), ints by sign.
std::string type_of(const ir::FnSig::Value& v) {
  if (v.type == ir::Type::Ptr) return "";
  if (v.type == ir::Type::Bool) return ":u8";
  return v.lo < 0 ? ":s32" : ":u32";
}
std::string type_of_field(const ir::Field& f) { return f.type == ir::Type::Bool ? ":u8" : ":u32"; }

// A fetch argument without its type ("+0(%si):u32" -> "+0(%si)"), to dereference it further.
std::string untyped(const std::string& fetch) {
  size_t colon = fetch.rfind(':');
  return colon == std::string::npos || fetch.find(')', colon) != std::string::npos ? fetch : fetch.substr(0, colon);
}

// Replaces the --define names in a fetch argument; collects the upper-case names left.
std::string substitute(std::string fetch, const std::map<std::string, std::string>& define,
                       std::set<std::string>* left) {
  std::string out;
  for (size_t i = 0; i < fetch.size();) {
    if (std::isupper(static_cast<unsigned char>(fetch[i]))) {
      size_t j = i;
      while (j < fetch.size() && (std::isupper(static_cast<unsigned char>(fetch[j])) || std::isdigit(static_cast<unsigned char>(fetch[j])) || fetch[j] == '_')) ++j;
      std::string name = fetch.substr(i, j - i);
      auto it = define.find(name);
      if (it != define.end()) out += it->second;
      else {
        out += name;
        left->insert(name);
      }
      i = j;
    } else {
      out += fetch[i++];
    }
  }
  return out;
}

struct Planner {
  const ir::Program& p;
  const SetupOptions& o;
  Setup s;
  std::map<std::string, int64_t> offsets;
  std::set<std::string> placeholders;

  std::string kernel_name(size_t f) const {
    return f < p.trace_map.kernel.size() && !p.trace_map.kernel[f].empty() ? p.trace_map.kernel[f] : p.fns[f];
  }
  bool silent(size_t f) const { return f < p.trace_map.silent.size() && p.trace_map.silent[f]; }
  const std::string* arg_rule(size_t f, size_t param) const {
    for (const auto& a : p.trace_map.args)
      if (size_t(a.fn) == f && size_t(a.param) == param) return &a.fetch;
    return nullptr;
  }
  std::string result_name(size_t f) const {
    for (const auto& [fn, name] : p.trace_map.results)
      if (size_t(fn) == f) return name;
    return "ret";
  }

  // "name=+OFF(base):type" for each scalar field of kind `kind` with an offset rule.
  void object_fields(int kind, const std::string& base, std::set<std::string>& used, std::string& line) const {
    if (kind < 0) return;
    for (const auto& fld : p.kinds[size_t(kind)].fields) {
      if ((fld.type != ir::Type::Int && fld.type != ir::Type::Bool) || fld.len > 0) continue;
      auto off = offsets.find(fld.name);
      if (off == offsets.end() || !used.insert(fld.name).second) continue;
      line += " " + fld.name + "=+" + std::to_string(off->second) + "(" + base + ")" + type_of_field(fld);
    }
  }

  void probes_of(size_t f, const std::string& k, const std::string& sym) {
    const ir::FnSig& sig = p.sigs[f];
    std::string entry, ret;
    std::set<std::string> used;
    for (const auto& prm : sig.params) used.insert(prm.name);  // a parameter's name beats a field's
    std::vector<std::pair<const ir::FnSig::Value*, std::string>> fetched;
    for (size_t i = 0; i < sig.params.size(); ++i) {
      const auto& prm = sig.params[i];
      std::string fetch;
      if (const std::string* r = arg_rule(f, i)) {
        if (r->empty()) continue;  // the model says: not fetched
        fetch = substitute(*r, o.define, &placeholders);
      } else if (i < std::size(kRegs)) {
        fetch = std::string(kRegs[i]) + type_of(prm);
      } else {
        s.notes.push_back(k + ": parameter " + prm.name + " is not in a register (argument " + std::to_string(i + 1) +
                          "): give it an arg rule");
        continue;
      }
      entry += " " + prm.name + "=" + fetch;
      fetched.push_back({&prm, untyped(fetch)});
    }
    for (const auto& [prm, base] : fetched)
      if (prm->type == ir::Type::Ptr) object_fields(prm->kind, base, used, entry);
    if (!entry.empty()) s.probes.push_back("p:" + o.group + "/" + k + " " + sym + entry);
    if (sig.has_result) {
      std::string name = result_name(f);
      ret = " " + name + "=$retval" + (sig.result.type == ir::Type::Ptr ? ":x64" : type_of(sig.result));
      std::set<std::string> rused = {name};
      if (sig.result.type == ir::Type::Ptr) object_fields(sig.result.kind, "$retval", rused, ret);
      s.probes.push_back("r:" + o.group + "/" + k + "_ret " + sym + ret);
    }
  }

  Setup run() {
    for (const auto& [name, off] : p.trace_map.offsets) offsets[name] = off;
    std::set<std::string> done, absent, unknown;
    // A kernel function several model functions stand for takes the probes of the one
    // with its own name, or else the first.
    std::map<std::string, size_t> owner;
    for (size_t f = 0; f < p.fns.size(); ++f) {
      if (silent(f)) continue;
      std::string k = kernel_name(f);
      auto it = owner.find(k);
      if (it == owner.end() || (p.fns[f] == k && p.fns[it->second] != k)) owner[k] = f;
    }
    for (const auto& [k, f] : owner) {
      if (o.status && o.status->absent(k)) {
        absent.insert(k);
        continue;
      }
      if (o.status && !o.status->status.count(k)) {
        unknown.insert(k);
        continue;
      }
      std::string sym = o.status ? o.status->symbol(k) : k;
      s.functions.push_back(sym);
      probes_of(f, k, sym);
    }
    for (const auto& k : absent)
      s.warnings.push_back(k + " cannot be traced in this build (" + o.status->status.at(k) +
                           "): it never appears in a capture, and replay runs the model's " + k + " as silent steps");
    if (!unknown.empty()) {
      std::string names;
      for (const auto& k : unknown) names += (names.empty() ? "" : ", ") + k;
      s.notes.push_back("not in " + o.status->file + ", so not traced (the model's own helpers, or kernel functions " +
                        "the table does not list): " + names);
    }
    if (!o.status)
      s.notes.push_back("every model function is taken for a traceable kernel function: give the build's status table "
                        "(--functions) to leave out inlined ones and the model's helpers");
    for (const auto& n : placeholders)
      s.notes.push_back("fetch arguments use " + n + ", a constant of the traced kernel: give its value with --define " +
                        n + "=N (the model's trace section says what it is)");
    return std::move(s);
  }
};

}  // namespace

Setup plan_setup(const ir::Program& p, const SetupOptions& o) { return Planner{p, o, {}, {}, {}}.run(); }

std::string render_setup(const ir::Program& p, const Setup& s, const SetupOptions& o, const std::string& model_path) {
  std::ostringstream out;
  const std::string& g = o.group;
  out << "#!/bin/sh\n"
      << "# lifecheck trace-setup " << model_path << ": tracefs commands for a capture that\n"
      << "#   lifecheck replay " << model_path << " CAPTURE --probes CAPTURE.probes\n"
      << "# can replay (model " << p.name << "): " << s.functions.size() << " functions, " << s.probes.size()
      << " probes.\n"
      << "# Run as root: sh THIS_SCRIPT WORKLOAD [ARGS...]; the capture goes to ${CAPTURE:-capture.txt}.\n";
  for (const auto& w : s.warnings) out << "# warning: " << w << "\n";
  for (const auto& n : s.notes) out << "# note: " << n << "\n";
  out << "set -e\n"
      << "T=/sys/kernel/tracing\n"
      << "[ -e $T/trace ] || T=/sys/kernel/debug/tracing\n"
      << "CAPTURE=${CAPTURE:-capture.txt}\n"
      << "echo 0 > $T/tracing_on\n"
      << "echo nop > $T/current_tracer\n"
      << "echo > $T/trace\n"
      << "# The function tracer, on the model's traced functions only (their entries).\n"
      << "echo > $T/set_ftrace_filter\n";
  for (const auto& f : s.functions) out << "echo " << f << " >> $T/set_ftrace_filter\n";
  out << "# Probes for what the model compares: parameters (x86_64 %di %si %dx %cx %r8 %r9, or the\n"
      << "# model's arg rules), fields of the objects they point to (offset rules), results.\n"
      << "[ -d $T/events/" << g << " ] && echo 0 > $T/events/" << g << "/enable\n"
      << "grep -q '^[pr]:" << g << "/' $T/kprobe_events && sed -n 's/^[pr]:\\(" << g
      << "\\/[^ ]*\\).*/-:\\1/p' $T/kprobe_events >> $T/kprobe_events\n";
  for (const auto& pr : s.probes) out << "echo '" << pr << "' >> $T/kprobe_events\n";
  if (!s.probes.empty()) out << "echo 1 > $T/events/" << g << "/enable\n";
  out << "cat $T/kprobe_events > \"$CAPTURE.probes\"\n"
      << "echo function > $T/current_tracer\n"
      << "# Writing 1 to tracing_on resets the function tracer's buffer: switch tracing on once,\n"
      << "# here, and read the capture only after the END marker.\n"
      << "echo 1 > $T/tracing_on\n"
      << "echo \"BEGIN capture=$CAPTURE cmd=$*\" > $T/trace_marker\n"
      << "status=0\n"
      << "\"$@\" || status=$?\n"
      << "echo \"END capture=$CAPTURE status=$status\" > $T/trace_marker\n"
      << "echo 0 > $T/tracing_on\n"
      << "cat $T/trace > \"$CAPTURE\"\n";
  if (!s.probes.empty()) out << "echo 0 > $T/events/" << g << "/enable\n";
  out << "echo nop > $T/current_tracer\n"
      << "exit $status\n"
      << "#\n"
      << "# The same with trace-cmd (write the kprobe_events lines above first):\n"
      << "#   trace-cmd record -p function";
  for (const auto& f : s.functions) out << " -l " << f;
  if (!s.probes.empty()) out << " -e " << g;
  out << " -o capture.dat WORKLOAD\n"
      << "#   lifecheck replay " << model_path << " capture.dat --probes capture.probes\n";
  return out.str();
}

}  // namespace lc::traces
