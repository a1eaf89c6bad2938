#include "traces/read_report.h"

#include "traces/read_body.h"
#include "traces/read_context.h"
#include "traces/read_graph.h"
#include "traces/read_merge.h"

namespace lc::traces {

namespace {

// "CPU:1 [12 EVENTS DROPPED]" or "CPU:1 [EVENTS DROPPED]" (trace-cmd's trace-read.c).
bool parse_dropped(std::string_view t, int32_t& cpu, uint64_t& count) {
  count = 0;
  if (t.substr(0, 4) != "CPU:") return false;
  size_t sp = t.find(' ');
  uint64_t c;
  if (sp == std::string_view::npos || !parse_dec(t.substr(4, sp - 4), c)) return false;
  cpu = int32_t(c);
  t = t.substr(sp + 1);
  if (t == "[EVENTS DROPPED]") return true;
  if (t.empty() || t[0] != '[') return false;
  size_t sp2 = t.find(' ');
  return sp2 != std::string_view::npos && parse_dec(t.substr(1, sp2 - 1), count) &&
         t.substr(sp2 + 1) == "EVENTS DROPPED]";
}

// Lines trace-cmd prints besides records: "cpus=2", "version = 6", "CPU 1 is empty",
// "CPU:0 [SUBBUFFER START]".
bool is_banner(std::string_view t) {
  return t.substr(0, 5) == "cpus=" || t.substr(0, 10) == "version = " ||
         (t.substr(0, 4) == "CPU " && t.size() > 9 && t.substr(t.size() - 9) == " is empty") ||
         (t.substr(0, 4) == "CPU:" && t.find(" [SUBBUFFER START]") != std::string_view::npos);
}

class ReportReader final : public MergingReader {
 public:
  ReportReader(std::unique_ptr<ByteSource> src, const ReadOptions& opt)
      : MergingReader(src->shown(), opt), src_(std::move(src)), lines_(*src_), body_(symbols_, Flavor::Report) {
    id_function_ = symbols_.intern("function");
    id_graph_entry_ = symbols_.intern("funcgraph_entry");
    id_graph_exit_ = symbols_.intern("funcgraph_exit");
    id_print_ = symbols_.intern("print");
  }
  Format format() const override { return Format::TraceCmdReport; }

 protected:
  bool fill() override;

 private:
  int handle(std::string_view text);
  int record(std::string_view text);
  int graph(Cursor& c, std::string_view text, Event& e, bool entry, uint32_t ts_col);

  std::unique_ptr<ByteSource> src_;
  LineReader lines_;
  BodyParser body_;
  GraphStacks stacks_;
  uint32_t id_function_, id_graph_entry_, id_graph_exit_, id_print_;
};

bool ReportReader::fill() {
  std::string_view text;
  while (lines_.next(text)) {
    int n;
    try {
      n = handle(text);
    } catch (const LineError& le) {
      std::string msg = le.message;
      if (!lines_.had_newline()) msg += " (the file ends inside this line)";
      throw TraceError(shown_, lines_.line_no(), le.col, msg, std::string(text));
    }
    if (n > 0) return true;
  }
  return flush_lost_at_end();
}

int ReportReader::handle(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  std::string_view t = text.substr(i);
  if (t.empty() || is_banner(t)) return 0;
  int32_t cpu;
  uint64_t count;
  if (parse_dropped(t, cpu, count)) {
    hold_lost(cpu, count, lines_.line_no());
    return 0;
  }
  return record(text);
}

// "TASK-PID [CPU] [LATENCY] TS: NAME:<pad> BODY".
int ReportReader::record(std::string_view text) {
  Cursor c(text);
  Context ctx;
  parse_context(c, ctx, true);
  const char* n = c.p;
  while (c.p < c.end && *c.p != ':' && !is_space(*c.p)) ++c.p;
  if (c.p == n || c.peek() != ':') c.fail("expected the event name and ':'");
  uint32_t name = symbols_.intern(std::string_view(n, size_t(c.p - n)));
  ++c.p;
  c.skip_spaces();
  flush_lost(ctx.ts_ns, true, ctx.cpu);
  Event& e = slot();
  e.ts_ns = ctx.ts_ns;
  e.cpu = ctx.cpu;
  e.pid = ctx.pid;
  e.tgid = ctx.tgid;
  e.comm = intern_comm(ctx.comm);
  e.line = lines_.line_no();
  if (name == id_function_) {
    body_.function_entry(c, e);
  } else if (name == id_graph_entry_ || name == id_graph_exit_) {
    return graph(c, text, e, name == id_graph_entry_, ctx.ts_col);
  } else if (name == id_print_) {
    body_.report_print(c, e);
  } else {
    body_.named_event(c, symbols_.str(name), e);
  }
  emit(e, text, ctx.ts_col);
  return 1;
}

// "funcgraph_entry:  ! 527.951 us |  f();" / "|  f() {" / "funcgraph_exit: # 1097.183 us |    }".
int ReportReader::graph(Cursor& c, std::string_view text, Event& e, bool entry, uint32_t ts_col) {
  if (std::string_view("+!#*@$").find(c.peek()) != std::string_view::npos && c.peek() != '\0') ++c.p;
  c.skip_spaces();
  if (is_digit(c.peek())) {
    while (c.p < c.end && (is_digit(*c.p) || *c.p == '.')) ++c.p;
    c.skip_spaces();
    if (!c.eat("us")) c.fail("expected the duration unit \"us\"");
    c.skip_spaces();
  }
  c.expect('|', "'|' after the duration column");
  GraphCall call;
  parse_graph_call(c, 2, symbols_, call);
  bool ok = entry ? (call.what == GraphCall::Entry || call.what == GraphCall::Leaf) : call.what == GraphCall::Exit;
  if (!ok)
    c.fail(entry ? "expected a call (\"f() {\" or \"f();\") in funcgraph_entry" : "expected \"}\" in funcgraph_exit");
  int64_t key = graph_task_key(e.pid, e.cpu);
  e.depth = call.depth;
  if (call.what == GraphCall::Exit) {
    e.kind = EventKind::Exit;
    e.function = stacks_.exit(key, call.function, call.depth);
    e.has_retval = call.has_retval;
    e.retval = call.retval;
    emit(e, text, ts_col);
    return 1;
  }
  e.kind = EventKind::Entry;
  e.function = call.function;
  if (call.what == GraphCall::Entry) stacks_.enter(key, call.function, call.depth);
  // The context of the line, for the leaf's exit (the slot `e` is gone once emitted).
  const uint64_t ts = e.ts_ns;
  const int32_t cpu = e.cpu, pid = e.pid, tgid = e.tgid;
  const uint32_t comm = e.comm, line = e.line;
  emit(e, text, ts_col);
  if (call.what == GraphCall::Entry) return 1;
  // trace-cmd prints a call whose exit record follows at once as one leaf line: its exit
  // gets the entry's timestamp (the exit's own is not printed).
  Event& x = slot();
  x.kind = EventKind::Exit;
  x.ts_ns = ts;
  x.cpu = cpu;
  x.pid = pid;
  x.tgid = tgid;
  x.comm = comm;
  x.line = line;
  x.function = call.function;
  x.depth = call.depth;
  x.has_retval = call.has_retval;
  x.retval = call.retval;
  emit(x, text, ts_col);
  return 2;
}

}  // namespace

std::unique_ptr<EventReader> make_report_reader(std::unique_ptr<ByteSource> src, const ReadOptions& opt) {
  return std::make_unique<ReportReader>(std::move(src), opt);
}

}  // namespace lc::traces
