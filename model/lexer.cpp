#include "model/lexer.h"

#include <cctype>
#include <unordered_map>

namespace lc {

static const std::unordered_map<std::string, Tok>& keywords() {
  static const std::unordered_map<std::string, Tok> k = {
      {"if", Tok::KwIf},         {"else", Tok::KwElse},     {"while", Tok::KwWhile},   {"break", Tok::KwBreak},
      {"continue", Tok::KwContinue}, {"return", Tok::KwReturn}, {"choose", Tok::KwChoose}, {"or", Tok::KwOr},
      {"atomic", Tok::KwAtomic}, {"skip", Tok::KwSkip},     {"new", Tok::KwNew},       {"true", Tok::KwTrue},
      {"false", Tok::KwFalse},   {"null", Tok::KwNull},     {"self", Tok::KwSelf},     {"forall", Tok::KwForall},
      {"exists", Tok::KwExists}, {"is", Tok::KwIs},         {"as", Tok::KwAs},         {"int", Tok::KwInt},
      {"bool", Tok::KwBool},     {"any", Tok::KwAny},       {"mutex", Tok::KwMutex},   {"spinlock", Tok::KwSpinlock},
  };
  return k;
}

const char* tok_name(Tok t) {
  switch (t) {
    case Tok::End: return "end of file";
    case Tok::Ident: return "identifier";
    case Tok::Int: return "integer";
    case Tok::String: return "string";
    case Tok::LParen: return "'('";
    case Tok::RParen: return "')'";
    case Tok::LBrace: return "'{'";
    case Tok::RBrace: return "'}'";
    case Tok::LBracket: return "'['";
    case Tok::RBracket: return "']'";
    case Tok::Semi: return "';'";
    case Tok::Comma: return "','";
    case Tok::Dot: return "'.'";
    case Tok::DotDot: return "'..'";
    case Tok::Arrow: return "'->'";
    case Tok::Colon: return "':'";
    case Tok::Question: return "'?'";
    case Tok::Assign: return "'='";
    case Tok::Plus: return "'+'";
    case Tok::Minus: return "'-'";
    case Tok::Star: return "'*'";
    case Tok::Slash: return "'/'";
    case Tok::Percent: return "'%'";
    case Tok::Eq: return "'=='";
    case Tok::Ne: return "'!='";
    case Tok::Lt: return "'<'";
    case Tok::Le: return "'<='";
    case Tok::Gt: return "'>'";
    case Tok::Ge: return "'>='";
    case Tok::AndAnd: return "'&&'";
    case Tok::OrOr: return "'||'";
    case Tok::Not: return "'!'";
    case Tok::Implies: return "'=>'";
    default:
      for (const auto& [s, k] : keywords())
        if (k == t) {
          static thread_local std::string buf;
          buf = "'" + s + "'";
          return buf.c_str();
        }
      return "token";
  }
}

std::vector<Token> lex(const SourceFile& file, Diagnostics& diags) {
  const std::string& s = file.text();
  std::vector<Token> out;
  size_t i = 0, n = s.size();
  auto add = [&](Tok k, size_t b, size_t e) { out.push_back({k, {uint32_t(b), uint32_t(e)}, {}, 0}); };
  while (i < n) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') { ++i; continue; }
    if (c == '/' && i + 1 < n && s[i + 1] == '/') {
      while (i < n && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t b = i;
      size_t e = s.find("*/", i + 2);
      if (e == std::string::npos) {
        diags.error({uint32_t(b), uint32_t(b + 2)}, "unterminated comment");
        i = n;
      } else {
        i = e + 2;
      }
      continue;
    }
    size_t b = i;
    if (std::isalpha((unsigned char)c) || c == '_') {
      while (i < n && (std::isalnum((unsigned char)s[i]) || s[i] == '_')) ++i;
      std::string word = s.substr(b, i - b);
      auto it = keywords().find(word);
      add(it == keywords().end() ? Tok::Ident : it->second, b, i);
      out.back().text = word;
      continue;
    }
    if (std::isdigit((unsigned char)c)) {
      while (i < n && std::isalnum((unsigned char)s[i])) ++i;
      std::string digits = s.substr(b, i - b);
      long long v = 0;
      bool ok = true;
      for (char d : digits) {
        if (!std::isdigit((unsigned char)d)) { ok = false; break; }
        if (v > (1LL << 40)) { ok = false; break; }
        v = v * 10 + (d - '0');
      }
      if (!ok) diags.error({uint32_t(b), uint32_t(i)}, "bad integer literal '" + digits + "'");
      add(Tok::Int, b, i);
      out.back().text = digits;
      out.back().value = ok ? v : 0;
      continue;
    }
    if (c == '"') {
      ++i;
      std::string val;
      while (i < n && s[i] != '"' && s[i] != '\n') {
        if (s[i] == '\\' && i + 1 < n && s[i + 1] != '\n') { val += s[i + 1]; i += 2; continue; }
        val += s[i++];
      }
      if (i >= n || s[i] != '"') {
        diags.error({uint32_t(b), uint32_t(b + 1)}, "unterminated string");
      } else {
        ++i;
      }
      add(Tok::String, b, i);
      out.back().text = val;
      continue;
    }
    auto two = [&](char a, char bch) { return c == a && i + 1 < n && s[i + 1] == bch; };
    Tok k;
    size_t len = 2;
    if (two('-', '>')) k = Tok::Arrow;
    else if (two('.', '.')) k = Tok::DotDot;
    else if (two('=', '=')) k = Tok::Eq;
    else if (two('!', '=')) k = Tok::Ne;
    else if (two('<', '=')) k = Tok::Le;
    else if (two('>', '=')) k = Tok::Ge;
    else if (two('&', '&')) k = Tok::AndAnd;
    else if (two('|', '|')) k = Tok::OrOr;
    else if (two('=', '>')) k = Tok::Implies;
    else {
      len = 1;
      switch (c) {
        case '(': k = Tok::LParen; break;
        case ')': k = Tok::RParen; break;
        case '{': k = Tok::LBrace; break;
        case '}': k = Tok::RBrace; break;
        case '[': k = Tok::LBracket; break;
        case ']': k = Tok::RBracket; break;
        case ';': k = Tok::Semi; break;
        case ',': k = Tok::Comma; break;
        case '.': k = Tok::Dot; break;
        case ':': k = Tok::Colon; break;
        case '?': k = Tok::Question; break;
        case '=': k = Tok::Assign; break;
        case '+': k = Tok::Plus; break;
        case '-': k = Tok::Minus; break;
        case '*': k = Tok::Star; break;
        case '/': k = Tok::Slash; break;
        case '%': k = Tok::Percent; break;
        case '<': k = Tok::Lt; break;
        case '>': k = Tok::Gt; break;
        case '!': k = Tok::Not; break;
        default: {
          std::string shown = (unsigned char)c >= 0x20 && (unsigned char)c < 0x7f ? std::string(1, c) : "\\x" + [&] {
            char buf[3];
            snprintf(buf, sizeof buf, "%02x", (unsigned char)c);
            return std::string(buf);
          }();
          diags.error({uint32_t(b), uint32_t(b + 1)}, "unexpected character '" + shown + "'");
          ++i;
          continue;
        }
      }
    }
    i += len;
    add(k, b, i);
  }
  add(Tok::End, n, n);
  return out;
}

}  // namespace lc
