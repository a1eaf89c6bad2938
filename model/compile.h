// The front end as named passes: lex -> parse -> declare -> check+lower -> layout.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "model/ast.h"
#include "model/ir.h"

namespace lc {

// Choices of the caller that the model text does not make.
struct CompileOptions {
  // Instances per thread template by name, replacing the model's count (replay sizes the
  // threads to the tasks of a capture). Up to kMaxInstances each.
  std::map<std::string, int> instances;
  static constexpr int kMaxInstances = 1024;
  // Values of constants by name, replacing the model's (replay takes them from the model's
  // `trace { const NAME = N; }` rules: bounds that fit a capture rather than a check).
  std::map<std::string, int64_t> consts;
};

// Builds the IR of a parsed model; every problem goes to diags (several per run).
// Returns null when diags has errors.
std::unique_ptr<ir::Program> compile(const ast::Model& model, std::shared_ptr<const SourceFile> file,
                                     Diagnostics& diags, const CompileOptions& opts = {});

}  // namespace lc
