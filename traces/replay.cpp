#include "traces/replay.h"

#include <fnmatch.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "model/frontend.h"
#include "model/merge.h"
#include "model/trace.h"
#include "traces/lookahead.h"

namespace lc::traces {

namespace {

using Clock = std::chrono::steady_clock;

// A state of the search: its bytes live in its layer; `parent` is (layer count << 32 | index).
struct Node {
  uint64_t parent = UINT64_MAX;
  int32_t ordinal = -1;       // how = Step: the successor ordinal from the parent
  uint32_t silent = 0;        // silent steps since the last matched observation
  uint64_t silent_total = 0;  // silent steps along the whole behaviour
  uint32_t merged = 0;        // how = Step: thread-local steps of the same thread after it (merging)
  enum How : uint8_t { Root, Step, Bind } how = Root;
  bool holds = false;         // every invariant was evaluated here and holds (not tainted)
  bool dead = false;          // violates an invariant: its tainted copy goes on instead
};

// The states with the same number of matched observations, deduplicated.
struct Layer {
  uint32_t count = 0;
  size_t n = 0;  // bytes per state
  // State bytes in blocks of 1, 2, 4, ... states: a state never moves once added, so an
  // expansion reads its state in place while successors join the same layer.
  std::vector<std::unique_ptr<uint8_t[]>> blocks;
  size_t stored_bytes = 0;
  std::vector<Node> nodes;
  std::vector<uint32_t> table;  // open addressing: node index + 1, 0 empty
  std::vector<uint64_t> hashes; // per node: hash(state), so growing the table rehashes nothing
  bool processed = false;
  bool widened = false;    // lazy tier: expanded again with every thread (the lazy closure matched nothing)
  size_t counted = 0;      // states already counted in ReplayResult::states

  const uint8_t* state(size_t i) const { return at(i); }
  // State i is entry q - 2^b of block b, for q = i + 1 and 2^b <= q < 2^(b+1).
  uint8_t* at(size_t i) const {
    size_t q = i + 1, b = size_t(std::bit_width(q)) - 1;
    return blocks[b].get() + (q - (size_t(1) << b)) * n;
  }
  // Four independent lanes of eight bytes: states are kilobytes, and one multiply chain
  // over them was most of the cost of adding a state.
  static uint64_t hash(const uint8_t* s, size_t n) {
    const uint64_t K = 0xff51afd7ed558ccdull;
    uint64_t h[4] = {0x9e3779b97f4a7c15ull ^ n, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull, 0x27d4eb2f165667c5ull};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
      for (int l = 0; l < 4; ++l) {
        uint64_t w;
        memcpy(&w, s + i + 8 * l, 8);
        h[l] = (h[l] ^ w) * K;
        h[l] ^= h[l] >> 29;
      }
    uint64_t r = h[0] ^ (h[1] * 0x9e3779b97f4a7c15ull) ^ (h[2] * 0xc4ceb9fe1a85ec53ull) ^ (h[3] * K);
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      r = (r ^ w) * K;
      r ^= r >> 29;
    }
    for (; i < n; ++i) r = (r ^ s[i]) * 0x100000001b3ull;
    r ^= r >> 32;
    return r * 0xc4ceb9fe1a85ec53ull;
  }
  // Adds a state unless it is here already; returns its index and whether it is new.
  std::pair<size_t, bool> add(const uint8_t* s, const Node& nd) {
    if (table.size() < 2 * (nodes.size() + 1)) grow();
    size_t mask = table.size() - 1;
    uint64_t hs = hash(s, n);
    for (size_t h = hs & mask;; h = (h + 1) & mask) {
      uint32_t v = table[h];
      if (!v) {
        table[h] = uint32_t(nodes.size() + 1);
        size_t b = size_t(std::bit_width(nodes.size() + 1)) - 1;
        if (b == blocks.size()) {  // the blocks so far hold 2^b - 1 states: one more of 2^b
          blocks.emplace_back(new uint8_t[(size_t(1) << b) * n]);
          stored_bytes += (size_t(1) << b) * n;
        }
        memcpy(at(nodes.size()), s, n);
        nodes.push_back(nd);
        hashes.push_back(hs);
        return {nodes.size() - 1, true};
      }
      if (hashes[v - 1] == hs && memcmp(state(v - 1), s, n) == 0) return {v - 1, false};
    }
  }
  void grow() {
    std::vector<uint32_t> t(std::max<size_t>(64, table.size() * 2), 0);
    size_t mask = t.size() - 1;
    for (size_t i = 0; i < nodes.size(); ++i)
      for (size_t h = hashes[i] & mask;; h = (h + 1) & mask)
        if (!t[h]) {
          t[h] = uint32_t(i + 1);
          break;
        }
    table.swap(t);
  }
  size_t bytes() const {
    return stored_bytes + nodes.capacity() * sizeof(Node) + table.capacity() * 4 + hashes.capacity() * 8;
  }
};

// Where a property was first seen violated: the node before the violating step (and the
// step's ordinal), or the violating state itself (ordinal -1).
struct Witness {
  uint64_t node = UINT64_MAX;
  int ordinal = -1;
  Violation v;
};

uint64_t id_of(uint32_t count, size_t index) { return uint64_t(count) << 32 | index; }

}  // namespace

// How much of the model's behaviour a search explores, cheapest first. Lazy: a thread
// moves only when its task's observation is next (a layer whose lazy closure matches
// nothing is widened to every thread). Fast: every thread moves, but one whose task made
// its last observation and holds no lock stops. Both drop a silent step that takes a
// thread where it can no longer make its task's next observed call (Lookahead). Exact:
// every behaviour, nothing pruned. An acceptance in any tier is a behaviour of the model;
// anything else is decided by the next tier.
enum class Tier : uint8_t { Lazy, Fast, Exact };

struct Replay::Impl {
  Replay& self;
  std::string model_name, model_text;
  std::function<std::unique_ptr<EventReader>()> open;
  const ProbeDefs& probes;
  ReplayOptions o;
  ReplayResult r;

  // Pass 1 (per task, in pass-1 observation order).
  std::vector<std::vector<int>> task_tmpls;  // candidate thread templates
  std::vector<bool> entry_seen, exit_seen;   // per model function
  std::vector<bool> uses_self;               // per template: instances are not interchangeable
  uint32_t total = 0;

  std::unique_ptr<Mapper> mapper;  // pass 2
  std::unique_ptr<ReplayMonitor> mon;
  std::vector<ReplayProperty> props;  // builtins, then the model's properties
  std::vector<Witness> witness;
  std::map<uint32_t, Layer> layers;
  Clock::time_point t0;
  std::string limit;
  bool stop = false;
  uint64_t expansions = 0;

  Impl(Replay& s, std::string name, std::string text, std::function<std::unique_ptr<EventReader>()> op,
       const ProbeDefs& pr, const ReplayOptions& opts)
      : self(s), model_name(std::move(name)), model_text(std::move(text)), open(std::move(op)), probes(pr), o(opts) {}

  const Machine& m() const { return *self.m_; }
  const ir::Program& p() const { return *self.program_; }

  // ---- pass 1: what the capture holds ----
  void scan(const ir::Program& base) {
    Mapper m1(open(), base, probes, o.window_ns);
    m1.read_all();
    total = m1.total();
    r.file = m1.file();
    r.format = m1.format();
    r.events = m1.events_read();
    r.skipped = m1.skipped();
    r.lost = m1.lost();
    Symbols& sy = m1.symbols();
    const ModelNames& names = m1.names();
    entry_seen.assign(base.fns.size(), false);
    exit_seen.assign(base.fns.size(), false);
    // Which functions the capture shows, entries and returns: count them on the way.
    Mapper m2(open(), base, probes, o.window_ns);
    for (uint32_t i = 0;; ++i) {
      const Observation* ob = m2.get(i);
      if (!ob) break;
      r.observed_events += ob->events;
      for (int f : m2.names().fns_of.at(ob->kfn)) (ob->leave ? exit_seen : entry_seen)[f] = true;
      if (i >= 1024) m2.release(i - 1024);
    }
    r.observations = total;
    // The kernel functions each thread template can call.
    std::vector<std::set<std::string>> alphabet(base.tmpls.size());
    uses_self.assign(base.tmpls.size(), false);
    for (size_t t = 0; t < base.tmpls.size(); ++t)
      for (const auto& L : base.tmpls[t].locs)
        for (const auto& a : L.actions)
          if (a.kind == ir::Act::Call && names.kname[a.callee]) alphabet[t].insert(sy.str(names.kname[a.callee]));
    for (const auto& e : base.exprs)
      if (e.op == ir::Op::Self) std::fill(uses_self.begin(), uses_self.end(), true);  // conservative: any use
    for (const TaskInfo& ti : m1.tasks()) {
      task_last.push_back(ti.count ? ti.last : 0);
      std::vector<int> cand;
      std::string comm = sy.str(ti.comm);
      for (const auto& rule : base.trace_map.tasks)
        if (fnmatch(rule.pattern.c_str(), comm.c_str(), 0) == 0) {
          cand.push_back(rule.tmpl);
          break;
        }
      if (cand.empty() && ti.count)
        for (size_t t = 0; t < base.tmpls.size(); ++t) {
          if (base.tmpls[t].is_init) continue;
          bool all = true;
          for (uint32_t k : ti.kfns) all = all && alphabet[t].count(sy.str(k));
          if (all) cand.push_back(int(t));
        }
      task_tmpls.push_back(cand);
      ReplayResult::Task rt;
      rt.name = comm + (ti.pid >= 0 ? "-" + std::to_string(ti.pid) : "");
      rt.observations = ti.count;
      for (int t : cand) rt.threads.push_back(base.tmpls[t].name);
      r.tasks.push_back(rt);
      if (!ti.count) ++r.skipped.unmapped_tasks;
    }
    // By kernel name: the model's copies of one kernel function (remove_nested) are one.
    for (size_t f = 0; f < base.fns.size(); ++f) {
      if (!entry_seen[f] && !exit_seen[f]) continue;
      std::string k = sy.str(names.kname[f]);
      auto it = std::find_if(r.observable.begin(), r.observable.end(), [&](auto& o) { return o.first == k; });
      if (it == r.observable.end()) r.observable.push_back({k, exit_seen[f]});
      else it->second = it->second || exit_seen[f];
    }
    // Instances per template: the most tasks that may run it at once, plus room for
    // threads that finish silently after their task's last call.
    std::map<std::string, int> counts;
    for (size_t t = 0; t < base.tmpls.size(); ++t) {
      if (base.tmpls[t].is_init) continue;
      std::vector<std::pair<uint32_t, int>> ev;
      for (size_t k = 0; k < m1.tasks().size(); ++k) {
        const TaskInfo& ti = m1.tasks()[k];
        if (!ti.count || std::find(task_tmpls[k].begin(), task_tmpls[k].end(), int(t)) == task_tmpls[k].end()) continue;
        ev.push_back({ti.first, 1});
        ev.push_back({ti.last + 1, -1});
      }
      std::sort(ev.begin(), ev.end(),
                [](auto& a, auto& b) { return a.first != b.first ? a.first < b.first : a.second < b.second; });
      int live = 0, most = 0;
      for (auto& [at, d] : ev) most = std::max(most, live += d);
      counts[base.tmpls[t].name] = most ? most + 2 : 1;
    }
    instances = counts;
  }
  std::map<std::string, int> instances;
  CompileOptions base_options;  // the model's trace { const } rules

  // ---- pass 2 ----
  void instantiate() {
    CompileOptions co = base_options;
    co.instances = instances;
    Loaded l = load_model_text(model_name, model_text, co);
    if (!l.program) throw ModelError{l.diagnostics};
    self.program_ = std::move(l.program);
    scanned = r;
  }
  ReplayResult scanned;  // what pass 1 found: every search starts from it
  Tier tier = Tier::Lazy;

  // A fresh search of the capture (read again from its start) in `t`.
  void begin(Tier t) {
    tier = t;
    r = scanned;
    r.exhaustive = t == Tier::Exact;
    r.search = t == Tier::Lazy ? "lazy" : t == Tier::Fast ? "every thread" : "exact";
    layers.clear();
    witness_traces.clear();
    untraced.clear();
    limit.clear();
    model_error.clear();
    no_thread_for.clear();
    short_of.clear();
    fatal_at.clear();
    stop = silent_bound = false;
    expansions = 0;
    self.m_.reset();
    mon.reset();
    mapper = std::make_unique<Mapper>(open(), p(), probes, o.window_ns);
    mon = std::make_unique<ReplayMonitor>(p(), *mapper, entry_seen, exit_seen, o.window_ns);
    mon->set_total(total);
    mon->set_lost(r.lost);
    MachineOptions mo;
    mo.reuse_freed = true;
    self.m_ = std::make_unique<Machine>(p(), mon.get(), mo);
    r.state_bytes = m().state_size();
    if (t == Tier::Exact && quiet.empty()) compute_quiet();
    if (!ahead) ahead = std::make_unique<Lookahead>(p(), mapper->names(), entry_seen, exit_seen);
    if (!liveness) liveness = std::make_unique<ir::Liveness>(p());
    if (!mg) mg = ir::merging(p());
    shared_bytes = p().shared_bytes();
    prop_reads_threads.clear();
    for (const auto& pr : p().properties) prop_reads_threads.push_back(p().reads_threads(pr.expr));
    props.clear();
    for (ir::Check c : ir::kBuiltinChecks) props.push_back({ir::check_name(c), c, -1, ReplayProperty::Holds});
    for (size_t i = 0; i < p().properties.size(); ++i) {
      const auto& pr = p().properties[i];
      props.push_back({pr.name, pr.is_final ? ir::Check::Final : ir::Check::Invariant, int(i),
                       pr.is_final ? ReplayProperty::NotChecked : ReplayProperty::Holds});
    }
    for (auto& pr : props)
      if (pr.check == ir::Check::Deadlock) pr.status = ReplayProperty::NotChecked;  // a capture ends mid-run
    witness.assign(props.size(), Witness{});
  }

  size_t prop_index(ir::Check c) const {
    for (size_t i = 0; i < std::size(ir::kBuiltinChecks); ++i)
      if (ir::kBuiltinChecks[i] == c) return i;
    return 0;
  }

  // Finished threads look like unused ones again: the next task may take them, and states
  // that differ only in which task an instance ran last are the same state. Outside exact
  // mode, so does a thread whose task has no observation left and which holds no lock: it
  // stops where it is (a behaviour in which it is never scheduled again), instead of
  // multiplying every later state by the silent steps it could still take.
  // Only `moved` changed its locals in the step (the parent's other threads are normalized).
  void normalize(uint8_t* s, int moved) const {
    for (int t = 0; t < m().threads(); ++t) {
      bool done = m().finished(s, t);
      if (!done) {
        uint32_t task1 = mon->task_of(m(), s, t);
        done = task1 && mon->is_matched(m(), s, task_last[task1 - 1]) && m().held_locks(s, t).empty() &&
               (tier != Tier::Exact || quiet[p().threads[t].tmpl][m().pc(s, t)]);
      }
      if (done) {
        m().restart(s, t);
        mon->set_task(m(), s, t, 0);
      } else if (t == moved) {
        m().clear_dead_locals(s, t, *liveness);
      }
    }
    m().collect_garbage(s);
  }
  std::vector<uint32_t> task_last;  // per task: its last observation
  // Per template, per location: every path from here touches only the thread's own state
  // until it ends or makes an observed call. A thread whose task made its last observed call
  // can never change anything another thread or a property sees from such a place (its next
  // observed call is refused), so even the exact search may treat it as finished.
  std::vector<std::vector<bool>> quiet;
  void compute_quiet() {
    ir::Merging mg = ir::merging(p());
    quiet.resize(p().tmpls.size());
    for (size_t t = 0; t < p().tmpls.size(); ++t) {
      const auto& T = p().tmpls[t];
      std::vector<bool>& q = quiet[t];
      q.assign(T.locs.size(), true);  // greatest fixed point: local loops that never end are quiet too
      auto stops = [&](const ir::Action& a) { return a.kind == ir::Act::Call && entry_seen[a.callee]; };
      for (size_t l = 0; l < T.locs.size(); ++l) {
        bool all_stop = !T.locs[l].actions.empty();
        for (const auto& a : T.locs[l].actions) all_stop = all_stop && stops(a);
        q[l] = int(l) == T.end || all_stop || mg.local[t][l];
      }
      for (bool changed = true; changed;) {
        changed = false;
        for (size_t l = 0; l < T.locs.size(); ++l) {
          if (!q[l] || int(l) == T.end) continue;
          for (const auto& a : T.locs[l].actions)
            if (!stops(a) && !q[a.target]) {
              q[l] = false;
              changed = true;
              break;
            }
        }
      }
    }
  }

  Layer& layer(uint32_t count) {
    auto [it, fresh] = layers.try_emplace(count);
    if (fresh) {
      it->second.count = count;
      it->second.n = m().state_size();
    }
    return it->second;
  }

  const uint8_t* state_of(uint64_t id) const {
    auto it = layers.find(uint32_t(id >> 32));
    if (it == layers.end()) return nullptr;
    return it->second.state(size_t(id & 0xffffffff));
  }
  const Node* node_of(uint64_t id) const {
    auto it = layers.find(uint32_t(id >> 32));
    if (it == layers.end()) return nullptr;
    return &it->second.nodes[size_t(id & 0xffffffff)];
  }

  void found(size_t prop, uint64_t node, int ordinal, const Violation& v) {
    if (witness[prop].node != UINT64_MAX) return;
    witness[prop] = {node, ordinal, v};
    untraced.push_back(prop);
  }
  // Keeps what the diagram needs while the layers are still here. Called after an
  // expansion, never inside one: re-executing steps inside Machine::successors' callback
  // would reuse the scratch states the expansion is still using.
  std::vector<size_t> untraced;
  void trace_witnesses() {
    for (size_t prop : untraced) witness_traces[prop] = trace_to(witness[prop].node, witness[prop].ordinal);
    untraced.clear();
  }
  std::map<size_t, std::pair<Trace, uint32_t>> witness_traces;

  // Inserts a successor and checks the invariants of a new one. `from`: its parent's
  // state, when the parent holds every invariant: one that reads no thread state then
  // still holds if the step left the globals and instances as they were.
  void add(uint8_t* next, const Node& nd, uint32_t cur, const uint8_t* from = nullptr) {
    uint32_t c = mon->matched_count(m(), next);
    Node x = nd;
    x.holds = false;
    if (c != cur) x.silent = 0;
    Layer& L = layer(c);
    auto [i, fresh] = L.add(next, x);
    if (!fresh) return;
    uint64_t id = id_of(c, i);
    if (mon->tainted(m(), L.state(i))) return;
    bool same_shared = from && memcmp(from, next, shared_bytes) == 0;
    for (size_t k = 0; k < p().properties.size(); ++k) {
      if (p().properties[k].is_final) continue;
      if (same_shared && !prop_reads_threads[k]) continue;
      std::string why;
      int ok = m().check_property(L.state(i), int(k), &why);
      if (ok < 0) {
        model_error = "property '" + p().properties[k].name + "' cannot be evaluated in a state of the replay: " + why;
        stop = true;
        return;
      }
      if (ok == 0) {
        size_t pi = std::size(ir::kBuiltinChecks) + k;
        Violation v;
        v.check = ir::Check::Invariant;
        v.property = int(k);
        v.message = "invariant '" + p().properties[k].name + "' is false";
        v.span = p().properties[k].span;
        found(pi, id, -1, v);
        // The tainted copy goes on; the clean one ends here (it violates), or a clean
        // behaviour through it would be accepted with the invariant shown holding.
        L.nodes[i].dead = true;
        std::vector<uint8_t> t(L.state(i), L.state(i) + L.n);
        mon->set_tainted(m(), t.data(), uint32_t(pi + 1));
        Node y = L.nodes[i];
        y.dead = false;
        y.parent = id;
        y.how = Node::Bind;  // same model state, only the flag differs
        L.add(t.data(), y);
        return;
      }
    }
    L.nodes[i].holds = true;
  }
  std::string model_error;
  size_t shared_bytes = 0;                // Program::shared_bytes
  std::vector<bool> prop_reads_threads;  // per property: Program::reads_threads

  // The steps from the oldest kept ancestor of `node` to it (and the violating step with
  // `ordinal`, if >= 0); .second: observations matched before the trace starts.
  std::pair<Trace, uint32_t> trace_to(uint64_t node, int ordinal) {
    std::vector<uint64_t> chain;
    for (uint64_t id = node; id != UINT64_MAX;) {
      const Node* nd = node_of(id);
      if (!nd) break;
      chain.push_back(id);
      id = nd->parent;
    }
    std::reverse(chain.begin(), chain.end());
    Trace t;
    uint32_t from = 0;
    if (chain.empty()) return {t, 0};
    const uint8_t* s0 = state_of(chain[0]);
    t.start.assign(s0, s0 + m().state_size());
    from = mon->matched_count(m(), s0);
    if (node_of(chain[0])->how == Node::Root && from == 0 && p().init_tmpl >= 0) {
      Trace init;
      if (rebuild_trace(m(), {t.start}, -1, &init) && !init.steps.empty()) t.steps.push_back(init.steps[0]);
    }
    for (size_t k = 1; k < chain.size(); ++k) {
      const Node* nd = node_of(chain[k]);
      if (nd->how != Node::Step) continue;
      TraceStep st;
      if (!record_step(m(), state_of(chain[k - 1]), nd->ordinal, &st)) continue;
      int thread = st.thread;
      t.steps.push_back(std::move(st));
      for (uint32_t j = 0; j < nd->merged; ++j) {  // the merged step's thread-local rest, one at a time
        auto one = single_steps(m(), t.steps.back().after.data(), thread);
        TraceStep more;
        if (one.size() != 1 || !record_step(m(), t.steps.back().after.data(), one[0].ordinal, &more)) break;
        t.steps.push_back(std::move(more));
      }
    }
    if (ordinal >= 0) {
      TraceStep st;
      if (record_step(m(), state_of(chain.back()), ordinal, &st)) t.steps.push_back(std::move(st));
    }
    return {t, from};
  }

  // Tasks whose next observation is matchable but which no thread instance runs: give
  // them the lowest free instance of each thread template that can run them.
  // `dry`: only note why a task cannot start (the diagnosis of a rejection).
  void bind_tasks(const uint8_t* s, uint64_t id, const Node& nd, uint32_t cur, bool dry) {
    uint32_t pos = mon->pos(m(), s);
    const Observation* head = pos < total ? mapper->get(pos) : nullptr;  // unmatched by definition
    for (uint32_t j = pos; j <= pos + ReplayMonitor::kWindow && j < total; ++j) {
      if (mon->is_matched(m(), s, j)) continue;
      const Observation* ob = mapper->get(j);
      if (!ob) break;
      // Timestamps only grow: past the window from the head, no later observation is
      // first of its task (the head orders before it), so none can start one.
      if (j > pos && ob->ts_ns - head->ts_ns > o.window_ns) break;
      uint32_t task = ob->task;
      bool live = false;
      for (int t = 0; t < m().threads() && !live; ++t) live = mon->task_of(m(), s, t) == task + 1;
      if (live) continue;
      // Only the task's next observation can start it, and only when nothing orders first.
      bool first = true;
      for (uint32_t k = pos; k < j && first; ++k)
        if (!mon->is_matched(m(), s, k)) {
          const Observation* e = mapper->get(k);
          first = e->task != task && e->cpu != ob->cpu && ob->ts_ns - e->ts_ns <= o.window_ns;
        }
      if (!first) continue;
      if (task_tmpls[task].empty()) no_thread_for.insert(task);
      for (int tmpl : task_tmpls[task]) {
        bool any = false;
        for (int t = 0; t < m().threads(); ++t) {
          if (p().threads[t].tmpl != tmpl || mon->task_of(m(), s, t) != 0) continue;
          if (m().pc(s, t) != p().tmpls[tmpl].entry) continue;
          any = true;
          if (!dry) {
            bind_buf.assign(s, s + m().state_size());
            mon->set_task(m(), bind_buf.data(), t, task + 1);
            Node b = nd;
            b.parent = id;
            b.how = Node::Bind;
            add(bind_buf.data(), b, cur, nd.holds ? s : nullptr);
          }
          if (!uses_self[tmpl]) break;  // interchangeable instances: the lowest free one
        }
        if (!any) short_of.insert(p().tmpls[tmpl].name);
      }
    }
  }
  std::set<uint32_t> no_thread_for;
  std::set<std::string> short_of;
  std::vector<uint8_t> bind_buf;  // bind_tasks' successor (add copies it into its layer)

  struct Sink : StepSink {
    Impl* I;
    const uint8_t* from;  // the state expanded
    uint64_t id;
    Node nd;
    uint32_t cur;
    std::vector<uint8_t> buf;
    // Silent steps that may go on as a merged step: taken after the expansion, as the
    // Machine's successors() is not re-entrant.
    struct Deferred {
      std::vector<uint8_t> next;
      int thread, ordinal;
    };
    std::vector<Deferred> deferred;  // the first `used` entries; their buffers are reused
    size_t used = 0;
    // Lookahead pruning of a silent step, in the tiers that look for an acceptance; the
    // exact tier keeps every step, so a rejection names the first observation no behaviour
    // reaches. Asked before the state is copied, normalized or merged on: a thread that
    // cannot reach its task's next call from here cannot from any place its later steps
    // reach, and normalize changes neither places nor observations, only restarts a
    // finished thread (so that one is kept).
    bool pruned(const uint8_t* st, const StepInfo& info) const {
      if (I->tier == Tier::Exact || (info.violation && info.violation->fatal())) return false;
      int t = info.thread;
      return I->mon->matched_count(I->m(), st) == cur && t >= 0 && t < I->m().threads() && !I->m().finished(st, t) &&
             I->dead_end(st, t);
    }
    void successor(const uint8_t* next, const StepInfo& info) override {
      if (pruned(next, info)) return;
      if (!info.violation && !info.also && I->may_merge(next, info.thread, cur)) {
        if (used == deferred.size()) deferred.emplace_back();
        Deferred& d = deferred[used++];
        d.next.assign(next, next + I->m().state_size());
        d.thread = info.thread;
        d.ordinal = info.ordinal;
        return;
      }
      take(const_cast<uint8_t*>(next), info, 0);  // the machine's scratch state (StepSink)
    }
    // After the expansion: each deferred step with its thread-local rest.
    void take_deferred() {
      for (size_t k = 0; k < used; ++k) {
        Deferred& d = deferred[k];
        buf.swap(d.next);
        uint32_t merged = I->merge_rest(buf, d.thread, cur);
        StepInfo info;
        info.thread = d.thread;
        info.ordinal = d.ordinal;
        if (merged && pruned(buf.data(), info)) continue;  // the merged rest moved it on
        take(buf.data(), info, merged);
      }
      used = 0;
    }
    // `st`: the state after the step (and `merged` thread-local steps after it); it is
    // normalized in place, and add() copies it into its layer.
    void take(uint8_t* st, const StepInfo& info, uint32_t merged) {
      I->normalize(st, info.thread);
      Node x = nd;
      x.parent = id;
      x.ordinal = info.ordinal;
      x.how = Node::Step;
      bool observed = I->mon->matched_count(I->m(), st) != cur;
      x.merged = merged;
      if (!observed) {
        x.silent += 1 + merged;
        x.silent_total += 1 + merged;
      }
      if (info.violation && info.violation->fatal()) {
        I->found(I->prop_index(info.violation->check), id, info.ordinal, *info.violation);
        if (info.also) I->found(I->prop_index(info.also->check), id, info.ordinal, *info.also);
        I->fatal_at.insert(cur);
        return;  // the path ends at a fatal violation
      }
      const Violation* nonfatal = info.violation ? info.violation : info.also;
      if (nonfatal && !I->mon->tainted(I->m(), st)) {
        size_t pi = I->prop_index(nonfatal->check);
        I->found(pi, id, info.ordinal, *nonfatal);
        I->mon->set_tainted(I->m(), st, uint32_t(pi + 1));
      }
      I->add(st, x, cur, nd.holds ? from : nullptr);
    }
    void model_error(Span at, const std::string& message) override {
      if (I->model_error.empty()) I->model_error = render_located(*I->p().file, at, "error", message);
      I->stop = true;
    }
  };
  std::set<uint32_t> fatal_at;  // layers whose closure ended a path at a fatal violation

  // Statement merging (model/merge.h) of silent steps: after a silent step of thread t,
  // the thread-local steps that follow it run in the same search step, so the states in
  // between (the thread alone changes its own locals) are never stored. A step that
  // matches an observation, is refused by the monitor or reports a violation stops it
  // (that step is then taken as a step of its own). Returns the steps taken.
  std::optional<ir::Merging> mg;
  bool may_merge(const uint8_t* s, int t, uint32_t cur) const {
    return t >= 0 && t < m().threads() && mon->matched_count(m(), s) == cur &&
           mg->continues(p().threads[t].tmpl, m().pc(s, t));
  }
  // The one step of a thread at a thread-local location, copied into `next` (model/merge.h:
  // such a location has one step; anything else ends the merged step). A model error
  // there ends it too: the state is then expanded as it is and the error reported.
  struct OneStep : StepSink {
    const Machine* m = nullptr;
    std::vector<uint8_t> next;
    int count = 0;
    bool flagged = false;  // a violation, or a model error
    void successor(const uint8_t* s, const StepInfo& info) override {
      if (count++ == 0) next.assign(s, s + m->state_size());
      flagged = flagged || info.violation || info.also;
    }
    void model_error(Span, const std::string&) override { flagged = true; }
  };
  mutable OneStep one_step;
  uint32_t merge_rest(std::vector<uint8_t>& s, int t, uint32_t cur) const {
    uint32_t n = 0;
    int tmpl = p().threads[t].tmpl;
    one_step.m = &m();
    while (mg->continues(tmpl, m().pc(s.data(), t))) {
      one_step.count = 0;
      one_step.flagged = false;
      m().thread_successors(s.data(), t, one_step);
      if (one_step.count != 1 || one_step.flagged) break;
      if (mon->matched_count(m(), one_step.next.data()) != cur) break;
      s.swap(one_step.next);
      ++n;
    }
    return n;
  }

  // Thread t, just stepped, can no longer make its task's next observed call next.
  std::unique_ptr<Lookahead> ahead;
  std::unique_ptr<ir::Liveness> liveness;
  bool dead_end(const uint8_t* s, int t) const {
    if (t < 0 || t >= m().threads()) return false;
    uint32_t task1 = mon->task_of(m(), s, t);
    if (!task1) return false;
    uint32_t j = mon->next_unmatched(m(), s, task1 - 1);
    if (j == UINT32_MAX || mon->relaxed(mon->pos(m(), s))) return false;
    const Observation* ob = mapper->get(j);
    bool dead = ob && !ahead->may_reach(p().threads[t].tmpl, m().pc(s, t), ob->kfn, ob->leave);
    return dead;
  }

  void expand(Layer& L, size_t i) {
    uint64_t id = id_of(L.count, i);
    Node nd = L.nodes[i];
    if (nd.dead) return;
    if (nd.silent >= o.max_silent) {
      silent_bound = true;
      return;
    }
    const uint8_t* s = L.state(i);  // stays put while successors join L
    bind_tasks(s, id, nd, L.count, false);
    Sink& sink = expand_sink;
    sink.I = this;
    sink.id = id;
    sink.from = s;
    sink.nd = nd;
    sink.cur = L.count;
    m().successors(s, sink);
    sink.take_deferred();
    trace_witnesses();
    ++expansions;
  }
  Sink expand_sink;  // one for every expansion: its buffers keep their capacity
  bool silent_bound = false;

  bool check_limits(const Layer& L) {
    if (o.max_states && L.nodes.size() > o.max_states) {
      limit = "max-states " + std::to_string(o.max_states) + " (between observations " + std::to_string(L.count) +
              " and " + std::to_string(L.count + 1) + ")";
      return true;
    }
    if ((expansions & 255) == 0) {
      double el = std::chrono::duration<double>(Clock::now() - t0).count();
      if (o.timeout_s > 0 && el >= o.timeout_s) {
        char b[64];
        snprintf(b, sizeof b, "timeout %g s", o.timeout_s);
        limit = b;
        return true;
      }
      if (o.memory_mb) {
        size_t bytes = 0;
        for (const auto& [c, l] : layers) bytes += l.bytes();
        if (bytes >= o.memory_mb * 1024 * 1024) {
          limit = "memory " + std::to_string(o.memory_mb) + " MB";
          return true;
        }
      }
      if (o.progress && el - last_progress >= 0.5) {
        last_progress = el;
        fprintf(stderr, "\r\033[Kobservation %u of %u  states %llu", L.count, total, (unsigned long long)r.states);
        fflush(stderr);
      }
    }
    return false;
  }
  double last_progress = 0;

  // Drops what neither the search nor the diagram needs any more.
  void forget(uint32_t cur) {
    while (!layers.empty() && layers.begin()->second.processed && layers.begin()->first + o.context < cur)
      layers.erase(layers.begin());
    uint32_t min_pos = UINT32_MAX;
    for (const auto& [c, L] : layers)
      for (size_t i = 0; i < L.nodes.size(); ++i) min_pos = std::min(min_pos, mon->pos(m(), L.state(i)));
    if (min_pos != UINT32_MAX && min_pos > 0) mapper->release(min_pos);
  }

  void search() {
    struct Init : StepSink {
      Impl* I;
      void successor(const uint8_t* s, const StepInfo& info) override {
        if (info.violation && info.violation->fatal()) {
          I->found(I->prop_index(info.violation->check), UINT64_MAX, info.ordinal, *info.violation);
          return;
        }
        std::vector<uint8_t> b(s, s + I->m().state_size());
        Node nd;
        I->add(b.data(), nd, 0);
      }
      void model_error(Span at, const std::string& message) override {
        if (I->model_error.empty()) I->model_error = render_located(*I->p().file, at, "error", message);
        I->stop = true;
      }
    } init;
    init.I = this;
    m().initial(init);
    trace_witnesses();
    uint32_t deepest = 0;
    while (!stop) {
      auto it = std::find_if(layers.begin(), layers.end(), [](auto& kv) { return !kv.second.processed; });
      if (it == layers.end()) break;
      Layer& L = it->second;
      deepest = L.count;
      if (L.count >= total) {
        finish_accepting(L);
        return;
      }
      mon->lazy = tier == Tier::Lazy && !L.widened;
      for (size_t i = 0; i < L.nodes.size() && !stop; ++i) {
        expand(L, i);
        if (check_limits(L)) {
          stop = true;
          break;
        }
      }
      r.states += L.nodes.size() - L.counted;
      L.counted = L.nodes.size();
      if (mon->lazy && !stop && layers.upper_bound(L.count) == layers.end()) {
        L.widened = true;  // no thread got to the next observation by itself: let every thread move
        ++r.widened;
        continue;
      }
      L.processed = true;
      if (stop) break;
      forget(L.count);
    }
    if (o.progress) fprintf(stderr, "\r\033[K");
    finish_rejected(deepest);
  }

  void finish_accepting(Layer& L) {
    r.states += L.nodes.size();
    r.matched = total;
    size_t pick = L.nodes.size();
    for (size_t i = 0; i < L.nodes.size() && pick == L.nodes.size(); ++i)
      if (!L.nodes[i].dead && !mon->tainted(m(), L.state(i))) pick = i;
    if (pick < L.nodes.size()) {
      r.verdict = ReplayResult::Verdict::Accepted;
      r.silent_steps = L.nodes[pick].silent_total;
      r.properties = props;
      return;
    }
    // Every behaviour that matches the whole capture violates a property.
    size_t first = 0;  // a dead node's tainted copy is in the same layer
    while (first + 1 < L.nodes.size() && L.nodes[first].dead) ++first;
    uint32_t prop1 = mon->tainted(m(), L.state(first));
    r.silent_steps = L.nodes[first].silent_total;
    report_violation(prop1 - 1);
  }

  void report_violation(size_t pi) {
    r.verdict = ReplayResult::Verdict::Violated;
    const Witness& w = witness[pi];
    r.violation = w.v;
    r.violated_property = props[pi].name;
    r.violation_in_last_step = w.ordinal >= 0;
    auto it = witness_traces.find(pi);
    if (it != witness_traces.end()) {
      r.trace = it->second.first;
      r.trace_from = it->second.second;
    }
    for (size_t k = 0; k < props.size(); ++k)
      if (props[k].status == ReplayProperty::Holds) props[k].status = ReplayProperty::NotChecked;
    props[pi].status = ReplayProperty::Violated;
    r.properties = props;
  }

  void finish_rejected(uint32_t deepest) {
    r.matched = deepest;
    if (!model_error.empty()) throw ModelError{model_error};
    if (!limit.empty() || silent_bound || !short_of.empty()) {
      r.verdict = ReplayResult::Verdict::Inconclusive;
      if (limit.empty() && silent_bound)
        limit = "max-silent " + std::to_string(o.max_silent) + " (silent steps between two observations)";
      if (limit.empty()) {
        std::string names;
        for (const auto& n : short_of) names += (names.empty() ? "" : ", ") + n;
        limit = "thread instances: the capture needs more instances of " + names + " at once";
      }
      limit += " after " + std::to_string(deepest) + " of " + std::to_string(total) + " observations";
      r.limit = limit;
      for (auto& pr : props)
        if (pr.status == ReplayProperty::Holds) pr.status = ReplayProperty::NotChecked;
      r.properties = props;
      return;
    }
    // A path the capture needs ended at a fatal violation: that is the finding.
    if (fatal_at.count(deepest))
      for (size_t k = 0; k < props.size(); ++k)
        if (witness[k].node != UINT64_MAX && (witness[k].node >> 32) == deepest && witness[k].v.fatal()) {
          report_violation(k);
          return;
        }
    r.verdict = ReplayResult::Verdict::Rejected;
    diagnose(deepest);
    for (auto& pr : props)
      if (pr.status == ReplayProperty::Holds) pr.status = ReplayProperty::NotChecked;
    r.properties = props;
  }

  // What the model could have done instead of the first unmatched observation.
  static constexpr size_t kDiagnosisStates = 20000;  // states of the closure it looks at
  void diagnose(uint32_t deepest) {
    auto it = layers.find(deepest);
    if (it == layers.end() || it->second.nodes.empty()) return;
    Layer& L = it->second;
    uint32_t j = mon->pos(m(), L.state(0));
    r.unmatched_index = j;
    const Observation* ob = mapper->get(j);
    if (!ob) return;
    Observed u;
    u.file = mapper->file();
    u.line = ob->line;
    u.record = mapper->format() == Format::TraceDat;
    u.ts_ns = ob->ts_ns;
    const TaskInfo& ti = mapper->tasks()[ob->task];
    u.pid = ti.pid;
    u.task = mapper->symbols().str(ti.comm) + (ti.pid >= 0 ? "-" + std::to_string(ti.pid) : "");
    u.what = mapper->describe(*ob);
    r.unmatched = u;
    // Expand the dead layer again, keeping nothing but what the monitor refused and why.
    // The search pruned silent paths that cannot reach the next observation (lookahead)
    // and, lazily, kept other threads still: close the layer again with neither, so the
    // report names every call the model could have made here.
    mon->collect = true;
    mon->refusals.clear();
    mon->lazy = false;
    Layer D;
    D.count = L.count;
    D.n = L.n;
    for (size_t i = 0; i < L.nodes.size(); ++i) D.add(L.state(i), Node{});
    struct Closure : StepSink {
      Impl* I;
      Layer* D;
      std::vector<uint8_t> buf;
      void successor(const uint8_t* next, const StepInfo& info) override {
        if (info.violation && info.violation->fatal()) return;
        buf.assign(next, next + I->m().state_size());
        I->normalize(buf.data(), info.thread);
        if (I->mon->matched_count(I->m(), buf.data()) == D->count) D->add(buf.data(), Node{});
      }
    } closure;
    closure.I = this;
    closure.D = &D;
    for (size_t i = 0; i < D.nodes.size() && i < kDiagnosisStates; ++i) {
      std::vector<uint8_t> st(D.state(i), D.state(i) + D.n);  // D grows while we expand
      m().successors(st.data(), closure);
      bind_tasks(st.data(), id_of(L.count, i), Node{}, L.count, true);
    }
    mon->collect = false;
    std::set<std::string> seen;
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& rf : mon->refusals) {
        bool own = mon->task_of(m(), L.state(0), rf.thread) == ob->task + 1 || rf.obs == j;
        if ((pass == 0) != own) continue;
        std::string what = (rf.leave ? "return from " : "") + p().fns[rf.fn];
        std::string who = p().threads[rf.thread].name;
        uint32_t t1 = mon->task_of(m(), L.state(0), rf.thread);
        if (t1) who += " (" + r.tasks[t1 - 1].name + ")";
        std::string line = what + " by " + who + (rf.why.empty() ? "" : ": " + rf.why);
        if (seen.insert(line).second && r.expected.size() < 12) r.expected.push_back(line);
      }
    for (uint32_t t : no_thread_for)
      if (t == ob->task) r.expected.push_back("no thread of the model makes every call of " + r.tasks[t].name);
    auto [tr, from] = trace_to(id_of(L.count, 0), -1);
    r.trace = std::move(tr);
    r.trace_from = from;
  }
};

Replay::Replay(const ir::Program& base, std::function<std::unique_ptr<EventReader>()> open, const ProbeDefs& probes,
               const ReplayOptions& o)
    : impl_(std::make_unique<Impl>(*this, base.file->name(), base.file->text(), std::move(open), probes, o)), base_(base) {}

Replay::~Replay() = default;

ReplayResult Replay::run() {
  // The model as written tells which functions and threads there are; the trace section's
  // constants (replay bounds) and the capture's tasks shape the program that runs.
  for (const auto& [name, v] : base_.trace_map.consts) impl_->base_options.consts[name] = v;
  impl_->t0 = Clock::now();  // the timeout counts every pass and tier
  impl_->scan(base_);
  impl_->instantiate();
  for (Tier t : {Tier::Lazy, Tier::Fast, Tier::Exact}) {
    if (impl_->o.exact && t != Tier::Exact) continue;
    impl_->begin(t);
    impl_->search();
    ReplayResult::Verdict v = impl_->r.verdict;
    // A limit ends the replay (a wider search would only hit it sooner); a rejection or a
    // violation may be a behaviour the tier left out.
    if (v != ReplayResult::Verdict::Rejected && v != ReplayResult::Verdict::Violated) break;
  }
  return impl_->r;
}

}  // namespace lc::traces
