// The front end as named passes: lex -> parse -> declare -> check+lower -> layout.
#pragma once
#include <memory>

#include "model/ast.h"
#include "model/ir.h"

namespace lc {

// Builds the IR of a parsed model; every problem goes to diags (several per run).
// Returns null when diags has errors.
std::unique_ptr<ir::Program> compile(const ast::Model& model, std::shared_ptr<const SourceFile> file,
                                     Diagnostics& diags);

}  // namespace lc
