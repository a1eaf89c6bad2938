// Event bodies as tracefs text and `trace-cmd report` print them (the text after the
// context columns): function tracer calls, kprobe/kretprobe events with their fields,
// tracepoints (with the lock:* events understood), trace_marker writes.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "traces/event.h"
#include "traces/read_scan.h"

namespace lc::traces {

enum class Flavor : uint8_t {
  Tracefs,  // kprobe "(func+0x0/0x490)", kretprobe "(caller+0x1ba/0x490 <- func)"
  Report,   // kprobe "(ffffffff813d6cf0)", kretprobe "(func_addr <- ret_addr)" in raw hex
};

// Fills the kind-specific members of an Event from a body; the caller has set the context.
class BodyParser {
 public:
  BodyParser(Symbols& syms, Flavor flavor);
  // A tracefs body: "func <-parent", or "name: ..." of an event.
  void tracefs_body(Cursor& c, Event& e);
  // "func[+0x0/0xf0][ [mod]][ <-parent | <-- parent]" -> Entry.
  void function_entry(Cursor& c, Event& e);
  // The body after "name: " of a named event: marker, probe or tracepoint.
  void named_event(Cursor& c, std::string_view name, Event& e);
  // `trace-cmd report` "print:" body ("tracing_mark_write: text") -> Marker.
  void report_print(Cursor& c, Event& e);
  // Whether `rest` (after "name: ") starts a probe location: "(sym+0x", "(ffff...", "(" cut short.
  static bool starts_probe(std::string_view rest);

 private:
  void probe(Cursor& c, Event& e);
  void probe_fields(Cursor& c, Event& e);
  void tracepoint(Cursor& c, Event& e);
  void loose_fields(std::string_view text, Event& e);
  bool lock_event(std::string_view rest, Event& e);
  void add_value(Event& e, uint32_t key, std::string_view value);
  bool scan_number(Cursor& c, Event& e, uint32_t key);
  std::string_view symbol_offset(Cursor& c, uint64_t* offset);

  // The same event repeats with the same field names and probe point: a string compare
  // with its previous line saves a hash lookup per name.
  struct Seen {
    std::string text;
    uint32_t id = 0;
  };
  struct PerName {
    Seen function, parent;
    std::vector<Seen> keys;
  };
  uint32_t cached(Seen& s, std::string_view v) {
    if (s.id && s.text == v) return s.id;
    s.text.assign(v);
    return s.id = syms_.intern(v);
  }
  PerName& per_name(uint32_t name) {  // a map: name ids may be large, there are few names
    if (name != last_name_id_ || !last_per_name_) last_per_name_ = &per_name_[name], last_name_id_ = name;
    return *last_per_name_;
  }
  // Event names alternate line by line: a small direct-mapped cache keyed by a cheap
  // hash of the name finds them without a full hash lookup.
  uint32_t name_id(std::string_view v) {
    size_t h = v.empty() ? 0 : (v.size() * 31 + uint8_t(v[0]) * 7 + uint8_t(v[v.size() / 2]) * 3 + uint8_t(v.back()));
    return cached(names_[h % kNameCache], v);
  }
  static constexpr size_t kNameCache = 256;

  Symbols& syms_;
  Flavor flavor_;
  std::vector<Seen> names_ = std::vector<Seen>(kNameCache);
  std::unordered_map<uint32_t, PerName> per_name_;  // values never move: the pointer below stays valid
  PerName* last_per_name_ = nullptr;
  uint32_t last_name_id_ = 0;
  uint32_t id_lockdep_addr_, id_lock_, id_flags_, id_lock_addr_, id_lock_system_;
  uint32_t id_lock_acquire_, id_lock_acquired_, id_lock_release_, id_lock_contended_;
  uint32_t id_contention_begin_, id_contention_end_;
};

}  // namespace lc::traces
