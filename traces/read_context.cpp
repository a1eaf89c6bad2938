#include "traces/read_context.h"

namespace lc::traces {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The "[001]" CPU column: the first '[' after a space that holds only digits.
const char* find_cpu_column(const Cursor& c, const char*& close) {
  const char* p = c.p;
  while (p < c.end && (p = static_cast<const char*>(std::memchr(p, '[', size_t(c.end - p))))) {
    if (p > c.p && is_space(p[-1])) {
      const char* q = p + 1;
      while (q < c.end && is_digit(*q)) ++q;
      if (q > p + 1 && q < c.end && *q == ']') {
        close = q;
        return p;
      }
    }
    ++p;
  }
  return nullptr;
}

// trace-cmd report -l prints "%8.8s-%-5d %3d": the task ends at a '-' followed by
// digits, spaces, digits and a space.
const char* find_bare_cpu(const Cursor& c, const char*& cpu_begin) {
  for (const char* p = c.p; p < c.end; ++p) {
    if (*p != '-') continue;
    const char* q = p + 1;
    while (q < c.end && is_digit(*q)) ++q;
    if (q == p + 1 || q >= c.end || !is_space(*q)) continue;
    while (q < c.end && is_space(*q)) ++q;
    const char* d = q;
    while (q < c.end && is_digit(*q)) ++q;
    if (q > d && q < c.end && is_space(*q)) {
      cpu_begin = d;
      return q;  // one past the cpu digits
    }
  }
  return nullptr;
}

void parse_task(const Cursor& c, const char* from, const char* to, Context& out) {
  std::string_view task(from, size_t(to - from));
  while (!task.empty() && is_space(task.back())) task.remove_suffix(1);
  // options/record-tgid: "iommufd-56 (   56)", or "(-------)" when the tgid is unknown.
  if (!task.empty() && task.back() == ')') {
    size_t open = task.rfind('(');
    if (open != std::string_view::npos) {
      std::string_view t = trim(task.substr(open + 1, task.size() - open - 2));
      uint64_t v;
      if (parse_dec(t, v))
        out.tgid = int32_t(v);
      else if (!t.empty() && t.find_first_not_of('-') == std::string_view::npos)
        out.tgid = -1;
      else
        c.fail_at(task.data() + open + 1, "expected the tgid column \"(  123)\"");
      task = task.substr(0, open);
      while (!task.empty() && is_space(task.back())) task.remove_suffix(1);
    }
  }
  const char* first = task.data();
  while (first < task.data() + task.size() && is_space(*first)) ++first;
  task.remove_prefix(size_t(first - task.data()));
  if (!split_task(task, out.comm, out.pid))
    c.fail_at(first, "expected TASK-PID (\"iommufd-56\") before the CPU column");
}

// Where a timestamp token "5.494871:" stops fitting (for the caret).
const char* timestamp_mismatch(const char* p, const char* end) {
  const char* s = p;
  while (p < end && is_digit(*p)) ++p;
  if (p == s) return p;
  if (p < end && *p == '.') {
    ++p;
    while (p < end && is_digit(*p)) ++p;
  }
  return p < end && *p == ':' ? p + 1 : p;
}

}  // namespace

bool split_task(std::string_view task, std::string_view& comm, int32_t& pid) {
  size_t dash = task.rfind('-');
  uint64_t v;
  if (dash == std::string_view::npos || !parse_dec(task.substr(dash + 1), v) || v > INT32_MAX) return false;
  comm = task.substr(0, dash);
  while (!comm.empty() && is_space(comm.front())) comm.remove_prefix(1);
  pid = int32_t(v);
  return true;
}

void parse_context(Cursor& c, Context& out, bool bare_cpu) {
  const char* close = nullptr;
  const char* open = find_cpu_column(c, close);
  if (open) {
    parse_task(c, c.p, open, out);
    uint64_t cpu = 0;
    parse_dec(std::string_view(open + 1, size_t(close - open - 1)), cpu);
    out.cpu = int32_t(cpu);
    c.p = close + 1;
  } else {
    const char* cpu_begin = nullptr;
    const char* after = bare_cpu ? find_bare_cpu(c, cpu_begin) : nullptr;
    if (!after) {
      c.skip_spaces();
      c.fail("expected an event line: TASK-PID [CPU] TIMESTAMP: EVENT");
    }
    const char* dash = cpu_begin;
    while (*dash != '-') --dash;  // the '-' find_bare_cpu matched
    const char* pid_end = dash + 1;
    while (is_digit(*pid_end)) ++pid_end;
    parse_task(c, c.p, pid_end, out);
    uint64_t cpu = 0;
    parse_dec(std::string_view(cpu_begin, size_t(after - cpu_begin)), cpu);
    out.cpu = int32_t(cpu);
    c.p = after;
  }
  c.skip_spaces();
  const char* at = c.p;
  std::string_view t = c.token();
  // An optional flags column ("...1.", "d..1", "dNh2."): anything that is not the timestamp.
  if (t.empty() || t.back() != ':' || !parse_timestamp(t.substr(0, t.size() - 1), out.ts_ns)) {
    if (t.empty() || t.find(':') != std::string_view::npos)
      c.fail_at(timestamp_mismatch(at, c.end), "expected a timestamp (seconds.microseconds:)");
    c.skip_spaces();
    at = c.p;
    t = c.token();
    if (t.empty() || t.back() != ':' || !parse_timestamp(t.substr(0, t.size() - 1), out.ts_ns))
      c.fail_at(timestamp_mismatch(at, c.end), "expected a timestamp (seconds.microseconds:)");
  }
  out.ts_col = c.col_of(at);
  c.eat(' ');
}

}  // namespace lc::traces
