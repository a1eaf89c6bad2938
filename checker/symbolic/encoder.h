// The IR as Z3 formulas: one template transition relation over a current frame X and a
// next frame Y (raw bit-vectors sized by each slot's range), the conditions under which a
// state or a step violates each property, and the lock-order edges. The only place, with
// bmc.cpp, that includes Z3. It encodes the IR and its step semantics (machine.cpp); it
// never reads the language.
#pragma once
#include <z3++.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "checker/verdict.h"
#include "model/merge.h"

namespace lc::symbolic {

struct ModelErrorCond {
  z3::expr cond;
  Span span;
  std::string message;
};

class Encoder {
 public:
  // Encoding stops early (timed_out) once `deadline` has passed. `merge`: a step also runs
  // the thread-local statements after it (statement merging, model/merge.h).
  Encoder(const ir::Program& p, z3::context& c,
          std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt, bool merge = false);
  // The merging in force (null: every statement is a step).
  const ir::Merging* merging() const { return merging_ ? &*merging_ : nullptr; }
  const ir::Program& program() const { return p_; }

  // Fresh raw variables of one frame ("<prefix>_<slot>").
  z3::expr_vector frame(const std::string& prefix);
  // The template formulas, instantiated for frames: `at(f, X->cur, Y->next)`. A non-empty
  // `tag` also renames the step's free inputs (the selector and choice variables) to fresh
  // "<input>_<tag>" constants: each step of an unrolling chooses on its own.
  z3::expr at(const z3::expr& f, const z3::expr_vector& cur, const z3::expr_vector* next = nullptr,
              const std::string& tag = "");
  // Several formulas instantiated in one pass (shared subterms are rewritten once).
  std::vector<z3::expr> at_all(const std::vector<z3::expr>& fs, const z3::expr_vector& cur, const std::string& tag = "");

  // Template (over X, Y and the inputs):
  z3::expr_vector X, Y;
  z3::expr_vector inputs;            // sel (which thread), fch (a choose's branch), the atomic blocks' choice variables
  z3::expr trans;                    // T(X, inputs, Y): the selected thread's enabled step without a fatal violation; Y is its effect
  z3::expr fatal;                    // F(X, inputs): the selected step has a fatal violation (bad's "state after a fatal step" parts need it)
  z3::expr domain;                   // X holds valid raw values
  // What every reachable state satisfies by construction of the semantics (template over
  // X): the locals' facts at each thread location (model/facts.h), slots no step writes
  // keep an initial value, objects are allocated lowest index first, and an unallocated
  // object has initial fields and no pointer to it. Every frame assumes them.
  z3::expr facts;
  // What every state a run reaches without a violation satisfies: each thread holds the
  // locks its position says (model/facts.h, lock_facts). The induction step assumes it in
  // its first k states, where every property holds; BMC does not (after a lock_misuse a
  // run goes on holding locks its position does not say).
  z3::expr clean_facts;
  std::vector<z3::expr> bad;         // per property (properties_of order): X, or a step from X, violates it
  std::vector<z3::expr> bad_unless_fatal;  // the same without the state after a fatal step: bad when !fatal
  std::vector<std::pair<std::pair<int, int>, z3::expr>> edges;  // (held, acquired) lock slots -> condition over X (one per pair)
  std::vector<ModelErrorCond> errors;  // run-time model errors reachable from X
  // Peephole partial-order reduction: the shared slots a thread's next step may touch
  // (read or write) and may write, as bit masks over classes of slots (template over X and
  // sel; zero-width when the model has one thread or nothing shared).
  z3::expr touch, write;
  // Constraint on two consecutive steps (from frame f0 with inputs tagged tag0, then from f1
  // with tag1): a lower-numbered thread may follow a higher one only if their steps are
  // dependent. Swapping adjacent independent steps keeps every reachable state at its depth,
  // so shortest counterexamples, the completeness check and k-induction stay exact.
  z3::expr ordered(const z3::expr_vector& f0, const std::string& tag0, const z3::expr_vector& f1,
                   const std::string& tag1);
  z3::expr init(const z3::expr_vector& f) const;  // f is one of the initial states
  std::vector<std::vector<uint8_t>> initial_states;
  // With merging, per initial state, the states from one the init block makes to it
  // (trace.h, initial_run): threads whose entry is thread-local have taken their first step.
  std::vector<std::vector<std::vector<uint8_t>>> init_runs;
  std::string unsupported;           // non-empty: the engine cannot encode this model
  bool timed_out = false;            // the deadline passed while encoding: nothing is usable

  // The concrete state a model assigns to a frame.
  std::vector<uint8_t> decode(const z3::model& m, const z3::expr_vector& f) const;
  z3::expr equals(const z3::expr_vector& f, const std::vector<uint8_t>& state) const;
  // The raw bits of slot `j` in a concrete state, as a numeral of X[j]'s width.
  z3::expr raw(const std::vector<uint8_t>& state, size_t j) const;
  z3::expr distinct(const z3::expr_vector& a, const z3::expr_vector& b) const;

  size_t transitions() const { return ntrans_; }
  unsigned value_bits() const { return value_bits_; }

 private:
  struct Impl;
  void footprints(Impl& I, const z3::expr& sel);
  void build_facts(Impl& I);
  std::vector<bool> written_;  // slots some step may write
  std::optional<ir::Merging> merging_;
  const ir::Program& p_;
  z3::context& c_;
  size_t ntrans_ = 0;
  unsigned value_bits_ = 64;
  unsigned por_classes_ = 0;
};

}  // namespace lc::symbolic
