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

namespace {

struct Single {
  int thread;
  std::vector<uint8_t> next;
  bool goes_on;  // the merged step continues after this one
};

// The non-fatal single steps from `s` (of `thread` only, if >= 0).
std::vector<Single> single_steps(const Machine& m, const ir::Merging& mg, const uint8_t* s, int thread) {
  struct Sink : StepSink {
    const Machine* m;
    const ir::Merging* mg;
    int thread;
    std::vector<Single> out;
    void successor(const uint8_t* next, const StepInfo& info) override {
      if ((thread >= 0 && info.thread != thread) || (info.violation && info.violation->fatal())) return;
      if (info.thread >= m->threads()) return;  // the init block: not a step of a path
      int tmpl = m->program().threads[info.thread].tmpl;
      bool on = mg->continues(tmpl, m->pc(next, info.thread));
      out.push_back({info.thread, std::vector<uint8_t>(next, next + m->state_size()), on});
    }
  } sink;
  sink.m = &m;
  sink.mg = &mg;
  sink.thread = thread;
  m.successors(s, sink);
  return std::move(sink.out);
}

// The single steps of one merged step from `s` to `to` (by `thread`, if >= 0), appended to
// `out`. Thread-local steps are deterministic, so this follows one run per first step.
bool merged_step(const Machine& m, const ir::Merging& mg, const uint8_t* s, const std::vector<uint8_t>& to, int thread,
                 std::vector<std::vector<uint8_t>>* out) {
  auto steps = single_steps(m, mg, s, thread);
  for (auto& st : steps)
    if (st.next == to) {
      out->push_back(std::move(st.next));
      return true;
    }
  for (auto& st : steps) {
    if (!st.goes_on) continue;
    size_t mark = out->size();
    out->push_back(st.next);
    if (merged_step(m, mg, st.next.data(), to, st.thread, out)) return true;
    out->resize(mark);
  }
  return false;
}

}  // namespace

bool unmerge(const Machine& m, const ir::Merging& mg, std::vector<std::vector<uint8_t>>* path) {
  if (path->empty()) return true;
  std::vector<std::vector<uint8_t>> out = {(*path)[0]};
  for (size_t i = 1; i < path->size(); ++i)
    if (!merged_step(m, mg, out.back().data(), (*path)[i], -1, &out)) return false;
  *path = std::move(out);
  return true;
}

std::vector<std::vector<std::vector<uint8_t>>> merged_prefixes(const Machine& m, const ir::Merging& mg, const uint8_t* s) {
  std::vector<std::vector<std::vector<uint8_t>>> out;
  for (auto& first : single_steps(m, mg, s, -1)) {
    std::vector<std::vector<uint8_t>> run;
    Single st = std::move(first);
    while (st.goes_on) {
      run.push_back(st.next);
      out.push_back(run);
      auto next = single_steps(m, mg, st.next.data(), st.thread);
      if (next.size() != 1) break;  // a thread-local statement has one outcome (model/merge.h)
      st = std::move(next[0]);
    }
  }
  return out;
}

std::vector<std::vector<uint8_t>> entry_run(const Machine& m, const ir::Merging& mg, const uint8_t* s, int thread) {
  const auto& th = m.program().threads[thread];
  int entry = m.program().tmpls[th.tmpl].entry;
  if (m.pc(s, thread) != entry || !mg.local[th.tmpl][entry]) return {};
  struct Sink : StepSink {
    int thread;
    size_t n;
    int count = 0;
    bool violation = false;
    std::vector<uint8_t> next;
    void successor(const uint8_t* s, const StepInfo& i) override {
      if (i.thread != thread) return;
      ++count;
      violation = violation || i.violation;
      next.assign(s, s + n);
    }
    void state_violation(const Violation&) override { violation = true; }
    void model_error(Span, const std::string&) override { violation = true; }
  };
  std::vector<std::vector<uint8_t>> run;
  const uint8_t* at = s;
  for (;;) {
    Sink sink;
    sink.thread = thread;
    sink.n = m.state_size();
    m.successors(at, sink);
    if (sink.count != 1 || sink.violation) return {};
    run.push_back(std::move(sink.next));
    at = run.back().data();
    if (!mg.continues(th.tmpl, m.pc(at, thread))) return run;
  }
}

}  // namespace lc
