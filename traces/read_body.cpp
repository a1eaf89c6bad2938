#include "traces/read_body.h"

namespace lc::traces {

namespace {

// "0xffffffff813d6cf0", or bare hex of at least 8 digits as trace-cmd prints addresses.
bool as_address(std::string_view s, uint64_t& addr) {
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') return parse_hex_digits(s.substr(2), addr);
  return s.size() >= 8 && parse_hex_digits(s, addr);
}

constexpr std::string_view kUnknownCaller = "[unknown/kretprobe'd]";

}  // namespace

BodyParser::BodyParser(Symbols& syms, Flavor flavor) : syms_(syms), flavor_(flavor) {
  id_lockdep_addr_ = syms.intern("lockdep_addr");
  id_lock_ = syms.intern("lock");
  id_flags_ = syms.intern("flags");
  id_lock_addr_ = syms.intern("lock_addr");
  id_lock_system_ = syms.intern("lock");
  id_lock_acquire_ = syms.intern("lock_acquire");
  id_lock_acquired_ = syms.intern("lock_acquired");
  id_lock_release_ = syms.intern("lock_release");
  id_lock_contended_ = syms.intern("lock_contended");
  id_contention_begin_ = syms.intern("contention_begin");
  id_contention_end_ = syms.intern("contention_end");
}

void BodyParser::tracefs_body(Cursor& c, Event& e) {
  if (c.looking_at("<stack trace>") || c.looking_at("<user stack trace>")) {
    e.kind = EventKind::Tracepoint;
    e.name = syms_.intern(c.peek(1) == 's' ? "kernel_stack" : "user_stack");
    e.text = syms_.intern(c.rest());
    return;
  }
  const char* q = c.p;
  while (q < c.end && !is_space(*q)) ++q;
  if (q > c.p && q[-1] == ':') {
    // "name: ..." of an event; "tracing_mark_write+0xd7/0x260:" with sym-offset.
    std::string_view name = strip_offset(std::string_view(c.p, size_t(q - 1 - c.p)));
    c.p = q;
    c.eat(' ');
    named_event(c, name, e);
  } else {
    function_entry(c, e);
  }
}

// A symbol with an optional "+0xoff/0xsize"; returns the symbol without the offset.
std::string_view BodyParser::symbol_offset(Cursor& c, uint64_t* offset) {
  const char* s = c.p;
  while (c.p < c.end && is_symbol_char(*c.p)) ++c.p;
  std::string_view sym(s, size_t(c.p - s));
  if (sym.empty() || !c.eat("+0x")) return sym;
  const char* h = c.p;
  while (c.p < c.end && hex_value(*c.p) >= 0) ++c.p;
  uint64_t off = 0;
  if (!parse_hex_digits(std::string_view(h, size_t(c.p - h)), off)) c.fail("expected the offset in hex (+0x1ba/0x490)");
  if (!c.eat("/0x")) c.fail("expected the symbol size (/0x490)");
  h = c.p;
  while (c.p < c.end && hex_value(*c.p) >= 0) ++c.p;
  if (c.p == h) c.fail("expected the symbol size in hex (/0x490)");
  if (offset) *offset = off;
  return sym;
}

void BodyParser::function_entry(Cursor& c, Event& e) {
  e.kind = EventKind::Entry;
  std::string_view fn = symbol_offset(c, nullptr);
  if (fn.empty()) c.fail("expected a function name or an event (name: ...)");
  e.function = syms_.intern(fn);
  if (c.looking_at(" [")) {  // module symbol: "func [mod]"
    const char* close = static_cast<const char*>(std::memchr(c.p, ']', size_t(c.end - c.p)));
    if (!close) c.fail("expected the module name in brackets");
    c.p = close + 1;
  }
  if (c.eat(" <-- ") || c.eat(" <-")) {
    const char* s = c.p;
    if (!c.eat(kUnknownCaller) && symbol_offset(c, nullptr).empty())
      c.fail("expected the parent function after \"<-\"");
    if (c.looking_at(" [")) {
      const char* close = static_cast<const char*>(std::memchr(c.p, ']', size_t(c.end - c.p)));
      if (close) c.p = close + 1;
    }
    e.parent = syms_.intern(std::string_view(s, size_t(c.p - s)));
  }
  if (c.looking_at(" (repeats:")) c.p = c.end;  // options/func-repeats summary: the call itself was shown
  while (c.p < c.end && is_space(*c.p)) ++c.p;
  if (!c.done()) c.fail("unexpected text after the function name");
}

bool BodyParser::starts_probe(std::string_view rest) {
  if (rest.empty() || rest[0] != '(') return false;
  size_t i = 1;
  while (i < rest.size() && is_symbol_char(rest[i])) ++i;
  if (i == rest.size()) return true;  // cut short inside the location
  if (rest.compare(i, 3, "+0x") == 0) return true;
  if (i == 1 && rest[i] == '[') return rest.substr(1, kUnknownCaller.size()) == kUnknownCaller;
  uint64_t addr;
  return (rest[i] == ')' || rest[i] == ' ') && as_address(rest.substr(1, i - 1), addr);
}

void BodyParser::named_event(Cursor& c, std::string_view name, Event& e) {
  if (name == "tracing_mark_write") {
    e.kind = EventKind::Marker;
    e.text = syms_.intern(c.rest());
    return;
  }
  e.name = name_id(name);
  if (starts_probe(c.rest()))
    probe(c, e);
  else
    tracepoint(c, e);
}

void BodyParser::probe(Cursor& c, Event& e) {
  PerName& seen = per_name(e.name);
  auto set_function = [&](std::string_view sym) {
    uint64_t addr;
    if (as_address(sym, addr))
      e.address = addr;
    else
      e.function = cached(seen.function, sym);
  };
  c.expect('(', "'('");
  const char* l1 = c.p;
  uint64_t off = 0;
  std::string_view s1 = c.eat(kUnknownCaller) ? kUnknownCaller : symbol_offset(c, &off);
  if (s1.empty()) c.fail("expected the probe location (func+0x0/0x490)");
  std::string_view loc1(l1, size_t(c.p - l1));
  if (c.eat(" <- ")) {
    const char* l2 = c.p;
    std::string_view s2 = symbol_offset(c, nullptr);
    if (s2.empty()) c.fail("expected the probed function after \"<-\"");
    std::string_view loc2(l2, size_t(c.p - l2));
    c.expect(')', "')' closing the probe location");
    e.kind = EventKind::ReturnProbe;
    // tracefs prints "(return site <- function)", trace-cmd report "(function <- return site)".
    if (flavor_ == Flavor::Tracefs) {
      e.parent = cached(seen.parent, loc1);
      set_function(s2);
    } else {
      set_function(s1);
      e.parent = syms_.intern(loc2);
    }
  } else {
    if (s1 == kUnknownCaller) c.fail_at(l1, "expected the probe location (func+0x0/0x490)");
    c.expect(')', "')' closing the probe location");
    e.kind = EventKind::Probe;
    set_function(s1);
    e.offset = off;
  }
  probe_fields(c, e);
}

// " key=value" fields as kprobe events print them: strict, an error names the column.
void BodyParser::probe_fields(Cursor& c, Event& e) {
  PerName& seen = per_name(e.name);
  for (size_t i = 0; !c.done(); ++i) {
    c.expect(' ', "a space before the next field");
    if (c.done()) break;
    const char* k = c.p;
    while (c.p < c.end && is_key_char(*c.p)) ++c.p;
    if (c.p == k || c.peek() != '=') c.fail("expected a field (name=value)");
    if (i >= seen.keys.size()) seen.keys.resize(i + 1);
    uint32_t key = cached(seen.keys[i], std::string_view(k, size_t(c.p - k)));
    ++c.p;
    const char* v = c.p;
    if (c.peek() == '"') {
      const char* q = v + 1;
      while (q < c.end && !(*q == '"' && (q + 1 == c.end || q[1] == ' '))) ++q;
      if (q >= c.end) c.fail_at(v, "unterminated string");
      c.p = q + 1;
    } else if (c.peek() == '{') {
      int depth = 0;
      const char* q = v;
      for (; q < c.end; ++q) {
        if (*q == '{')
          ++depth;
        else if (*q == '}' && --depth == 0)
          break;
      }
      if (q >= c.end) c.fail_at(v, "unterminated array");
      c.p = q + 1;
    } else if (scan_number(c, e, key)) {
      continue;
    } else {
      c.token();
      if (c.p == v) c.fail("expected a value after '='");
    }
    add_value(e, key, std::string_view(v, size_t(c.p - v)));
  }
}

// The common case of a field value, a number, parsed in the same pass that finds its end
// ("0xffff888100d37400", "776", "-16"); false (cursor unmoved) for anything else.
bool BodyParser::scan_number(Cursor& c, Event& e, uint32_t key) {
  const char* p = c.p;
  uint64_t x = 0;
  bool neg = false;
  if (c.end - p > 2 && p[0] == '0' && p[1] == 'x') {
    const char* h = p += 2;
    for (int d; p < c.end && (d = hex_value(*p)) >= 0; ++p) x = x << 4 | uint64_t(d);
    if (p == h || p - h > 16) return false;
  } else {
    if (p < c.end && *p == '-') neg = true, ++p;
    const char* d = p;
    while (p < c.end && is_digit(*p)) x = x * 10 + uint64_t(*p++ - '0');
    if (p == d || p - d > 18) return false;  // longer decimals take the checked path
  }
  if (p < c.end && *p != ' ') return false;
  c.p = p;
  e.fields.push_back(Field{key, true, neg ? -int64_t(x) : int64_t(x), 0});
  return true;
}

void BodyParser::add_value(Event& e, uint32_t key, std::string_view value) {
  Field f;
  f.name = key;
  int64_t v;
  if (parse_int(value, v)) {
    f.numeric = true;
    f.value = v;
  } else {
    f.text = syms_.intern(value);
  }
  e.fields.push_back(f);
}

void BodyParser::tracepoint(Cursor& c, Event& e) {
  e.kind = EventKind::Tracepoint;
  std::string_view rest = c.rest();
  e.text = syms_.intern(rest);
  if (!lock_event(rest, e)) loose_fields(rest, e);
  c.p = c.end;
}

// lock:* events: "ADDR [try ][read ]CLASS" and "ADDR (flags=...)"; fields named as in
// the events' formats (lockdep_addr, lock_addr, flags) plus `lock`, the class name.
bool BodyParser::lock_event(std::string_view rest, Event& e) {
  uint32_t n = e.name;
  bool lockdep = n == id_lock_acquire_ || n == id_lock_acquired_ || n == id_lock_release_ || n == id_lock_contended_;
  bool contention = n == id_contention_begin_ || n == id_contention_end_;
  if (!lockdep && !contention) return false;
  size_t sp = rest.find(' ');
  std::string_view addr_text = rest.substr(0, sp);
  if (addr_text.size() > 2 && addr_text[0] == '0' && addr_text[1] == 'x') addr_text.remove_prefix(2);
  uint64_t addr;
  if (!parse_hex_digits(addr_text, addr)) return false;
  e.system = id_lock_system_;
  std::string_view tail = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  e.fields.push_back(Field{lockdep ? id_lockdep_addr_ : id_lock_addr_, true, int64_t(addr), 0});
  if (contention) {
    loose_fields(tail, e);
    return true;
  }
  if (n == id_lock_acquire_) {
    int64_t flags = 0;
    if (tail.substr(0, 4) == "try ") flags |= 1, tail.remove_prefix(4);
    if (tail.substr(0, 5) == "read ") flags |= 2, tail.remove_prefix(5);
    e.fields.push_back(Field{id_flags_, true, flags, 0});
  }
  e.fields.push_back(Field{id_lock_, false, 0, syms_.intern(tail)});
  return true;
}

// Whatever "key=value" the text of an unknown event shows ("(ret=0)", "prev_pid=12").
void BodyParser::loose_fields(std::string_view text, Event& e) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t start = i;
    while (i < text.size() && text[i] == '(') ++i;
    size_t k = i;
    while (i < text.size() && is_key_char(text[i])) ++i;
    if (i == k || i >= text.size() || text[i] != '=') {
      while (i < text.size() && text[i] != ' ') ++i;
      if (i == start) ++i;
      continue;
    }
    std::string_view key = text.substr(k, i - k);
    size_t v = ++i;
    if (i < text.size() && text[i] == '"') {
      size_t q = text.find('"', i + 1);
      i = q == std::string_view::npos ? text.size() : q + 1;
    } else {
      while (i < text.size() && text[i] != ' ') ++i;
    }
    std::string_view value = text.substr(v, i - v);
    if (k > start)  // "(ret=0)": the parentheses belong to the text around the field
      while (!value.empty() && (value.back() == ')' || value.back() == ',')) value.remove_suffix(1);
    if (!value.empty()) add_value(e, syms_.intern(key), value);
  }
}

void BodyParser::report_print(Cursor& c, Event& e) {
  e.kind = EventKind::Marker;
  std::string_view rest = c.rest();
  size_t sep = rest.find(": ");
  e.text = syms_.intern(sep == std::string_view::npos ? rest : rest.substr(sep + 2));
  c.p = c.end;
}

}  // namespace lc::traces
