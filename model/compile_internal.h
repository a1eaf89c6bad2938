// Shared state of the declare and check+lower passes (sema.cpp: declarations and
// expressions; lower.cpp: statements to control-flow graphs). Internal to model/.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "model/compile.h"

namespace lc::detail {

// The static type of an expression or variable.
struct Ty {
  ir::Type t = ir::Type::Int;
  int kind = -1;                   // Ptr: target kind, -1 for any*
  int64_t lo = -128, hi = 127;     // Int: declared range (stores are checked against it)
  bool spin = false;               // Lock: spinlock
  int len = 0;                     // array length (0: scalar)
  bool error = false;              // an error was already reported for this expression
};

struct LocalInfo {
  int index;                       // local index in the thread template
  Ty ty;
};

// Where a hoisted call or a statement's pre-steps go: the current location, advanced
// as steps are emitted. Null in property context (no steps allowed).
struct StepCtx {
  int* at = nullptr;
  bool in_short_circuit = false;   // right operand of && || => or a ?: branch
};

class Compiler {
 public:
  Compiler(const ast::Model& m, std::shared_ptr<const SourceFile> f, Diagnostics& d);
  const std::map<std::string, int>* instances = &kNoInstances;  // CompileOptions::instances
  static inline const std::map<std::string, int> kNoInstances;
  const std::map<std::string, int64_t>* const_overrides = &kNoConsts;  // CompileOptions::consts
  static inline const std::map<std::string, int64_t> kNoConsts;
  std::unique_ptr<ir::Program> run();

  // ---- sema.cpp ----
  void declare();                                  // consts, kinds, globals, fns, properties
  void check_recursion();
  std::optional<int64_t> const_int(const ast::Expr& e, const char* what);
  // select(v1, ..., vn) / select_in(lo, hi): a value the step chooses, as a call argument or
  // a returned value. Lowered to one alternative action per value, so a step monitor can
  // refuse the ones a capture contradicts before they become states. False if `e` is none.
  bool select_values(const ast::Expr& e, std::vector<int64_t>* out);
  std::optional<std::pair<int64_t, Ty>> const_eval(const ast::Expr& e);
  Ty type_of(const ast::TypeSyntax& t, bool allow_lock);
  int conv(const ast::Expr& e, StepCtx& sc, Ty* out);          // expression -> IR expr
  int conv_place(const ast::Expr& e, StepCtx& sc, Ty* out);    // lvalue -> IR place
  int conv_cond(const ast::Expr& e, StepCtx& sc);              // must be bool
  int add_expr(ir::Expr e);
  bool assignable(const Ty& to, const Ty& from, Span at, const std::string& what);
  std::string ty_name(const Ty& t) const;
  void properties_and_expects();
  void trace_map();                                // the `trace { }` section -> Program::trace_map

  // ---- positions.cpp: at(), in(), done(), T.x in properties ----
  struct Reach {
    std::vector<const std::vector<ast::StmtP>*> bodies;  // the thread's body and its callees'
    std::vector<int> fns;
  };
  Reach reach(int tmpl_decl);
  void check_labels();
  bool thread_ref(const ast::Expr& e, int* tmpl_decl, int* self);
  int conv_position(const ast::Expr& e, Ty* out);
  int conv_member(const ast::Expr& e, Ty* out);
  int conv_held_by(const ast::Expr& e, StepCtx& sc, Ty* out);
  struct PendingPos;
  int position_expr(ir::Op op, int lock, PendingPos pp, Ty* out);
  bool note_label(const ast::Stmt& s, int at);  // true: record the label's locations
  void note_scope(int at);
  using ScopeEntry = std::pair<const std::string*, ir::ThreadTmpl::InScope>;  // .second.name left empty
  uint32_t intern_scope(const std::vector<ScopeEntry>& set);  // index into tmpl->sets
  std::unordered_multimap<uint64_t, uint32_t> scope_sets;     // the current template's sets by content hash
  // Bumped whenever the locals in scope may change (a declaration, a scope closing, a call
  // entered or left): locations lowered in between share their scope sets.
  uint64_t scope_gen = 1, noted_gen = 0;
  uint32_t noted_scope = 0, noted_frames = 0;
  // The callers' part of a scope set (their frames, and their visible names sorted) is
  // the same for every location of one call: kept while `callers_gen` stays.
  uint64_t callers_gen = 1, cached_callers_gen = 0;
  std::vector<ScopeEntry> callers_frames, callers_vis;
  void resolve_thread_refs();

  // ---- lower.cpp ----
  void check_fns();
  void lower_threads();
  void lower_seq(const std::vector<ast::StmtP>& ss, int at, int next, Span empty_span = {});
  void lower_stmt(const ast::Stmt& s, int at, int next);       // with its label, if any
  void lower_stmt_body(const ast::Stmt& s, int at, int next);
  void lower_call(const ast::Expr& call, int dest_place, const Ty* dest_ty, int at, int next, StepCtx& sc);
  int new_loc();
  ir::Action& add_action(int at, ir::Action a);
  void add_branch(int at, int cond, Span span, const char* what, int on_true, int on_false);
  int alloc_local(const std::string& name, const Ty& ty);
  int local_place(int index, Span span, const Ty& ty);
  void layout();

  const ast::Model& m;
  std::shared_ptr<const SourceFile> file;
  Diagnostics& d;
  std::unique_ptr<ir::Program> P;

  std::map<std::string, std::pair<int64_t, Ty>> consts;
  std::set<std::string> pending_consts;           // declared later in the file
  std::unordered_map<std::string, int> kinds, globals, fns;
  std::unordered_map<std::string, int> prop_names;
  std::vector<Ty> global_ty;
  std::vector<std::vector<Ty>> field_ty;          // per kind, per field

  // lowering state
  ir::ThreadTmpl* tmpl = nullptr;
  int tmpl_index = -1;
  std::vector<std::unordered_map<std::string, LocalInfo>> scopes;
  // The callers' scopes while a callee is lowered, outermost first (T.x sees a caller's
  // local where no frame nearer the top has one).
  std::vector<std::vector<std::unordered_map<std::string, LocalInfo>>> caller_scopes;
  int height = 0;                                  // next free local index (stack discipline)
  std::vector<Ty> local_ty;                        // per local index of the current template
  struct Frame {
    int fn, dest_place, next, base;
    Ty ret;
    bool has_result;
    std::vector<std::pair<int, int>> returns;      // (location, action) to patch with clear range
    int top;
  };
  std::vector<Frame> frames;
  struct Loop { int cont, brk; };
  std::vector<Loop> loops;
  std::vector<int> stack;                          // current call stack (fn indices)
  std::map<std::vector<int>, int> stack_ids;
  bool in_atomic = false;
  int atomic_entry = -1;
  bool in_property = false, in_init = false;
  std::vector<std::pair<std::string, int>> qvars; // quantifier variables in scope (name, kind)
  int max_qdepth = 0;

  // thread references in properties, resolved after layout
  struct PendingPos { int pos, tmpl, self; std::string what, name; Span span; };
  struct PendingVar { int var, tmpl, self; std::string name; int fn = -1; };
  std::vector<PendingPos> pending_pos;
  std::vector<PendingVar> pending_vars;
  std::vector<bool> scoped;                        // per location of the template lowered: scope recorded
};

}  // namespace lc::detail
