#include "checker/trace.h"

#include <cstring>
#include <functional>

namespace lc {
namespace {

// Records the successors of one state with their details, to pick one.
struct Recorder : StepSink {
  size_t size;
  std::function<bool(const uint8_t*, const StepInfo&)> want;
  bool found = false;
  TraceStep step;
  void successor(const uint8_t* next, const StepInfo& info) override {
    if (found || !want(next, info)) return;
    found = true;
    step.thread = info.thread;
    if (info.acts) step.acts = *info.acts;
    if (info.events) step.events = *info.events;
    step.after.assign(next, next + size);
    if (info.violation) step.violation = *info.violation;
  }
};

}  // namespace

bool rebuild_trace(const Machine& m, const std::vector<std::vector<uint8_t>>& path, int last_ordinal, Trace* out,
                   bool from_initial) {
  size_t n = m.state_size();
  out->steps.clear();
  if (path.empty()) {  // the violating step is the init block itself
    Recorder r;
    r.size = n;
    r.want = [&](const uint8_t*, const StepInfo& info) { return info.ordinal == last_ordinal; };
    m.initial(r, true);
    out->start.assign(n, 0);
    if (!r.found) return false;
    out->steps.push_back(r.step);
    return true;
  }
  // The first state is an initial state: when the model has init, show that step.
  if (from_initial && m.program().init_tmpl >= 0) {
    Recorder r;
    r.size = n;
    r.want = [&](const uint8_t* s, const StepInfo& info) {
      return memcmp(s, path[0].data(), n) == 0 && !(info.violation && info.violation->fatal());
    };
    m.initial(r, true);
    if (!r.found) return false;
    out->steps.push_back(r.step);
  }
  out->start = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    Recorder r;
    r.size = n;
    r.want = [&](const uint8_t* s, const StepInfo& info) {
      return memcmp(s, path[i].data(), n) == 0 && !(info.violation && info.violation->fatal());
    };
    m.successors(path[i - 1].data(), r, true);
    if (!r.found) return false;
    out->steps.push_back(r.step);
  }
  if (last_ordinal >= 0) {
    Recorder r;
    r.size = n;
    r.want = [&](const uint8_t*, const StepInfo& info) { return info.ordinal == last_ordinal; };
    m.successors(path.back().data(), r, true);
    if (!r.found) return false;
    out->steps.push_back(r.step);
  }
  return true;
}

bool append_acquisition(const Machine& m, Trace* t, int thread, int lock) {
  Recorder r;
  r.size = m.state_size();
  r.want = [&](const uint8_t*, const StepInfo& info) {
    if (info.thread != thread || !info.events) return false;
    for (const Event& e : *info.events)
      if (e.kind == Event::Lock && e.value == lock) return true;
    return false;
  };
  if (t->steps.empty() && t->start.empty()) {  // the acquisition is in the init block
    t->start.assign(m.state_size(), 0);
    m.initial(r, true);
  } else {
    m.successors((t->steps.empty() ? t->start : t->steps.back().after).data(), r, true);
  }
  if (!r.found) return false;
  t->steps.push_back(r.step);
  return true;
}

}  // namespace lc
