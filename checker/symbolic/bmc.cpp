#include "checker/symbolic/bmc.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>

#include "checker/symbolic/encoder.h"
#include "model/facts.h"

namespace lc::symbolic {

namespace {

using Clock = std::chrono::steady_clock;

std::string version_string() {
  unsigned a, b, c, d;
  Z3_get_version(&a, &b, &c, &d);
  return "Z3 " + std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c);
}

// The first fatal step from `s` whose resulting state is `bad` (that state is checked,
// not expanded): its successor ordinal, or -1. `*state` receives the state.
int fatal_successor(const Machine& m, const uint8_t* s, const std::function<bool(const uint8_t*)>& bad,
                    std::vector<uint8_t>* state) {
  struct After : StepSink {
    const std::function<bool(const uint8_t*)>* bad;
    std::vector<uint8_t>* state;
    size_t n = 0;
    int ordinal = -1;
    void successor(const uint8_t* s, const StepInfo& i) override {
      if (ordinal < 0 && i.violation && i.violation->fatal() && (*bad)(s)) {
        ordinal = i.ordinal;
        state->assign(s, s + n);
      }
    }
  } after;
  after.bad = &bad;
  after.state = state;
  after.n = m.state_size();
  m.successors(s, after);
  return after.ordinal;
}

// Finds on the Machine the violation of property `pi` at the end of `path` (a state
// violation of the last state, or a violating step from it) and builds the counterexample.
bool violation_at_end(const Machine& m, const PropertyResult& pr, const std::vector<std::vector<uint8_t>>& path,
                      Counterexample* out, bool from_initial) {
  const ir::Program& p = m.program();
  out->property = pr.name;
  const uint8_t* last = path.back().data();
  if (pr.property >= 0) {  // user invariant / final: a state property
    const ir::Property& prop = p.properties[pr.property];
    out->violation = property_violation(p, pr.property);
    auto violated = [&](const uint8_t* s) {
      return (!prop.is_final || m.all_finished(s)) && m.check_property(s, pr.property, nullptr) == 0;
    };
    if (violated(last)) return rebuild_trace(m, path, -1, &out->trace, from_initial);
    std::vector<uint8_t> after;
    int ordinal = fatal_successor(m, last, violated, &after);
    return ordinal >= 0 && rebuild_trace(m, path, ordinal, &out->trace, from_initial);
  }
  if (pr.check == ir::Check::Deadlock) {
    out->violation.check = ir::Check::Deadlock;
    out->violation.message = "no thread can run, and not every thread has finished";
    struct Count : StepSink {
      int n = 0;
      void successor(const uint8_t*, const StepInfo&) override { ++n; }
    };
    auto stuck = [&](const uint8_t* s) {
      Count c;
      m.successors(s, c);
      return c.n == 0 && !m.all_finished(s);
    };
    if (stuck(last)) {
      out->blocked = m.blocked(last);
      return rebuild_trace(m, path, -1, &out->trace, from_initial);
    }
    std::vector<uint8_t> after;
    int ordinal = fatal_successor(m, last, stuck, &after);
    if (ordinal < 0) return false;
    out->blocked = m.blocked(after.data());
    return rebuild_trace(m, path, ordinal, &out->trace, from_initial);
  }
  struct Find : StepSink {
    ir::Check want;
    int ordinal = -1;
    std::optional<Violation> step, state;
    void successor(const uint8_t*, const StepInfo& i) override {
      if (ordinal >= 0) return;
      for (const Violation* v : {i.violation, i.also})
        if (v && v->check == want) {
          ordinal = i.ordinal;
          step = *v;
          return;
        }
    }
    void state_violation(const Violation& v) override {
      if (!state && v.check == want) state = v;
    }
  } f;
  f.want = pr.check;
  m.successors(last, f);
  if (f.step) {
    out->violation = *f.step;
    out->violation_in_last_step = true;
    return rebuild_trace(m, path, f.ordinal, &out->trace, from_initial);
  }
  if (f.state) {
    out->violation = *f.state;
    return rebuild_trace(m, path, -1, &out->trace, from_initial);
  }
  return false;
}

// The same for a path of single steps whose violating step is a merged step (`mg`): its
// violation is in one of the single steps it stands for.
bool counterexample_from_path(const Machine& m, const PropertyResult& pr, const std::vector<std::vector<uint8_t>>& path,
                              Counterexample* out, const ir::Merging* mg, bool from_initial = true) {
  if (violation_at_end(m, pr, path, out, from_initial)) return true;
  if (!mg) return false;
  for (const auto& run : merged_prefixes(m, *mg, path.back().data())) {
    auto longer = path;
    longer.insert(longer.end(), run.begin(), run.end());
    if (violation_at_end(m, pr, longer, out, from_initial)) return true;
  }
  return false;
}

class Bmc {
 public:
  Bmc(const Machine& m, const std::string& file, const SymbolicOptions& o)
      : p_(m.program()), o_(o), m_(m), t0_(Clock::now()), E_(p_, c_, deadline(o, t0_), o.merge), s_(c_), frames_() {
    r_.file = file;
    r_.engine = std::string(o.induction ? "induction" : "bmc") + " (" + version_string() + (o.merge ? ", merged steps" : "") + ")";
    props_ = properties_of(p_);
    found_.assign(props_.size(), false);
  }

  CheckResult run() {
    if (E_.timed_out) return finish_limit("timeout " + seconds(o_.timeout_s) + " s (while encoding the model)");
    if (!E_.unsupported.empty()) return finish_limit("the symbolic engine cannot encode this model: " + E_.unsupported);
    if (init_violations()) return finish();
    frames_.push_back(E_.frame("s0"));
    s_.push_back(E_.at(E_.domain, frames_[0]));
    s_.push_back(E_.init(frames_[0]));
    for (uint32_t k = 0;; ++k) {
      depth_ = k;
      if (!check_frame(k)) return finish();
      r_.stats.depth_seconds.push_back(std::chrono::duration<double>(Clock::now() - t0_).count());
      if (o_.progress) {
        fprintf(stderr, "\r\033[K%s: depth %u done after %.1f s", o_.induction ? "induction" : "bmc", k,
                r_.stats.depth_seconds.back());
        fflush(stderr);
      }
      if (stop_) return finish();
      if (k == o_.depth) break;
      extend();
      int simple = complete(k + 1);
      if (simple < 0) return finish();
      if (simple == 0) {  // no simple path of length k+1: every reachable state was seen
        note_ = "every reachable state is within depth " + depth(k) + " (no longer simple path exists)";
        proved_ = true;
        return finish();
      }
      if (o_.induction) {
        int ind = induction(k + 1);
        if (ind < 0) return finish();
        if (ind == 1) {
          r_.cti.reset();  // a shallower k's counterexample to induction is moot now
          note_ = "proved by k-induction at k = " + std::to_string(k + 1);
          proved_ = true;
          return finish();
        }
      }
    }
    note_ = "no violation up to depth " + depth(o_.depth) + " (bounded: not a proof)";
    if (o_.induction) note_ += "; the induction step fails at k = " + std::to_string(o_.depth) + cti_note_;
    return finish();
  }

 private:
  static std::optional<Clock::time_point> deadline(const SymbolicOptions& o, Clock::time_point t0) {
    if (o.timeout_s <= 0) return std::nullopt;
    return t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout_s));
  }
  // A depth as the notes say it: with merging, a count of merged steps.
  std::string depth(uint32_t k) const { return std::to_string(k) + (o_.merge ? " merged steps" : ""); }
  static std::string seconds(double s) {
    char t[32];
    snprintf(t, sizeof t, "%g", s);
    return t;
  }
  // Seconds left of the overall budget, as the per-query timeout (ms); 0: none.
  unsigned budget_ms() {
    if (o_.timeout_s <= 0) return 0;
    double left = o_.timeout_s - std::chrono::duration<double>(Clock::now() - t0_).count();
    return left <= 0 ? 1 : unsigned(left * 1000) + 1;
  }
  // The unrolling (s_) lives in one incremental QF_BV solver (Z3's incremental SAT core
  // after the first push): each query is pushed, checked and popped, so the bit-blasted
  // transitions and learnt clauses carry over from depth to depth.
  z3::check_result check(const z3::expr* extra, z3::model* out) {
    for (; inc_n_ < s_.size(); ++inc_n_) inc_.add(s_[inc_n_]);
    return check_pushed(inc_, extra, out, "depth " + depth(depth_));
  }
  // One query on `s`: `extra` is asserted in a scope popped afterwards. `what` names the
  // query in the limit message.
  z3::check_result check_pushed(z3::solver& s, const z3::expr* extra, z3::model* out, const std::string& what) {
    z3::params prm(c_);
    prm.set("timeout", budget_ms() ? budget_ms() : 4294967295u);
    prm.set("rlimit", unsigned(std::min<uint64_t>(o_.rlimit, 4294967295u)));
    s.set(prm);
    s.push();
    if (extra) s.add(*extra);
    z3::check_result r = s.check();
    if (r == z3::unknown) {
      bool out_of_time = o_.timeout_s > 0 && std::chrono::duration<double>(Clock::now() - t0_).count() >= o_.timeout_s;
      limit_ = out_of_time ? "timeout " + seconds(o_.timeout_s) + " s (while checking " + what + ")"
                           : "Z3 returned unknown (" + s.reason_unknown() +
                                 (o_.rlimit ? "; --rlimit " + std::to_string(o_.rlimit) + " per query" : "") + ") at " +
                                 what;
    }
    if (r == z3::sat && out) *out = s.get_model();
    s.pop();
    return r;
  }

  bool init_violations() {
    struct Sink : StepSink {
      std::vector<std::pair<int, Violation>> v;
      void successor(const uint8_t*, const StepInfo& i) override {
        if (i.violation) v.push_back({i.ordinal, *i.violation});
      }
      bool error = false;
      std::string msg;
      Span at;
      std::vector<std::pair<int, int>> nested_edges;  // lock-order edges taken by init
      void nested(int held, int acquired, int, Span) override { nested_edges.push_back({held, acquired}); }
      void model_error(Span s, const std::string& m) override {
        error = true;
        at = s;
        msg = m;
      }
    } sink;
    m_.initial(sink);
    if (sink.error) {
      model_error_ = render_located(*p_.file, sink.at, "error", sink.msg);
      return true;
    }
    for (auto [held, acquired] : sink.nested_edges) {
      if (edges_.count({held, acquired})) continue;
      LockEdge e;
      e.held = held;
      e.acquired = acquired;
      e.thread = m_.init_thread();
      if (append_acquisition(m_, &e.trace, e.thread, acquired)) edges_.emplace(std::make_pair(held, acquired), std::move(e));
    }
    for (auto& [ord, v] : sink.v)
      for (size_t i = 0; i < props_.size(); ++i)
        if (!found_[i] && props_[i].property < 0 && props_[i].check == v.check) {
          Counterexample cx;
          cx.property = props_[i].name;
          cx.violation = v;
          cx.violation_in_last_step = true;
          rebuild_trace(m_, {}, ord, &cx.trace);
          record(i, std::move(cx));
        }
    return stop_;
  }

  void record(size_t i, Counterexample cx) {
    found_[i] = true;
    cex_.push_back({i, std::move(cx)});
    if (!o_.all) stop_ = true;
  }

  // The states of frames 0..upto, as a path of single steps (merged steps unmerged);
  // empty if it does not replay on the Machine (an internal error).
  std::vector<std::vector<uint8_t>> decode_path(const z3::model& mdl, size_t upto) {
    std::vector<std::vector<uint8_t>> path;
    for (size_t j = 0; j <= upto; ++j) path.push_back(E_.decode(mdl, frames_[j]));
    if (E_.merging() && !unmerge(m_, *E_.merging(), &path, E_.init_runs)) {
      internal_ = "a Z3 path of merged steps does not replay on the Machine (encoder and interpreter disagree)";
      return {};
    }
    return path;
  }

  // The error, bad and lock-edge conditions of one frame, instantiated in one pass.
  struct FrameConds {
    std::vector<z3::expr> errors, bad, edges;
    std::vector<z3::expr> bad_unless_fatal;  // E_.bad_unless_fatal
    std::optional<z3::expr> fatal;           // E_.fatal with the same inputs as bad
  };
  FrameConds conds_at(const z3::expr_vector& frame, const std::string& tag = "") {
    std::vector<z3::expr> all;
    for (const auto& e : E_.errors) all.push_back(e.cond);
    for (const auto& b : E_.bad) all.push_back(b);
    for (const auto& e : E_.edges) all.push_back(e.second);
    for (const auto& b : E_.bad_unless_fatal) all.push_back(b);
    all.push_back(E_.fatal);
    auto inst = E_.at_all(all, frame, tag);
    FrameConds fc;
    size_t i = 0;
    for (; i < E_.errors.size(); ++i) fc.errors.push_back(inst[i]);
    for (size_t b = 0; b < E_.bad.size(); ++b) fc.bad.push_back(inst[i++]);
    for (size_t e = 0; e < E_.edges.size(); ++e) fc.edges.push_back(inst[i++]);
    for (size_t b = 0; b < E_.bad.size(); ++b) fc.bad_unless_fatal.push_back(inst[i++]);
    fc.fatal = inst[i];
    return fc;
  }

  // Violations and model errors of frame k (a state, or a step from it). False: stop.
  bool check_frame(uint32_t k) {
    FrameConds fc = conds_at(frames_[k]);
    // Usually nothing happens at a new depth: one query over everything still open, kept
    // as a lemma when unsat, saves the separate error, property and lock-edge queries.
    {
      z3::expr q = anything_open(fc);
      auto r = check(&q, nullptr);
      if (r == z3::unknown) return false;
      if (r == z3::unsat) {
        s_.push_back(!q);
        return true;
      }
    }
    // Run-time model errors first: they make the model's verdicts meaningless.
    {
      z3::expr_vector any(c_);
      for (const auto& e : fc.errors) any.push_back(e);
      if (!any.empty()) {
        z3::expr q = z3::mk_or(any);
        z3::model mdl(c_);
        auto r = check(&q, &mdl);
        if (r == z3::unknown) return false;
        if (r == z3::sat) {
          for (size_t n = 0; n < E_.errors.size(); ++n)
            if (mdl.eval(fc.errors[n], true).is_true()) {
              const auto& e = E_.errors[n];
              model_error_ = render_located(*p_.file, e.span, "error", e.message);
              Trace t;
              auto path = decode_path(mdl, k);
              if (!path.empty() && rebuild_trace(m_, path, -1, &t)) error_trace_ = std::move(t);
              break;
            }
          return false;
        }
        s_.push_back(!q);
      }
    }
    for (;;) {
      z3::expr_vector any(c_);
      std::vector<size_t> idx;
      for (size_t i = 0; i < props_.size(); ++i)
        if (!found_[i] && props_[i].check != ir::Check::LockOrder) {
          any.push_back(fc.bad[i]);
          idx.push_back(i);
        }
      if (any.empty()) break;
      z3::expr q = z3::mk_or(any);
      z3::model mdl(c_);
      auto r = check(&q, &mdl);
      if (r == z3::unknown) return false;
      if (r == z3::unsat) {
        s_.push_back(!q);  // a proved lemma: the solver need not rediscover it
        break;
      }
      auto path = decode_path(mdl, k);
      if (path.empty()) return false;
      bool any_recorded = false;
      for (size_t n = 0; n < idx.size(); ++n) {
        size_t i = idx[n];
        if (!mdl.eval(any[n], true).is_true()) continue;
        Counterexample cx;
        if (!counterexample_from_path(m_, props_[i], path, &cx, E_.merging())) {
          internal_ = "the Z3 counterexample for '" + props_[i].name + "' at depth " + std::to_string(k) +
                      " does not replay on the Machine (encoder and interpreter disagree)";
          return false;
        }
        record(i, std::move(cx));
        any_recorded = true;
        if (stop_) return true;
      }
      if (!any_recorded) {
        internal_ = "Z3 reports a violation at depth " + std::to_string(k) + " that no property evaluates";
        return false;
      }
    }
    return lock_edges(k, fc);
  }

  // A run-time model error, a property not yet violated, or a lock-order edge not yet seen
  // (while lock_order is open), at one frame.
  // `step`: for the induction step, which need not look at lock-order edges when every
  // edge the model could ever take leaves the order acyclic.
  z3::expr anything_open(const FrameConds& fc, bool step = false) {
    z3::expr_vector any(c_);
    for (const auto& g : open_goals(fc, step, false)) any.push_back(g.cond);
    return z3::mk_or(any);
  }

  struct Goal {
    std::string name;  // for --progress
    z3::expr cond;
  };
  // What anything_open asks, as separate goals (the induction step asks them one by one):
  // each open property (without its "state after a fatal step" part when `no_fatal`), the
  // model errors, the new lock-order edges.
  std::vector<Goal> open_goals(const FrameConds& fc, bool step, bool no_fatal) {
    std::vector<Goal> goals;
    for (size_t i = 0; i < props_.size(); ++i)
      if (!found_[i] && props_[i].check != ir::Check::LockOrder)
        goals.push_back({props_[i].name, no_fatal ? fc.bad_unless_fatal[i] : fc.bad[i]});
    z3::expr_vector errors(c_), edges(c_);
    for (const auto& e : fc.errors) errors.push_back(e);
    if (lock_order_open() && !(step && static_order_acyclic()))
      for (size_t n = 0; n < E_.edges.size(); ++n)
        if (!edges_.count(E_.edges[n].first)) edges.push_back(fc.edges[n]);
    if (!errors.empty()) goals.push_back({"model errors", z3::mk_or(errors)});
    if (!edges.empty()) goals.push_back({"lock_order", z3::mk_or(edges)});
    return goals;
  }

  // The graph of lock classes, with an edge from each class a thread may hold (by the lock
  // facts of its position) to each class it then locks, has no cycle: in every run without
  // a violation, lock_order holds whatever the induction step's made-up states take. (A
  // run with a violation is caught by the base case.)
  bool static_order_acyclic() {
    if (static_acyclic_ < 0) {
      auto classes = ir::lock_classes(p_);
      auto facts = ir::lock_facts(p_, classes);
      std::vector<std::vector<bool>> g(classes.size(), std::vector<bool>(classes.size(), false));
      bool unknown = false;
      for (size_t t = 0; t < p_.tmpls.size(); ++t)
        for (size_t l = 0; l < p_.tmpls[t].locs.size(); ++l)
          for (const auto& a : p_.tmpls[t].locs[l].actions) {
            if (a.kind != ir::Act::Lock && a.kind != ir::Act::Trylock) continue;
            int acq = ir::lock_class_of(p_, classes, a.lock);
            if (acq < 0) { unknown = true; continue; }
            for (size_t h = 0; h < classes.size(); ++h)
              if (facts[t].held[l][h] != 0) g[h][acq] = true;  // held, or not known
          }
      std::vector<int> mark(classes.size(), 0);  // 1 on the stack, 2 done
      std::function<bool(size_t)> cyclic = [&](size_t n) {
        mark[n] = 1;
        for (size_t m = 0; m < classes.size(); ++m)
          if (g[n][m] && (mark[m] == 1 || (mark[m] == 0 && cyclic(m)))) return true;
        mark[n] = 2;
        return false;
      };
      bool cycle = unknown;
      for (size_t n = 0; n < classes.size() && !cycle; ++n)
        if (mark[n] == 0) cycle = cyclic(n);
      static_acyclic_ = cycle ? 0 : 1;
    }
    return static_acyclic_ == 1;
  }

  size_t lock_order_index() const {
    for (size_t i = 0; i < props_.size(); ++i)
      if (props_[i].check == ir::Check::LockOrder && props_[i].property < 0) return i;
    return props_.size();
  }
  bool lock_order_open() const { return lock_order_index() < props_.size() && !found_[lock_order_index()]; }

  // New lock-order edges reachable at frame k; a cycle among the edges is a violation.
  bool lock_edges(uint32_t k, const FrameConds& fc) {
    if (!lock_order_open()) return true;
    size_t lo = lock_order_index();
    for (;;) {
      z3::expr_vector any(c_);
      std::vector<std::pair<int, int>> keys;
      for (size_t n = 0; n < E_.edges.size(); ++n) {
        if (edges_.count(E_.edges[n].first)) continue;
        any.push_back(fc.edges[n]);
        keys.push_back(E_.edges[n].first);
      }
      if (any.empty()) return true;
      z3::expr q = z3::mk_or(any);
      z3::model mdl(c_);
      auto r = check(&q, &mdl);
      if (r == z3::unknown) return false;
      if (r == z3::unsat) return true;
      auto path = decode_path(mdl, k);
      if (path.empty()) return false;
      for (size_t n = 0; n < keys.size(); ++n) {
        if (!mdl.eval(any[n], true).is_true()) continue;
        LockEdge e;
        e.held = keys[n].first;
        e.acquired = keys[n].second;
        if (!rebuild_trace(m_, path, -1, &e.trace)) {
          internal_ = "a Z3 lock-order witness does not replay on the Machine";
          return false;
        }
        bool ok = false;
        for (int t = 0; t < m_.threads() && !ok; ++t) {
          Trace copy = e.trace;
          auto held = m_.held_locks(path.back().data(), t);
          if (std::count(held.begin(), held.end(), e.held) && append_acquisition(m_, &copy, t, e.acquired)) {
            e.thread = t;
            e.trace = std::move(copy);
            ok = true;
          }
        }
        if (!ok) {
          internal_ = "a Z3 lock-order witness does not replay on the Machine";
          return false;
        }
        edges_.emplace(keys[n], std::move(e));
      }
      if (auto cyc = cycle(); !cyc.empty()) {
        Counterexample cx;
        cx.property = "lock_order";
        cx.violation.check = ir::Check::LockOrder;
        std::string text;
        for (size_t i = 0; i < cyc.size(); ++i) text += (i ? " -> " : "") + p_.slot_name(cyc[i]);
        cx.violation.message = "lock order cycle " + text + " (locks taken in both orders; lockdep reports this even if no run deadlocks)";
        cx.violation.lock_slot = cyc[0];
        for (size_t i = 0; i + 1 < cyc.size(); ++i) cx.edges.push_back(edges_.at({cyc[i], cyc[i + 1]}));
        if (!cx.edges.empty() && !cx.edges.back().trace.steps.empty()) {
          const auto& last = cx.edges.back().trace.steps.back();
          const ir::Location& L = m_.location(last.thread, last.acts[0].loc);
          cx.violation.span = L.actions[last.acts[0].action].span;
        }
        record(lo, std::move(cx));
        return true;
      }
    }
  }

  // A cycle in the found edges, as lock slots with the first repeated at the end.
  std::vector<int> cycle() {
    std::map<int, std::vector<int>> g;
    for (const auto& [key, e] : edges_) g[key.first].push_back(key.second);
    for (const auto& [start, _] : g) {
      std::vector<int> path = {start};
      std::set<int> seen;
      std::function<bool(int)> dfs = [&](int n) -> bool {
        for (int m : g[n]) {
          if (m == start) {
            path.push_back(m);
            return true;
          }
          if (seen.insert(m).second) {
            path.push_back(m);
            if (dfs(m)) return true;
            path.pop_back();
          }
        }
        return false;
      };
      if (dfs(start)) return path;
    }
    return {};
  }

  void extend() {
    size_t k = frames_.size() - 1;
    frames_.push_back(E_.frame("s" + std::to_string(k + 1)));
    s_.push_back(E_.at(E_.trans, frames_[k], &frames_[k + 1], "t" + std::to_string(k)));
    if (k > 0 && o_.por) s_.push_back(E_.ordered(frames_[k - 1], "t" + std::to_string(k - 1), frames_[k], "t" + std::to_string(k)));
    s_.push_back(E_.at(E_.domain, frames_[k + 1]));
    if (o_.facts) s_.push_back(E_.at(E_.facts, frames_[k + 1]));  // implied here, but they help the solver
    // "Frames 0..k+1 are pairwise distinct", for the completeness check.
    for (size_t i = 0; i <= k; ++i) simple_.push_back(E_.distinct(frames_[i], frames_[k + 1]));
  }

  // 1: a simple path of length n exists; 0: none; -1: unknown.
  int complete(size_t) {
    z3::expr q = z3::mk_and(simple_);
    auto r = check(&q, nullptr);
    if (r == z3::unknown) return -1;
    return r == z3::sat ? 1 : 0;
  }

  // Step case of k-induction: k+1 distinct valid states, no property violated in the first
  // k, a violation (or a new lock-order edge) in the last. 1: unsat (proved); 0: sat; -1.
  int induction(size_t k) {
    z3::expr_vector s(c_);
    std::vector<z3::expr_vector> f;
    auto tag = [&](size_t j) { return "i" + std::to_string(k) + "_" + std::to_string(j); };
    for (size_t j = 0; j <= k; ++j) {
      f.push_back(E_.frame(tag(j)));
      s.push_back(E_.at(E_.domain, f[j]));
      if (o_.facts) s.push_back(E_.at(E_.facts, f[j]));
      if (j > 0) {
        s.push_back(E_.at(E_.trans, f[j - 1], &f[j], tag(j)));
        if (j > 1 && o_.por) s.push_back(E_.ordered(f[j - 2], tag(j - 1), f[j - 1], tag(j)));
        for (size_t i = 0; i < j; ++i) s.push_back(E_.distinct(f[i], f[j]));
      }
    }
    auto conds = [&](size_t j) { return conds_at(f[j], "b" + std::to_string(k) + "_" + std::to_string(j)); };
    for (size_t j = 0; j < k; ++j) {
      s.push_back(!anything_open(conds(j), true));
      if (o_.facts) s.push_back(E_.at(E_.clean_facts, f[j]));
    }
    FrameConds fk = conds(k);
    // One query per goal (open_goals) on one solver: the prefix is bit-blasted once and
    // each query's goal is small. With many auxiliary invariants the disjunction of all of
    // them as one goal is far slower. (Asserting each goal proved as a lemma for the next
    // made the iommufd scaffold's step slower, not faster: measured, left out.)
    z3::solver st(c_, "QF_BV");
    for (unsigned i = 0; i < s.size(); ++i) st.add(s[i]);
    z3::model mdl(c_);
    std::string what = "the induction step at k = " + std::to_string(k);
    // No fatal step from the last state (the usual case, once the built-in checks are
    // inductive): then every "state after a fatal step" part of a goal is false and is
    // left out. Those parts were half the time of the iommufd scaffold's refcount
    // invariants, even with !fatal asserted (bit-blasting them is the cost). Not a goal: a
    // fatal step is a built-in check's violation, and that goal shows it.
    if (o_.progress) {
      fprintf(stderr, "\r\033[Kinduction: step at k = %zu, fatal steps after %.1f s", k,
              std::chrono::duration<double>(Clock::now() - t0_).count());
      fflush(stderr);
    }
    auto nofatal = check_pushed(st, &*fk.fatal, nullptr, what);
    if (nofatal == z3::unknown) return -1;
    bool cti = false;
    auto goals = open_goals(fk, true, nofatal == z3::unsat);
    for (size_t g = 0; g < goals.size(); ++g) {
      if (o_.progress) {
        fprintf(stderr, "\r\033[Kinduction: step at k = %zu, goal %zu of %zu (%s) after %.1f s", k, g + 1, goals.size(),
                goals[g].name.c_str(), std::chrono::duration<double>(Clock::now() - t0_).count());
        fflush(stderr);
      }
      auto r = check_pushed(st, &goals[g].cond, &mdl, what);
      if (r == z3::unknown) return -1;
      if (r == z3::sat) {
        cti = true;
        break;
      }
    }
    if (!cti) return 1;
    // Keep the counterexample to induction of the deepest k tried, replayed on the Machine.
    std::vector<std::vector<uint8_t>> path;
    for (size_t j = 0; j <= k; ++j) path.push_back(E_.decode(mdl, f[j]));
    bool replays = !E_.merging() || unmerge(m_, *E_.merging(), &path);
    r_.cti.reset();
    for (size_t i = 0; i < props_.size() && !r_.cti; ++i) {
      if (found_[i] || props_[i].check == ir::Check::LockOrder) continue;
      if (!mdl.eval(fk.bad[i], true).is_true()) continue;
      Counterexample cx;
      if (!replays || !counterexample_from_path(m_, props_[i], path, &cx, E_.merging(), false)) {
        // The start state holds values no run produces (a pointer local of the wrong
        // kind, say) and the interpreter refuses it: show the state without the steps.
        cx = Counterexample{};
        cx.property = props_[i].name;
        if (props_[i].property >= 0) cx.violation = property_violation(p_, props_[i].property);
        else cx.violation.check = props_[i].check;
        cx.trace.start = path[0];
      }
      r_.cti = std::move(cx);
      r_.cti_k = uint32_t(k);
    }
    // A run-time model error (new past max, say) from the made-up state: shown with its
    // start state, so an invariant can rule it out.
    for (size_t i = 0; i < E_.errors.size() && !r_.cti; ++i) {
      if (!mdl.eval(fk.errors[i], true).is_true()) continue;
      Counterexample cx;
      cx.property = kModelErrorProperty;
      cx.violation.message = E_.errors[i].message;
      cx.violation.span = E_.errors[i].span;
      cx.trace.start = path[0];
      r_.cti = std::move(cx);
      r_.cti_k = uint32_t(k);
    }
    cti_note_ = r_.cti && !r_.cti->trace.steps.empty() ? " (its counterexample to induction is shown)"
                                                        : " (its counterexample to induction cannot be replayed)";
    return 0;
  }

  CheckResult finish_limit(const std::string& why) {
    limit_ = why;
    return finish();
  }

  CheckResult finish() {
    if (o_.progress && !r_.stats.depth_seconds.empty()) fprintf(stderr, "\r\033[K");
    r_.stats.depth = depth_;
    r_.stats.transitions = E_.transitions();
    r_.stats.seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
    r_.stats.state_bytes = m_.state_size();
    r_.note = note_;
    if (!model_error_.empty()) {
      r_.outcome = Outcome::ModelError;
      r_.error = model_error_;
      r_.error_trace = error_trace_;
      r_.properties = props_;
      return r_;
    }
    if (!internal_.empty()) limit_ = "internal: " + internal_;
    bool complete = proved_ && limit_.empty();
    r_.outcome = complete ? Outcome::Complete : stop_ ? Outcome::StoppedAtViolation : Outcome::LimitHit;
    r_.limit = limit_.empty() && !complete && !stop_ ? note_ : limit_;
    std::sort(cex_.begin(), cex_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::map<size_t, size_t> where;
    for (auto& [i, cx] : cex_) {
      if (r_.cti && r_.cti->property == cx.property) r_.cti.reset();  // a real counterexample makes it moot
      where[i] = r_.counterexamples.size();
      r_.counterexamples.push_back(std::move(cx));
    }
    for (size_t i = 0; i < props_.size(); ++i) {
      PropertyResult pr = props_[i];
      if (found_[i]) {
        pr.status = Status::Violated;
        pr.counterexample = int(where[i]);
      } else {
        pr.status = complete ? Status::Holds : Status::Unknown;
      }
      r_.properties.push_back(pr);
    }
    return r_;
  }

  const ir::Program& p_;
  SymbolicOptions o_;
  Machine m_;
  z3::context c_;
  Clock::time_point t0_;              // the run's start: encoding counts against --timeout
  Encoder E_;
  z3::expr_vector s_;                 // the unrolling so far: domain, init, transitions
  std::vector<z3::expr_vector> frames_;
  z3::expr_vector simple_{c_};
  z3::solver inc_{c_, "QF_BV"};
  unsigned inc_n_ = 0;
  CheckResult r_;
  std::vector<PropertyResult> props_;
  std::vector<bool> found_;
  std::vector<std::pair<size_t, Counterexample>> cex_;
  std::map<std::pair<int, int>, LockEdge> edges_;
  int static_acyclic_ = -1;  // static_order_acyclic(): -1 not yet known
  uint32_t depth_ = 0;
  bool stop_ = false, proved_ = false;
  std::string limit_, note_, model_error_, internal_, cti_note_;
  std::optional<Trace> error_trace_;
};

}  // namespace

std::string solver_version() { return version_string(); }

long first_breaking_facts(const ir::Program& p, const std::vector<std::vector<uint8_t>>& states, bool merge,
                          bool clean) {
  z3::context c;
  Encoder E(p, c, std::nullopt, merge);
  if (!E.unsupported.empty()) return -1;  // not encoded: no facts to assume
  for (size_t i = 0; i < states.size(); ++i) {
    z3::expr_vector vals(c);
    for (unsigned j = 0; j < E.X.size(); ++j) vals.push_back(E.raw(states[i], j));
    if (!E.at(clean ? E.clean_facts : E.facts, vals).simplify().is_true()) return long(i);
  }
  return -1;
}

CheckResult check_symbolic(const Machine& m, const std::string& file, const SymbolicOptions& o) {
  if (m.monitor()) {  // engine.h's unsupported() says so first; this is the backstop
    CheckResult r;
    r.file = file;
    r.engine = std::string(o.induction ? "induction" : "bmc") + " (" + version_string() + ")";
    r.outcome = Outcome::ModelError;
    r.error = "lifecheck: error: the Z3 engines cannot run with a step monitor (replay and prediction use the explicit search)\n";
    r.properties = properties_of(m.program());
    return r;
  }
  Bmc b(m, file, o);
  return b.run();
}

}  // namespace lc::symbolic
