#include "model/frontend.h"

#include <fstream>
#include <sstream>

#include "model/compile.h"
#include "model/lexer.h"
#include "model/parser.h"

namespace lc {

Loaded load_model_text(const std::string& name, const std::string& text, const CompileOptions& opts) {
  auto file = std::make_shared<const SourceFile>(name, text);
  Diagnostics diags(file);
  Loaded out;
  auto tokens = lex(*file, diags);
  ast::Model model;
  if (!diags.has_errors()) model = parse(tokens, diags);  // a skipped bad character would cascade
  // Declarations are still checked after syntax errors only when the file parsed far
  // enough to be meaningful; a half-parsed file would mostly produce noise.
  if (!diags.has_errors()) out.program = compile(model, file, diags, opts);
  if (diags.has_errors()) {
    out.program.reset();
    out.diagnostics = diags.render();
    out.errors = int(diags.all().size());
  }
  return out;
}

Loaded load_model_file(const std::string& path, const CompileOptions& opts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Loaded out;
    out.diagnostics = path + ": error: cannot read the model file\n";
    out.errors = 1;
    return out;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.find('\0') != std::string::npos) {
    Loaded out;
    out.diagnostics = path + ": error: not a model file (it contains NUL bytes)\n";
    out.errors = 1;
    return out;
  }
  return load_model_text(path, text, opts);
}

}  // namespace lc
