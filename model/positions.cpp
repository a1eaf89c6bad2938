// What properties may say about threads, as SPIN's remote references do (`proc@label`,
// `proc:var`): at(T, label), within(T, label), after(T, label), in(T, fn), done(T),
// held_by(m, T) and T.x.
// Auxiliary invariants for k-induction need them: which thread holds which reference is a
// relation between the threads' positions and locals and the objects. Checked against the
// syntax tree while properties are typed (before lowering), resolved to locations and
// local indices after layout.
#include <algorithm>
#include <functional>
#include <map>

#include "model/compile_internal.h"

namespace lc::detail {

using ir::Op;
using ir::Type;

namespace {

void calls_in(const ast::Expr& e, std::vector<std::string>& out) {
  if (e.kind == ast::Expr::Call) out.push_back(e.name);
  for (const auto& a : e.args) calls_in(*a, out);
}

void each_stmt(const std::vector<ast::StmtP>& ss, const std::function<void(const ast::Stmt&)>& f) {
  for (const auto& s : ss) {
    f(*s);
    each_stmt(s->body, f);
    each_stmt(s->else_body, f);
    for (const auto& b : s->branches) each_stmt(b, f);
  }
}

}  // namespace

// The statement lists a thread runs: its body and every function it calls, transitively.
Compiler::Reach Compiler::reach(int tmpl_decl) {
  Reach r;
  std::vector<bool> seen(m.fns.size(), false);
  std::vector<const std::vector<ast::StmtP>*> work{&m.threads[tmpl_decl].body};
  while (!work.empty()) {
    const auto* body = work.back();
    work.pop_back();
    r.bodies.push_back(body);
    each_stmt(*body, [&](const ast::Stmt& s) {
      std::vector<std::string> cs;
      for (const ast::Expr* e : {s.lhs.get(), s.rhs.get(), s.array_len.get()})
        if (e) calls_in(*e, cs);
      for (const auto& c : cs) {
        auto it = fns.find(c);
        if (it == fns.end() || seen[it->second]) continue;
        seen[it->second] = true;
        r.fns.push_back(it->second);
        work.push_back(&m.fns[it->second].body);
      }
    });
  }
  return r;
}

void Compiler::check_labels() {
  std::map<std::string, Span> seen;
  auto visit = [&](const std::vector<ast::StmtP>& body) {
    each_stmt(body, [&](const ast::Stmt& s) {
      if (s.label.empty()) return;
      auto [it, fresh] = seen.emplace(s.label, s.label_span);
      if (!fresh) {
        d.error(s.label_span, "label '" + s.label + "' is already used");
        d.note(it->second, "first used here");
      }
    });
  };
  for (const auto& f : m.fns) visit(f.body);
  for (const auto& t : m.threads) visit(t.body);
  visit(m.init);
}

bool Compiler::thread_ref(const ast::Expr& e, int* tmpl_decl, int* self) {
  const ast::Expr* base = e.kind == ast::Expr::Index ? e.args[0].get() : &e;
  if (base->kind != ast::Expr::Name) {
    d.error(e.span, "expected a thread here (a thread name, or NAME[i] for a thread array)");
    return false;
  }
  for (size_t i = 0; i < m.threads.size(); ++i) {
    const ast::ThreadDecl& t = m.threads[i];
    if (t.name != base->name) continue;
    *tmpl_decl = int(i);
    *self = 0;
    if (e.kind == ast::Expr::Index) {
      if (!t.count) {
        d.error(e.span, "thread '" + t.name + "' is not an array: write " + t.name);
        return false;
      }
      auto n = const_int(*t.count, "a thread count");
      auto k = const_int(*e.args[1], "a thread index");
      if (!n || !k) return false;
      if (*k < 0 || *k >= *n) {
        d.error(e.args[1]->span, "thread index " + std::to_string(*k) + " is out of range (" + t.name + " has " +
                                     std::to_string(*n) + " instances)");
        return false;
      }
      *self = int(*k);
    } else if (t.count) {
      d.error(e.span, "thread array '" + t.name + "' needs an index: " + t.name + "[0]");
      return false;
    }
    return true;
  }
  std::string known;
  for (const auto& t : m.threads) known += (known.empty() ? "" : ", ") + t.name;
  d.error(base->span, "unknown thread '" + base->name + "' (threads: " + known + ")");
  return false;
}

// at(T, label), within(T, label), after(T, label), in(T, fn), done(T).
int Compiler::conv_position(const ast::Expr& e, Ty* out) {
  const std::string& f = e.name;
  size_t n = f == "done" ? 1 : 2;
  if (e.args.size() != n) {
    d.error(e.span, f + "() takes " + std::to_string(n) + (n == 1 ? " argument" : " arguments") + ", not " +
                        std::to_string(e.args.size()) + (n == 1 ? ": done(thread)" : ": " + f + "(thread, " +
                                                          (f == "in" ? "function)" : "label)")));
    return -1;
  }
  int td, self;
  if (!thread_ref(*e.args[0], &td, &self)) return -1;
  PendingPos pp{int(P->positions.size()), td, self, f, "", e.span};
  if (f != "done") {
    const ast::Expr& a = *e.args[1];
    if (a.kind != ast::Expr::Name) {
      d.error(a.span, f == "in" ? "in() needs a function name: in(thread, function)"
                                : f + "() needs a statement label: " + f + "(thread, label)");
      return -1;
    }
    pp.name = a.name;
    Reach r = reach(td);
    const std::string& tn = m.threads[td].name;
    if (f == "at" || f == "within" || f == "after") {
      std::vector<std::string> labels;
      for (const auto* b : r.bodies)
        each_stmt(*b, [&](const ast::Stmt& s) { if (!s.label.empty()) labels.push_back(s.label); });
      if (std::find(labels.begin(), labels.end(), a.name) == labels.end()) {
        std::sort(labels.begin(), labels.end());
        labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
        std::string known;
        for (const auto& l : labels) known += (known.empty() ? "" : ", ") + l;
        d.error(a.span, "thread '" + tn + "' has no statement labelled '" + a.name + "'" +
                            (known.empty() ? std::string(" (it has no labels)") : " (its labels: " + known + ")"));
        return -1;
      }
    } else {
      auto it = fns.find(a.name);
      if (it == fns.end()) {
        d.error(a.span, "unknown function '" + a.name + "'");
        return -1;
      }
      if (std::find(r.fns.begin(), r.fns.end(), it->second) == r.fns.end()) {
        d.error(a.span, "thread '" + tn + "' never calls " + a.name + "()");
        return -1;
      }
    }
  }
  return position_expr(Op::At, -1, std::move(pp), out);
}

// An At or HeldBy expression over a new Program::positions entry (resolved after layout).
int Compiler::position_expr(Op op, int lock, PendingPos pp, Ty* out) {
  pp.pos = int(P->positions.size());
  P->positions.push_back({});
  ir::Expr x;
  x.op = op;
  x.type = Type::Bool;
  x.a = lock;
  x.k = pp.pos;
  x.span = pp.span;
  pending_pos.push_back(std::move(pp));
  out->t = Type::Bool;
  out->lo = 0;
  out->hi = 1;
  out->error = false;
  return add_expr(x);
}

// held_by(m, T): lock m is held by thread T (held(m) says only that some thread holds it).
int Compiler::conv_held_by(const ast::Expr& e, StepCtx& sc, Ty* out) {
  if (e.args.size() != 2) {
    d.error(e.span, "held_by() takes 2 arguments, not " + std::to_string(e.args.size()) + ": held_by(lock, thread)");
    return -1;
  }
  const ast::Expr& a = *e.args[0];
  for (const auto& t : m.threads)
    if ((a.kind == ast::Expr::Name && a.name == t.name) ||
        (a.kind == ast::Expr::Index && a.args[0]->kind == ast::Expr::Name && a.args[0]->name == t.name)) {
      d.error(a.span, "held_by() takes the lock first, then the thread: held_by(lock, thread)");
      return -1;
    }
  Ty lt;
  int l = conv_place(a, sc, &lt);
  if (lt.error) return -1;
  if (lt.t != Type::Lock || lt.len) {
    d.error(e.args[0]->span, "held_by() needs a lock, but this has type " + ty_name(lt));
    return -1;
  }
  int td, self;
  if (!thread_ref(*e.args[1], &td, &self)) return -1;
  return position_expr(Op::HeldBy, l, {0, td, self, "held_by", "", e.span}, out);
}

// T.x: the type is the one every variable named x in T's code has (ints: the union of
// their ranges; pointers of different kinds: any*).
int Compiler::conv_member(const ast::Expr& e, Ty* out) {
  int td, self, fn = -1;
  const ast::Expr* base = e.args[0].get();
  // T.f.x: the x of T's call of f.
  if (base->kind == ast::Expr::Member && fns.count(base->name)) {
    fn = fns.at(base->name);
    base = base->args[0].get();
  }
  if (!thread_ref(*base, &td, &self)) return -1;
  const std::string& tn = m.threads[td].name;
  Reach r = reach(td);
  if (fn >= 0) {
    if (std::find(r.fns.begin(), r.fns.end(), fn) == r.fns.end()) {
      d.error(e.args[0]->name_span, "thread '" + tn + "' never calls " + m.fns[fn].name + "()");
      return -1;
    }
    r.fns = {fn};
    r.bodies = {&m.fns[fn].body};
  }
  std::vector<std::pair<Ty, Span>> decls;
  for (int fi : r.fns)
    for (const auto& p : m.fns[fi].params)
      if (p.name == e.name) decls.push_back({type_of(p.type, false), p.name_span});
  for (const auto* b : r.bodies)
    each_stmt(*b, [&](const ast::Stmt& s) {
      if (s.kind == ast::Stmt::VarDecl && s.name == e.name) {
        Ty t = type_of(s.type, false);
        if (s.array_len) t.len = 1;
        decls.push_back({t, s.name_span});
      }
    });
  if (decls.empty()) {
    if (fn >= 0)
      d.error(e.name_span, m.fns[fn].name + "() has no local '" + e.name + "'");
    else
      d.error(e.name_span, "thread '" + tn + "' has no local '" + e.name + "' (in its body or a function it calls)");
    return -1;
  }
  Ty t = decls[0].first;
  for (const auto& [dt, at] : decls) {
    if (dt.error) return -1;
    if (dt.len) {
      d.error(e.span, "'" + e.name + "' is a local array; properties read only scalar locals");
      d.note(at, "declared here");
      return -1;
    }
    if (dt.t != t.t) {
      d.error(e.span, "'" + tn + "." + e.name + "' names locals of different types (" + ty_name(t) + " and " +
                          ty_name(dt) + ")");
      d.note(decls[0].second, "one is declared here");
      d.note(at, "another here");
      return -1;
    }
    t.lo = std::min(t.lo, dt.lo);
    t.hi = std::max(t.hi, dt.hi);
    if (t.t == Type::Ptr && t.kind != dt.kind) t.kind = -1;
  }
  pending_vars.push_back({int(P->thread_vars.size()), td, self, e.name, fn});
  P->thread_vars.push_back({});
  ir::Expr x;
  x.op = Op::ThreadVar;
  x.type = t.t;
  x.kind = t.kind;
  x.k = int64_t(P->thread_vars.size()) - 1;
  x.span = e.span;
  *out = t;
  return add_expr(x);
}

// While a thread is lowered: the label at a statement's first location, and the locals in
// scope at each location (recorded when the location gets its first action: the scopes
// then are the statement's).
bool Compiler::note_label(const ast::Stmt& s, int at) {
  if (s.label.empty() || in_init) return false;
  bool own = tmpl_index < 0 || stack.empty();  // the function checked alone, or a thread body
  if (tmpl->locs[at].atomic_cont) {
    if (own)
      d.error(s.label_span, "label '" + s.label +
                                "' is inside an atomic block, where no thread ever rests; label the atomic block instead");
    return false;
  }
  return tmpl_index >= 0;
}

void Compiler::note_scope(int at) {
  if (tmpl_index < 0) return;
  if (int(tmpl->scope_ix.size()) <= at) {
    tmpl->scope_ix.resize(at + 1, 0);
    tmpl->frames_ix.resize(at + 1, 0);
    scoped.resize(at + 1, false);
  }
  if (scoped[at]) return;
  scoped[at] = true;
  if (noted_gen == scope_gen) {  // nothing in scope changed since the last location
    tmpl->scope_ix[at] = noted_scope;
    tmpl->frames_ix[at] = noted_frames;
    return;
  }
  // Entries point into the scopes (no copies: with deep inlining this runs at most
  // locations, and building strings here was most of a compile).
  auto by_name = [](const ScopeEntry& a, const ScopeEntry& b) { return *a.first < *b.first; };
  auto same_name = [](const ScopeEntry& a, const ScopeEntry& b) { return *a.first == *b.first; };
  // One call's locals, sorted by name, each name's innermost block only.
  auto own = [&](const std::vector<std::unordered_map<std::string, LocalInfo>>& frame, int fn) {
    std::vector<ScopeEntry> v;
    for (auto it = frame.rbegin(); it != frame.rend(); ++it)  // innermost block first: it hides the outer
      for (const auto& [name, li] : *it)
        if (!li.ty.error && !li.ty.len) v.push_back({&name, ir::ThreadTmpl::InScope{{}, li.index, li.ty.t, fn}});
    std::stable_sort(v.begin(), v.end(), by_name);
    v.erase(std::unique(v.begin(), v.end(), same_name), v.end());
    return v;
  };
  // caller_scopes[i] is the call of stack[i - 1] (the thread body for i = 0); the
  // innermost caller comes first, as its names hide those of the callers before it.
  if (cached_callers_gen != callers_gen) {
    callers_frames.clear();
    callers_vis.clear();
    for (size_t i = caller_scopes.size(); i-- > 0;) {
      auto v = own(caller_scopes[i], i == 0 ? -1 : stack[i - 1]);
      callers_frames.insert(callers_frames.end(), v.begin(), v.end());
    }
    callers_vis = callers_frames;
    std::stable_sort(callers_vis.begin(), callers_vis.end(), by_name);
    callers_vis.erase(std::unique(callers_vis.begin(), callers_vis.end(), same_name), callers_vis.end());
    cached_callers_gen = callers_gen;
  }
  std::vector<ScopeEntry> mine = own(scopes, stack.empty() ? -1 : stack.back());
  std::vector<ScopeEntry> frames = mine;  // the current call first
  frames.insert(frames.end(), callers_frames.begin(), callers_frames.end());
  std::vector<ScopeEntry> vis;  // both sorted: merge them, the current call's name winning
  vis.reserve(mine.size() + callers_vis.size());
  size_t a = 0, b = 0;
  while (a < mine.size() || b < callers_vis.size()) {
    if (b == callers_vis.size() || (a < mine.size() && !by_name(callers_vis[b], mine[a]))) {
      if (b < callers_vis.size() && same_name(mine[a], callers_vis[b])) ++b;
      vis.push_back(mine[a++]);
    } else {
      vis.push_back(callers_vis[b++]);
    }
  }
  tmpl->scope_ix[at] = noted_scope = intern_scope(vis);
  tmpl->frames_ix[at] = noted_frames = intern_scope(frames);
  noted_gen = scope_gen;
}

// The index of this set in tmpl->sets, added when new. Sets are found by a hash of their
// content and compared in full.
uint32_t Compiler::intern_scope(const std::vector<ScopeEntry>& set) {
  if (set.empty()) return 0;
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](uint64_t v) { h = (h ^ v) * 0x100000001b3ull; };
  for (const auto& [name, in] : set) {
    mix(std::hash<std::string>()(*name));
    mix(uint64_t(in.local));
    mix(uint64_t(in.type));
    mix(uint64_t(int64_t(in.fn)));
  }
  auto same = [&](const std::vector<ir::ThreadTmpl::InScope>& old) {
    if (old.size() != set.size()) return false;
    for (size_t i = 0; i < old.size(); ++i) {
      const auto& a = old[i];
      const auto& b = set[i];
      if (a.local != b.second.local || a.type != b.second.type || a.fn != b.second.fn || a.name != *b.first) return false;
    }
    return true;
  };
  auto [lo, hi] = scope_sets.equal_range(h);
  for (auto it = lo; it != hi; ++it)
    if (same(tmpl->sets[it->second])) return it->second;
  std::vector<ir::ThreadTmpl::InScope> copy;
  copy.reserve(set.size());
  for (const auto& [name, in] : set) {
    copy.push_back(in);
    copy.back().name = *name;
  }
  uint32_t ix = uint32_t(tmpl->sets.size());
  tmpl->sets.push_back(std::move(copy));
  scope_sets.emplace(h, ix);
  return ix;
}

void Compiler::resolve_thread_refs() {
  auto inst = [&](int td, int self) {
    for (size_t i = 0; i < P->threads.size(); ++i)
      if (P->threads[i].tmpl == td && P->threads[i].self == self) return int(i);
    return 0;
  };
  for (const auto& pp : pending_pos) {
    ir::Position& pos = P->positions[pp.pos];
    const ir::ThreadTmpl& t = P->tmpls[pp.tmpl];
    pos.thread = inst(pp.tmpl, pp.self);
    if (pp.what == "held_by") {
      continue;  // only the thread
    } else if (pp.what == "done") {
      pos.locs = {t.end};
    } else if (pp.what == "after") {
      // Reachable from the labelled statement by at least one step, without leaving the
      // function (or thread body) it stands in: its call stack stays a prefix.
      for (const auto& l : t.labels) {
        if (l.name != pp.name) continue;
        const auto& base = P->stacks[t.locs[l.at].stack];
        std::vector<bool> seen(t.locs.size(), false);
        std::vector<int> work{l.at};
        while (!work.empty()) {
          int at = work.back();
          work.pop_back();
          for (const auto& a : t.locs[at].actions) {
            const auto& st = P->stacks[t.locs[a.target].stack];
            if (seen[a.target] || st.size() < base.size() || !std::equal(base.begin(), base.end(), st.begin())) continue;
            seen[a.target] = true;
            pos.locs.push_back(a.target);
            work.push_back(a.target);
          }
        }
      }
    } else if (pp.what == "at" || pp.what == "within") {
      for (const auto& l : t.labels) {
        if (l.name != pp.name) continue;
        pos.locs.push_back(l.at);
        if (pp.what == "within")
          for (int i = l.lo; i < l.hi; ++i) pos.locs.push_back(i);
      }
      if (pos.locs.empty())
        d.error(pp.span, "thread '" + t.name + "' never rests at label '" + pp.name +
                             "': every copy of it is inside an atomic block");
    } else {
      int fi = fns.at(pp.name);
      for (size_t l = 0; l < t.locs.size(); ++l) {
        const auto& st = P->stacks[t.locs[l].stack];
        if (std::find(st.begin(), st.end(), fi) != st.end()) pos.locs.push_back(int(l));
      }
    }
    std::sort(pos.locs.begin(), pos.locs.end());
    pos.locs.erase(std::unique(pos.locs.begin(), pos.locs.end()), pos.locs.end());
  }
  for (const auto& pv : pending_vars) {
    ir::ThreadVar& tv = P->thread_vars[pv.var];
    const ir::ThreadTmpl& t = P->tmpls[pv.tmpl];
    tv.thread = inst(pv.tmpl, pv.self);
    tv.local.assign(t.locs.size(), -1);
    if (pv.fn < 0) {
      for (size_t l = 0; l < t.locs.size(); ++l)
        for (const auto& in : t.scope(l))
          if (in.name == pv.name) tv.local[l] = in.local;
    } else {
      for (size_t l = 0; l < t.locs.size(); ++l)
        for (const auto& in : t.frames(l))
          if (in.name == pv.name && in.fn == pv.fn) tv.local[l] = in.local;
    }
  }
}

}  // namespace lc::detail
