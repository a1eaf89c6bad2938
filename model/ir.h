// The IR: one flat program that every engine, the replayer and the reporter share.
// Threads are control-flow graphs of atomic actions (guard + effect); functions are
// inlined with their names kept (call stacks per location); every variable, field,
// lock and program counter is a slot of one fixed-size state vector.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/source.h"

namespace lc::ir {

enum class Type : uint8_t { Int, Bool, Ptr, Lock, Void, Null };

// One cell of the state vector: values lo..hi stored as (v - lo) in `width` bytes.
struct Slot {
  uint32_t offset = 0;
  uint8_t width = 1;
  int64_t lo = 0, hi = 0;
  Type type = Type::Int;
};

// Expression nodes live in Program::exprs and refer to each other by index.
// Place nodes (Global, Local, Field, Index) denote a slot; Load reads one.
enum class Op : uint8_t {
  Const, Self, QVar,
  Global, Local, Field, Index,  // places
  Load,
  Not, Neg, Add, Sub, Mul, Div, Mod, Eq, Ne, Lt, Le, Gt, Ge, And, Or, Implies, Cond,
  Alive, Held, Mine, Count, Is, As, Forall, Exists,
  At,         // properties: a thread's pc is in Program::positions[k]
  ThreadVar,  // properties: a thread's local, Program::thread_vars[k]
  HeldBy,     // properties: lock place a is held by the thread of Program::positions[k]
  CountOf,    // properties: count(v: K . a), quantifier variable k
};

struct Expr {
  Op op = Op::Const;
  Type type = Type::Int;
  int kind = -1;   // pointer target kind (-1: any*), or the kind of Field/Count/Is/As/quantifier
  int64_t k = 0;   // constant / slot / local index / field offset / array length / quantifier var
  int a = -1, b = -1, c = -1;
  int64_t lo = 0, hi = 0;  // Local places: the declared range (a reused local slot may be wider)
  Span span;
};

enum class Act : uint8_t {
  Assign,   // place = expr
  New,      // place = new kind_id
  Free,     // free(expr)
  Lock,     // lock(lock): enabled while the lock is free
  Unlock,   // unlock(lock)
  Trylock,  // place = trylock(lock)
  Wait,     // wait(expr): enabled while expr holds
  Assert,   // assert(expr, msg)
  Branch,   // enabled when expr == branch_value (if/while conditions)
  Choose,   // one branch of a choose
  Call,     // enter a function: binds parameters
  Return,   // leave a function: place = expr (if any), clear the frame's locals
  Skip,     // skip, or a jump (break/continue/end of a loop body)
};

struct Action {
  Act kind = Act::Skip;
  int place = -1, expr = -1, lock = -1;
  bool branch_value = true;
  int kind_id = -1;                          // New
  int callee = -1;                           // Call/Return: function index
  std::vector<std::pair<int, int>> binds;    // Call: (parameter place, argument expr)
  uint32_t clear_lo = 0, clear_hi = 0;       // Return: thread-local indices to clear
  int64_t lo = 0, hi = -1;                   // Return: the function's int<lo..hi> result range (if lo <= hi)
  int target = -1;                           // location after this action
  Span span;                                 // source of the statement
  std::string msg;                           // Assert message; Choose: "branch N"
};

struct Location {
  std::vector<Action> actions;  // alternatives; several are enabled only for choose
  int stack = 0;                // index into Program::stacks
  bool atomic_cont = false;     // inside an atomic block after its first action: no interleaving
};

struct LocalVar {
  std::string name;             // source name of its first user ("d", "f()" for a call result)
  int64_t lo = 0, hi = 0;       // union of the ranges of every variable sharing this local
  bool has_ptr = false, has_bool = false;
};

struct ThreadTmpl {
  std::string name;
  // A labelled statement, one per inlined copy: its first location `at`, and the locations
  // made while lowering it, [lo, hi) (its inside, with the functions it calls).
  struct Label {
    std::string name;
    int at = 0, lo = 0, hi = 0;
  };
  std::vector<Label> labels;
  int count = 1;
  bool is_array = false;        // declared as NAME[K]
  bool is_init = false;         // the init block, run alone before the threads
  std::vector<Location> locs;
  int entry = 0, end = 0;       // entry location; end location (no actions: finished)
  std::vector<LocalVar> locals;
  // Per location: the locals in scope there, in its call and its callers' (the innermost
  // one of a name wins), sorted by name (`T.x` reads them; reports name a thread's locals
  // by them).
  struct InScope {
    std::string name;
    int local = 0;
    Type type = Type::Int;      // the variable's (its slot may be shared with other types)
    int fn = -1;                // the function whose call has it (-1: the thread body)
  };
  const std::vector<InScope>& scope(size_t loc) const { return sets[loc < scope_ix.size() ? scope_ix[loc] : 0]; }
  // Per location: every call's locals, each call's innermost of a name (`T.f.x` reads them).
  const std::vector<InScope>& frames(size_t loc) const { return sets[loc < frames_ix.size() ? frames_ix[loc] : 0]; }
  // The distinct sets above (most locations share theirs: a model with deep inlining has
  // far more locations than scopes); sets[0] is empty.
  std::vector<std::vector<InScope>> sets = {{}};
  std::vector<uint32_t> scope_ix, frames_ix;
  Span span;                    // the thread's name
  Span end_span;                // its closing brace (where it finishes)
};

struct ThreadInst {
  int tmpl = 0, self = 0;
  int pc_slot = 0;
  int local_base = 0;           // first slot of this instance's locals
  std::string name;             // "vfio_close", "user_ioctl[1]"
};

struct Field {
  std::string name;
  Type type = Type::Int;
  int target = -1;              // pointer kind (-1 any*) for Ptr fields
  int off = 1;                  // slot offset within the instance (0 is the status slot)
  int len = 0;                  // array length, 0 for a scalar
  bool spin = false;
  int64_t init = 0;             // initial value (per element)
};

// Instance status slot values.
enum Status : int64_t { kUnallocated = 0, kAlive = 1, kFreed = 2 };

struct Kind {
  std::string name;
  int max = 4;
  int first_slot = 0, stride = 1;  // instance i's status slot is first_slot + i * stride
  int first_gid = 0;               // pointer value of instance i is first_gid + i + 1
  std::vector<Field> fields;
  Span span;
};

struct Global {
  std::string name;
  Type type = Type::Int;
  int target = -1;
  int slot = 0, len = 0;
  bool spin = false;
  int64_t init = 0;
};

enum class Check : uint8_t {
  UseAfterFree, DoubleFree, LockMisuse, Deadlock, LockOrder, Assert, Range, NullDeref,
  Invariant, Final,
};
const char* check_name(Check c);
constexpr Check kBuiltinChecks[] = {Check::UseAfterFree, Check::DoubleFree, Check::LockMisuse, Check::Deadlock,
                                    Check::LockOrder,    Check::Assert,     Check::Range,      Check::NullDeref};

struct Property {
  std::string name;
  bool is_final = false;
  int expr = -1;
  Span span;
};

// at(T, label), in(T, fn), done(T): thread instance `thread` is at one of `locs` (sorted).
struct Position {
  int thread = 0;
  std::vector<int> locs;
};

// T.x: per location of thread instance `thread`, the local index that `x` names there
// (the innermost call's x, else its nearest caller's; -1: none, and T.x reads 0, false or
// null).
struct ThreadVar {
  int thread = 0;
  std::vector<int> local;
};
// (T.f.x: the x of T's call of f.)

// A function as declared: the replayer binds trace fields to parameters by name and
// compares return values with the result.
struct FnSig {
  struct Value {
    std::string name;
    Type type = Type::Int;
    int kind = -1;                 // Ptr: target kind (-1 any*)
    int64_t lo = 0, hi = 0;        // Int: declared range
  };
  std::vector<Value> params;
  bool has_result = false;
  Value result;
  Span span;                       // the function's name
};

// The model's `trace { }` section (docs/language.md): how the tasks, events and fields of a
// capture map to it where the kernel's own names do not say.
struct TraceMap {
  struct TaskRule {
    std::string pattern;           // glob over the task name ("iommufd-*")
    int tmpl = 0;                  // the thread template its tasks run
    Span span;
  };
  std::vector<TaskRule> tasks;     // the first rule that matches a task's name wins
  struct EventRule {
    std::string event;             // probe or tracepoint name ("obj_remove", "iofd/obj_remove")
    int fn = 0;                    // the function it is the entry (or return) of
    bool ret = false;
    Span span;
  };
  std::vector<EventRule> events;
  std::vector<std::string> kernel;  // per function: the kernel function it stands for ("" = its own name)
  std::vector<bool> silent;         // per function: never expected in a capture (inlined)
  std::vector<std::pair<std::string, std::string>> fields;  // a capture's field name -> the model's field name
  std::vector<std::pair<int, std::string>> results;         // function -> the return probe field with its result
  std::vector<std::pair<std::string, int64_t>> consts;      // constants replay sets (CompileOptions::consts)
  struct ArgRule {
    int fn = 0, param = 0;
    std::string fetch;             // kprobe fetch argument ("+0(%si):u32"), for trace-setup
  };
  std::vector<ArgRule> args;
  std::vector<std::pair<std::string, int64_t>> offsets;     // object field -> byte offset in the kernel struct
};

struct Expect {
  std::string name;
  bool violated = false;
  Span span;
};

struct Program {
  std::shared_ptr<const SourceFile> file;
  std::string name, title;
  std::vector<Slot> slots;
  uint32_t state_size = 0;
  std::vector<Expr> exprs;
  std::vector<Kind> kinds;
  std::vector<int> gid_kind;                 // pointer value - 1 -> kind
  std::vector<Global> globals;
  std::vector<int> lock_slots;               // every lock slot, for held-lock scans
  std::vector<std::string> fns;              // function names (kernel function names)
  std::vector<FnSig> sigs;                   // per function: parameters and result
  std::vector<std::vector<int>> stacks;      // call stacks: function indices, outermost first
  std::vector<ThreadTmpl> tmpls;             // threads; the init block (if any) is the last
  std::vector<ThreadInst> threads;           // instances of the non-init templates
  int init_tmpl = -1;
  int init_pc_slot = -1, init_local_base = 0;
  std::vector<Property> properties;
  std::vector<Expect> expects;
  TraceMap trace_map;
  std::vector<Position> positions;           // Op::At operands
  std::vector<ThreadVar> thread_vars;        // Op::ThreadVar operands

  // Text of a node as written in the model.
  std::string text(Span s) const { return std::string(file->slice(s)); }
  // "idev#0", "null" for a pointer value.
  std::string pointer_name(int64_t v) const;
  // Display name of a slot: "xa_lock", "idev#0.igroup_lock", "objects[2]", "user[1].d".
  std::string slot_name(int slot) const;
  // The instance (pointer value) whose status/field slots contain `slot`, or 0.
  int64_t instance_of_slot(int slot) const;
  // Function entries a thread can make: the Call actions of template t entering function f.
  std::vector<std::pair<int, int>> entries_of(int tmpl, int fn) const;  // (location, action)
  // The entries of `fn` that template `tmpl` can make next from location `loc`: Call
  // actions reachable without first entering any function marked in `observed` (the
  // functions a trace can see). Answers "which steps of this thread enter F next".
  std::vector<std::pair<int, int>> next_entries(int tmpl, int loc, int fn, const std::vector<bool>& observed) const;
  int fn_index(const std::string& name) const;
  // Bytes [0, shared_bytes()) of a state hold the globals and the instances; the threads'
  // pcs and locals follow them (the layout's order).
  uint32_t shared_bytes() const;
  // Whether expression `e` reads any thread's pc or locals (at/in/done, T.x, held_by,
  // self, locals): otherwise its value depends on the shared bytes alone.
  bool reads_threads(int e) const;
};

}  // namespace lc::ir
