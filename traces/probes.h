// kprobe_events definitions ("p:iofd/obj_remove iommufd_object_remove obj=%si users=+4(%si):u32",
// as written to /sys/kernel/tracing/kprobe_events): which function an event probes, whether
// it fires at entry or return, and what each field fetches. The replayer needs them where a
// capture names events but not functions (`trace-cmd report` prints raw addresses) and to
// tell a field of the probed object (`+4(%si)`) from the pointer itself (`%si`).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lc::traces {

struct ProbeArg {
  std::string name;   // the field name in events ("users")
  std::string fetch;  // as written ("+4(%si)", "$retval", "%di")
  // What it reads: an argument register or the return value, possibly through one
  // dereference at `offset` (a field of the object it points to). Anything else (stack,
  // symbols, two dereferences, $comm) is Other.
  enum Base : uint8_t { Arg, Retval, Other } base = Other;
  int arg = 0;         // Arg: 1..6 (x86_64 %di %si %dx %cx %r8 %r9)
  bool deref = false;  // +off(base): a field of the object base points to
  int64_t offset = 0;
  std::string type;  // ":u32", ":x64", "" (the default)
};

struct ProbeDef {
  bool ret = false;          // r: (kretprobe) rather than p:
  std::string group, event;  // "iofd", "obj_remove" (group defaults to "kprobes")
  std::string function;      // the probed symbol ("iommufd_object_remove")
  uint64_t offset = 0;       // SYM+offset
  std::vector<ProbeArg> args;
  std::string file;
  uint32_t line = 0;
  // The field that holds the pointer a dereferencing field reads through (the field whose
  // fetch is exactly its base: "obj" for "users=+4(%si)" when "obj=%si"), or nullptr.
  const ProbeArg* base_of(const ProbeArg& a) const;
};

class ProbeDefs {
 public:
  // Adds the definitions of a kprobe_events file: one per line, '#' comments, blank lines;
  // "-:EVENT" lines are ignored. Throws TraceError (traces/reader.h) at file:line:col on a
  // line that is no probe definition.
  void load(const std::string& path);
  void load_text(const std::string& name, const std::string& text);
  // The definition of an event by name ("obj_remove" or "iofd/obj_remove"), or nullptr.
  const ProbeDef* find(const std::string& event) const;
  const std::vector<ProbeDef>& all() const { return defs_; }
  bool empty() const { return defs_.empty(); }

 private:
  std::vector<ProbeDef> defs_;
  std::map<std::string, size_t> by_name_;  // "event" and "group/event"
};

}  // namespace lc::traces
