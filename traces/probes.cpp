#include "traces/probes.h"

#include <fstream>
#include <sstream>

#include "traces/reader.h"

namespace lc::traces {
namespace {

const char* const kArgRegs[] = {"di", "si", "dx", "cx", "r8", "r9"};

bool ident_char(char c) { return isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

// "%si" -> 2, "$arg3" -> 3, else 0.
int arg_of(const std::string& s) {
  if (s.size() > 1 && s[0] == '%')
    for (int i = 0; i < 6; ++i)
      if (s.substr(1) == kArgRegs[i]) return i + 1;
  if (s.rfind("$arg", 0) == 0 && s.size() == 5 && s[4] >= '1' && s[4] <= '6') return s[4] - '0';
  return 0;
}

// Classifies one fetch argument ("+4(%si)", "%di", "$retval", "+4(+24(%di))").
void classify(ProbeArg& a) {
  std::string f = a.fetch;
  if (f == "$retval") {
    a.base = ProbeArg::Retval;
    return;
  }
  if (int k = arg_of(f)) {
    a.base = ProbeArg::Arg;
    a.arg = k;
    return;
  }
  if ((f[0] == '+' || f[0] == '-') && f.back() == ')') {
    size_t open = f.find('(');
    if (open == std::string::npos) return;
    std::string inner = f.substr(open + 1, f.size() - open - 2);
    char* end = nullptr;
    long long off = strtoll(f.substr(0, open).c_str(), &end, 0);
    bool numeric = end && *end == '\0';
    if (inner == "$retval")
      a.base = ProbeArg::Retval;
    else if (int k = arg_of(inner)) {
      a.base = ProbeArg::Arg;
      a.arg = k;
    } else
      return;  // two dereferences or a symbol: not an object field
    a.deref = true;
    a.offset = numeric ? off : 0;  // a symbolic offset (+PRIVOFF(%si)) still names the base
  }
}

}  // namespace

const ProbeArg* ProbeDef::base_of(const ProbeArg& a) const {
  if (!a.deref || a.base == ProbeArg::Other) return nullptr;
  for (const auto& b : args)
    if (!b.deref && b.base == a.base && (a.base == ProbeArg::Retval || b.arg == a.arg)) return &b;
  return nullptr;
}

void ProbeDefs::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TraceError(path, 0, 0, "cannot read the probe definitions");
  std::stringstream ss;
  ss << in.rdbuf();
  load_text(path, ss.str());
}

void ProbeDefs::load_text(const std::string& name, const std::string& text) {
  std::istringstream in(text);
  std::string line;
  uint32_t no = 0;
  while (std::getline(in, line)) {
    ++no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line[i] == '#') continue;
    auto fail = [&](size_t col, const std::string& msg) { throw TraceError(name, no, uint32_t(col + 1), msg, line); };
    if (line[i] == '-') continue;  // -:EVENT removes a probe
    ProbeDef d;
    d.file = name;
    d.line = no;
    if (line[i] != 'p' && line[i] != 'r') fail(i, "expected a probe definition 'p:GROUP/EVENT SYMBOL ARGS' or 'r:...'");
    d.ret = line[i] == 'r';
    size_t j = i + 1;
    while (j < line.size() && isdigit(static_cast<unsigned char>(line[j]))) ++j;  // r10: maxactive
    if (j >= line.size() || line[j] != ':')
      fail(j, "expected ':' and an event name after '" + std::string(1, line[i]) + "'");
    size_t k = line.find_first_of(" \t", j);
    if (k == std::string::npos) fail(line.size(), "expected the probed symbol after the event name");
    std::string ev = line.substr(j + 1, k - j - 1);
    size_t slash = ev.find('/');
    d.group = slash == std::string::npos ? "kprobes" : ev.substr(0, slash);
    d.event = slash == std::string::npos ? ev : ev.substr(slash + 1);
    if (d.event.empty()) fail(j + 1, "empty event name");
    size_t s = line.find_first_not_of(" \t", k);
    if (s == std::string::npos) fail(line.size(), "expected the probed symbol after the event name");
    size_t e = s;
    while (e < line.size() && !isspace(static_cast<unsigned char>(line[e]))) ++e;
    std::string sym = line.substr(s, e - s);
    if (size_t colon = sym.find(':'); colon != std::string::npos) sym = sym.substr(colon + 1);  // MOD:SYM
    size_t plus = sym.find('+');
    d.function = sym.substr(0, plus);
    if (plus != std::string::npos) d.offset = strtoull(sym.c_str() + plus + 1, nullptr, 0);
    if (d.function.empty() || !ident_char(d.function[0])) fail(s, "expected the probed symbol after the event name");
    for (size_t p = e; p < line.size();) {
      p = line.find_first_not_of(" \t", p);
      if (p == std::string::npos) break;
      size_t q = p;
      while (q < line.size() && !isspace(static_cast<unsigned char>(line[q]))) ++q;
      std::string tok = line.substr(p, q - p);
      size_t eq = tok.find('=');
      if (eq == std::string::npos || eq == 0) fail(p, "expected NAME=FETCHARG, found '" + tok + "'");
      ProbeArg a;
      a.name = tok.substr(0, eq);
      std::string fetch = tok.substr(eq + 1);
      // The type follows the last ':' outside parentheses ("+4(%si):u32").
      size_t colon = fetch.rfind(':');
      if (colon != std::string::npos && fetch.find(')', colon) == std::string::npos) {
        a.type = fetch.substr(colon + 1);
        fetch = fetch.substr(0, colon);
      }
      if (fetch.empty()) fail(p + eq + 1, "empty fetch argument for '" + a.name + "'");
      a.fetch = fetch;
      classify(a);
      d.args.push_back(a);
      p = q;
    }
    by_name_[d.event] = defs_.size();
    by_name_[d.group + "/" + d.event] = defs_.size();
    defs_.push_back(std::move(d));
  }
}

const ProbeDef* ProbeDefs::find(const std::string& event) const {
  auto it = by_name_.find(event);
  return it == by_name_.end() ? nullptr : &defs_[it->second];
}

}  // namespace lc::traces
