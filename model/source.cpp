#include "model/source.h"

#include <algorithm>

namespace lc {

SourceFile::SourceFile(std::string name, std::string text) : name_(std::move(name)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (uint32_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
}

std::pair<int, int> SourceFile::line_col(uint32_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  int line = int(it - line_starts_.begin());
  return {line, int(offset - line_starts_[line - 1]) + 1};
}

std::string_view SourceFile::line_text(int line) const {
  if (line < 1 || line > int(line_starts_.size())) return {};
  uint32_t b = line_starts_[line - 1];
  uint32_t e = line < int(line_starts_.size()) ? line_starts_[line] - 1 : uint32_t(text_.size());
  std::string_view v = std::string_view(text_).substr(b, e - b);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

std::string render_located(const SourceFile& f, Span span, std::string_view kind, std::string_view message) {
  auto [line, col] = f.line_col(span.begin);
  std::string out = f.name() + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + std::string(kind) +
                    ": " + std::string(message) + "\n";
  std::string_view text = f.line_text(line);
  std::string num = std::to_string(line);
  out += " " + num + " | " + std::string(text) + "\n";
  out += " " + std::string(num.size(), ' ') + " | ";
  // Keep tabs so the caret lines up under tab-indented source.
  for (int i = 1; i < col && i - 1 < int(text.size()); ++i) out += text[i - 1] == '\t' ? '\t' : ' ';
  out += '^';
  auto [eline, ecol] = f.line_col(span.end > span.begin ? span.end : span.begin + 1);
  int last = eline == line ? ecol - 1 : int(text.size()) + 1;
  for (int i = col + 1; i <= last && i <= int(text.size()); ++i) out += '~';
  out += "\n";
  return out;
}

void Diagnostics::error(Span span, std::string message) {
  if (diags_.size() >= kMaxErrors) {
    ++dropped_;
    return;
  }
  diags_.push_back({span, std::move(message), {}});
}

void Diagnostics::note(Span span, std::string message) {
  if (!diags_.empty() && !dropped_) diags_.back().notes.emplace_back(span, std::move(message));
}

std::string Diagnostics::render() const {
  std::string out;
  for (const auto& d : diags_) {
    out += render_located(*file_, d.span, "error", d.message);
    for (const auto& [s, m] : d.notes) out += render_located(*file_, s, "note", m);
  }
  if (dropped_) out += file_->name() + ": " + std::to_string(dropped_) + " more errors not shown\n";
  size_t n = diags_.size() + dropped_;
  out += std::to_string(n) + (n == 1 ? " error" : " errors") + " in " + file_->name() + "\n";
  return out;
}

}  // namespace lc
