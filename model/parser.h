// Parser: tokens to ast::Model, with error recovery at statement and declaration
// boundaries so one run reports several syntax errors.
#pragma once
#include "model/ast.h"
#include "model/lexer.h"

namespace lc {

ast::Model parse(const std::vector<Token>& tokens, Diagnostics& diags);

}  // namespace lc
