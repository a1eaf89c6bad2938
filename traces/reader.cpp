#include "traces/reader.h"

#include "traces/read_dat.h"
#include "traces/read_input.h"
#include "traces/read_report.h"
#include "traces/read_text.h"

namespace lc::traces {

const char* format_name(Format f) {
  switch (f) {
    case Format::TracefsText: return "tracefs text";
    case Format::TraceCmdReport: return "trace-cmd report";
    case Format::TraceDat: return "trace.dat";
  }
  return "?";
}

namespace {

std::string headline(const std::string& file, uint32_t line, uint32_t col, const std::string& message, bool binary) {
  std::string out = file;
  if (line && binary)
    out += ": record " + std::to_string(line);
  else if (line)
    out += ":" + std::to_string(line) + (col ? ":" + std::to_string(col) : "");
  return out + ": error: " + message;
}

// Bytes that would garble a terminal are shown as '?' (a binary file's "line").
std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if ((unsigned char)c < 0x20 && c != '\t') c = '?';
  return out;
}

constexpr const char* kNotCapture = "not an ftrace capture (expected tracefs text, trace-cmd report or trace.dat)";

// Text that is not text: NUL bytes or many control bytes in the first block.
bool looks_binary(std::string_view head) {
  size_t ctrl = 0;
  for (unsigned char c : head) {
    if (c == 0) return true;
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x1b) ++ctrl;
  }
  return ctrl * 20 > head.size();  // more than 5%
}

// `trace-cmd report` starts with "cpus=N" (older versions: "version = N" first).
bool looks_report(std::string_view head) {
  size_t i = 0;
  while (i < head.size() && (head[i] == '\n' || head[i] == '\r' || head[i] == ' ')) ++i;
  std::string_view t = head.substr(i);
  if (t.substr(0, 10) == "version = ") {
    size_t nl = t.find('\n');
    t = nl == std::string_view::npos ? std::string_view() : t.substr(nl + 1);
  }
  if (t.substr(0, 5) != "cpus=") return false;
  size_t j = 5;
  while (j < t.size() && t[j] >= '0' && t[j] <= '9') ++j;
  return j > 5 && (j == t.size() || t[j] == '\n' || t[j] == '\r');
}

}  // namespace

TraceError::TraceError(std::string file_, uint32_t line_, uint32_t col_, std::string message, std::string line_text_,
                       bool binary_)
    : std::runtime_error(headline(file_, line_, col_, message, binary_)),
      file(std::move(file_)),
      line(line_),
      col(col_),
      line_text(std::move(line_text_)),
      binary(binary_) {}

std::string TraceError::render() const {
  std::string out = std::string(what()) + "\n";
  if (binary || line == 0 || (line_text.empty() && col == 0)) return out;
  std::string num = std::to_string(line);
  std::string text = printable(line_text);
  out += " " + num + " | " + text + "\n";
  if (col == 0) return out;
  out += " " + std::string(num.size(), ' ') + " | ";
  for (uint32_t i = 1; i < col && i - 1 < text.size(); ++i) out += text[i - 1] == '\t' ? '\t' : ' ';
  for (uint32_t i = uint32_t(text.size()) + 1; i < col; ++i) out += ' ';  // a column just past the end
  return out + "^\n";
}

std::unique_ptr<EventReader> open_trace(const std::string& path, const std::string& shown_as) {
  return open_trace(path, shown_as, ReadOptions{});
}

std::unique_ptr<EventReader> open_trace(const std::string& path, const std::string& shown_as, const ReadOptions& opt) {
  std::string shown = !shown_as.empty() ? shown_as : path == "-" ? "<stdin>" : path;
  std::unique_ptr<ByteSource> src = ByteSource::open(path, shown);
  std::string_view head = src->peek(64 << 10);
  if (is_dat_magic(head)) return make_dat_reader(std::move(src), opt);
  if (looks_binary(head)) throw TraceError(shown, 0, 0, kNotCapture);
  if (looks_report(head)) return make_report_reader(std::move(src), opt);
  return make_tracefs_reader(std::move(src), opt);
}

}  // namespace lc::traces
