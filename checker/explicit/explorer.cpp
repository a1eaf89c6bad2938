#include "checker/explicit/explorer.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "checker/explicit/state_store.h"
#include "model/trace.h"
#include "model/merge.h"

namespace lc {
namespace {

using Clock = std::chrono::steady_clock;

// Where a violation was seen: the last stored state of its path and, for a violating
// step, the step's ordinal among that state's successors.
struct Witness {
  uint32_t state = StateStore::kNone;
  int ordinal = -1;
  Violation v;
  bool after_step = false;  // a state violation of the state a fatal step led to
  std::vector<std::pair<std::pair<int, int>, std::pair<uint32_t, int>>> cycle;  // lock_order: ((held, acq), (state, thread))
  std::vector<std::vector<uint8_t>> prefix;  // merging: the single steps from `state` before the violating one
};

class Explorer : public StepSink {
 public:
  Explorer(const Machine& m, const ExploreOptions& o)
      : p_(m.program()), o_(o), m_(m), side_(m), store_(m_.state_size()) {
    if (o.merge) mg_ = ir::merging(p_);
    props_ = properties_of(p_);
    witness_.resize(props_.size());
    found_.assign(props_.size(), false);
  }

  CheckResult run(const std::string& file) {
    CheckResult r;
    r.file = file;
    auto t0 = Clock::now();
    last_progress_ = t0;
    cur_ = StateStore::kNone;
    m_.initial(*this);
    uint32_t head = 0, level_end = store_.size();
    uint32_t depth = 0;
    while (head < store_.size() && !stop_) {
      if (head == level_end) {
        ++depth;
        level_end = store_.size();
      }
      if (o_.max_depth && depth >= o_.max_depth) {
        limit_ = "depth " + std::to_string(o_.max_depth);
        stop_ = true;
        break;
      }
      cur_ = head++;
      cur_depth_ = depth;
      had_successor_ = false;
      refused_ = 0;
      const uint8_t* s = store_.state(cur_);
      expand(s);
      if (stop_) break;
      // A dead end where the step monitor refused a step is where the observed run ends
      // the product, not a deadlock of the model.
      if (!had_successor_ && !refused_ && !m_.all_finished(s)) {
        Violation v;
        v.check = ir::Check::Deadlock;
        v.message = "no thread can run, and not every thread has finished";
        found(index_of(ir::Check::Deadlock), {cur_, -1, v, {}});
      }
      if ((head & 255) == 0) check_limits(t0, depth);
    }
    r.stats.states = store_.size();
    r.stats.transitions = transitions_;
    r.stats.depth = max_depth_;
    r.stats.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.stats.state_bytes = m_.state_size();
    r.stats.bytes_per_state =
        store_.size() ? double(size_t(store_.size()) * (m_.state_size() + 4) + store_.table_bytes()) / store_.size() : 0;
    if (o_.progress && progress_shown_) fprintf(stderr, "\r\033[K");

    if (model_error_) {
      r.outcome = Outcome::ModelError;
      r.error = error_text_;
      Trace t;
      auto path = error_state_ == StateStore::kNone ? std::vector<std::vector<uint8_t>>{} : path_of(error_state_);
      if (!path.empty() && rebuild_trace(m_, path, -1, &t)) r.error_trace = std::move(t);
      r.properties = props_;
      return r;
    }
    bool exhausted = !stop_ && head >= store_.size();
    r.outcome = exhausted ? Outcome::Complete : limit_.empty() ? Outcome::StoppedAtViolation : Outcome::LimitHit;
    if (mg_) r.note = "statement merging: states where every thread rests; depths count merged steps";
    r.limit = limit_;
    for (size_t i = 0; i < props_.size(); ++i) {
      PropertyResult pr = props_[i];
      if (found_[i]) {
        pr.status = Status::Violated;
        pr.counterexample = int(r.counterexamples.size());
        r.counterexamples.push_back(counterexample(pr.name, witness_[i]));
      } else {
        pr.status = exhausted ? Status::Holds : Status::Unknown;
      }
      r.properties.push_back(pr);
    }
    return r;
  }

  // ---- StepSink ----
  void successor(const uint8_t* next, const StepInfo& info) override {
    if (mg_ && cur_ == StateStore::kNone && !(info.violation && info.violation->fatal())) {
      // An initial state: threads whose entry is local take their first merged step
      // (trace.h, initial_run). side_: this runs inside m_'s init block.
      init_runs_.push_back(initial_run(side_, *mg_, next));
      next = init_runs_.back().back().data();
    }
    ++transitions_;
    had_successor_ = true;
    if (info.also) found(index_of(info.also->check), {cur_, info.ordinal, *info.also, {}});
    if (info.violation) {
      found(index_of(info.violation->check), {cur_, info.ordinal, *info.violation, {}});
      if (info.violation->fatal()) {
        // The path ends here, but the violating state is still a state (LANGUAGE.md):
        // its properties and deadlock are checked; it is not stored or expanded.
        check_terminal(next, info.ordinal);
        return;
      }
    }
    if (stop_) return;
    auto [idx, fresh] = store_.insert(next, cur_);
    if (!fresh) return;
    uint32_t d = cur_ == StateStore::kNone ? 0 : cur_depth_ + 1;
    if (d > max_depth_) max_depth_ = d;
    check_state(idx);
    if (store_.size() >= StateStore::kCapacity && !stop_) {
      limit_ = "state store capacity (" + std::to_string(StateStore::kCapacity) + " states)";
      stop_ = true;
    }
    if (o_.max_states && store_.size() >= o_.max_states && !stop_) {
      limit_ = "max-states " + std::to_string(o_.max_states);
      stop_ = true;
    }
  }

  void nested(int held, int acquired, int thread, Span at) override {
    auto key = std::make_pair(held, acquired);
    if (edges_.count(key)) return;
    edges_[key] = {cur_, thread};
    graph_[held].insert(acquired);
    if (found_[index_of(ir::Check::LockOrder)]) return;
    // A new edge held -> acquired closes a cycle if acquired already reaches held.
    std::vector<int> path;
    std::set<int> seen;
    if (!reach(acquired, held, seen, path)) return;
    Witness w;
    w.v.check = ir::Check::LockOrder;
    std::vector<int> cyc = {held};
    cyc.insert(cyc.end(), path.begin(), path.end());  // acquired ... held
    std::string text;
    for (size_t i = 0; i < cyc.size(); ++i) text += (i ? " -> " : "") + p_.slot_name(cyc[i]);
    w.v.message = "lock order cycle " + text + " (locks taken in both orders; lockdep reports this even if no run deadlocks)";
    w.v.lock_slot = held;
    w.v.span = at;
    for (size_t i = 0; i + 1 < cyc.size(); ++i) {
      auto e = edges_.at({cyc[i], cyc[i + 1]});
      w.cycle.push_back({{cyc[i], cyc[i + 1]}, e});
    }
    found(index_of(ir::Check::LockOrder), w);
  }

  void state_violation(const Violation& v) override { found(index_of(v.check), {cur_, -1, v, {}}); }

  void refused(int) override { ++refused_; }

  void model_error(Span at, const std::string& message) override {
    if (model_error_) return;
    model_error_ = true;
    stop_ = true;
    error_state_ = cur_;
    error_text_ = render_located(*p_.file, at, "error", message);
  }

 private:
  bool reach(int from, int to, std::set<int>& seen, std::vector<int>& path) {
    path.push_back(from);
    if (from == to) return true;
    if (seen.insert(from).second) {
      auto it = graph_.find(from);
      if (it != graph_.end())
        for (int n : it->second)
          if (reach(n, to, seen, path)) return true;
    }
    path.pop_back();
    return false;
  }

  size_t index_of(ir::Check c) const {
    for (size_t i = 0; i < std::size(ir::kBuiltinChecks); ++i)
      if (ir::kBuiltinChecks[i] == c) return i;
    return 0;
  }

  void found(size_t i, Witness w) {
    if (found_[i]) return;
    if (w.ordinal >= 0) w.prefix = prefix_;
    found_[i] = true;
    witness_[i] = std::move(w);
    if (!o_.all) stop_ = true;
  }

  void check_state(uint32_t idx) {
    const uint8_t* s = store_.state(idx);
    bool done = m_.complete(s);
    for (size_t i = 0; i < p_.properties.size(); ++i) {
      size_t pi = std::size(ir::kBuiltinChecks) + i;
      if (found_[pi]) continue;
      if (p_.properties[i].is_final && !done) continue;
      std::string why;
      int r = m_.check_property(s, int(i), &why);
      if (r < 0) {
        cur_ = idx;  // the error trace ends in this state
        model_error(p_.properties[i].span, "property '" + p_.properties[i].name + "' cannot be evaluated in a reachable state: " + why);
        return;
      }
      if (r == 0) found(pi, {idx, -1, property_violation(p_, int(i)), false, {}});
    }
  }

  // Invariants, finals and deadlock of the state a fatal step led to.
  void check_terminal(const uint8_t* s, int ordinal) {
    bool done = m_.complete(s);
    for (size_t i = 0; i < p_.properties.size(); ++i) {
      size_t pi = std::size(ir::kBuiltinChecks) + i;
      if (found_[pi] || (p_.properties[i].is_final && !done)) continue;
      if (m_.check_property(s, int(i), nullptr) == 0) found(pi, {cur_, ordinal, property_violation(p_, int(i)), true, {}});
    }
    size_t dl = index_of(ir::Check::Deadlock);
    if (found_[dl] || m_.all_finished(s)) return;
    struct Any : StepSink {  // a successor, or a step the monitor refused: no deadlock
      bool any = false;
      void successor(const uint8_t*, const StepInfo&) override { any = true; }
      void refused(int) override { any = true; }
    } any;
    side_.successors(s, any);  // a second Machine: this runs inside the first one's expansion
    if (!any.any) {
      Witness w{cur_, ordinal, {}, true, {}};
      w.v.check = ir::Check::Deadlock;
      w.v.message = "no thread can run, and not every thread has finished";
      found(dl, w);
    }
  }

  void check_limits(Clock::time_point t0, uint32_t depth) {
    auto now = Clock::now();
    double el = std::chrono::duration<double>(now - t0).count();
    if (o_.timeout_s > 0 && el >= o_.timeout_s) {
      limit_ = "timeout " + fmt(o_.timeout_s) + " s";
      stop_ = true;
    }
    if (o_.memory_mb && store_.bytes() >= o_.memory_mb * 1024 * 1024) {
      limit_ = "memory " + std::to_string(o_.memory_mb) + " MB";
      stop_ = true;
    }
    if (o_.progress && std::chrono::duration<double>(now - last_progress_).count() >= 0.5) {
      last_progress_ = now;
      progress_shown_ = true;
      fprintf(stderr, "\r\033[Kstates %u  depth %u  %.0f states/s", store_.size(), depth, store_.size() / (el > 0 ? el : 1));
      fflush(stderr);
    }
  }
  static std::string fmt(double v) {
    char b[32];
    snprintf(b, sizeof b, "%g", v);
    return b;
  }

  // Expands a stored state. With merging, only the last state of each merged step
  // reaches successor(); prefix_ holds the states before it.
  void expand(const uint8_t* s) {
    if (!mg_) {
      m_.successors(s, *this);
      return;
    }
    expand_merged(s);
    if (!had_successor_ && !stop_ && m_.monitor()) {
      // single_steps() does not pass refusals on: count them on a plain expansion.
      struct Refusals : StepSink {
        int n = 0;
        void successor(const uint8_t*, const StepInfo&) override {}
        void refused(int) override { ++n; }
      } r;
      m_.successors(s, r);
      refused_ += r.n;
    }
  }
  void expand_merged(const uint8_t* s) {
    for (auto& first : single_steps(m_, s, -1, this)) {
      auto rest = merged_rest(m_, *mg_, first, this);
      if (model_error_) return;
      prefix_.clear();
      const SingleStep* step = &first;
      for (const auto& r : rest) {
        // A merged step goes on after a violation that does not end the path (as in BMC).
        if (step->violation) found(index_of(step->violation->check), {cur_, step->ordinal, *step->violation, {}});
        prefix_.push_back(step->next);
        step = &r;
      }
      StepInfo info;
      info.thread = step->thread;
      info.ordinal = step->ordinal;
      info.violation = step->violation ? &*step->violation : nullptr;
      info.also = step->also ? &*step->also : nullptr;
      successor(step->next.data(), info);
      if (stop_) return;
    }
    prefix_.clear();
  }
  // The path of single steps to stored state `i` (merged steps unmerged, from the state
  // the init block made).
  std::vector<std::vector<uint8_t>> path_of(uint32_t i) {
    auto path = store_.path_to(i);
    if (mg_ && !unmerge(m_, *mg_, &path, init_runs_)) return {};
    return path;
  }

  Counterexample counterexample(const std::string& name, const Witness& w) {
    Counterexample c;
    c.property = name;
    c.violation = w.v;
    c.violation_in_last_step = w.ordinal >= 0;
    if (w.v.check == ir::Check::LockOrder) {
      for (const auto& [edge, at] : w.cycle) {
        LockEdge e;
        e.held = edge.first;
        e.acquired = edge.second;
        e.thread = at.second;
        auto path = at.first == StateStore::kNone ? std::vector<std::vector<uint8_t>>{} : path_of(at.first);
        if (!path.empty()) rebuild_trace(m_, path, -1, &e.trace);
        append_acquisition(m_, &e.trace, e.thread, e.acquired);
        c.edges.push_back(std::move(e));
      }
      return c;
    }
    auto path = w.state == StateStore::kNone ? std::vector<std::vector<uint8_t>>{} : path_of(w.state);
    path.insert(path.end(), w.prefix.begin(), w.prefix.end());
    rebuild_trace(m_, path, w.ordinal, &c.trace);
    if (w.after_step) c.violation_in_last_step = false;  // the state after the (fatal) last step
    if (w.v.check == ir::Check::Deadlock)
      c.blocked = m_.blocked(w.after_step && !c.trace.steps.empty() ? c.trace.steps.back().after.data() : store_.state(w.state));
    return c;
  }

  const ir::Program& p_;
  const ExploreOptions& o_;
  Machine m_;
  Machine side_;  // for checks on states that are not expanded (after a fatal step)
  StateStore store_;
  std::vector<PropertyResult> props_;
  std::vector<Witness> witness_;
  std::vector<bool> found_;
  std::map<std::pair<int, int>, std::pair<uint32_t, int>> edges_;
  std::map<int, std::set<int>> graph_;
  uint32_t cur_ = StateStore::kNone, cur_depth_ = 0, max_depth_ = 0;
  uint64_t transitions_ = 0;
  bool had_successor_ = false, stop_ = false;
  int refused_ = 0;  // steps of the state being expanded that the step monitor forbade
  bool model_error_ = false;
  uint32_t error_state_ = StateStore::kNone;
  std::string error_text_, limit_;
  Clock::time_point last_progress_;
  bool progress_shown_ = false;
  std::optional<ir::Merging> mg_;                 // statement merging, when on
  std::vector<std::vector<uint8_t>> prefix_;      // the merged step being delivered: its states before the last
  std::vector<std::vector<std::vector<uint8_t>>> init_runs_;  // trace.h, initial_run: one per initial state
};

}  // namespace

CheckResult explore(const Machine& m, const std::string& file, const ExploreOptions& o) {
  Explorer e(m, o);
  return e.run(file);
}

}  // namespace lc
