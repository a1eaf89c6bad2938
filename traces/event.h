// One ftrace event as every reader produces it, whatever the input format (tracefs text,
// `trace-cmd report` text, trace.dat). Strings are interned in the reader's Symbols, so
// an Event is a small value that the hot loop can copy and compare without allocating.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lc::traces {

// Interned strings: function, task, event and field names. Id 0 is the empty string.
class Symbols {
 public:
  Symbols() { intern(""); }
  uint32_t intern(std::string_view s);
  // The id of `s` if it was interned, else 0 (never interns).
  uint32_t find(std::string_view s) const;
  const std::string& str(uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }

 private:
  std::deque<std::string> names_;  // a deque: appending never moves a string, so the views below stay valid
  std::unordered_map<std::string_view, uint32_t> ids_;  // views into names_' own strings
};

enum class EventKind : uint8_t {
  Entry,        // function entry (function tracer; function_graph "f() {" and the entry of a leaf "f();")
  Exit,         // function exit (function_graph "}" and the exit of a leaf "f();")
  Probe,        // kprobe event (p:): `function` + `offset` is the probe point
  ReturnProbe,  // kretprobe event (r:): the return of `function`
  Tracepoint,   // any other event (lock:lock_acquire, sched:..., ...)
  Marker,       // trace_marker write (tracing_mark_write / print)
  Lost,         // "[LOST n EVENTS]": events of `cpu` were dropped just before this point
};
const char* kind_name(EventKind k);

// A named field of a probe or tracepoint ("users=2", "obj=0xffff888100d37400", "ret=-16").
struct Field {
  uint32_t name = 0;     // Symbols id
  bool numeric = false;  // the value parsed as an integer (decimal, 0x hex, negative)
  int64_t value = 0;     // two's complement bits (0xffff888100d37400 is negative here)
  uint32_t text = 0;     // Symbols id of the raw text when !numeric ("\"abc\"", "{1,2}", "(fault)")
};

struct Event {
  EventKind kind = EventKind::Entry;
  uint64_t ts_ns = 0;  // timestamp in nanoseconds (µs-precision text gives multiples of 1000)
  bool has_ts = true;  // false: the format had no timestamp column (function_graph without abstime)
  int32_t cpu = -1;
  int32_t pid = -1;       // -1 unknown (function_graph without funcgraph-proc before any banner)
  int32_t tgid = -1;      // thread group (process) id when the format shows it (options/record-tgid), else -1
  uint32_t comm = 0;      // task name as printed (kernel truncates to 15 chars)
  uint32_t function = 0;  // Entry/Exit/Probe/ReturnProbe: the function as named, clone suffix kept
                          // ("iommufd_device_change_pt.constprop.0"); 0 when only an address is known
  uint64_t address = 0;   // Probe/ReturnProbe: the raw probe address when the line gave only hex
                          // (trace-cmd report); trace.dat sets it too (__probe_ip, __probe_func)
  uint64_t offset = 0;    // Probe: offset of the probe point in `function` (0 = its entry)
  uint32_t parent = 0;    // Entry: the caller (function tracer "<-parent"); ReturnProbe: the return
                          // site ("misc_open+0xd1/0x110", "[unknown/kretprobe'd]")
  uint32_t system = 0;    // Probe/ReturnProbe/Tracepoint: event group when known ("iofd", "lock")
  uint32_t name = 0;      // Probe/ReturnProbe/Tracepoint: event name ("obj_alloc_ret", "lock_acquire")
  std::vector<Field> fields;
  bool has_retval = false;  // Exit: the format showed a return value ("/* = -16 */", "} /* f = 0x0 */")
  int64_t retval = 0;
  int32_t depth = -1;  // function_graph call depth when the format gives it (0 = outermost)
  uint64_t lost = 0;   // Lost: the number of events dropped (0 if the format does not say)
  uint32_t text = 0;   // Marker: the message; Tracepoint: the text after "name: "
  uint32_t line = 0;   // text formats: 1-based line in the file; trace.dat: 1-based record index
};

// The field named `name` (a Symbols id), or nullptr.
const Field* find_field(const Event& e, uint32_t name);

}  // namespace lc::traces
