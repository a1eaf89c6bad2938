// Tokens of the model language (LANGUAGE.md "Lexical").
#pragma once
#include <string>
#include <vector>

#include "model/source.h"

namespace lc {

enum class Tok {
  End, Ident, Int, String,
  // hard keywords (statement and expression level); declaration words such as
  // `model`, `object`, `fn`, `max` are contextual identifiers so they stay usable as names.
  KwIf, KwElse, KwWhile, KwBreak, KwContinue, KwReturn, KwChoose, KwOr, KwAtomic, KwSkip,
  KwNew, KwTrue, KwFalse, KwNull, KwSelf, KwForall, KwExists, KwIs, KwAs,
  KwInt, KwBool, KwAny, KwMutex, KwSpinlock,
  LParen, RParen, LBrace, RBrace, LBracket, RBracket, Semi, Comma, Dot, DotDot, Arrow,
  Colon, Question, Assign, Plus, Minus, Star, Slash, Percent,
  Eq, Ne, Lt, Le, Gt, Ge, AndAnd, OrOr, Not, Implies,
};

struct Token {
  Tok kind = Tok::End;
  Span span;
  std::string text;  // identifier name, string contents, or literal digits
  long long value = 0;
};

// Splits a file into tokens. Lexical errors go to diags; the bad character is skipped so
// parsing can go on and report more.
std::vector<Token> lex(const SourceFile& file, Diagnostics& diags);

// Printable spelling of a token kind for diagnostics ("';'", "identifier").
const char* tok_name(Tok t);

}  // namespace lc
