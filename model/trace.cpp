#include "model/trace.h"

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

// What each step matched of a capture, when the Machine runs with a monitor.
void note_observed(const Machine& m, Trace* t) {
  if (!m.monitor()) return;
  const std::vector<uint8_t>* before = &t->start;
  for (auto& st : t->steps) {
    if (before->size() == m.state_size()) st.observed = m.monitor()->matched(m, before->data(), st.after.data());
    before = &st.after;
  }
}

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
  note_observed(m, out);
  return true;
}

bool record_step(const Machine& m, const uint8_t* from, int ordinal, TraceStep* out) {
  Recorder r;
  r.size = m.state_size();
  r.want = [&](const uint8_t*, const StepInfo& info) { return info.ordinal == ordinal; };
  m.successors(from, r, true);
  if (!r.found) return false;
  *out = std::move(r.step);
  if (m.monitor()) out->observed = m.monitor()->matched(m, from, out->after.data());
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

std::vector<SingleStep> single_steps(const Machine& m, const uint8_t* s, int thread, StepSink* events) {
  struct Sink : StepSink {
    const Machine* m;
    int thread;
    StepSink* events;
    std::vector<SingleStep> out;
    void successor(const uint8_t* next, const StepInfo& i) override {
      if (thread >= 0 && i.thread != thread) return;
      SingleStep st{i.thread, i.ordinal, std::vector<uint8_t>(next, next + m->state_size()), {}, {}};
      if (i.violation) st.violation = *i.violation;
      if (i.also) st.also = *i.also;
      out.push_back(std::move(st));
    }
    void nested(int held, int acquired, int t, Span at) override {
      if (events) events->nested(held, acquired, t, at);
    }
    void state_violation(const Violation& v) override {
      if (events) events->state_violation(v);
    }
    void model_error(Span at, const std::string& msg) override {
      if (events) events->model_error(at, msg);
    }
  } sink;
  sink.m = &m;
  sink.thread = thread;
  sink.events = events;
  m.successors(s, sink);
  return std::move(sink.out);
}

std::vector<SingleStep> merged_rest(const Machine& m, const ir::Merging& mg, const SingleStep& first, StepSink* events) {
  std::vector<SingleStep> rest;
  const SingleStep* at = &first;
  while (!at->fatal() && mg.continues(m.program().threads[at->thread].tmpl, m.pc(at->next.data(), at->thread))) {
    auto more = single_steps(m, at->next.data(), at->thread, events);
    if (more.size() != 1) break;  // a thread-local location has one step (model/merge.h)
    rest.push_back(std::move(more[0]));
    at = &rest.back();
  }
  return rest;
}

bool unmerge(const Machine& m, const ir::Merging& mg, std::vector<std::vector<uint8_t>>* path,
             const std::vector<std::vector<std::vector<uint8_t>>>& init_runs) {
  if (path->empty()) return true;
  std::vector<std::vector<uint8_t>> out = {(*path)[0]};
  for (size_t i = 1; i < path->size(); ++i) {
    // Some merged step from the last state passes through path[i]: thread-local steps are
    // deterministic, so each first step has one run.
    bool found = false;
    for (auto& first : single_steps(m, out.back().data())) {
      if (first.fatal()) continue;
      auto rest = merged_rest(m, mg, first);
      std::vector<const SingleStep*> run = {&first};
      for (const auto& r : rest) run.push_back(&r);
      for (size_t j = 0; j < run.size() && !found && !run[j]->fatal(); ++j)
        if (run[j]->next == (*path)[i]) {
          for (size_t k = 0; k <= j; ++k) out.push_back(run[k]->next);
          found = true;
        }
      if (found) break;
    }
    if (!found) return false;
  }
  for (const auto& run : init_runs)
    if (run.back() == out[0]) {
      out.erase(out.begin());
      out.insert(out.begin(), run.begin(), run.end());
      break;
    }
  *path = std::move(out);
  return true;
}

std::vector<std::vector<std::vector<uint8_t>>> merged_prefixes(const Machine& m, const ir::Merging& mg, const uint8_t* s) {
  std::vector<std::vector<std::vector<uint8_t>>> out;
  for (auto& first : single_steps(m, s)) {
    auto rest = merged_rest(m, mg, first);
    std::vector<std::vector<uint8_t>> run;
    const SingleStep* at = &first;
    for (const auto& r : rest) {  // every step but the last one
      run.push_back(at->next);
      out.push_back(run);
      at = &r;
    }
  }
  return out;
}

std::vector<std::vector<uint8_t>> initial_run(const Machine& m, const ir::Merging& mg, const uint8_t* s) {
  struct Events : StepSink {
    bool any = false;
    void successor(const uint8_t*, const StepInfo&) override {}
    void state_violation(const Violation&) override { any = true; }
    void model_error(Span, const std::string&) override { any = true; }
  };
  std::vector<std::vector<uint8_t>> run = {std::vector<uint8_t>(s, s + m.state_size())};
  for (int t = 0; t < m.threads(); ++t) {
    const auto& T = m.program().tmpls[m.program().threads[t].tmpl];
    if (m.pc(run.back().data(), t) != T.entry || !mg.local[m.program().threads[t].tmpl][T.entry]) continue;
    Events ev;
    auto first = single_steps(m, run.back().data(), t, &ev);
    if (first.size() != 1) continue;
    auto rest = merged_rest(m, mg, first[0], &ev);
    rest.insert(rest.begin(), std::move(first[0]));
    bool clean = !ev.any;
    for (const auto& st : rest) clean = clean && !st.violation && !st.also;
    if (!clean) continue;  // a violating run stays a step of its own
    for (auto& st : rest) run.push_back(std::move(st.next));
  }
  return run;
}

}  // namespace lc
