#include "traces/event.h"

namespace lc::traces {

uint32_t Symbols::intern(std::string_view s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  uint32_t id = uint32_t(names_.size());
  names_.emplace_back(s);
  ids_.emplace(std::string_view(names_.back()), id);
  return id;
}

uint32_t Symbols::find(std::string_view s) const {
  auto it = ids_.find(s);
  return it == ids_.end() ? 0 : it->second;
}

const char* kind_name(EventKind k) {
  switch (k) {
    case EventKind::Entry: return "entry";
    case EventKind::Exit: return "exit";
    case EventKind::Probe: return "probe";
    case EventKind::ReturnProbe: return "return-probe";
    case EventKind::Tracepoint: return "tracepoint";
    case EventKind::Marker: return "marker";
    case EventKind::Lost: return "lost";
  }
  return "?";
}

const Field* find_field(const Event& e, uint32_t name) {
  if (name == 0) return nullptr;
  for (const Field& f : e.fields)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace lc::traces
