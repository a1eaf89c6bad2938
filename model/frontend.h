// Loading a model file: the named passes in order, stopping at the first pass with errors.
#pragma once
#include <memory>
#include <string>

#include "model/compile.h"
#include "model/ir.h"

namespace lc {

struct Loaded {
  std::unique_ptr<ir::Program> program;  // null when the model has errors
  std::string diagnostics;               // rendered diagnostics (caret format)
  int errors = 0;
};

// Reads, lexes, parses and compiles `path`.
Loaded load_model_file(const std::string& path, const CompileOptions& opts = {});
// The same for text already in memory (tests); `name` is shown in diagnostics.
Loaded load_model_text(const std::string& name, const std::string& text, const CompileOptions& opts = {});

}  // namespace lc
