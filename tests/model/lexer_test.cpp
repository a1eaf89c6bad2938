#include <catch2/catch.hpp>

#include "model/lexer.h"

using namespace lc;

static std::vector<Tok> kinds(const std::string& text, std::string* diags = nullptr) {
  auto f = std::make_shared<const SourceFile>("t.lc", text);
  Diagnostics d(f);
  auto toks = lex(*f, d);
  if (diags) *diags = d.has_errors() ? d.render() : "";
  std::vector<Tok> out;
  for (const auto& t : toks) out.push_back(t.kind);
  return out;
}

TEST_CASE("lexer: operators, ranges and comments") {
  auto k = kinds("int<0..3> x; // c\n p->f => !a /* x */ && b != c");
  std::vector<Tok> want = {Tok::KwInt, Tok::Lt,  Tok::Int,   Tok::DotDot, Tok::Int,    Tok::Gt,    Tok::Ident,
                           Tok::Semi,  Tok::Ident, Tok::Arrow, Tok::Ident, Tok::Implies, Tok::Not, Tok::Ident,
                           Tok::AndAnd, Tok::Ident, Tok::Ne,   Tok::Ident, Tok::End};
  CHECK(k == want);
}

TEST_CASE("lexer: declaration words are identifiers, so a field may be called lock or max") {
  auto k = kinds("lock max object fn thread final");
  for (size_t i = 0; i + 1 < k.size(); ++i) CHECK(k[i] == Tok::Ident);
}

TEST_CASE("lexer: errors carry a position and lexing goes on") {
  std::string d;
  auto k = kinds("x @ y", &d);
  CHECK(d.find("t.lc:1:3: error: unexpected character '@'") != std::string::npos);
  CHECK(k == std::vector<Tok>{Tok::Ident, Tok::Ident, Tok::End});
  kinds("a /* never closed", &d);
  CHECK(d.find("t.lc:1:3: error: unterminated comment") != std::string::npos);
  kinds("assert(x, \"open\n", &d);
  CHECK(d.find("t.lc:1:11: error: unterminated string") != std::string::npos);
}
