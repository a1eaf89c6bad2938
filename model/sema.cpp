// Declarations, constants, types and expressions: name resolution and type checking,
// producing IR expressions. Statements are lowered in lower.cpp.
#include <algorithm>
#include <functional>

#include "model/compile_internal.h"

namespace lc::detail {

using ir::Op;
using ir::Type;

static const char* const kBuiltinStmts[] = {"lock", "unlock", "free", "wait", "assert", "trylock",
                                            "alive", "held", "mine", "count"};

Compiler::Compiler(const ast::Model& m_, std::shared_ptr<const SourceFile> f, Diagnostics& d_)
    : m(m_), file(std::move(f)), d(d_), P(std::make_unique<ir::Program>()) {
  P->file = file;
}

std::unique_ptr<ir::Program> Compiler::run() {
  P->name = m.name.empty() ? std::string("model") : m.name;
  P->title = m.title;
  declare();
  check_recursion();
  check_labels();
  properties_and_expects();
  trace_map();
  if (d.has_errors()) return nullptr;  // bodies need sound declarations
  check_fns();
  if (d.has_errors()) return nullptr;
  lower_threads();
  if (d.has_errors()) return nullptr;
  layout();
  resolve_thread_refs();
  if (d.has_errors()) return nullptr;
  return std::move(P);
}

void Compiler::trace_map() {
  ir::TraceMap& tm = P->trace_map;
  tm.kernel.assign(m.fns.size(), "");
  tm.silent.assign(m.fns.size(), false);
  auto fn = [&](const std::string& name, Span at) -> int {
    auto it = fns.find(name);
    if (it == fns.end()) d.error(at, "unknown function '" + name + "' in the trace section");
    return it == fns.end() ? -1 : it->second;
  };
  for (const auto& r : m.trace) {
    switch (r.kind) {
      case ast::TraceRule::Task: {
        int t = -1;
        for (size_t i = 0; i < m.threads.size(); ++i)
          if (m.threads[i].name == r.value) t = int(i);
        if (t < 0) d.error(r.value_span, "unknown thread '" + r.value + "' in the trace section");
        else tm.tasks.push_back({r.key, t, r.span});
        break;
      }
      case ast::TraceRule::Kernel:
        if (int f = fn(r.key, r.key_span); f >= 0) tm.kernel[f] = r.value;
        break;
      case ast::TraceRule::Silent:
        if (int f = fn(r.key, r.key_span); f >= 0) tm.silent[f] = true;
        break;
      case ast::TraceRule::Event:
        if (int f = fn(r.value, r.value_span); f >= 0) tm.events.push_back({r.key, f, r.ret, r.span});
        break;
      case ast::TraceRule::Field: {
        bool any = false;
        for (const auto& k : P->kinds)
          for (const auto& f : k.fields) any = any || f.name == r.value;
        if (!any) d.error(r.value_span, "no object kind has a field '" + r.value + "'");
        else tm.fields.push_back({r.key, r.value});
        break;
      }
      case ast::TraceRule::Arg:
        if (int f = fn(r.key, r.key_span); f >= 0) {
          int pi = -1;
          for (size_t i = 0; i < m.fns[f].params.size(); ++i)
            if (m.fns[f].params[i].name == r.member) pi = int(i);
          if (pi < 0) d.error(r.key_span, r.key + "() has no parameter '" + r.member + "'");
          else tm.args.push_back({f, pi, r.value});
        }
        break;
      case ast::TraceRule::Offset: {
        bool any = false;
        for (const auto& k : P->kinds)
          for (const auto& f : k.fields) any = any || f.name == r.key;
        if (!any) d.error(r.key_span, "no object kind has a field '" + r.key + "'");
        else tm.offsets.push_back({r.key, r.number});
        break;
      }
      case ast::TraceRule::Const: {
        bool any = false;
        for (const auto& c : m.consts) any = any || c.name == r.key;
        if (!any) d.error(r.key_span, "unknown constant '" + r.key + "' in the trace section");
        else tm.consts.push_back({r.key, r.number});
        break;
      }
      case ast::TraceRule::Result:
        if (int f = fn(r.value, r.value_span); f >= 0) {
          if (!m.fns[f].has_result) d.error(r.value_span, r.value + "() has no result");
          else tm.results.push_back({f, r.key});
        }
        break;
    }
  }
}

int Compiler::add_expr(ir::Expr e) {
  P->exprs.push_back(e);
  return int(P->exprs.size()) - 1;
}

std::string Compiler::ty_name(const Ty& t) const {
  std::string s;
  switch (t.t) {
    case Type::Int: s = "int"; break;
    case Type::Bool: s = "bool"; break;
    case Type::Ptr: s = (t.kind < 0 ? std::string("any") : P->kinds[t.kind].name) + "*"; break;
    case Type::Lock: s = t.spin ? "spinlock" : "mutex"; break;
    case Type::Void: s = "no value"; break;
    case Type::Null: s = "null"; break;
  }
  if (t.len) s += "[" + std::to_string(t.len) + "]";
  return s;
}

// ---------------------------------------------------------------- constants

std::optional<std::pair<int64_t, Ty>> Compiler::const_eval(const ast::Expr& e) {
  using K = ast::Expr;
  Ty ti;  // Int
  Ty tb;
  tb.t = Type::Bool;
  switch (e.kind) {
    case K::IntLit: return std::make_pair(int64_t(e.value), ti);
    case K::BoolLit: return std::make_pair(int64_t(e.value), tb);
    case K::Null: { Ty tn; tn.t = Type::Null; return std::make_pair(int64_t(0), tn); }
    case K::Name: {
      auto it = consts.find(e.name);
      if (it != consts.end()) return it->second;
      if (pending_consts.count(e.name))
        d.error(e.span, "constant '" + e.name + "' is used before its definition");
      else if (globals.count(e.name))
        d.error(e.span, "'" + e.name + "' is a variable, not a constant: a constant expression is needed here");
      else
        d.error(e.span, "unknown constant '" + e.name + "'");
      return std::nullopt;
    }
    case K::Unary: {
      auto a = const_eval(*e.args[0]);
      if (!a) return a;
      if (e.op == "-") {
        if (a->second.t != Type::Int) break;
        return std::make_pair(-a->first, ti);
      }
      if (a->second.t != Type::Bool) break;
      return std::make_pair(int64_t(!a->first), tb);
    }
    case K::Binary: {
      auto a = const_eval(*e.args[0]);
      if (!a) return a;
      auto b = const_eval(*e.args[1]);
      if (!b) return b;
      int64_t x = a->first, y = b->first;
      const std::string& o = e.op;
      bool ints = a->second.t == Type::Int && b->second.t == Type::Int;
      bool bools = a->second.t == Type::Bool && b->second.t == Type::Bool;
      if (ints) {
        if (o == "+") return std::make_pair(x + y, ti);
        if (o == "-") return std::make_pair(x - y, ti);
        if (o == "*") return std::make_pair(x * y, ti);
        if ((o == "/" || o == "%") && y == 0) { d.error(e.span, "division by zero in a constant expression"); return std::nullopt; }
        if (o == "/") return std::make_pair(x / y, ti);
        if (o == "%") return std::make_pair(x % y, ti);
        if (o == "<") return std::make_pair(int64_t(x < y), tb);
        if (o == "<=") return std::make_pair(int64_t(x <= y), tb);
        if (o == ">") return std::make_pair(int64_t(x > y), tb);
        if (o == ">=") return std::make_pair(int64_t(x >= y), tb);
      }
      if (ints || bools) {
        if (o == "==") return std::make_pair(int64_t(x == y), tb);
        if (o == "!=") return std::make_pair(int64_t(x != y), tb);
      }
      if (bools) {
        if (o == "&&") return std::make_pair(int64_t(x && y), tb);
        if (o == "||") return std::make_pair(int64_t(x || y), tb);
        if (o == "=>") return std::make_pair(int64_t(!x || y), tb);
      }
      break;
    }
    case K::Cond: {
      auto c = const_eval(*e.args[0]);
      if (!c) return c;
      if (c->second.t != Type::Bool) break;
      return const_eval(*e.args[c->first ? 1 : 2]);
    }
    default: break;
  }
  d.error(e.span, "a constant expression is needed here");
  return std::nullopt;
}

std::optional<int64_t> Compiler::const_int(const ast::Expr& e, const char* what) {
  auto v = const_eval(e);
  if (!v) return std::nullopt;
  if (v->second.t != Type::Int) {
    d.error(e.span, std::string(what) + " must be an integer, not " + ty_name(v->second));
    return std::nullopt;
  }
  return v->first;
}

Ty Compiler::type_of(const ast::TypeSyntax& t, bool allow_lock) {
  Ty r;
  switch (t.base) {
    case ast::TypeSyntax::Int:
      if (t.lo) {
        auto lo = const_int(*t.lo, "a range bound");
        auto hi = const_int(*t.hi, "a range bound");
        if (!lo || !hi) { r.error = true; break; }
        if (*lo > *hi) {
          d.error({t.lo->span.begin, t.hi->span.end}, "empty range int<" + std::to_string(*lo) + ".." + std::to_string(*hi) + ">");
          r.error = true;
          break;
        }
        if (*hi - *lo > (int64_t(1) << 31)) {
          d.error(t.span, "range int<" + std::to_string(*lo) + ".." + std::to_string(*hi) +
                              "> is too wide (at most 2^31 values)");
          r.error = true;
          break;
        }
        r.lo = *lo;
        r.hi = *hi;
      }
      break;
    case ast::TypeSyntax::Bool: r.t = Type::Bool; r.lo = 0; r.hi = 1; break;
    case ast::TypeSyntax::AnyPtr: r.t = Type::Ptr; r.kind = -1; break;
    case ast::TypeSyntax::Ptr: {
      r.t = Type::Ptr;
      auto it = kinds.find(t.kind);
      if (it == kinds.end()) {
        d.error(t.span, "unknown object kind '" + t.kind + "'");
        r.error = true;
      } else {
        r.kind = it->second;
      }
      break;
    }
    case ast::TypeSyntax::Mutex:
    case ast::TypeSyntax::Spinlock:
      r.t = Type::Lock;
      r.spin = t.base == ast::TypeSyntax::Spinlock;
      if (!allow_lock) {
        d.error(t.span, "a lock cannot be declared here (only as a global or an object field)");
        r.error = true;
      }
      break;
  }
  return r;
}

static ir::Slot slot_for(const Ty& t) {
  ir::Slot s;
  s.type = t.t;
  if (t.t == Type::Int || t.t == Type::Bool) { s.lo = t.lo; s.hi = t.hi; }
  return s;  // Ptr and Lock bounds are fixed in layout(), once counts are known
}

// ---------------------------------------------------------------- declarations

void Compiler::declare() {
  for (const auto& c : m.consts) pending_consts.insert(c.name);
  std::map<std::string, Span> seen;
  auto unique = [&](const std::string& name, Span at, const char* what) {
    auto [it, fresh] = seen.emplace(name, at);
    if (!fresh) {
      d.error(at, std::string(what) + " '" + name + "' is already declared");
      d.note(it->second, "previous declaration is here");
    }
    return fresh;
  };
  for (size_t i = 0; i < m.objects.size(); ++i) {
    const auto& o = m.objects[i];
    if (unique(o.name, o.name_span, "object kind")) kinds[o.name] = int(i);
    ir::Kind k;
    k.name = o.name;
    k.span = o.span;
    P->kinds.push_back(k);
  }
  field_ty.resize(m.objects.size());

  auto init_value = [&](const ast::ExprP& init, const Ty& t, Span at) -> int64_t {
    if (!init) return t.t == Type::Int ? std::clamp<int64_t>(0, t.lo, t.hi) : 0;
    auto v = const_eval(*init);
    if (!v) return 0;
    Ty vt = v->second;
    if (!assignable(t, vt, init->span, "initial value")) return 0;
    if (t.t == Type::Int && (v->first < t.lo || v->first > t.hi))
      d.error(init->span, "initial value " + std::to_string(v->first) + " is outside int<" + std::to_string(t.lo) +
                              ".." + std::to_string(t.hi) + ">");
    if (t.t == Type::Lock) d.error(init->span, "a lock cannot have an initial value");
    return v->first;
  };

  for (auto [what, idx] : m.order) {
    if (what == 'c') {
      const auto& c = m.consts[idx];
      pending_consts.erase(c.name);
      auto v = const_eval(*c.value);
      if (auto o = const_overrides->find(c.name); o != const_overrides->end() && v) v->first = o->second;  // CompileOptions::consts
      if (unique(c.name, c.name_span, "constant") && v) consts[c.name] = *v;
    } else if (what == 'o') {
      const auto& o = m.objects[idx];
      ir::Kind& k = P->kinds[idx];
      if (o.max) {
        auto mx = const_int(*o.max, "max");
        if (mx && (*mx < 1 || *mx > 64)) d.error(o.max->span, "max must be between 1 and 64");
        else if (mx) k.max = int(*mx);
      }
      std::map<std::string, Span> fseen;
      int off = 1;
      for (const auto& f : o.fields) {
        Ty t = type_of(f.type, true);
        if (f.array_len) {
          auto n = const_int(*f.array_len, "an array length");
          if (n && (*n < 1 || *n > 256)) d.error(f.array_len->span, "array length must be between 1 and 256");
          else if (n) t.len = int(*n);
        }
        auto [it, fresh] = fseen.emplace(f.name, f.name_span);
        if (!fresh) {
          d.error(f.name_span, "field '" + f.name + "' is already declared in object " + o.name);
          continue;
        }
        ir::Field fd;
        fd.name = f.name;
        fd.type = t.t;
        fd.target = t.kind;
        fd.len = t.len;
        fd.spin = t.spin;
        fd.off = off;
        Ty et = t;
        et.len = 0;
        fd.init = init_value(f.init, et, f.span);
        off += std::max(1, t.len);
        k.fields.push_back(fd);
        field_ty[idx].push_back(t);
      }
      k.stride = off;
    } else {
      const auto& g = m.globals[idx];
      Ty t = type_of(g.type, true);
      if (g.array_len) {
        auto n = const_int(*g.array_len, "an array length");
        if (n && (*n < 1 || *n > 4096)) d.error(g.array_len->span, "array length must be between 1 and 4096");
        else if (n) t.len = int(*n);
      }
      if (!unique(g.name, g.name_span, "global")) continue;
      ir::Global gl;
      gl.name = g.name;
      gl.type = t.t;
      gl.target = t.kind;
      gl.len = t.len;
      gl.spin = t.spin;
      Ty et = t;
      et.len = 0;
      gl.init = init_value(g.init, et, g.span);
      gl.slot = int(P->slots.size());
      for (int i = 0; i < std::max(1, t.len); ++i) P->slots.push_back(slot_for(et));
      globals[g.name] = int(P->globals.size());
      P->globals.push_back(gl);
      global_ty.push_back(t);
    }
  }
  for (size_t i = 0; i < m.fns.size(); ++i) {
    const auto& f = m.fns[i];
    if (std::find(std::begin(kBuiltinStmts), std::end(kBuiltinStmts), f.name) != std::end(kBuiltinStmts)) {
      d.error(f.name_span, "function name '" + f.name + "' collides with the builtin " + f.name + "()");
      continue;
    }
    if (unique(f.name, f.name_span, "function")) fns[f.name] = int(i);
  }
  for (const auto& t : m.threads) unique(t.name, t.name_span, "thread");
  for (size_t i = 0; i < m.fns.size(); ++i) P->fns.push_back(m.fns[i].name);
  P->sigs.resize(m.fns.size());

  // Instance slots follow the globals: per kind, per instance, status then fields.
  int gid = 0;
  for (size_t ki = 0; ki < P->kinds.size(); ++ki) {
    ir::Kind& k = P->kinds[ki];
    k.first_slot = int(P->slots.size());
    k.first_gid = gid;
    for (int i = 0; i < k.max; ++i) {
      ir::Slot st;
      st.hi = ir::kFreed;
      P->slots.push_back(st);
      for (size_t fi = 0; fi < k.fields.size(); ++fi) {
        Ty et = field_ty[ki][fi];
        et.len = 0;
        for (int e = 0; e < std::max(1, k.fields[fi].len); ++e) P->slots.push_back(slot_for(et));
      }
      P->gid_kind.push_back(int(ki));
    }
    gid += k.max;
  }
}

// Functions are inlined, so any cycle in the call graph is a model error.
void Compiler::check_recursion() {
  size_t n = m.fns.size();
  std::vector<std::vector<std::pair<int, Span>>> calls(n);
  std::function<void(const ast::Expr&, int)> ex = [&](const ast::Expr& e, int f) {
    if (e.kind == ast::Expr::Call) {
      auto it = fns.find(e.name);
      if (it != fns.end()) calls[f].push_back({it->second, e.name_span});
    }
    for (const auto& a : e.args) ex(*a, f);
  };
  std::function<void(const std::vector<ast::StmtP>&, int)> st = [&](const std::vector<ast::StmtP>& ss, int f) {
    for (const auto& s : ss) {
      if (s->lhs) ex(*s->lhs, f);
      if (s->rhs) ex(*s->rhs, f);
      st(s->body, f);
      st(s->else_body, f);
      for (const auto& b : s->branches) st(b, f);
    }
  };
  for (size_t i = 0; i < n; ++i) st(m.fns[i].body, int(i));
  std::vector<int> color(n, 0);  // 0 new, 1 on stack, 2 done
  std::vector<int> path;
  std::function<bool(int)> dfs = [&](int f) -> bool {
    color[f] = 1;
    path.push_back(f);
    for (auto [g, at] : calls[f]) {
      if (color[g] == 1) {
        std::string cyc;
        auto it = std::find(path.begin(), path.end(), g);
        for (; it != path.end(); ++it) cyc += m.fns[*it].name + " -> ";
        cyc += m.fns[g].name;
        d.error(at, "recursive call (" + cyc + "): functions are inlined, so recursion is not allowed");
        return true;
      }
      if (color[g] == 0 && dfs(g)) return true;
    }
    path.pop_back();
    color[f] = 2;
    return false;
  };
  for (size_t i = 0; i < n; ++i)
    if (color[i] == 0) {
      path.clear();
      dfs(int(i));
    }
}

void Compiler::properties_and_expects() {
  in_property = true;
  for (const auto& p : m.properties) {
    if (prop_names.count(p.name) || p.name == "deadlock" || p.name == "use_after_free" || p.name == "double_free" ||
        p.name == "lock_misuse" || p.name == "lock_order" || p.name == "assert" || p.name == "range" ||
        p.name == "null_deref") {
      d.error(p.name_span, "property '" + p.name + "' is already declared" +
                               std::string(prop_names.count(p.name) ? "" : " (it is a builtin check)"));
      continue;
    }
    StepCtx none;
    int e = conv_cond(*p.expr, none);
    prop_names[p.name] = int(P->properties.size());
    P->properties.push_back({p.name, p.is_final, e, p.span});
  }
  in_property = false;
  std::map<std::string, Span> seen;
  for (const auto& e : m.expects) {
    bool builtin = false;
    for (auto c : ir::kBuiltinChecks) builtin |= e.name == ir::check_name(c);
    if (!builtin && !prop_names.count(e.name)) {
      std::string known = "deadlock, use_after_free, double_free, lock_misuse, lock_order, assert, range, null_deref";
      for (const auto& p : m.properties) known += ", " + p.name;
      d.error(e.name_span, "expect names an unknown property '" + e.name + "' (known: " + known + ")");
      continue;
    }
    auto [it, fresh] = seen.emplace(e.name, e.span);
    if (!fresh) {
      d.error(e.name_span, "a second expect line for '" + e.name + "'");
      d.note(it->second, "first expect line is here");
      continue;
    }
    P->expects.push_back({e.name, e.violated, e.span});
  }
}

// ---------------------------------------------------------------- expressions

bool Compiler::assignable(const Ty& to, const Ty& from, Span at, const std::string& what) {
  if (to.error || from.error) return false;
  bool ok = false;
  if (from.len || to.len) ok = false;
  else if (to.t == Type::Int) ok = from.t == Type::Int;
  else if (to.t == Type::Bool) ok = from.t == Type::Bool;
  else if (to.t == Type::Ptr) {
    if (from.t == Type::Null) ok = true;
    else if (from.t == Type::Ptr) {
      if (to.kind < 0 || to.kind == from.kind) ok = true;
      else if (from.kind < 0) {
        d.error(at, what + " has type any*, but " + ty_name(to) + " is needed: convert it with 'as " +
                        P->kinds[to.kind].name + "'");
        return false;
      }
    }
  }
  if (!ok) d.error(at, what + " has type " + ty_name(from) + ", but " + ty_name(to) + " is needed");
  return ok;
}

int Compiler::conv_cond(const ast::Expr& e, StepCtx& sc) {
  Ty t;
  int x = conv(e, sc, &t);
  if (!t.error && (t.t != Type::Bool || t.len)) {
    std::string hint = t.t == Type::Int ? " (write 'x != 0')" : t.t == Type::Ptr ? " (write 'p != null')" : "";
    d.error(e.span, "condition has type " + ty_name(t) + ", but bool is needed" + hint);
  }
  return x;
}

static Op binop(const std::string& o) {
  static const std::map<std::string, Op> ops = {
      {"+", Op::Add}, {"-", Op::Sub}, {"*", Op::Mul}, {"/", Op::Div}, {"%", Op::Mod}, {"==", Op::Eq},
      {"!=", Op::Ne}, {"<", Op::Lt},  {"<=", Op::Le}, {">", Op::Gt},  {">=", Op::Ge}, {"&&", Op::And},
      {"||", Op::Or}, {"=>", Op::Implies}};
  return ops.at(o);
}

int Compiler::conv_place(const ast::Expr& e, StepCtx& sc, Ty* out) {
  using K = ast::Expr;
  Ty err;
  err.error = true;
  *out = err;
  ir::Expr x;
  x.span = e.span;
  switch (e.kind) {
    case K::Name: {
      for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
        auto f = it->find(e.name);
        if (f != it->end()) {
          *out = f->second.ty;
          return local_place(f->second.index, e.span, f->second.ty);
        }
      }
      auto g = globals.find(e.name);
      if (g != globals.end()) {
        *out = global_ty[g->second];
        x.op = Op::Global;
        x.type = out->t;
        x.kind = out->kind;
        x.k = P->globals[g->second].slot;
        return add_expr(x);
      }
      if (consts.count(e.name)) { d.error(e.span, "cannot assign to constant '" + e.name + "'"); return -1; }
      for (const auto& q : qvars)
        if (q.first == e.name) { d.error(e.span, "cannot assign to quantified variable '" + e.name + "'"); return -1; }
      if (kinds.count(e.name)) d.error(e.span, "'" + e.name + "' is an object kind, not a variable");
      else if (fns.count(e.name)) d.error(e.span, "'" + e.name + "' is a function, not a variable");
      else d.error(e.span, "unknown name '" + e.name + "'");
      return -1;
    }
    case K::Field: {
      Ty pt;
      int p = conv(*e.args[0], sc, &pt);
      if (pt.error) return -1;
      if (pt.t != Type::Ptr || pt.len) {
        d.error(e.args[0]->span, "'->' needs a pointer, but this has type " + ty_name(pt));
        return -1;
      }
      if (pt.kind < 0) {
        d.error(e.args[0]->span, "this is an any* pointer: convert it with 'as KIND' before reading a field");
        return -1;
      }
      const ir::Kind& k = P->kinds[pt.kind];
      for (size_t i = 0; i < k.fields.size(); ++i)
        if (k.fields[i].name == e.name) {
          *out = field_ty[pt.kind][i];
          x.op = Op::Field;
          x.type = out->t;
          x.kind = pt.kind;
          x.k = k.fields[i].off;
          x.a = p;
          return add_expr(x);
        }
      d.error(e.name_span, "object " + k.name + " has no field '" + e.name + "'");
      return -1;
    }
    case K::Index: {
      Ty bt;
      int b = conv_place(*e.args[0], sc, &bt);
      if (bt.error) return -1;
      if (!bt.len) {
        d.error(e.args[0]->span, "indexing needs an array, but this has type " + ty_name(bt));
        return -1;
      }
      Ty it;
      int i = conv(*e.args[1], sc, &it);
      if (it.error) return -1;
      if (it.t != Type::Int) {
        d.error(e.args[1]->span, "array index has type " + ty_name(it) + ", but int is needed");
        return -1;
      }
      *out = bt;
      out->len = 0;
      x.op = Op::Index;
      x.type = out->t;
      x.kind = out->kind;
      x.k = bt.len;
      x.a = b;
      x.b = i;
      return add_expr(x);
    }
    default:
      d.error(e.span, "this cannot be assigned to (a variable, field p->f or element a[i] is needed)");
      return -1;
  }
  return -1;
}

int Compiler::conv(const ast::Expr& e, StepCtx& sc, Ty* out) {
  using K = ast::Expr;
  Ty err;
  err.error = true;
  *out = err;
  ir::Expr x;
  x.span = e.span;
  auto fail = [&](Span at, const std::string& msg) {
    d.error(at, msg);
    *out = err;
    return -1;
  };
  Ty tint, tbool;
  tbool.t = Type::Bool;
  tbool.lo = 0;
  tbool.hi = 1;
  switch (e.kind) {
    case K::IntLit:
      x.op = Op::Const;
      x.k = e.value;
      *out = tint;
      return add_expr(x);
    case K::BoolLit:
      x.op = Op::Const;
      x.type = Type::Bool;
      x.k = e.value;
      *out = tbool;
      return add_expr(x);
    case K::Null:
      x.op = Op::Const;
      x.type = Type::Ptr;
      out->error = false;
      out->t = Type::Null;
      return add_expr(x);
    case K::String: return fail(e.span, "a string can only be the message of assert(cond, \"message\")");
    case K::Self:
      if (in_property) return fail(e.span, "'self' is not defined in a property (it has no thread)");
      if (in_init) return fail(e.span, "'self' is not defined in init");
      x.op = Op::Self;
      *out = tint;
      return add_expr(x);
    case K::New: return fail(e.span, "'new' can only be assigned directly: p = new " + e.name + ";");
    case K::Name: {
      for (size_t i = qvars.size(); i-- > 0;)
        if (qvars[i].first == e.name) {
          x.op = Op::QVar;
          x.type = Type::Ptr;
          x.kind = qvars[i].second;
          x.k = int64_t(i);
          out->error = false;
          out->t = Type::Ptr;
          out->kind = qvars[i].second;
          return add_expr(x);
        }
      bool local = false;
      for (auto& s : scopes) local |= s.count(e.name) > 0;
      if (!local && !globals.count(e.name)) {
        auto c = consts.find(e.name);
        if (c != consts.end()) {
          x.op = Op::Const;
          x.k = c->second.first;
          x.type = c->second.second.t == Type::Null ? Type::Ptr : c->second.second.t;
          *out = c->second.second;
          return add_expr(x);
        }
      }
      Ty pt;
      int p = conv_place(e, sc, &pt);
      if (pt.error) return -1;
      if (pt.len) return fail(e.span, "array '" + e.name + "' needs an index");
      if (pt.t == Type::Lock)
        return fail(e.span, "lock '" + e.name + "' can only be used with lock, unlock, trylock, held or mine");
      x.op = Op::Load;
      x.type = pt.t;
      x.kind = pt.kind;
      x.a = p;
      *out = pt;
      return add_expr(x);
    }
    case K::Field:
    case K::Index: {
      Ty pt;
      int p = conv_place(e, sc, &pt);
      if (pt.error) return -1;
      if (pt.len) return fail(e.span, "an array needs an index here");
      if (pt.t == Type::Lock)
        return fail(e.span, "a lock can only be used with lock, unlock, trylock, held or mine");
      x.op = Op::Load;
      x.type = pt.t;
      x.kind = pt.kind;
      x.a = p;
      *out = pt;
      return add_expr(x);
    }
    case K::Unary: {
      Ty at;
      int a = conv(*e.args[0], sc, &at);
      if (at.error) return -1;
      if (e.op == "!") {
        if (at.t != Type::Bool) return fail(e.args[0]->span, "'!' needs a bool, but this has type " + ty_name(at));
        x.op = Op::Not;
        x.type = Type::Bool;
        *out = tbool;
      } else {
        if (at.t != Type::Int) return fail(e.args[0]->span, "'-' needs an int, but this has type " + ty_name(at));
        x.op = Op::Neg;
        *out = tint;
      }
      x.a = a;
      return add_expr(x);
    }
    case K::Binary: {
      Op op = binop(e.op);
      bool lazy = op == Op::And || op == Op::Or || op == Op::Implies;
      Ty at, bt;
      int a = conv(*e.args[0], sc, &at);
      StepCtx rsc = sc;
      rsc.in_short_circuit = sc.in_short_circuit || lazy;
      int b = conv(*e.args[1], rsc, &bt);
      if (at.error || bt.error) return -1;
      x.a = a;
      x.b = b;
      x.op = op;
      if (lazy) {
        if (at.t != Type::Bool) return fail(e.args[0]->span, "'" + e.op + "' needs bool operands, but this has type " + ty_name(at));
        if (bt.t != Type::Bool) return fail(e.args[1]->span, "'" + e.op + "' needs bool operands, but this has type " + ty_name(bt));
        x.type = Type::Bool;
        *out = tbool;
        return add_expr(x);
      }
      if (op == Op::Eq || op == Op::Ne) {
        bool ok = false;
        if (at.t == Type::Int && bt.t == Type::Int) ok = true;
        else if (at.t == Type::Bool && bt.t == Type::Bool) ok = true;
        else if ((at.t == Type::Ptr || at.t == Type::Null) && (bt.t == Type::Ptr || bt.t == Type::Null)) {
          ok = at.t == Type::Null || bt.t == Type::Null || at.kind < 0 || bt.kind < 0 || at.kind == bt.kind;
          if (!ok) return fail(e.span, "comparing pointers of different kinds (" + ty_name(at) + " and " + ty_name(bt) + ") is always false");
        }
        if (!ok) return fail(e.span, "cannot compare " + ty_name(at) + " with " + ty_name(bt));
        x.type = Type::Bool;
        *out = tbool;
        return add_expr(x);
      }
      if (at.t != Type::Int) return fail(e.args[0]->span, "'" + e.op + "' needs int operands, but this has type " + ty_name(at));
      if (bt.t != Type::Int) return fail(e.args[1]->span, "'" + e.op + "' needs int operands, but this has type " + ty_name(bt));
      bool cmp = op == Op::Lt || op == Op::Le || op == Op::Gt || op == Op::Ge;
      x.type = cmp ? Type::Bool : Type::Int;
      *out = cmp ? tbool : tint;
      return add_expr(x);
    }
    case K::Cond: {
      int c = conv_cond(*e.args[0], sc);
      StepCtx bsc = sc;
      bsc.in_short_circuit = true;
      Ty at, bt;
      int a = conv(*e.args[1], bsc, &at);
      int b = conv(*e.args[2], bsc, &bt);
      if (c < 0 || at.error || bt.error) return -1;
      Ty r;
      if (at.t == Type::Int && bt.t == Type::Int) r = tint;
      else if (at.t == Type::Bool && bt.t == Type::Bool) r = tbool;
      else if ((at.t == Type::Ptr || at.t == Type::Null) && (bt.t == Type::Ptr || bt.t == Type::Null)) {
        r.t = Type::Ptr;
        if (at.t == Type::Null && bt.t == Type::Null) r.t = Type::Null;
        else if (at.t == Type::Null) r.kind = bt.kind;
        else if (bt.t == Type::Null) r.kind = at.kind;
        else r.kind = at.kind == bt.kind ? at.kind : -1;
      } else {
        return fail(e.span, "the branches of '?:' have different types (" + ty_name(at) + " and " + ty_name(bt) + ")");
      }
      x.op = Op::Cond;
      x.type = r.t == Type::Null ? Type::Ptr : r.t;
      x.kind = r.kind;
      x.a = c;
      x.b = a;
      x.c = b;
      *out = r;
      return add_expr(x);
    }
    case K::Is:
    case K::As: {
      Ty pt;
      int p = conv(*e.args[0], sc, &pt);
      if (pt.error) return -1;
      auto k = kinds.find(e.name);
      if (k == kinds.end()) return fail(e.name_span, "unknown object kind '" + e.name + "'");
      if (pt.t != Type::Ptr && pt.t != Type::Null)
        return fail(e.args[0]->span, std::string("'") + (e.kind == K::Is ? "is" : "as") + "' needs a pointer, but this has type " + ty_name(pt));
      if (pt.t == Type::Ptr && pt.kind >= 0 && pt.kind != k->second)
        return fail(e.span, "this has type " + ty_name(pt) + ", so it is never a " + e.name);
      x.op = e.kind == K::Is ? Op::Is : Op::As;
      x.kind = k->second;
      x.a = p;
      if (e.kind == K::Is) {
        x.type = Type::Bool;
        *out = tbool;
      } else {
        x.type = Type::Ptr;
        out->error = false;
        out->t = Type::Ptr;
        out->kind = k->second;
      }
      return add_expr(x);
    }
    case K::Member:
      if (!in_property)
        return fail(e.span, "'" + std::string(file->slice(e.span)) + "' reads another thread's local, so it is allowed only in invariant and final properties");
      return conv_member(e, out);
    case K::Quant: {
      if (!in_property)
        return fail(e.span, e.count ? "count(v: K . e) is allowed only in invariant and final properties"
                                    : "quantifiers (forall/exists) are allowed only in invariant and final properties");
      auto k = kinds.find(e.name);
      if (k == kinds.end()) return fail(e.name_span, "unknown object kind '" + e.name + "'");
      qvars.push_back({e.var, k->second});
      max_qdepth = std::max(max_qdepth, int(qvars.size()));
      int body = conv_cond(*e.args[0], sc);
      qvars.pop_back();
      if (body < 0) return -1;
      x.op = e.count ? Op::CountOf : e.forall ? Op::Forall : Op::Exists;
      x.type = e.count ? Type::Int : Type::Bool;
      x.kind = k->second;
      x.k = int64_t(qvars.size());
      x.a = body;
      *out = e.count ? tint : tbool;
      return add_expr(x);
    }
    case K::Call: {
      const std::string& f = e.name;
      auto nargs = [&](size_t n) {
        if (e.args.size() == n) return true;
        d.error(e.span, f + "() takes " + std::to_string(n) + (n == 1 ? " argument" : " arguments") + ", not " +
                            std::to_string(e.args.size()));
        return false;
      };
      if (f == "held_by" && in_property) return conv_held_by(e, sc, out);
      if (f == "at" || f == "within" || f == "after" || f == "in" || f == "done" || f == "held_by") {
        if (in_property) return conv_position(e, out);
        if (!fns.count(f))
          return fail(e.span, f + "() reads a thread's position, so it is allowed only in invariant and final properties");
      }
      if (f == "alive") {
        if (!nargs(1)) return -1;
        Ty pt;
        int p = conv(*e.args[0], sc, &pt);
        if (pt.error) return -1;
        if (pt.t != Type::Ptr && pt.t != Type::Null) return fail(e.args[0]->span, "alive() needs a pointer, but this has type " + ty_name(pt));
        x.op = Op::Alive;
        x.type = Type::Bool;
        x.a = p;
        *out = tbool;
        return add_expr(x);
      }
      if (f == "held" || f == "mine") {
        if (!nargs(1)) return -1;
        if (f == "mine" && in_property) return fail(e.span, "mine() is not defined in a property (it has no thread); use held()");
        Ty lt;
        int l = conv_place(*e.args[0], sc, &lt);
        if (lt.error) return -1;
        if (lt.t != Type::Lock || lt.len) return fail(e.args[0]->span, f + "() needs a lock, but this has type " + ty_name(lt));
        x.op = f == "held" ? Op::Held : Op::Mine;
        x.type = Type::Bool;
        x.a = l;
        *out = tbool;
        return add_expr(x);
      }
      if (f == "count") {
        if (!nargs(1)) return -1;
        if (e.args[0]->kind != K::Name || !kinds.count(e.args[0]->name))
          return fail(e.args[0]->span, "count() needs an object kind, e.g. count(idev)");
        x.op = Op::Count;
        x.kind = kinds[e.args[0]->name];
        *out = tint;
        return add_expr(x);
      }
      if (f == "trylock") return fail(e.span, "trylock() must be assigned directly: ok = trylock(m);");
      if (f == "lock" || f == "unlock" || f == "free" || f == "wait" || f == "assert")
        return fail(e.span, f + "() is a statement and has no value");
      auto it = fns.find(f);
      if (it == fns.end()) return fail(e.name_span, "unknown function '" + f + "'");
      const ast::FnDecl& fd = m.fns[it->second];
      if (!sc.at) {
        if (in_property) return fail(e.span, "functions cannot be called in a property (they take steps)");
        return fail(e.span, "a function cannot be called here");
      }
      if (sc.in_short_circuit)
        return fail(e.span, "a call of " + f + "() cannot stand in the right operand of '&&', '||', '=>' or in a '?:' branch (it would always run): assign its result to a local first");
      if (!fd.has_result) return fail(e.span, f + "() returns no value");
      Ty rt = type_of(fd.result, false);
      int tmp = alloc_local(f + "()", rt);
      int place = local_place(tmp, e.span, rt);
      int next = new_loc();
      lower_call(e, place, &rt, *sc.at, next, sc);
      *sc.at = next;
      x.op = Op::Load;
      x.type = rt.t;
      x.kind = rt.kind;
      x.a = place;
      *out = rt;
      return add_expr(x);
    }
  }
  return fail(e.span, "'" + e.name + "' cannot be used here");
}

}  // namespace lc::detail
