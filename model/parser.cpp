#include "model/parser.h"

namespace lc {
namespace {

struct ParseError {};

class Parser {
 public:
  Parser(const std::vector<Token>& t, Diagnostics& d) : toks_(t), diags_(d) {}

  ast::Model model() {
    ast::Model m;
    while (!at(Tok::End)) {
      size_t before = pos_;
      try {
        top_decl(m);
      } catch (ParseError&) {
        sync_top();
      }
      if (pos_ == before) ++pos_;  // always make progress
    }
    return m;
  }

 private:
  const std::vector<Token>& toks_;
  Diagnostics& diags_;
  size_t pos_ = 0;

  const Token& peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  bool at(Tok k) const { return peek().kind == k; }
  bool at_word(const char* w) const { return at(Tok::Ident) && peek().text == w; }
  const Token& next() { const Token& t = peek(); if (pos_ < toks_.size() - 1) ++pos_; return t; }
  bool accept(Tok k) { if (at(k)) { next(); return true; } return false; }
  Span prev_span() const { return pos_ ? toks_[pos_ - 1].span : Span{}; }

  [[noreturn]] void fail(const std::string& what) {
    const Token& t = peek();
    std::string got = t.kind == Tok::Ident ? "'" + t.text + "'" : tok_name(t.kind);
    if (t.kind == Tok::Int) got = "'" + t.text + "'";
    // A missing ';' is clearer at the end of the previous token than at the next line.
    if (what == "';'" && pos_ > 0) {
      Span p = prev_span();
      diags_.error({p.end, p.end}, "expected ';' after " + describe_prev());
    } else {
      diags_.error(t.span, "expected " + what + ", found " + got);
    }
    throw ParseError{};
  }
  std::string describe_prev() const {
    const Token& t = toks_[pos_ - 1];
    if (t.kind == Tok::Ident || t.kind == Tok::Int) return "'" + t.text + "'";
    return tok_name(t.kind);
  }
  const Token& expect(Tok k) {
    if (!at(k)) fail(tok_name(k));
    return next();
  }
  const Token& expect_ident(const char* what) {
    if (!at(Tok::Ident)) fail(what);
    return next();
  }

  // Skip to just after the next ';' or past a balanced '}' at this level.
  void sync_stmt() {
    int depth = 0;
    while (!at(Tok::End)) {
      if (at(Tok::LBrace)) ++depth;
      if (at(Tok::RBrace)) {
        if (depth == 0) return;  // leave the enclosing block's '}' to its owner
        if (--depth == 0) { next(); return; }
      }
      if (at(Tok::Semi) && depth == 0) { next(); return; }
      next();
    }
  }
  void sync_top() {
    int depth = 0;
    while (!at(Tok::End)) {
      if (depth == 0 && at(Tok::Ident)) {
        const std::string& w = peek().text;
        if (w == "model" || w == "const" || w == "object" || w == "fn" || w == "init" || w == "thread" ||
            w == "invariant" || w == "final" || w == "expect")
          return;
      }
      if (at(Tok::LBrace)) ++depth;
      if (at(Tok::RBrace) && depth > 0 && --depth == 0) { next(); return; }
      if (at(Tok::Semi) && depth == 0) { next(); return; }
      next();
    }
  }

  Span from(Span b) const { return {b.begin, prev_span().end}; }

  // ---- declarations ----
  void top_decl(ast::Model& m) {
    Span start = peek().span;
    if (at_word("model")) {
      next();
      m.name_span = peek().span;
      m.name = expect_ident("model name").text;
      if (at(Tok::String)) m.title = next().text;
      expect(Tok::Semi);
    } else if (at_word("const")) {
      next();
      ast::ConstDecl c;
      c.name_span = peek().span;
      c.name = expect_ident("constant name").text;
      expect(Tok::Assign);
      c.value = expr();
      expect(Tok::Semi);
      c.span = from(start);
      m.order.push_back({'c', m.consts.size()});
      m.consts.push_back(std::move(c));
    } else if (at_word("object")) {
      next();
      ast::ObjectDecl o;
      o.name_span = peek().span;
      o.name = expect_ident("object kind name").text;
      if (at_word("max")) { next(); o.max = expr(); }
      expect(Tok::LBrace);
      while (!at(Tok::RBrace) && !at(Tok::End)) {
        size_t before = pos_;
        try {
          o.fields.push_back(var_decl(true));
        } catch (ParseError&) {
          sync_stmt();
          if (pos_ == before) next();
        }
      }
      expect(Tok::RBrace);
      accept(Tok::Semi);
      o.span = from(start);
      m.order.push_back({'o', m.objects.size()});
      m.objects.push_back(std::move(o));
    } else if (at_word("fn")) {
      next();
      ast::FnDecl f;
      f.name_span = peek().span;
      f.name = expect_ident("function name").text;
      expect(Tok::LParen);
      if (!at(Tok::RParen)) {
        do {
          ast::VarDecl p;
          Span ps = peek().span;
          p.type = type();
          p.name_span = peek().span;
          p.name = expect_ident("parameter name").text;
          p.span = from(ps);
          f.params.push_back(std::move(p));
        } while (accept(Tok::Comma));
      }
      expect(Tok::RParen);
      if (accept(Tok::Arrow)) { f.has_result = true; f.result = type(); }
      f.body = block(&f.close_span);
      f.span = from(start);
      m.fns.push_back(std::move(f));
    } else if (at_word("trace") && peek(1).kind == Tok::LBrace) {
      next();
      next();
      while (!at(Tok::RBrace) && !at(Tok::End)) {
        size_t before = pos_;
        try {
          m.trace.push_back(trace_rule());
        } catch (ParseError&) {
          sync_stmt();
          if (pos_ == before) next();
        }
      }
      expect(Tok::RBrace);
    } else if (at_word("init")) {
      next();
      if (m.has_init) diags_.error(start, "duplicate 'init' block");
      m.has_init = true;
      m.init_span = start;
      m.init = block(&m.init_close);
    } else if (at_word("thread")) {
      next();
      ast::ThreadDecl t;
      t.name_span = peek().span;
      t.name = expect_ident("thread name").text;
      if (accept(Tok::LBracket)) { t.count = expr(); expect(Tok::RBracket); }
      t.body = block(&t.close_span);
      t.span = from(start);
      m.threads.push_back(std::move(t));
    } else if (at_word("invariant") || at_word("final")) {
      ast::PropertyDecl p;
      p.is_final = next().text == "final";
      p.name_span = peek().span;
      p.name = expect_ident("property name").text;
      expect(Tok::Colon);
      p.expr = expr();
      expect(Tok::Semi);
      p.span = from(start);
      m.properties.push_back(std::move(p));
    } else if (at_word("expect")) {
      next();
      ast::ExpectDecl e;
      e.name_span = peek().span;
      e.name = expect_ident("property or check name").text;
      if (at_word("violated")) e.violated = true;
      else if (!at_word("holds")) fail("'violated' or 'holds'");
      next();
      expect(Tok::Semi);
      e.span = from(start);
      m.expects.push_back(std::move(e));
    } else if (starts_type()) {
      ast::VarDecl g = var_decl(true);
      m.order.push_back({'g', m.globals.size()});
      m.globals.push_back(std::move(g));
    } else {
      fail("a declaration (model, const, object, a global, fn, init, thread, invariant, final, expect, trace)");
    }
  }

  // task "PATTERN" = THREAD;  kernel FN = NAME;  silent FN;  event "NAME" = [return] FN;
  // field "NAME" = FIELD;  result "NAME" = FN;
  ast::TraceRule trace_rule() {
    ast::TraceRule r;
    Span start = peek().span;
    std::string w = at(Tok::Ident) ? peek().text : "";
    static const std::pair<const char*, ast::TraceRule::Kind> kinds[] = {
        {"task", ast::TraceRule::Task},   {"kernel", ast::TraceRule::Kernel}, {"silent", ast::TraceRule::Silent},
        {"event", ast::TraceRule::Event}, {"field", ast::TraceRule::Field},   {"result", ast::TraceRule::Result},
        {"const", ast::TraceRule::Const}, {"arg", ast::TraceRule::Arg}, {"offset", ast::TraceRule::Offset}};
    bool known = false;
    for (const auto& [name, k] : kinds)
      if (w == name) { r.kind = k; known = true; }
    if (!known) fail("a trace rule (task, kernel, silent, event, field, result, const, arg, offset)");
    next();
    r.key_span = peek().span;
    if (r.kind == ast::TraceRule::Arg) {  // arg FN.PARAM = "FETCHARG";
      r.key = expect_ident("function name").text;
      expect(Tok::Dot);
      r.member = expect_ident("parameter name").text;
      expect(Tok::Assign);
      r.value_span = peek().span;
      if (!at(Tok::String)) fail("a kprobe fetch argument in quotes (\"+0(%si):u32\")");
      r.value = next().text;
      expect(Tok::Semi);
      r.span = from(start);
      return r;
    }
    if (r.kind == ast::TraceRule::Offset) {  // offset FIELD = N;  (byte offset in the kernel struct)
      r.key = expect_ident("field name").text;
      expect(Tok::Assign);
      r.value_span = peek().span;
      if (!at(Tok::Int)) fail("a byte offset");
      r.number = next().value;
      expect(Tok::Semi);
      r.span = from(start);
      return r;
    }
    if (r.kind == ast::TraceRule::Const) {  // const NAME = [-]N;
      r.key = expect_ident("constant name").text;
      expect(Tok::Assign);
      bool neg = accept(Tok::Minus);
      r.value_span = peek().span;
      if (!at(Tok::Int)) fail("an integer");
      r.number = neg ? -next().value : next().value;
      expect(Tok::Semi);
      r.span = from(start);
      return r;
    }
    if (r.kind == ast::TraceRule::Kernel || r.kind == ast::TraceRule::Silent) {
      r.key = expect_ident("function name").text;
    } else if (at(Tok::String)) {
      r.key = next().text;
    } else {
      fail(r.kind == ast::TraceRule::Task ? "a task name pattern in quotes (\"iommufd-*\")" : "a name in quotes");
    }
    if (r.kind != ast::TraceRule::Silent) {
      expect(Tok::Assign);
      if (r.kind == ast::TraceRule::Event && at(Tok::KwReturn)) { next(); r.ret = true; }
      r.value_span = peek().span;
      r.value = expect_ident(r.kind == ast::TraceRule::Task ? "thread name" : r.kind == ast::TraceRule::Field ? "field name" : "function name").text;
    }
    expect(Tok::Semi);
    r.span = from(start);
    return r;
  }

  bool starts_type() const {
    switch (peek().kind) {
      case Tok::KwInt: case Tok::KwBool: case Tok::KwAny: case Tok::KwMutex: case Tok::KwSpinlock: return true;
      case Tok::Ident: return peek(1).kind == Tok::Star && peek(2).kind == Tok::Ident;
      default: return false;
    }
  }

  ast::TypeSyntax type() {
    ast::TypeSyntax t;
    Span start = peek().span;
    switch (peek().kind) {
      case Tok::KwInt:
        next();
        t.base = ast::TypeSyntax::Int;
        if (accept(Tok::Lt)) {
          t.lo = additive();
          expect(Tok::DotDot);
          t.hi = additive();
          expect(Tok::Gt);
        }
        break;
      case Tok::KwBool: next(); t.base = ast::TypeSyntax::Bool; break;
      case Tok::KwMutex: next(); t.base = ast::TypeSyntax::Mutex; break;
      case Tok::KwSpinlock: next(); t.base = ast::TypeSyntax::Spinlock; break;
      case Tok::KwAny: next(); t.base = ast::TypeSyntax::AnyPtr; expect(Tok::Star); break;
      case Tok::Ident:
        t.kind = next().text;
        t.base = ast::TypeSyntax::Ptr;
        expect(Tok::Star);
        break;
      default: fail("a type");
    }
    t.span = from(start);
    return t;
  }

  // `T name [N] [= init];` for globals, fields and local declarations.
  ast::VarDecl var_decl(bool allow_init) {
    ast::VarDecl v;
    Span start = peek().span;
    v.type = type();
    v.name_span = peek().span;
    v.name = expect_ident("a name").text;
    if (accept(Tok::LBracket)) { v.array_len = expr(); expect(Tok::RBracket); }
    if (allow_init && accept(Tok::Assign)) v.init = expr();
    expect(Tok::Semi);
    v.span = from(start);
    return v;
  }

  // ---- statements ----
  std::vector<ast::StmtP> block(Span* close = nullptr) {
    expect(Tok::LBrace);
    std::vector<ast::StmtP> out;
    while (!at(Tok::RBrace) && !at(Tok::End)) {
      size_t before = pos_;
      try {
        out.push_back(stmt());
      } catch (ParseError&) {
        sync_stmt();
        if (pos_ == before) next();
      }
    }
    if (close) *close = peek().span;
    expect(Tok::RBrace);
    return out;
  }

  ast::StmtP mk(ast::Stmt::Kind k, Span start) {
    auto s = std::make_unique<ast::Stmt>();
    s->kind = k;
    s->span = start;
    return s;
  }

  ast::StmtP stmt() {
    if (at(Tok::Ident) && peek(1).kind == Tok::Colon) {  // a label: `name: stmt`
      Span ls = peek().span;
      std::string label = next().text;
      next();
      ast::StmtP s = stmt();
      s->label = std::move(label);
      s->label_span = ls;
      return s;
    }
    Span start = peek().span;
    ast::StmtP s;
    switch (peek().kind) {
      case Tok::LBrace:
        s = mk(ast::Stmt::Block, start);
        s->body = block();
        break;
      case Tok::KwIf:
        next();
        s = mk(ast::Stmt::If, start);
        expect(Tok::LParen);
        s->rhs = expr();
        expect(Tok::RParen);
        s->body = block_or_stmt();
        if (accept(Tok::KwElse)) {
          s->has_else = true;
          if (at(Tok::KwIf)) s->else_body.push_back(stmt());
          else s->else_body = block_or_stmt();
        }
        break;
      case Tok::KwWhile:
        next();
        s = mk(ast::Stmt::While, start);
        expect(Tok::LParen);
        s->rhs = expr();
        expect(Tok::RParen);
        s->body = block_or_stmt();
        break;
      case Tok::KwBreak: next(); s = mk(ast::Stmt::Break, start); expect(Tok::Semi); break;
      case Tok::KwContinue: next(); s = mk(ast::Stmt::Continue, start); expect(Tok::Semi); break;
      case Tok::KwSkip: next(); s = mk(ast::Stmt::Skip, start); expect(Tok::Semi); break;
      case Tok::KwReturn:
        next();
        s = mk(ast::Stmt::Return, start);
        if (!at(Tok::Semi)) s->rhs = expr();
        expect(Tok::Semi);
        break;
      case Tok::KwChoose:
        next();
        s = mk(ast::Stmt::Choose, start);
        s->branches.push_back(block());
        if (!at(Tok::KwOr)) fail("'or' (a choose needs at least two branches)");
        while (accept(Tok::KwOr)) s->branches.push_back(block());
        break;
      case Tok::KwAtomic:
        next();
        s = mk(ast::Stmt::Atomic, start);
        s->body = block();
        break;
      default:
        if (starts_type()) {
          s = mk(ast::Stmt::VarDecl, start);
          s->type = type();
          s->name_span = peek().span;
          s->name = expect_ident("a variable name").text;
          if (accept(Tok::LBracket)) { s->array_len = expr(); expect(Tok::RBracket); }
          if (accept(Tok::Assign)) s->rhs = expr();
          expect(Tok::Semi);
        } else {
          ast::ExprP e = expr();
          if (accept(Tok::Assign)) {
            s = mk(ast::Stmt::Assign, start);
            s->lhs = std::move(e);
            s->rhs = expr();
          } else {
            s = mk(ast::Stmt::ExprStmt, start);
            s->rhs = std::move(e);
          }
          expect(Tok::Semi);
        }
    }
    s->span = from(start);
    return s;
  }

  std::vector<ast::StmtP> block_or_stmt() {
    if (at(Tok::LBrace)) return block();
    std::vector<ast::StmtP> v;
    v.push_back(stmt());
    return v;
  }

  // ---- expressions (precedence as in LANGUAGE.md, loosest first) ----
  ast::ExprP mk_expr(ast::Expr::Kind k, Span s) {
    auto e = std::make_unique<ast::Expr>();
    e->kind = k;
    e->span = s;
    return e;
  }
  ast::ExprP binary(std::string op, ast::ExprP a, ast::ExprP b) {
    auto e = mk_expr(ast::Expr::Binary, {a->span.begin, b->span.end});
    e->op = std::move(op);
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
  }

 public:
  ast::ExprP expr() {
    if (at(Tok::KwForall) || at(Tok::KwExists)) return quant();
    ast::ExprP c = ternary();
    if (accept(Tok::Implies)) return binary("=>", std::move(c), expr());
    return c;
  }

 private:
  ast::ExprP quant() {
    Span start = peek().span;
    bool fa = next().kind == Tok::KwForall;
    auto e = mk_expr(ast::Expr::Quant, start);
    e->forall = fa;
    binder(*e);
    e->span = from(start);
    return e;
  }
  // `v: K . body` of a quantifier or of count(v: K . body).
  void binder(ast::Expr& e) {
    e.var = expect_ident("a variable name").text;
    expect(Tok::Colon);
    e.name_span = peek().span;
    e.name = expect_ident("an object kind").text;
    expect(Tok::Dot);
    e.args.push_back(expr());
  }

  ast::ExprP ternary() {
    ast::ExprP c = or_expr();
    if (accept(Tok::Question)) {
      ast::ExprP a = expr();
      expect(Tok::Colon);
      ast::ExprP b = ternary();
      auto e = mk_expr(ast::Expr::Cond, {c->span.begin, b->span.end});
      e->args.push_back(std::move(c));
      e->args.push_back(std::move(a));
      e->args.push_back(std::move(b));
      return e;
    }
    return c;
  }
  ast::ExprP or_expr() {
    ast::ExprP a = and_expr();
    while (at(Tok::OrOr)) { next(); a = binary("||", std::move(a), rhs_or(&Parser::and_expr)); }
    return a;
  }
  ast::ExprP and_expr() {
    ast::ExprP a = equality();
    while (at(Tok::AndAnd)) { next(); a = binary("&&", std::move(a), rhs_or(&Parser::equality)); }
    return a;
  }
  // A quantifier may stand as the right operand of any binary operator and then
  // extends as far right as possible.
  ast::ExprP rhs_or(ast::ExprP (Parser::*f)()) {
    if (at(Tok::KwForall) || at(Tok::KwExists)) return quant();
    return (this->*f)();
  }
  ast::ExprP equality() {
    ast::ExprP a = relational();
    while (at(Tok::Eq) || at(Tok::Ne)) {
      std::string op = next().kind == Tok::Eq ? "==" : "!=";
      a = binary(op, std::move(a), rhs_or(&Parser::relational));
    }
    return a;
  }
  ast::ExprP relational() {
    ast::ExprP a = additive();
    while (at(Tok::Lt) || at(Tok::Le) || at(Tok::Gt) || at(Tok::Ge)) {
      Tok k = next().kind;
      std::string op = k == Tok::Lt ? "<" : k == Tok::Le ? "<=" : k == Tok::Gt ? ">" : ">=";
      a = binary(op, std::move(a), additive());
    }
    return a;
  }
  ast::ExprP additive() {
    ast::ExprP a = multiplicative();
    while (at(Tok::Plus) || at(Tok::Minus)) {
      std::string op = next().kind == Tok::Plus ? "+" : "-";
      a = binary(op, std::move(a), multiplicative());
    }
    return a;
  }
  ast::ExprP multiplicative() {
    ast::ExprP a = unary();
    while (at(Tok::Star) || at(Tok::Slash) || at(Tok::Percent)) {
      Tok k = next().kind;
      a = binary(k == Tok::Star ? "*" : k == Tok::Slash ? "/" : "%", std::move(a), unary());
    }
    return a;
  }
  ast::ExprP unary() {
    if (at(Tok::Not) || at(Tok::Minus)) {
      Span start = peek().span;
      std::string op = next().kind == Tok::Not ? "!" : "-";
      ast::ExprP a = (at(Tok::KwForall) || at(Tok::KwExists)) ? quant() : unary();
      auto e = mk_expr(ast::Expr::Unary, {start.begin, a->span.end});
      e->op = op;
      e->args.push_back(std::move(a));
      return e;
    }
    return postfix();
  }
  ast::ExprP postfix() {
    ast::ExprP a = primary();
    for (;;) {
      if (accept(Tok::Arrow)) {
        auto e = mk_expr(ast::Expr::Field, a->span);
        e->name_span = peek().span;
        e->name = expect_ident("a field name").text;
        e->span.end = prev_span().end;
        e->args.push_back(std::move(a));
        a = std::move(e);
      } else if (accept(Tok::LBracket)) {
        auto e = mk_expr(ast::Expr::Index, a->span);
        e->args.push_back(std::move(a));
        e->args.push_back(expr());
        expect(Tok::RBracket);
        e->span.end = prev_span().end;
        a = std::move(e);
      } else if (accept(Tok::Dot)) {  // T.x: a thread's local (checked in sema)
        auto e = mk_expr(ast::Expr::Member, a->span);
        e->name_span = peek().span;
        e->name = expect_ident("a local variable name").text;
        e->span.end = prev_span().end;
        e->args.push_back(std::move(a));
        a = std::move(e);
      } else if (at(Tok::KwIs) || at(Tok::KwAs)) {
        bool is = next().kind == Tok::KwIs;
        auto e = mk_expr(is ? ast::Expr::Is : ast::Expr::As, a->span);
        e->name_span = peek().span;
        e->name = expect_ident("an object kind").text;
        e->span.end = prev_span().end;
        e->args.push_back(std::move(a));
        a = std::move(e);
      } else {
        return a;
      }
    }
  }
  ast::ExprP primary() {
    const Token& t = peek();
    Span s = t.span;
    switch (t.kind) {
      case Tok::Int: { auto e = mk_expr(ast::Expr::IntLit, s); e->value = t.value; next(); return e; }
      case Tok::KwTrue: case Tok::KwFalse: {
        auto e = mk_expr(ast::Expr::BoolLit, s);
        e->value = t.kind == Tok::KwTrue;
        next();
        return e;
      }
      case Tok::KwNull: next(); return mk_expr(ast::Expr::Null, s);
      case Tok::KwSelf: next(); return mk_expr(ast::Expr::Self, s);
      case Tok::String: { auto e = mk_expr(ast::Expr::String, s); e->name = t.text; next(); return e; }
      case Tok::KwNew: {
        next();
        auto e = mk_expr(ast::Expr::New, s);
        e->name_span = peek().span;
        e->name = expect_ident("an object kind after 'new'").text;
        e->span = from(s);
        return e;
      }
      case Tok::LParen: {
        next();
        ast::ExprP e = expr();
        expect(Tok::RParen);
        e->span = from(s);  // parentheses belong to the shown text
        return e;
      }
      case Tok::Ident: {
        next();
        if (t.text == "count" && at(Tok::LParen) && peek(1).kind == Tok::Ident && peek(2).kind == Tok::Colon) {
          next();  // count(v: K . e)
          auto e = mk_expr(ast::Expr::Quant, s);
          e->count = true;
          e->forall = false;
          binder(*e);
          expect(Tok::RParen);
          e->span = from(s);
          return e;
        }
        if (accept(Tok::LParen)) {
          auto e = mk_expr(ast::Expr::Call, s);
          e->name = t.text;
          e->name_span = s;
          if (!at(Tok::RParen)) {
            do e->args.push_back(expr());
            while (accept(Tok::Comma));
          }
          expect(Tok::RParen);
          e->span = from(s);
          return e;
        }
        auto e = mk_expr(ast::Expr::Name, s);
        e->name = t.text;
        e->name_span = s;
        return e;
      }
      default: fail("an expression");
    }
  }
};

}  // namespace

ast::Model parse(const std::vector<Token>& tokens, Diagnostics& diags) {
  Parser p(tokens, diags);
  return p.model();
}

}  // namespace lc
