#include "traces/read_graph.h"

namespace lc::traces {

namespace {

void parse_retval(Cursor& c, GraphCall& out) {
  const char* at = c.p;
  std::string_view t = c.token();
  if (!parse_int(t, out.retval)) c.fail_at(at, "expected the return value (0x1f, -16)");
  out.has_retval = true;
}

void expect_close(Cursor& c) {
  if (!c.eat(" */")) c.fail("expected \" */\" closing the comment");
}

// "} /* f = 0x0 */", "} /* f */" (funcgraph-tail) or "} /* = -16 */".
void parse_exit_tail(Cursor& c, Symbols& syms, GraphCall& out) {
  if (!c.eat(" /* ")) return;
  if (!c.eat("= ")) {
    const char* s = c.p;
    while (c.p < c.end && is_symbol_char(*c.p)) ++c.p;
    if (c.p == s) c.fail("expected the function name in the exit comment");
    out.function = syms.intern(std::string_view(s, size_t(c.p - s)));
    if (!c.eat(" = ")) return expect_close(c);
  }
  parse_retval(c, out);
  expect_close(c);
}

void parse_call(Cursor& c, Symbols& syms, GraphCall& out) {
  const char* s = c.p;
  while (c.p < c.end && is_symbol_char(*c.p)) ++c.p;
  if (c.p == s) c.fail("expected a function_graph line: \"f() {\", \"f();\", \"}\" or \"/* ... */\"");
  out.function = syms.intern(std::string_view(s, size_t(c.p - s)));
  if (!c.eat("()")) c.fail("expected \"()\" after the function name");
  if (c.eat(" {")) {
    out.what = GraphCall::Entry;
    if (c.eat(" /* <-")) {  // funcgraph-retaddr
      const char* p = c.p;
      while (c.p < c.end && !is_space(*c.p)) ++c.p;
      out.parent = syms.intern(std::string_view(p, size_t(c.p - p)));
      expect_close(c);
    }
  } else if (c.eat(';')) {
    out.what = GraphCall::Leaf;
    if (c.eat(" /* = ")) {
      parse_retval(c, out);
      expect_close(c);
    }
  } else {
    c.fail("expected \" {\" or \";\" after \"()\"");
  }
}

}  // namespace

void parse_graph_call(Cursor& c, int base, Symbols& syms, GraphCall& out) {
  out = GraphCall{};
  const char* s = c.p;
  c.skip_spaces();
  int indent = int(c.p - s);
  out.depth = indent > base ? (indent - base) / 2 : 0;
  if (c.eat("/*")) {
    out.what = GraphCall::Comment;
    std::string_view t = c.rest();
    while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
    if (t.size() >= 2 && t.substr(t.size() - 2) == "*/") t.remove_suffix(2);
    while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
    if (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    out.comment = t;
    c.p = c.end;
    return;
  }
  if (c.eat("==========>") || c.eat("<==========")) {
    out.what = GraphCall::Irq;
    c.p = c.end;
    return;
  }
  if (c.eat('}')) {
    out.what = GraphCall::Exit;
    parse_exit_tail(c, syms, out);
  } else {
    parse_call(c, syms, out);
  }
  c.skip_spaces();
  if (!c.done()) c.fail("unexpected text after the call");
}

void GraphStacks::enter(int64_t task, uint32_t function, int32_t depth) {
  stacks_[task].push_back(Frame{function, depth});
}

void GraphStacks::adopt(int64_t from, int64_t to) {
  auto it = stacks_.find(from);
  if (it == stacks_.end() || it->second.empty()) return;
  std::vector<Frame>& dst = stacks_[to];
  if (dst.empty()) dst.swap(stacks_[from]);
}

uint32_t GraphStacks::exit(int64_t task, uint32_t named, int32_t depth) {
  auto it = stacks_.find(task);
  if (it == stacks_.end()) return named;
  std::vector<Frame>& st = it->second;
  // Frames deeper than the exit were left open (lost events): they are closed with it.
  while (!st.empty() && st.back().depth > depth) st.pop_back();
  if (!st.empty() && st.back().depth == depth) {
    uint32_t f = st.back().function;
    st.pop_back();
    return named ? named : f;
  }
  return named;
}

}  // namespace lc::traces
