// Hand-written scanners over one line of a text capture: a cursor that knows its column,
// and the number forms ftrace prints. Header-only so the hot loop inlines them.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace lc::traces {

// A line that fits no format: `col` (1-based) is the first character that does not fit.
// Thrown by the scanners and turned into a TraceError by the reader that knows the file.
struct LineError {
  uint32_t col;
  std::string message;
};

// Character classes by table: the scanners test every byte of every line.
enum : uint8_t { kDigit = 1, kHex = 2, kSymbol = 4, kKey = 8, kSpace = 16 };
struct CharTable {
  uint8_t v[256] = {};
  uint8_t hex[256] = {};  // the digit's value, 0xff if not a hex digit
  constexpr CharTable() {
    for (int c = 0; c < 256; ++c) {
      hex[c] = c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : 0xff;
      bool digit = c >= '0' && c <= '9', lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
      if (digit) v[c] |= kDigit;
      if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v[c] |= kHex;
      // Kernel symbols as %ps prints them ("iommufd_device_change_pt.constprop.0").
      if (digit || lower || upper || c == '_' || c == '.' || c == '$') v[c] |= kSymbol;
      if (digit || lower || upper || c == '_') v[c] |= kKey;  // field names
      if (c == ' ' || c == '\t') v[c] |= kSpace;
    }
  }
};
inline constexpr CharTable kChars{};
inline bool char_is(char c, uint8_t cls) { return kChars.v[uint8_t(c)] & cls; }
inline bool is_digit(char c) { return char_is(c, kDigit); }
inline bool is_space(char c) { return char_is(c, kSpace); }
inline bool is_symbol_char(char c) { return char_is(c, kSymbol); }
inline bool is_key_char(char c) { return char_is(c, kKey); }
inline int hex_value(char c) {
  uint8_t h = kChars.hex[uint8_t(c)];
  return h == 0xff ? -1 : h;
}

struct Cursor {
  const char* begin;  // start of the line (column 1)
  const char* p;
  const char* end;

  explicit Cursor(std::string_view line) : begin(line.data()), p(line.data()), end(line.data() + line.size()) {}
  uint32_t col() const { return uint32_t(p - begin) + 1; }
  uint32_t col_of(const char* at) const { return uint32_t(at - begin) + 1; }
  bool done() const { return p >= end; }
  char peek(size_t ahead = 0) const { return p + ahead < end ? p[ahead] : '\0'; }
  std::string_view rest() const { return {p, size_t(end - p)}; }
  void skip_spaces() {
    while (p < end && is_space(*p)) ++p;
  }
  bool eat(char c) {
    if (p < end && *p == c) return ++p, true;
    return false;
  }
  bool eat(std::string_view s) {
    if (size_t(end - p) >= s.size() && std::memcmp(p, s.data(), s.size()) == 0) return p += s.size(), true;
    return false;
  }
  bool looking_at(std::string_view s) const {
    return size_t(end - p) >= s.size() && std::memcmp(p, s.data(), s.size()) == 0;
  }
  [[noreturn]] void fail(std::string message) const { throw LineError{col(), std::move(message)}; }
  [[noreturn]] void fail_at(const char* at, std::string message) const {
    throw LineError{col_of(at), std::move(message)};
  }
  void expect(char c, const char* what) {
    if (!eat(c)) fail(std::string("expected ") + what);
  }
  // The characters up to (not including) the next space or the end.
  std::string_view token() {
    const char* s = p;
    while (p < end && !is_space(*p)) ++p;
    return {s, size_t(p - s)};
  }
};

// Parses all of `s` as an unsigned decimal; false if it is not one (or overflows).
inline bool parse_dec(std::string_view s, uint64_t& v) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t x = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    // 19 digits cannot overflow; only a 20th needs the check.
    if (__builtin_mul_overflow(x, 10u, &x) || __builtin_add_overflow(x, uint64_t(c - '0'), &x)) return false;
  }
  v = x;
  return true;
}

// Parses all of `s` as hex digits (no prefix, at most 16); false otherwise.
inline bool parse_hex_digits(std::string_view s, uint64_t& v) {
  if (s.empty() || s.size() > 16) return false;
  uint64_t x = 0;
  for (char c : s) {
    int h = hex_value(c);
    if (h < 0) return false;
    x = x << 4 | uint64_t(h);
  }
  v = x;
  return true;
}

// A field value as the kernel prints numbers: 123, -16, 0x3b81 (two's complement bits).
inline bool parse_int(std::string_view s, int64_t& v) {
  uint64_t u;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (!parse_hex_digits(s.substr(2), u)) return false;
    v = int64_t(u);
    return true;
  }
  bool neg = !s.empty() && s[0] == '-';
  if (!parse_dec(neg ? s.substr(1) : s, u)) return false;
  if (neg ? u > uint64_t(INT64_MAX) + 1 : false) return false;
  v = neg ? int64_t(0 - u) : int64_t(u);
  return true;
}

// A timestamp "5.494871" (any 0..9 decimals, or none: a raw counter) in nanoseconds.
inline bool parse_timestamp(std::string_view s, uint64_t& ns) {
  size_t dot = s.find('.');
  uint64_t secs, frac = 0;
  if (dot == std::string_view::npos) return parse_dec(s, ns);
  std::string_view f = s.substr(dot + 1);
  if (f.size() > 9 || !parse_dec(s.substr(0, dot), secs)) return false;
  if (!f.empty() && !parse_dec(f, frac)) return false;
  for (size_t i = f.size(); i < 9; ++i) frac *= 10;
  ns = secs * 1000000000ull + frac;
  return true;
}

// "func+0x1ba/0x490" -> "func" (the text before "+0x"); `s` itself when there is no offset.
inline std::string_view strip_offset(std::string_view s) {
  size_t plus = s.find("+0x");
  return plus == std::string_view::npos ? s : s.substr(0, plus);
}

}  // namespace lc::traces
