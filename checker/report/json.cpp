#include <set>
#include "checker/report/report.h"
#include "checker/report/view.h"

namespace lc {

using nlohmann::json;

static json loc_json(const ir::Program& p, Span s) {
  auto [l, c] = p.file->line_col(s.begin);
  return {{"file", p.file->name()}, {"line", l}, {"col", c}};
}

json trace_to_json(const Machine& m, const Trace& t, bool last_violates) {
  const ir::Program& p = m.program();
  json steps = json::array();
  std::set<std::string> names;
  json threads = json::array();
  for (const auto& v : view_trace(m, t, last_violates)) {
    if (!names.count(v.thread_name)) {
      names.insert(v.thread_name);
      threads.push_back(v.thread_name);
    }
    json step = {{"step", v.index},
                {"thread", v.thread_name},
                {"function", v.function},
                {"stack", v.stack},
                {"statement", v.text},
                {"kind", v.kind},
                {"location", {{"file", p.file->name()}, {"line", v.line}, {"col", v.col}}},
                {"locks_held", v.locks},
                {"events", v.events},
                {"violation", v.violating}};
    if (!v.observed.empty()) {
      json obs = json::array();
      for (const auto& o : v.observed)
        obs.push_back({{"file", o.file}, {"line", o.line}, {"record", o.record}, {"ts_ns", o.ts_ns},
                       {"pid", o.pid}, {"task", o.task}, {"what", o.what}});
      step["observed"] = obs;
    }
    steps.push_back(step);
  }
  return {{"threads", threads}, {"steps", steps}};
}

json to_json(const Machine* mp, const CheckResult& r) {
  const ir::Program* p = mp ? &mp->program() : nullptr;
  json j;
  j["file"] = r.file;
  j["engine"] = r.engine;
  j["model"] = p ? json(p->name) : json(nullptr);
  j["title"] = p ? json(p->title) : json(nullptr);
  const char* result = "holds";
  if (r.outcome == Outcome::ModelError) result = "error";
  else if (r.any_violated()) result = "violated";
  else if (r.outcome == Outcome::LimitHit) result = "inconclusive";
  j["result"] = result;
  j["exit_code"] = r.exit_code();
  j["complete"] = r.outcome == Outcome::Complete;
  j["limit"] = r.limit.empty() ? json(nullptr) : json(r.limit);
  j["error"] = r.error.empty() ? json(nullptr) : json(r.error);
  j["note"] = r.note.empty() ? json(nullptr) : json(r.note);
  json props = json::array();
  for (const auto& pr : r.properties) {
    json e = {{"name", pr.name},
              {"check", pr.property < 0 ? "builtin" : pr.check == ir::Check::Final ? "final" : "invariant"},
              {"status", status_name(pr.status)},
              {"expect", pr.expect_violated ? json(*pr.expect_violated ? "violated" : "holds") : json(nullptr)},
              {"counterexample", pr.counterexample >= 0 ? json(pr.counterexample) : json(nullptr)}};
    if (p && pr.property >= 0) e["location"] = loc_json(*p, pr.span);
    props.push_back(e);
  }
  j["properties"] = props;
  json cexs = json::array();
  if (mp) {
    const Machine& m = *mp;
    for (const auto& c : r.counterexamples) {
      json e = {{"property", c.property},
                {"check", ir::check_name(c.violation.check)},
                {"message", c.violation.message},
                {"location", loc_json(*p, c.violation.span)},
                {"violating_step", c.violation_in_last_step}};
      if (c.violation.instance) {
        e["object"] = p->pointer_name(c.violation.instance);
        e["object_history"] = object_history(m, c.trace, c.violation.instance);
      }
      if (c.violation.check == ir::Check::LockOrder) {
        json edges = json::array();
        for (const auto& ed : c.edges)
          edges.push_back({{"held", p->slot_name(ed.held)},
                           {"acquired", p->slot_name(ed.acquired)},
                           {"thread", thread_name(m, ed.thread)},
                           {"trace", trace_to_json(m, ed.trace, true)}});
        e["lock_cycle"] = edges;
      } else {
        e["trace"] = trace_to_json(m, c.trace, c.violation_in_last_step);
      }
      if (!c.blocked.empty()) {
        json bl = json::array();
        for (const auto& b : c.blocked) {
          json x = {{"thread", thread_name(m, b.thread)}, {"location", loc_json(*p, b.span)}};
          if (b.kind == Blocked::Wait) {
            x["waits_for"] = "condition";
            x["condition"] = p->text(b.span);
          } else if (b.kind == Blocked::Monitor) {
            x["waits_for"] = "monitor";
          } else {
            x["waits_for"] = b.kind == Blocked::Relock ? "own_lock" : "lock";
            x["lock"] = p->slot_name(b.lock_slot);
            x["holder"] = thread_name(m, b.holder);
          }
          bl.push_back(x);
        }
        e["blocked"] = bl;
      }
      cexs.push_back(e);
    }
  }
  j["counterexamples"] = cexs;
  if (mp && r.cti) {
    const Machine& m = *mp;
    const Counterexample& c = *r.cti;
    StateView v = view_state(m, c.trace.start);
    json threads = json::object(), values = json::object();
    for (const auto& [name, at] : v.threads) threads[name] = at;
    for (const auto& [name, val] : v.values) values[name] = val;
    j["induction_cti"] = {{"k", r.cti_k},
                          {"property", c.property},
                          // a made-up state's run-time model error is no check
                          {"check", c.property == kModelErrorProperty ? "model_error" : ir::check_name(c.violation.check)},
                          {"message", c.violation.message},
                          {"location", loc_json(*p, c.violation.span)},
                          {"violating_step", c.violation_in_last_step},
                          {"start", {{"threads", threads}, {"values", values}}},
                          {"trace", trace_to_json(m, c.trace, c.violation_in_last_step)}};
  }
  j["stats"] = {{"states", r.stats.states},
                {"transitions", r.stats.transitions},
                {"depth", r.stats.depth},
                {"state_vector_bytes", r.stats.state_bytes}};
  return j;
}

}  // namespace lc
