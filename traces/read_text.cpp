#include "traces/read_text.h"

#include "traces/read_body.h"
#include "traces/read_context.h"
#include "traces/read_graph.h"
#include "traces/read_merge.h"

namespace lc::traces {

namespace {

constexpr const char* kNotCapture = "not an ftrace capture (expected tracefs text, trace-cmd report or trace.dat)";

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A function_graph line starts with its abstime ("4.909269 |") or CPU ("0)") column.
bool looks_graph(std::string_view t) {
  size_t i = 0;
  while (i < t.size() && is_space(t[i])) ++i;
  size_t d = i;
  while (i < t.size() && is_digit(t[i])) ++i;
  if (i == d || i >= t.size()) return false;
  if (t[i] == ')') return true;
  if (t[i] != '.') return false;
  ++i;
  while (i < t.size() && is_digit(t[i])) ++i;
  while (i < t.size() && is_space(t[i])) ++i;
  return i < t.size() && t[i] == '|';
}

// The duration column: "", "9.545 us", "! 407.750 us", "# 2031.121 us".
bool is_duration(std::string_view s) {
  s = trim(s);
  if (s.empty()) return true;
  if (std::string_view("+!#*@$").find(s[0]) != std::string_view::npos) s = trim(s.substr(1));
  size_t i = 0;
  while (i < s.size() && (is_digit(s[i]) || s[i] == '.')) ++i;
  return i > 0 && trim(s.substr(i)) == "us";
}

// "CPU:1 [LOST 12 EVENTS]", "CPU:1 [LOST EVENTS]", "[LOST 12 EVENTS]".
bool parse_lost(std::string_view t, int32_t& cpu, uint64_t& count) {
  cpu = -1;
  count = 0;
  if (t.substr(0, 4) == "CPU:") {
    size_t sp = t.find(' ');
    uint64_t c;
    if (sp == std::string_view::npos || !parse_dec(t.substr(4, sp - 4), c)) return false;
    cpu = int32_t(c);
    t = t.substr(sp + 1);
  }
  if (t.substr(0, 6) != "[LOST ") return false;
  t = t.substr(6);
  if (t == "EVENTS]") return true;
  size_t sp = t.find(' ');
  return sp != std::string_view::npos && parse_dec(t.substr(0, sp), count) && t.substr(sp + 1) == "EVENTS]";
}

class TextReader final : public MergingReader {
 public:
  TextReader(std::unique_ptr<ByteSource> src, const ReadOptions& opt)
      : MergingReader(src->shown(), opt), src_(std::move(src)), lines_(*src_), body_(symbols_, Flavor::Tracefs) {
    // The tracer is known before the first event: the header is at the start of the file.
    std::string_view head = src_->peek(4096);
    if (head.substr(0, 10) == "# tracer: ") tracer_ = std::string(trim(head.substr(10, head.find('\n') - 10)));
  }
  Format format() const override { return Format::TracefsText; }
  std::string tracer() const override { return tracer_; }

 protected:
  bool fill() override;

 private:
  struct Task {
    int32_t pid = -1;
    uint32_t comm = 0;
  };
  struct GraphColumns {
    uint64_t ts = 0;
    bool has_ts = false;
    int32_t cpu = -1;
    int base = 1;  // indentation of depth 0 after the last column
  };
  int handle(std::string_view text);
  int event_line(std::string_view text);
  int graph_line(std::string_view text);
  void graph_time_cpu(Cursor& c, GraphColumns& g);
  bool graph_banner(const Cursor& c, int32_t cpu);
  int graph_call(Cursor& c, std::string_view text, const GraphColumns& g, Task task);
  void graph_comment(Cursor& c, std::string_view comment, Event& e);
  Event& begin(uint64_t ts, bool has_ts, int32_t cpu, int32_t pid, uint32_t comm);
  Task& cpu_task(int32_t cpu);

  std::unique_ptr<ByteSource> src_;
  LineReader lines_;
  BodyParser body_;
  GraphStacks stacks_;
  std::vector<Task> cpu_tasks_;  // function_graph: the task of each CPU (banners, proc column)
  std::string tracer_;
  bool seen_capture_ = false;  // a header or an event line proved this is ftrace text
  uint32_t ts_col_ = 0;        // column of the current function_graph line's abstime
};

bool TextReader::fill() {
  std::string_view text;
  while (lines_.next(text)) {
    int n;
    try {
      n = handle(text);
    } catch (const LineError& le) {
      if (!seen_capture_) throw TraceError(shown_, 0, 0, kNotCapture);
      std::string msg = le.message;
      if (!lines_.had_newline()) msg += " (the file ends inside this line)";
      throw TraceError(shown_, lines_.line_no(), le.col, msg, std::string(text));
    }
    if (n > 0) return true;
  }
  return flush_lost_at_end();
}

// Dispatches one line; returns the number of events it emitted.
int TextReader::handle(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i == text.size()) return 0;
  if (text[i] == '#') {
    std::string_view t = text.substr(i);
    if (t.substr(0, 10) == "# tracer: ") tracer_ = std::string(trim(t.substr(10)));
    seen_capture_ = seen_capture_ || tracer_.size();
    return 0;
  }
  int32_t cpu;
  uint64_t count;
  if (parse_lost(text.substr(i), cpu, count)) {
    hold_lost(cpu, count, lines_.line_no());
    seen_capture_ = true;
    return 0;
  }
  if (text.substr(i, 3) == "=> ") return 0;  // a stack trace frame under <stack trace>
  if (text.substr(i, 6) == "------" || looks_graph(text) || tracer_ == "function_graph") return graph_line(text);
  return event_line(text);
}

Event& TextReader::begin(uint64_t ts, bool has_ts, int32_t cpu, int32_t pid, uint32_t comm) {
  flush_lost(ts, has_ts, cpu);
  Event& e = slot();
  e.ts_ns = ts;
  e.has_ts = has_ts;
  e.cpu = cpu;
  e.pid = pid;
  e.comm = comm;
  e.line = lines_.line_no();
  return e;
}

int TextReader::event_line(std::string_view text) {
  Cursor c(text);
  Context ctx;
  parse_context(c, ctx, false);
  Event& e = begin(ctx.ts_ns, true, ctx.cpu, ctx.pid, intern_comm(ctx.comm));
  e.tgid = ctx.tgid;
  body_.tracefs_body(c, e);
  seen_capture_ = true;
  emit(e, text, ctx.ts_col);
  return 1;
}

TextReader::Task& TextReader::cpu_task(int32_t cpu) {
  size_t i = size_t(cpu + 1);  // slot 0: lines without a CPU column
  if (i >= cpu_tasks_.size()) cpu_tasks_.resize(i + 1);
  return cpu_tasks_[i];
}

// "[ABSTIME |] [CPU)] [TASK-PID |] [DURATION |] call", or a task-switch banner.
int TextReader::graph_line(std::string_view text) {
  Cursor c(text);
  c.skip_spaces();
  if (c.looking_at("------")) return 0;
  GraphColumns g;
  graph_time_cpu(c, g);
  if (graph_banner(c, g.cpu)) return 0;
  Task task = cpu_task(g.cpu);
  const char* bar = static_cast<const char*>(std::memchr(c.p, '|', size_t(c.end - c.p)));
  std::string_view comm;
  int32_t pid;
  if (bar && split_task(trim(std::string_view(c.p, size_t(bar - c.p))), comm, pid)) {  // funcgraph-proc
    task = Task{pid, intern_comm(comm)};
    cpu_task(g.cpu) = task;
    c.p = bar + 1;
    g.base = 1;
    bar = static_cast<const char*>(std::memchr(c.p, '|', size_t(c.end - c.p)));
  }
  if (bar && is_duration(std::string_view(c.p, size_t(bar - c.p)))) {
    c.p = bar + 1;
    g.base = 2;
  }
  return graph_call(c, text, g, task);
}

// The optional funcgraph-abstime ("4.909269 |") and CPU ("0)") columns.
void TextReader::graph_time_cpu(Cursor& c, GraphColumns& g) {
  const char* save = c.p;
  std::string_view t = c.token();
  c.skip_spaces();
  if (t.find('.') != std::string_view::npos && c.peek() == '|' && parse_timestamp(t, g.ts)) {
    g.has_ts = true, g.base = 2;
    ++c.p;
  } else {
    c.p = save;
  }
  ts_col_ = g.has_ts ? c.col_of(save) : 0;
  c.skip_spaces();
  const char* d = c.p;
  while (c.p < c.end && is_digit(*c.p)) ++c.p;
  if (c.p > d && c.peek() == ')') {
    uint64_t v = 0;
    if (!parse_dec(std::string_view(d, size_t(c.p - d)), v) || v > 65535) c.fail_at(d, "implausible CPU number");
    g.cpu = int32_t(v);
    ++c.p;
    g.base = 1;
  } else {
    c.p = d;
  }
}

// " 0)   iommufd-56   =>   iommufd-58  ": the task of this CPU's next lines. Without
// funcgraph-proc the lines before the first banner had no task: the banner names it, and
// the calls they opened are that task's.
bool TextReader::graph_banner(const Cursor& c, int32_t cpu) {
  std::string_view rest = c.rest();
  size_t arrow = rest.find(" => ");
  std::string_view comm, prev_comm;
  int32_t pid, prev_pid;
  if (arrow == std::string_view::npos || !split_task(trim(rest.substr(0, arrow)), prev_comm, prev_pid) ||
      !split_task(trim(rest.substr(arrow + 4)), comm, pid))
    return false;
  if (cpu_task(cpu).pid < 0) stacks_.adopt(graph_task_key(-1, cpu), graph_task_key(prev_pid, cpu));
  cpu_task(cpu) = Task{pid, symbols_.intern(comm)};
  seen_capture_ = true;
  return true;
}

int TextReader::graph_call(Cursor& c, std::string_view text, const GraphColumns& g, Task task) {
  const uint64_t ts = g.ts;
  const bool has_ts = g.has_ts;
  const int32_t cpu = g.cpu;
  GraphCall call;
  parse_graph_call(c, g.base, symbols_, call);
  seen_capture_ = true;
  if (call.what == GraphCall::Irq) return 0;
  Event& e = begin(ts, has_ts, cpu, task.pid, task.comm);
  e.depth = call.depth;
  int64_t key = graph_task_key(task.pid, cpu);
  switch (call.what) {
    case GraphCall::Comment:
      e.depth = -1;
      graph_comment(c, call.comment, e);
      emit(e, text, ts_col_);
      return 1;
    case GraphCall::Entry:
    case GraphCall::Leaf:
      e.kind = EventKind::Entry;
      e.function = call.function;
      e.parent = call.parent;
      if (call.what == GraphCall::Entry) stacks_.enter(key, call.function, call.depth);
      emit(e, text, ts_col_);
      if (call.what == GraphCall::Entry) return 1;
      break;
    default: break;
  }
  // The exit of a leaf "f();" (same line, same timestamp: the exit's own is not printed),
  // or a "}" line.
  Event& x = call.what == GraphCall::Leaf ? begin(ts, has_ts, cpu, task.pid, task.comm) : e;
  x.kind = EventKind::Exit;
  x.depth = call.depth;
  x.function = call.what == GraphCall::Leaf ? call.function : stacks_.exit(key, call.function, call.depth);
  x.has_retval = call.has_retval;
  x.retval = call.retval;
  emit(x, text, ts_col_);
  return call.what == GraphCall::Leaf ? 2 : 1;
}

// In function_graph output every other event is a comment: "/* fops_open: (...) ... */"
// or "/* lock_acquire: ... */"; a trace_marker write is "/* its text */".
void TextReader::graph_comment(Cursor& line, std::string_view comment, Event& e) {
  size_t colon = comment.find(": ");
  bool named = colon != std::string_view::npos && colon > 0;
  for (size_t i = 0; named && i < colon; ++i)
    if (!is_symbol_char(comment[i])) named = false;
  if (!named) {
    e.kind = EventKind::Marker;
    e.text = symbols_.intern(comment);
    return;
  }
  Cursor c = line;
  c.p = comment.data() + colon + 2;
  c.end = comment.data() + comment.size();
  body_.named_event(c, strip_offset(comment.substr(0, colon)), e);
}

}  // namespace

std::unique_ptr<EventReader> make_tracefs_reader(std::unique_ptr<ByteSource> src, const ReadOptions& opt) {
  return std::make_unique<TextReader>(std::move(src), opt);
}

}  // namespace lc::traces
