// Reading captures: one interface over every format, streaming (memory is bounded by the
// reorder window, not by the file), events from all CPUs merged by timestamp, stably.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>

#include "traces/event.h"

namespace lc::traces {

enum class Format : uint8_t {
  TracefsText,     // /sys/kernel/tracing/trace or trace_pipe (function, function_graph, nop + events)
  TraceCmdReport,  // `trace-cmd report` output
  TraceDat,        // trace.dat, versions 6 and 7, read through libtracecmd
};
const char* format_name(Format f);

// Bad input in a capture: printed as "file:line:col: error: message" (then the line and
// a caret for text formats; trace.dat positions are "file: record N").
struct TraceError : std::runtime_error {
  std::string file;
  uint32_t line = 0, col = 0;  // 0: the whole file (unreadable, unknown format)
  std::string line_text;       // the offending line (text formats), for the caret
  bool binary = false;         // trace.dat: `line` is a record index
  TraceError(std::string file, uint32_t line, uint32_t col, std::string message, std::string line_text = "",
             bool binary = false);
  // The diagnostic as the user sees it (one line, or three with the source line and caret).
  std::string render() const;
};

class EventReader {
 public:
  virtual ~EventReader() = default;
  // The next event, or false at the end. Throws TraceError on bad input.
  virtual bool next(Event& e) = 0;
  virtual Format format() const = 0;
  // The file name as given ("-" is shown as "<stdin>").
  virtual const std::string& file() const = 0;
  // The tracer named by a "# tracer: X" header line ("function", "function_graph", "nop"), else "".
  virtual std::string tracer() const { return ""; }
  Symbols& symbols() { return symbols_; }
  const Symbols& symbols() const { return symbols_; }

 protected:
  Symbols symbols_;
};

// How readers merge: events wait in a window of this many before they are emitted in
// timestamp order; an event older than one already emitted is an error.
struct ReadOptions {
  size_t reorder_window = 4096;
};

// Opens a capture: `-` is standard input, a name ending in `.gz` (or gzip magic) is
// decompressed on the fly, the format is detected from the content. Throws TraceError
// (no such file, not a regular file, unknown format, ...). `shown_as`, if not empty, is
// the name diagnostics and file() use (a spooled copy of stdin is shown as "<stdin>").
std::unique_ptr<EventReader> open_trace(const std::string& path, const std::string& shown_as = "");
// The same with explicit merge options.
std::unique_ptr<EventReader> open_trace(const std::string& path, const std::string& shown_as, const ReadOptions& opt);

}  // namespace lc::traces
