#include <algorithm>
#include <cstdio>
#include <set>

#include "checker/report/report.h"
#include "checker/report/view.h"

namespace lc {

static std::string pad(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

static std::string num(double v, const char* f) {
  char b[64];
  snprintf(b, sizeof b, f, v);
  return b;
}

// Symbolic engines: when each depth was done ("depth-seconds: 1=0.012 2=0.031 ...").
static std::string depth_times(const Stats& s) {
  if (s.depth_seconds.empty()) return "";
  std::string out = "depth-seconds:";
  for (size_t k = 0; k < s.depth_seconds.size(); ++k) out += " " + std::to_string(k) + "=" + num(s.depth_seconds[k], "%.3f");
  return out + "\n";
}

std::string render_stats(const CheckResult& r) {
  const Stats& s = r.stats;
  double rate = s.seconds > 0 ? s.states / s.seconds : 0;
  return "stats: states=" + std::to_string(s.states) + " transitions=" + std::to_string(s.transitions) +
         " depth=" + std::to_string(s.depth) + " bytes/state=" + num(s.bytes_per_state, "%.1f") +
         " state-vector=" + std::to_string(s.state_bytes) + " states/s=" + num(rate, "%.0f") +
         " time=" + num(s.seconds, "%.3f") + "s\n" + depth_times(s);
}

static constexpr size_t kMaxCell = 72;

std::string render_race(const Machine& m, const Trace& t, bool last_violates, std::vector<int> extra_threads) {
  auto views = view_trace(m, t, last_violates);
  std::set<int> cols(extra_threads.begin(), extra_threads.end());
  for (const auto& v : views)
    if (v.thread >= 0) cols.insert(v.thread);
  std::vector<int> order(cols.begin(), cols.end());
  std::vector<size_t> width(order.size());
  for (size_t c = 0; c < order.size(); ++c) width[c] = thread_name(m, order[c]).size();
  // Long cells (an atomic block with inlined calls) are cut so the columns stay readable;
  // the JSON trace keeps the full text.
  auto cell = [](const StepView& v) {
    std::string s = std::string(2 * v.depth, ' ') + v.text;
    return s.size() > kMaxCell ? s.substr(0, kMaxCell - 3) + "..." : s;
  };
  for (const auto& v : views)
    for (size_t c = 0; c < order.size(); ++c)
      if (order[c] == v.thread) width[c] = std::max(width[c], cell(v).size());
  std::string out;
  for (const auto& v : views)
    if (v.thread < 0) {
      out += "  init: " + v.text;
      if (!v.events.empty()) {
        out += "   [";
        for (size_t i = 0; i < v.events.size(); ++i) out += (i ? ", " : "") + v.events[i];
        out += "]";
      }
      out += "\n";
    }
  bool any_step = false;
  for (const auto& v : views) any_step |= v.thread >= 0;
  if (!any_step) return out;  // the problem is in the initial state
  std::string head = "  step  ", rule = "  ----  ";
  for (size_t c = 0; c < order.size(); ++c) {
    head += pad(thread_name(m, order[c]), width[c] + 2);
    rule += std::string(width[c], '-') + "  ";
  }
  while (!head.empty() && head.back() == ' ') head.pop_back();
  while (!rule.empty() && rule.back() == ' ') rule.pop_back();
  out += head + "\n" + rule + "\n";
  for (const auto& v : views) {
    if (v.thread < 0) continue;
    std::string row = "  " + std::string(4 - std::min<size_t>(4, std::to_string(v.index).size()), ' ') +
                      std::to_string(v.index) + "  ";
    for (size_t c = 0; c < order.size(); ++c) row += pad(order[c] == v.thread ? cell(v) : "", width[c] + 2);
    std::string margin = v.function + ":" + std::to_string(v.line);
    for (const auto& o : v.observed) margin += "  [" + observed_at(o) + "]";
    if (!v.locks.empty()) {
      margin += "  holds ";
      for (size_t i = 0; i < v.locks.size(); ++i) margin += (i ? ", " : "") + v.locks[i];
    }
    for (const auto& e : v.events) margin += "  " + e;
    if (v.violating) margin += "  <-- violation";
    row += "| " + margin;
    out += row + "\n";
  }
  return out;
}

std::string render_violation(const Machine& m, const Counterexample& c) {
  const ir::Program& p = m.program();
  std::string out;
  auto views = view_trace(m, c.trace, c.violation_in_last_step);
  int last = 0;
  for (const auto& v : views) last = std::max(last, v.index);
  const Violation& v = c.violation;
  if (c.violation.check == ir::Check::LockOrder) {
    for (const auto& e : c.edges)
      out += "   " + thread_name(m, e.thread) + " takes " + p.slot_name(e.acquired) + " while holding " +
             p.slot_name(e.held) + "\n";
    return out;
  }
  if (c.violation_in_last_step) {
    const StepView& s = views.back();
    // Name the function only when the violation is in the step's own statement (a thread
    // that finishes holding a lock is past its last function).
    bool in_fn = !s.stack.empty() && p.file->line_col(v.span.begin).first == s.line;
    out += "=> " + c.property + " at step " + std::to_string(s.index) + " (" + s.thread_name +
           (in_fn ? " in " + s.function : "") + ", " + where(p, v.span) + "): " + v.message + "\n";
  } else if (v.check == ir::Check::Deadlock) {
    out += "=> deadlock after step " + std::to_string(last) + ": " + v.message + "\n";
    for (const auto& b : c.blocked) {
      std::string who = thread_name(m, b.thread);
      if (b.kind == Blocked::Wait)
        out += "   " + who + " waits until '" + p.text(b.span) + "' (" + where(p, b.span) + ")\n";
      else if (b.kind == Blocked::Monitor)
        out += "   " + who + " cannot take its next step: the observed events do not allow it (" + where(p, b.span) + ")\n";
      else if (b.kind == Blocked::Relock)
        out += "   " + who + " waits for " + p.slot_name(b.lock_slot) + ", which it holds itself (" + where(p, b.span) + ")\n";
      else
        out += "   " + who + " waits for " + p.slot_name(b.lock_slot) + ", held by " + thread_name(m, b.holder) +
               (b.holder >= 0 && b.holder < m.threads() && m.finished(c.trace.steps.empty() ? c.trace.start.data()
                                                                                             : c.trace.steps.back().after.data(), b.holder)
                    ? " (finished)"
                    : "") +
               " (" + where(p, b.span) + ")\n";
    }
    for (int t = 0; t < m.threads(); ++t) {
      const auto& s = c.trace.steps.empty() ? c.trace.start : c.trace.steps.back().after;
      if (m.finished(s.data(), t)) out += "   " + thread_name(m, t) + " has finished\n";
    }
  } else {
    out += "=> " + c.property + " after step " + std::to_string(last) + " (" + where(p, v.span) + "): " + v.message + "\n";
  }
  if (v.instance)
    for (const auto& h : object_history(m, c.trace, v.instance)) out += "   " + h + "\n";
  if (v.instance && c.violation_in_last_step && v.check == ir::Check::UseAfterFree) {
    const StepView& s = views.back();
    out += "   " + p.pointer_name(v.instance) + " is touched at step " + std::to_string(s.index) + " by " + s.thread_name +
           (s.stack.empty() ? "" : " in " + s.function) + " (" + s.text + ", line " + std::to_string(s.line) + ")\n";
  }
  return out;
}

std::string render_text(const Machine& m, const CheckResult& r) {
  const ir::Program& p = m.program();
  std::string out = r.file + ": model " + p.name + (p.title.empty() ? "" : " \"" + p.title + "\"") + "\n";
  size_t w = 8;
  for (const auto& pr : r.properties) w = std::max(w, pr.name.size());
  out += "  " + pad("property", w + 2) + pad("verdict", 10) + "expect\n";
  int violated = 0;
  for (const auto& pr : r.properties) {
    violated += pr.status == Status::Violated;
    std::string ex = pr.expect_violated ? (*pr.expect_violated ? "violated" : "holds") : "-";
    out += "  " + pad(pr.name, w + 2) + pad(status_name(pr.status), 10) + ex + "\n";
  }
  std::string result;
  switch (r.outcome) {
    case Outcome::Complete:
      result = violated ? "VIOLATED" : r.engine == "explicit" ? "ALL HOLD (every reachable state explored)" : "ALL HOLD (proved)";
      break;
    case Outcome::StoppedAtViolation:
      result = "VIOLATED (stopped at the first violation; --all checks every property)";
      break;
    case Outcome::LimitHit:
      result = std::string(violated ? "VIOLATED, " : "") + "INCONCLUSIVE: limit hit (" + r.limit + ") after " +
               (r.engine == "explicit" ? std::to_string(r.stats.states) + " states, depth " : "depth ") +
               std::to_string(r.stats.depth);
      break;
    case Outcome::ModelError: result = "MODEL ERROR"; break;
  }
  out += "  result: " + result + "\n";
  if (r.engine == "explicit")
    out += "  explored " + std::to_string(r.stats.states) + " states, " + std::to_string(r.stats.transitions) +
           " transitions, depth " + std::to_string(r.stats.depth) + "\n";
  else
    out += "  engine " + r.engine + ": " + std::to_string(r.stats.transitions) + " symbolic transitions, unrolled to depth " +
           std::to_string(r.stats.depth) + "\n";
  if (!r.note.empty()) out += "  " + r.note + "\n";
  for (const auto& c : r.counterexamples) {
    out += "\n--- " + c.property + ": " + c.violation.message + "\n";
    if (c.violation.check == ir::Check::LockOrder) {
      out += render_violation(m, c);
      for (size_t i = 0; i < c.edges.size(); ++i) {
        out += "\n  path " + std::to_string(i + 1) + ": " + thread_name(m, c.edges[i].thread) + " takes " +
               p.slot_name(c.edges[i].acquired) + " while holding " + p.slot_name(c.edges[i].held) + "\n";
        out += render_race(m, c.edges[i].trace, true);
      }
      continue;
    }
    std::vector<int> extra;
    for (const auto& b : c.blocked) extra.push_back(b.thread);
    out += render_race(m, c.trace, c.violation_in_last_step, extra);
    out += render_violation(m, c);
  }
  if (r.cti) {
    const Counterexample& c = *r.cti;
    out += "\n--- counterexample to induction at k = " + std::to_string(r.cti_k) + ": " + c.property +
           (c.violation.message.empty() ? "" : ": " + c.violation.message) + "\n";
    out += "  From this state (it need not be reachable) the steps below keep every property until the\n"
           "  violation. An invariant that is false here, but true in every reachable state, strengthens\n"
           "  the induction.\n";
    StateView v = view_state(m, c.trace.start);
    for (const auto& [name, at] : v.threads) out += "    " + name + ": " + at + "\n";
    for (const auto& [name, val] : v.values) out += "    " + name + " = " + val + "\n";
    if (c.trace.steps.empty()) {
      out += "  (its steps cannot be replayed: the interpreter refuses this start state)\n";
      return out;
    }
    out += render_race(m, c.trace, c.violation_in_last_step);
    out += render_violation(m, c);
  }
  return out;
}

}  // namespace lc
