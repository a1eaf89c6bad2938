// Syntax tree of one model file, as parsed (names not yet resolved).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "model/source.h"

namespace lc::ast {

struct Expr;
using ExprP = std::unique_ptr<Expr>;

// A written type: `int`, `int<0..3>`, `bool`, `idev*`, `any*`, `mutex`, `spinlock`.
struct TypeSyntax {
  enum Base { Int, Bool, Ptr, AnyPtr, Mutex, Spinlock } base = Int;
  std::string kind;     // object kind for Ptr
  ExprP lo, hi;         // int<lo..hi>
  Span span;
};

struct Expr {
  enum Kind {
    IntLit, BoolLit, Null, Name, Self, Unary, Binary, Cond, Field, Index, Call, Is, As, Quant, New, String,
    Member,                   // T.x: local x of thread T (properties only)
  } kind;
  Span span;
  std::string name;           // Name, Field/Member (field or local name), Call (callee), Is/As/New/Quant (kind), String
  std::string var;            // Quant variable
  bool forall = true;         // Quant
  bool count = false;         // Quant: count(v: K . e), the number of instances where e holds
  long long value = 0;        // IntLit, BoolLit
  std::string op;             // Unary/Binary operator spelling: "+", "&&", "=>", "!", "-"
  Span name_span;             // span of `name` (field, callee, kind)
  std::vector<ExprP> args;    // operands / call arguments
};

struct Stmt;
using StmtP = std::unique_ptr<Stmt>;

struct Stmt {
  enum Kind {
    VarDecl, Assign, ExprStmt, If, While, Break, Continue, Return, Choose, Atomic, Skip, Block
  } kind;
  Span span;
  TypeSyntax type;            // VarDecl
  std::string name;           // VarDecl
  Span name_span;
  ExprP array_len;            // VarDecl `T x[N]`
  ExprP lhs, rhs;             // Assign (lhs = rhs), VarDecl init in rhs, ExprStmt/Return/If/While expr in rhs
  std::vector<StmtP> body;    // Block, If then (body), While body, Atomic body
  std::vector<StmtP> else_body;  // If else
  bool has_else = false;
  std::vector<std::vector<StmtP>> branches;  // Choose
  std::string label;          // `name: stmt`, a position that properties name with at()
  Span label_span;
};

struct VarDecl {              // global, field, or parameter
  TypeSyntax type;
  std::string name;
  Span span, name_span;
  ExprP array_len;
  ExprP init;
};

struct ObjectDecl {
  std::string name;
  Span span, name_span;
  ExprP max;
  std::vector<VarDecl> fields;
};

struct FnDecl {
  std::string name;
  Span span, name_span;
  std::vector<VarDecl> params;
  bool has_result = false;
  TypeSyntax result;
  std::vector<StmtP> body;
  Span close_span;            // the closing brace: where an implicit return sits
};

struct ThreadDecl {
  std::string name;
  Span span, name_span;
  ExprP count;                // thread NAME[K]
  std::vector<StmtP> body;
  Span close_span;
};

struct PropertyDecl {
  bool is_final = false;
  std::string name;
  Span span, name_span;
  ExprP expr;
};

struct ExpectDecl {
  std::string name;
  bool violated = false;
  Span span, name_span;
};

struct ConstDecl {
  std::string name;
  Span span, name_span;
  ExprP value;
};

// One line of the `trace { }` section (how a capture maps to the model).
struct TraceRule {
  enum Kind { Task, Kernel, Silent, Event, Field, Result, Const, Arg, Offset } kind = Task;
  std::string member;         // arg FN.PARAM = "FETCH";  (PARAM)
  int64_t number = 0;         // const NAME = N;
  std::string key, value;     // task "PATTERN" = THREAD; kernel FN = KERNEL_FN; silent FN;
  bool ret = false;           // event "NAME" = [return] FN; field "NAME" = FIELD; result "NAME" = FN
  Span span, key_span, value_span;
};

struct Model {
  std::string name, title;
  Span name_span;
  std::vector<ConstDecl> consts;
  std::vector<ObjectDecl> objects;
  std::vector<VarDecl> globals;  // includes global locks
  std::vector<FnDecl> fns;
  std::vector<ThreadDecl> threads;
  std::vector<PropertyDecl> properties;
  std::vector<ExpectDecl> expects;
  std::vector<TraceRule> trace;  // the `trace { }` section, if any
  bool has_init = false;
  std::vector<StmtP> init;
  Span init_span, init_close;
  // Declaration order of consts/objects/globals, for "used before definition" checks.
  std::vector<std::pair<char, size_t>> order;  // ('c'onst | 'o'bject | 'g'lobal, index)
};

}  // namespace lc::ast
