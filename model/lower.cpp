// Statements to control-flow graphs: each thread template becomes locations joined by
// actions; function calls are inlined with their names kept as call stacks.
#include <algorithm>

#include "model/compile_internal.h"

namespace lc::detail {

using ir::Act;
using ir::Op;
using ir::Type;

int Compiler::new_loc() {
  ir::Location l;
  std::vector<int> key = stack;
  auto [it, fresh] = stack_ids.emplace(key, int(P->stacks.size()));
  if (fresh) P->stacks.push_back(key);
  l.stack = it->second;
  l.atomic_cont = in_atomic;
  tmpl->locs.push_back(l);
  return int(tmpl->locs.size()) - 1;
}

ir::Action& Compiler::add_action(int at, ir::Action a) {
  note_scope(at);
  auto& acts = tmpl->locs[at].actions;
  acts.push_back(std::move(a));
  return acts.back();
}

// The two alternatives of an if/while condition step: to `on_true` or `on_false`.
void Compiler::add_branch(int at, int cond, Span span, const char* what, int on_true, int on_false) {
  ir::Action a;
  a.kind = Act::Branch;
  a.expr = cond;
  a.span = span;
  a.msg = what;
  a.target = on_true;
  add_action(at, a);
  a.branch_value = false;
  a.target = on_false;
  add_action(at, a);
}

int Compiler::alloc_local(const std::string& name, const Ty& ty) {
  int n = std::max(1, ty.len);
  int idx = height;
  for (int i = 0; i < n; ++i) {
    int li = height++;
    if (li >= int(tmpl->locals.size())) {
      ir::LocalVar v;
      v.name = name;
      v.lo = ty.t == Type::Int ? ty.lo : 0;
      v.hi = ty.t == Type::Int ? ty.hi : 0;
      tmpl->locals.push_back(v);
    }
    ir::LocalVar& v = tmpl->locals[li];
    if (ty.t == Type::Int) { v.lo = std::min(v.lo, ty.lo); v.hi = std::max(v.hi, ty.hi); }
    v.has_ptr |= ty.t == Type::Ptr;
    v.has_bool |= ty.t == Type::Bool;
  }
  for (auto& f : frames) f.top = std::max(f.top, height);
  return idx;
}

int Compiler::local_place(int index, Span span, const Ty& ty) {
  ir::Expr x;
  x.op = Op::Local;
  x.type = ty.t;
  x.kind = ty.kind;
  x.k = index;
  x.lo = ty.t == Type::Int ? ty.lo : ty.t == Type::Bool ? 0 : 0;
  x.hi = ty.t == Type::Int ? ty.hi : ty.t == Type::Bool ? 1 : 0;
  x.span = span;
  return add_expr(x);
}

static bool always_returns(const std::vector<ast::StmtP>& ss) {
  if (ss.empty()) return false;
  const ast::Stmt& s = *ss.back();
  switch (s.kind) {
    case ast::Stmt::Return: return true;
    case ast::Stmt::Block:
    case ast::Stmt::Atomic: return always_returns(s.body);
    case ast::Stmt::If: return s.has_else && always_returns(s.body) && always_returns(s.else_body);
    case ast::Stmt::Choose:
      for (const auto& b : s.branches)
        if (!always_returns(b)) return false;
      return true;
    default: return false;
  }
}

// Checks every function body once on its own (so unused functions are checked too and
// errors are not repeated per call site); the result is discarded.
void Compiler::check_fns() {
  for (size_t fi = 0; fi < m.fns.size(); ++fi) {
    const ast::FnDecl& fd = m.fns[fi];
    if (!fns.count(fd.name) || fns.at(fd.name) != int(fi)) continue;
    ir::ThreadTmpl scratch;
    tmpl = &scratch;
    tmpl_index = -1;
    height = 0;
    scopes.assign(1, {}); ++scope_gen;
    loops.clear();
    stack.assign(1, int(fi)); ++callers_gen;
    Ty ret;
    ret.t = Type::Void;
    if (fd.has_result) {
      ret = type_of(fd.result, false);
      if (!always_returns(fd.body)) d.error(fd.close_span, fd.name + "() can reach its end without returning a value");
    }
    frames.push_back({int(fi), -1, 0, 0, ret, fd.has_result, {}, 0});
    ir::FnSig& sig = P->sigs[fi];
    sig.span = fd.name_span;
    sig.has_result = fd.has_result;
    if (fd.has_result) sig.result = {"", ret.t, ret.kind, ret.lo, ret.hi};
    for (const auto& p : fd.params) {
      Ty t = type_of(p.type, false);
      sig.params.push_back({p.name, t.t, t.kind, t.lo, t.hi});
      if (scopes.back().count(p.name)) d.error(p.name_span, "parameter '" + p.name + "' is declared twice");
      scopes.back()[p.name] = {alloc_local(p.name, t), t}; ++scope_gen;
    }
    int entry = new_loc();
    int end = new_loc();
    frames.back().next = end;
    lower_seq(fd.body, entry, end);
    frames.clear();
    tmpl = nullptr;
  }
  stack.clear(); ++scope_gen; ++callers_gen;
  stack_ids.clear();
  P->stacks.clear();
}

void Compiler::lower_threads() {
  auto lower_body = [&](ir::ThreadTmpl& t, const std::vector<ast::StmtP>& body) {
    tmpl = &t;
    scoped.clear();
    height = 0;
    scopes.assign(1, {}); ++scope_gen;
    stack.clear(); ++scope_gen; ++callers_gen;
    in_atomic = t.is_init;
    t.entry = new_loc();
    in_atomic = false;  // the end location is never inside the init's atomic region
    t.end = new_loc();
    in_atomic = t.is_init;
    atomic_entry = t.entry;
    if (body.empty()) {
      ir::Action a;
      a.kind = Act::Skip;
      a.target = t.end;
      a.span = t.span;
      add_action(t.entry, a);
    } else {
      lower_seq(body, t.entry, t.end);
    }
    in_atomic = false;
    t.scope_ix.resize(t.locs.size(), 0);
    t.frames_ix.resize(t.locs.size(), 0);
    scope_sets.clear();
    noted_gen = 0;
    tmpl = nullptr;
  };
  P->tmpls.reserve(m.threads.size() + 1);
  for (const auto& th : m.threads) {
    ir::ThreadTmpl t;
    t.name = th.name;
    t.span = th.name_span;
    t.end_span = th.close_span;
    if (th.count) {
      t.is_array = true;
      auto n = const_int(*th.count, "a thread count");
      if (n && (*n < 1 || *n > 16)) d.error(th.count->span, "a thread array has between 1 and 16 instances");
      else if (n) t.count = int(*n);
    }
    if (auto it = instances->find(th.name); it != instances->end()) {
      t.is_array = true;  // named T[i] like an array's instances
      t.count = std::clamp(it->second, 1, CompileOptions::kMaxInstances);
    }
    P->tmpls.push_back(std::move(t));
    tmpl_index = int(P->tmpls.size()) - 1;
    lower_body(P->tmpls.back(), th.body);
  }
  if (m.has_init) {
    ir::ThreadTmpl t;
    t.name = "init";
    t.is_init = true;
    t.span = m.init_span;
    t.end_span = m.init_close;
    P->tmpls.push_back(std::move(t));
    P->init_tmpl = tmpl_index = int(P->tmpls.size()) - 1;
    in_init = true;
    lower_body(P->tmpls.back(), m.init);
    in_init = false;
  }
  if (m.threads.empty()) d.error(m.name_span, "the model has no thread");
}

void Compiler::lower_seq(const std::vector<ast::StmtP>& ss, int at, int next, Span empty_span) {
  if (ss.empty()) {
    ir::Action a;
    a.kind = Act::Skip;
    a.target = next;
    a.span = empty_span;
    add_action(at, a);
    return;
  }
  int cur = at;
  for (size_t i = 0; i < ss.size(); ++i) {
    int target = i + 1 == ss.size() ? next : new_loc();
    lower_stmt(*ss[i], cur, target);
    cur = target;
  }
}

void Compiler::lower_stmt(const ast::Stmt& s, int at, int next) {
  int first = int(tmpl->locs.size());
  bool rests = note_label(s, at);
  lower_stmt_body(s, at, next);
  if (rests) tmpl->labels.push_back({s.label, at, first, int(tmpl->locs.size())});
}

void Compiler::lower_stmt_body(const ast::Stmt& s, int at, int next) {
  using S = ast::Stmt;
  int saved_height = height;
  StepCtx sc;
  sc.at = &at;
  ir::Action a;
  a.span = s.span;
  a.target = next;
  auto restore = [&] { height = saved_height; };
  switch (s.kind) {
    case S::Skip:
      a.kind = Act::Skip;
      add_action(at, a);
      break;
    case S::Block: {
      scopes.emplace_back();
      lower_seq(s.body, at, next, s.span);
      scopes.pop_back(); ++scope_gen;
      restore();
      return;
    }
    case S::VarDecl: {
      Ty t = type_of(s.type, false);
      if (s.array_len) {
        auto n = const_int(*s.array_len, "an array length");
        if (n && (*n < 1 || *n > 256)) d.error(s.array_len->span, "array length must be between 1 and 256");
        else if (n) t.len = int(*n);
      }
      if (scopes.back().count(s.name)) {
        d.error(s.name_span, "'" + s.name + "' is already declared in this block");
        return;
      }
      int idx = alloc_local(s.name, t);
      int keep = height;
      int place = local_place(idx, s.name_span, t);
      if (t.error) { scopes.back()[s.name] = {idx, t}; ++scope_gen; return; }
      if (t.len) {
        if (s.rhs) d.error(s.rhs->span, "a local array cannot have an initialiser");
        a.kind = Act::Skip;  // sets the elements to 0, false or null
        a.place = place;
        a.clear_lo = idx;
        a.clear_hi = idx + t.len;
        a.msg = "decl";
        add_action(at, a);
      } else if (s.rhs && s.rhs->kind == ast::Expr::New) {
        auto k = kinds.find(s.rhs->name);
        if (k == kinds.end()) { d.error(s.rhs->name_span, "unknown object kind '" + s.rhs->name + "'"); }
        else {
          Ty nt;
          nt.t = Type::Ptr;
          nt.kind = k->second;
          if (assignable(t, nt, s.rhs->span, "'new " + s.rhs->name + "'")) {
            a.kind = Act::New;
            a.place = place;
            a.kind_id = k->second;
            add_action(at, a);
          }
        }
      } else if (s.rhs && s.rhs->kind == ast::Expr::Call && s.rhs->name == "trylock") {
        if (t.t != Type::Bool) d.error(s.name_span, "trylock() gives a bool, but '" + s.name + "' is " + ty_name(t));
        else if (s.rhs->args.size() != 1) d.error(s.rhs->span, "trylock() takes 1 argument");
        else {
          Ty lt;
          int l = conv_place(*s.rhs->args[0], sc, &lt);
          if (!lt.error && (lt.t != Type::Lock || lt.len)) d.error(s.rhs->args[0]->span, "trylock() needs a lock, but this has type " + ty_name(lt));
          else if (!lt.error) {
            a.kind = Act::Trylock;
            a.place = place;
            a.lock = l;
            add_action(at, a);
          }
        }
      } else if (s.rhs && s.rhs->kind == ast::Expr::Call && fns.count(s.rhs->name)) {
        lower_call(*s.rhs, place, &t, at, next, sc);
      } else {
        int v;
        Ty vt;
        if (s.rhs) {
          v = conv(*s.rhs, sc, &vt);
        } else {
          ir::Expr z;
          z.op = Op::Const;
          z.type = t.t == Type::Lock ? Type::Int : t.t;
          z.k = t.t == Type::Int ? std::clamp<int64_t>(0, t.lo, t.hi) : 0;
          z.span = s.span;
          v = add_expr(z);
          vt = t;
        }
        if (assignable(t, vt, s.rhs ? s.rhs->span : s.span, "the initial value")) {
          a.kind = Act::Assign;
          a.place = place;
          a.expr = v;
          add_action(at, a);
        }
      }
      height = keep;
      scopes.back()[s.name] = {idx, t}; ++scope_gen;
      return;
    }
    case S::Assign: {
      const ast::Expr& r = *s.rhs;
      Ty pt;
      int place = conv_place(*s.lhs, sc, &pt);
      if (pt.error) break;
      if (pt.len) { d.error(s.lhs->span, "cannot assign a whole array"); break; }
      if (pt.t == Type::Lock) { d.error(s.lhs->span, "cannot assign to a lock"); break; }
      if (r.kind == ast::Expr::New) {
        auto k = kinds.find(r.name);
        if (k == kinds.end()) { d.error(r.name_span, "unknown object kind '" + r.name + "'"); break; }
        Ty nt;
        nt.t = Type::Ptr;
        nt.kind = k->second;
        if (!assignable(pt, nt, r.span, "'new " + r.name + "'")) break;
        a.kind = Act::New;
        a.place = place;
        a.kind_id = k->second;
        add_action(at, a);
      } else if (r.kind == ast::Expr::Call && r.name == "trylock") {
        if (pt.t != Type::Bool) { d.error(s.lhs->span, "trylock() gives a bool, but this is " + ty_name(pt)); break; }
        if (r.args.size() != 1) { d.error(r.span, "trylock() takes 1 argument, not " + std::to_string(r.args.size())); break; }
        Ty lt;
        int l = conv_place(*r.args[0], sc, &lt);
        if (lt.error) break;
        if (lt.t != Type::Lock || lt.len) { d.error(r.args[0]->span, "trylock() needs a lock, but this has type " + ty_name(lt)); break; }
        a.kind = Act::Trylock;
        a.place = place;
        a.lock = l;
        add_action(at, a);
      } else if (r.kind == ast::Expr::Call && fns.count(r.name)) {
        lower_call(r, place, &pt, at, next, sc);
      } else {
        Ty vt;
        int v = conv(r, sc, &vt);
        if (vt.error || !assignable(pt, vt, r.span, "the value")) break;
        a.kind = Act::Assign;
        a.place = place;
        a.expr = v;
        add_action(at, a);
      }
      break;
    }
    case S::ExprStmt: {
      const ast::Expr& e = *s.rhs;
      if (e.kind != ast::Expr::Call) {
        d.error(e.span, "this expression has no effect (a statement is an assignment, a call, or a builtin such as lock(m);)");
        break;
      }
      const std::string& f = e.name;
      auto nargs = [&](size_t lo, size_t hi) {
        if (e.args.size() >= lo && e.args.size() <= hi) return true;
        std::string n = lo == hi ? std::to_string(lo) : std::to_string(lo) + " or " + std::to_string(hi);
        d.error(e.span, f + "() takes " + n + (hi == 1 ? " argument" : " arguments") + ", not " +
                            std::to_string(e.args.size()));
        return false;
      };
      if (f == "lock" || f == "unlock" || f == "trylock") {
        if (!nargs(1, 1)) break;
        Ty lt;
        int l = conv_place(*e.args[0], sc, &lt);
        if (lt.error) break;
        if (lt.t != Type::Lock || lt.len) { d.error(e.args[0]->span, f + "() needs a lock, but this has type " + ty_name(lt)); break; }
        if (f == "lock" && in_atomic && !in_init && at != atomic_entry) {
          d.error(e.span, "lock() inside atomic { } may only be its first statement (an atomic block blocks only at its start)");
          break;
        }
        a.kind = f == "lock" ? Act::Lock : f == "unlock" ? Act::Unlock : Act::Trylock;
        a.lock = l;
        add_action(at, a);
      } else if (f == "free") {
        if (!nargs(1, 1)) break;
        Ty pt;
        int p = conv(*e.args[0], sc, &pt);
        if (pt.error) break;
        if (pt.t != Type::Ptr && pt.t != Type::Null) { d.error(e.args[0]->span, "free() needs a pointer, but this has type " + ty_name(pt)); break; }
        a.kind = Act::Free;
        a.expr = p;
        add_action(at, a);
      } else if (f == "wait") {
        if (!nargs(1, 1)) break;
        if (in_atomic && !in_init && at != atomic_entry) {
          d.error(e.span, "wait() inside atomic { } may only be its first statement (an atomic block blocks only at its start)");
          break;
        }
        int before = at;
        int c = conv_cond(*e.args[0], sc);
        if (c < 0) break;
        if (at != before) {
          d.error(e.args[0]->span, "a wait() condition cannot call a function (the call would run once, not each time the condition is re-checked)");
          break;
        }
        a.kind = Act::Wait;
        a.expr = c;
        add_action(at, a);
      } else if (f == "assert") {
        if (!nargs(1, 2)) break;
        int c = conv_cond(*e.args[0], sc);
        if (e.args.size() == 2) {
          if (e.args[1]->kind != ast::Expr::String) { d.error(e.args[1]->span, "the second argument of assert() must be a string"); break; }
          a.msg = e.args[1]->name;
        }
        if (c < 0) break;
        a.kind = Act::Assert;
        a.expr = c;
        add_action(at, a);
      } else if (f == "alive" || f == "held" || f == "mine" || f == "count") {
        d.error(e.span, f + "() has no effect as a statement");
      } else if (fns.count(f)) {
        lower_call(e, -1, nullptr, at, next, sc);
      } else {
        d.error(e.name_span, "unknown function '" + f + "'");
      }
      break;
    }
    case S::If: {
      int c = conv_cond(*s.rhs, sc);
      if (c < 0) break;
      int t = s.body.empty() ? next : new_loc();
      int e = s.else_body.empty() ? next : new_loc();
      add_branch(at, c, s.rhs->span, "if", t, e);
      restore();
      if (!s.body.empty()) { scopes.emplace_back(); lower_seq(s.body, t, next); scopes.pop_back(); ++scope_gen; restore(); }
      if (!s.else_body.empty()) { scopes.emplace_back(); lower_seq(s.else_body, e, next); scopes.pop_back(); ++scope_gen; restore(); }
      return;
    }
    case S::While: {
      if (in_atomic && !in_init && at == atomic_entry) {
        // The back edge must not return to the block's entry (an interleaving point).
        int h = new_loc();
        ir::Action enter;
        enter.kind = Act::Skip;
        enter.target = h;
        enter.span = s.span;
        enter.msg = "atomic";
        add_action(at, enter);
        at = h;
      }
      int head = at;
      int c = conv_cond(*s.rhs, sc);
      if (c < 0) break;
      int b = s.body.empty() ? head : new_loc();
      add_branch(at, c, s.rhs->span, "while", b, next);
      restore();
      if (!s.body.empty()) {
        loops.push_back({head, next});
        scopes.emplace_back();
        lower_seq(s.body, b, head);
        scopes.pop_back(); ++scope_gen;
        loops.pop_back();
        restore();
      }
      return;
    }
    case S::Break:
    case S::Continue:
      if (loops.empty()) {
        d.error(s.span, std::string(s.kind == S::Break ? "'break'" : "'continue'") + " outside a loop");
        break;
      }
      a.kind = Act::Skip;
      a.msg = s.kind == S::Break ? "break" : "continue";
      a.target = s.kind == S::Break ? loops.back().brk : loops.back().cont;
      add_action(at, a);
      break;
    case S::Return: {
      if (frames.empty()) {
        if (s.rhs) { d.error(s.rhs->span, "a thread cannot return a value"); break; }
        if (in_atomic && !in_init) { d.error(s.span, "'return' cannot leave an atomic block"); break; }
        a.kind = Act::Skip;
        a.msg = "return";
        a.target = tmpl->end;
        add_action(at, a);
        break;
      }
      // Index, not reference: a call hoisted out of the returned expression pushes frames.
      size_t fi = frames.size() - 1;
      a.kind = Act::Return;
      a.callee = frames[fi].fn;
      a.target = frames[fi].next;
      if (s.rhs) {
        if (!frames[fi].has_result) { d.error(s.rhs->span, m.fns[frames[fi].fn].name + "() has no result, but 'return' gives a value"); break; }
        a.place = frames[fi].dest_place;
        if (frames[fi].ret.t == Type::Int) { a.lo = frames[fi].ret.lo; a.hi = frames[fi].ret.hi; }
        std::vector<int64_t> vals;
        if (select_values(*s.rhs, &vals)) {  // return select(...): one Return action per value
          if (frames[fi].ret.t != Type::Int) { d.error(s.rhs->span, "select() gives an int, but this returns " + ty_name(frames[fi].ret)); break; }
          for (int64_t v : vals) {
            ir::Expr k;
            k.op = Op::Const;
            k.k = v;
            k.span = s.rhs->span;
            a.expr = add_expr(k);
            add_action(at, a);
            frames.back().returns.push_back({at, int(tmpl->locs[at].actions.size()) - 1});
          }
          break;
        }
        Ty vt;
        int v = conv(*s.rhs, sc, &vt);
        if (vt.error || !assignable(frames[fi].ret, vt, s.rhs->span, "the returned value")) break;
        a.expr = v;
      } else if (frames[fi].has_result) {
        d.error(s.span, m.fns[frames[fi].fn].name + "() must return a value of type " + ty_name(frames[fi].ret));
        break;
      }
      add_action(at, a);
      frames.back().returns.push_back({at, int(tmpl->locs[at].actions.size()) - 1});
      break;
    }
    case S::Choose: {
      a.kind = Act::Choose;
      int i = 0;
      std::vector<int> starts;
      for (const auto& br : s.branches) {
        int b = br.empty() ? next : new_loc();
        a.target = b;
        a.msg = "branch " + std::to_string(++i);
        add_action(at, a);
        starts.push_back(b);
      }
      for (size_t k = 0; k < s.branches.size(); ++k) {
        if (s.branches[k].empty()) continue;
        scopes.emplace_back();
        lower_seq(s.branches[k], starts[k], next);
        scopes.pop_back(); ++scope_gen;
        restore();
      }
      return;
    }
    case S::Atomic: {
      bool outer = in_atomic;
      int outer_entry = atomic_entry;
      if (!outer) { in_atomic = true; atomic_entry = at; }
      scopes.emplace_back();
      lower_seq(s.body, at, next, s.span);
      scopes.pop_back(); ++scope_gen;
      in_atomic = outer;
      atomic_entry = outer_entry;
      restore();
      return;
    }
  }
  restore();
}

bool Compiler::select_values(const ast::Expr& e, std::vector<int64_t>* out) {
  if (e.kind != ast::Expr::Call || (e.name != "select" && e.name != "select_in") || fns.count(e.name)) return false;
  out->clear();
  if (e.name == "select_in") {
    if (e.args.size() != 2) { d.error(e.span, "select_in(lo, hi) takes two constant bounds"); return true; }
    auto lo = const_int(*e.args[0], "a select_in bound"), hi = const_int(*e.args[1], "a select_in bound");
    if (!lo || !hi) return true;
    if (*hi < *lo || *hi - *lo >= 4096) { d.error(e.span, "select_in(lo, hi) needs lo <= hi and at most 4096 values"); return true; }
    for (int64_t v = *lo; v <= *hi; ++v) out->push_back(v);
    return true;
  }
  if (e.args.empty() || e.args.size() > 4096) { d.error(e.span, "select(v1, ..., vn) takes 1 to 4096 constant values"); return true; }
  for (const auto& a : e.args)
    if (auto v = const_int(*a, "a select value")) out->push_back(*v);
  return true;
}

void Compiler::lower_call(const ast::Expr& call, int dest_place, const Ty* dest_ty, int at, int next, StepCtx& sc) {
  int fi = fns.at(call.name);
  const ast::FnDecl& fd = m.fns[fi];
  if (call.args.size() != fd.params.size()) {
    d.error(call.span, call.name + "() takes " + std::to_string(fd.params.size()) +
                           (fd.params.size() == 1 ? " argument" : " arguments") + ", not " +
                           std::to_string(call.args.size()));
    return;
  }
  Ty ret;
  ret.t = Type::Void;
  if (fd.has_result) ret = type_of(fd.result, false);
  if (dest_ty && !fd.has_result) {
    d.error(call.span, call.name + "() returns no value");
    return;
  }
  if (dest_ty && !assignable(*dest_ty, ret, call.span, ("the result of " + call.name + "()").c_str())) return;
  // Arguments are evaluated in the caller (they may hoist calls of their own).
  std::vector<std::pair<int, Ty>> args;
  int sel_arg = -1;                 // the argument given by select(): one Call action per value
  std::vector<int64_t> sel;
  for (size_t i = 0; i < call.args.size(); ++i) {
    const auto& ae = call.args[i];
    Ty t;
    std::vector<int64_t> vals;
    if (select_values(*ae, &vals)) {
      if (sel_arg >= 0) d.error(ae->span, "one select() per call");
      sel_arg = int(i);
      sel = vals;
      t.t = Type::Int;
      t.lo = vals.empty() ? 0 : *std::min_element(vals.begin(), vals.end());
      t.hi = vals.empty() ? 0 : *std::max_element(vals.begin(), vals.end());
      ir::Expr k;
      k.op = Op::Const;
      k.k = t.lo;
      k.span = ae->span;
      args.push_back({add_expr(k), t});
      continue;
    }
    int x = conv(*ae, sc, &t);
    args.push_back({x, t});
  }
  at = *sc.at;
  std::vector<Ty> ptys;
  for (const auto& p : fd.params) ptys.push_back(type_of(p.type, false));
  bool ok = true;
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].second.error || !assignable(ptys[i], args[i].second, call.args[i]->span,
                                            ("argument " + std::to_string(i + 1) + " of " + call.name + "()").c_str()))
      ok = false;
  if (!ok) return;

  note_scope(at);  // the call's location is the caller's, before the callee's scope opens
  // Callee frame: fresh scopes (only globals and parameters are visible), no loops.
  caller_scopes.push_back(scopes); ++callers_gen;
  auto saved_scopes = std::move(scopes);
  auto saved_loops = std::move(loops);
  scopes.assign(1, {}); ++scope_gen;
  loops.clear();
  int base = height;
  frames.push_back({fi, dest_place, next, base, ret, fd.has_result, {}, height});
  ir::Action c;
  c.kind = Act::Call;
  c.callee = fi;
  c.span = call.span;
  for (size_t i = 0; i < fd.params.size(); ++i) {
    int li = alloc_local(fd.params[i].name, ptys[i]);
    scopes.back()[fd.params[i].name] = {li, ptys[i]};
    c.binds.push_back({local_place(li, fd.params[i].name_span, ptys[i]), args[i].first});
  }
  stack.push_back(fi); ++scope_gen; ++callers_gen;
  int entry = new_loc();
  int ret_loc = new_loc();
  c.target = entry;
  if (sel_arg < 0) add_action(at, c);
  for (int64_t v : sel) {  // select(): the same call once per value
    ir::Action cv = c;
    ir::Expr k;
    k.op = Op::Const;
    k.k = v;
    k.span = call.args[sel_arg]->span;
    cv.binds[sel_arg].second = add_expr(k);
    add_action(at, cv);
  }
  lower_seq(fd.body, entry, ret_loc);
  ir::Action r;
  r.kind = Act::Return;
  r.callee = fi;
  r.target = next;
  r.span = fd.close_span;
  add_action(ret_loc, r);
  frames.back().returns.push_back({ret_loc, int(tmpl->locs[ret_loc].actions.size()) - 1});
  Frame& f = frames.back();
  for (auto [loc, act] : f.returns) {
    tmpl->locs[loc].actions[act].clear_lo = uint32_t(base);
    tmpl->locs[loc].actions[act].clear_hi = uint32_t(f.top);
  }
  frames.pop_back();
  stack.pop_back(); ++scope_gen; ++callers_gen;
  scopes = std::move(saved_scopes); ++scope_gen;
  caller_scopes.pop_back(); ++scope_gen; ++callers_gen;
  loops = std::move(saved_loops);
  height = base;
}

// Byte layout of the state vector: globals, instances, then per thread its pc and locals.
void Compiler::layout() {
  int ninst = int(P->gid_kind.size());
  for (size_t ti = 0; ti < P->tmpls.size(); ++ti) {
    const ir::ThreadTmpl& t = P->tmpls[ti];
    for (int i = 0; i < t.count; ++i) {
      ir::ThreadInst inst;
      inst.tmpl = int(ti);
      inst.self = i;
      inst.name = t.is_array ? t.name + "[" + std::to_string(i) + "]" : t.name;
      ir::Slot pc;
      pc.hi = int64_t(t.locs.size());
      inst.pc_slot = int(P->slots.size());
      P->slots.push_back(pc);
      inst.local_base = int(P->slots.size());
      for (const auto& lv : t.locals) {
        ir::Slot s;
        s.type = lv.has_ptr ? Type::Ptr : lv.has_bool ? Type::Bool : Type::Int;
        s.lo = lv.lo;
        s.hi = lv.hi;
        if (lv.has_ptr) { s.lo = std::min<int64_t>(s.lo, 0); s.hi = std::max<int64_t>(s.hi, ninst); }
        if (lv.has_bool) { s.lo = std::min<int64_t>(s.lo, 0); s.hi = std::max<int64_t>(s.hi, 1); }
        P->slots.push_back(s);
      }
      if (t.is_init) {
        P->init_pc_slot = inst.pc_slot;
        P->init_local_base = inst.local_base;
      } else {
        P->threads.push_back(inst);
      }
    }
  }
  int nthreads = int(P->threads.size()) + (P->init_tmpl >= 0 ? 1 : 0);
  uint32_t off = 0;
  for (size_t i = 0; i < P->slots.size(); ++i) {
    ir::Slot& s = P->slots[i];
    if (s.type == Type::Ptr && s.hi < ninst) { s.lo = std::min<int64_t>(s.lo, 0); s.hi = ninst; }
    if (s.type == Type::Lock) { s.lo = 0; s.hi = nthreads; P->lock_slots.push_back(int(i)); }
    uint64_t span = uint64_t(s.hi - s.lo);
    s.width = span < 256 ? 1 : span < 65536 ? 2 : 4;
    s.offset = off;
    off += s.width;
  }
  P->state_size = off;
}

}  // namespace lc::detail

namespace lc {
std::unique_ptr<ir::Program> compile(const ast::Model& model, std::shared_ptr<const SourceFile> file,
                                     Diagnostics& diags, const CompileOptions& opts) {
  detail::Compiler c(model, std::move(file), diags);
  c.instances = &opts.instances;
  c.const_overrides = &opts.consts;
  return c.run();
}
}  // namespace lc
