#include <catch2/catch.hpp>

#include "model/parser.h"

using namespace lc;

static ast::Model parse_text(const std::string& text, std::string* diags = nullptr) {
  auto f = std::make_shared<const SourceFile>("t.lc", text);
  Diagnostics d(f);
  auto m = parse(lex(*f, d), d);
  if (diags) *diags = d.has_errors() ? d.render() : "";
  return m;
}

// Renders an expression tree with explicit parentheses.
static std::string show(const ast::Expr& e) {
  switch (e.kind) {
    case ast::Expr::Name: return e.name;
    case ast::Expr::IntLit: return std::to_string(e.value);
    case ast::Expr::Binary: return "(" + show(*e.args[0]) + " " + e.op + " " + show(*e.args[1]) + ")";
    case ast::Expr::Unary: return "(" + e.op + show(*e.args[0]) + ")";
    case ast::Expr::Cond: return "(" + show(*e.args[0]) + " ? " + show(*e.args[1]) + " : " + show(*e.args[2]) + ")";
    case ast::Expr::Quant: return std::string("(") + (e.forall ? "forall " : "exists ") + e.var + ":" + e.name + ". " + show(*e.args[0]) + ")";
    case ast::Expr::Field: return show(*e.args[0]) + "->" + e.name;
    case ast::Expr::Is: return "(" + show(*e.args[0]) + " is " + e.name + ")";
    case ast::Expr::Call: return e.name + "(..)";
    default: return "?";
  }
}

static std::string prop(const std::string& e) {
  auto m = parse_text("invariant p: " + e + ";");
  REQUIRE(m.properties.size() == 1);
  return show(*m.properties[0].expr);
}

TEST_CASE("parser: precedence follows LANGUAGE.md") {
  CHECK(prop("a => b => c") == "(a => (b => c))");
  CHECK(prop("a || b && c") == "(a || (b && c))");
  CHECK(prop("a == b < c + d * e") == "(a == (b < (c + (d * e))))");
  CHECK(prop("a ? b : c => d") == "((a ? b : c) => d)");
  CHECK(prop("!p is K") == "(!(p is K))");
  CHECK(prop("-a->f + 1") == "((-a->f) + 1)");
}

TEST_CASE("parser: a quantifier body extends as far right as possible") {
  CHECK(prop("forall v: vdev . alive(v) => alive(v->idev)") == "(forall v:vdev. (alive(..) => alive(..)))");
  CHECK(prop("a && exists j: job . j->done || b") == "(a && (exists j:job. (j->done || b)))");
}

TEST_CASE("parser: declarations") {
  auto m = parse_text(R"(
model m "title";
const N = 2;
object idev max 2 { int users = 2; int<0..3> wait_cnt = 1; vdev* vdev = null; mutex lock; }
any* objects[4];
fn f(idev* d, int x) -> vdev* { return d->vdev; }
thread user[2] { skip; }
final done: true;
expect done holds;
)");
  CHECK(m.name == "m");
  CHECK(m.title == "title");
  REQUIRE(m.objects.size() == 1);
  CHECK(m.objects[0].fields.size() == 4);
  CHECK(m.objects[0].fields[3].name == "lock");
  CHECK(m.globals.size() == 1);
  REQUIRE(m.fns.size() == 1);
  CHECK(m.fns[0].params.size() == 2);
  CHECK(m.fns[0].has_result);
  CHECK(m.threads[0].count);
  CHECK(m.properties[0].is_final);
  CHECK(!m.expects[0].violated);
}

TEST_CASE("parser: recovers and reports several syntax errors") {
  std::string d;
  parse_text("thread a { x = ; y = 1; }\nthread b { if x { } }\n", &d);
  CHECK(d.find("t.lc:1:16: error: expected an expression, found ';'") != std::string::npos);
  CHECK(d.find("t.lc:2:15: error: expected '(', found 'x'") != std::string::npos);
  CHECK(d.find("2 errors in t.lc") != std::string::npos);
}
