// Source files, locations and user-facing diagnostics (caret rendering).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lc {

// A byte range [begin, end) in one source file.
struct Span {
  uint32_t begin = 0, end = 0;
};

// One model file held in memory; maps byte offsets to line:col.
class SourceFile {
 public:
  SourceFile(std::string name, std::string text);
  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  // 1-based line and column of a byte offset.
  std::pair<int, int> line_col(uint32_t offset) const;
  // The text of line `line` (1-based) without its newline.
  std::string_view line_text(int line) const;
  std::string_view slice(Span s) const { return std::string_view(text_).substr(s.begin, s.end - s.begin); }

 private:
  std::string name_, text_;
  std::vector<uint32_t> line_starts_;
};

// A user-facing problem in a model: printed as file:line:col: error: message,
// then the source line and a caret under the span.
struct Diagnostic {
  Span span;
  std::string message;
  std::vector<std::pair<Span, std::string>> notes;  // "note:" lines with their own carets
};

// Collects diagnostics for one file; stops collecting after a cap so a broken
// file cannot flood the terminal.
class Diagnostics {
 public:
  explicit Diagnostics(std::shared_ptr<const SourceFile> file) : file_(std::move(file)) {}
  void error(Span span, std::string message);
  void note(Span span, std::string message);  // attaches to the last error
  bool has_errors() const { return !diags_.empty(); }
  const std::vector<Diagnostic>& all() const { return diags_; }
  const SourceFile& file() const { return *file_; }
  // Renders every diagnostic, in source order of report, as the user sees it.
  std::string render() const;
  static constexpr size_t kMaxErrors = 20;

 private:
  std::shared_ptr<const SourceFile> file_;
  std::vector<Diagnostic> diags_;
  size_t dropped_ = 0;
};

// Renders one located message in the caret format ("error" or "note" as kind).
std::string render_located(const SourceFile& f, Span span, std::string_view kind, std::string_view message);

}  // namespace lc
