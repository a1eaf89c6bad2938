#include <catch2/catch.hpp>

#include "checker/engine.h"
#include "tests/support.h"

using namespace lc;

namespace {

EngineOptions with(Engine e) {
  EngineOptions o;
  o.engine = e;
  return o;
}

}  // namespace

TEST_CASE("engine: each engine accepts exactly the options it honours") {
  // The README's table (Command line): what each engine honours is accepted.
  EngineOptions ex = with(Engine::Explicit);
  ex.limits = {.max_states = 5, .memory_mb = 10, .timeout_s = 1.5, .depth = 7};
  ex.merge = ex.all = true;
  CHECK(unsupported(ex).empty());
  for (Engine e : {Engine::Bmc, Engine::Induction}) {
    EngineOptions sy = with(e);
    sy.limits = {.timeout_s = 1.5, .depth = 7, .rlimit = 100};
    sy.merge = sy.reduction = sy.all = true;
    CHECK(unsupported(sy).empty());
  }
  EngineOptions all = with(Engine::All);
  all.limits = {.timeout_s = 1.5, .depth = 7};
  all.merge = true;
  CHECK(unsupported(all).empty());

  // What it does not is one line each, naming the option, the engine and why.
  EngineOptions bmc = with(Engine::Bmc);
  bmc.limits.memory_mb = 100;
  bmc.limits.max_states = 5;
  CHECK(unsupported(bmc) == std::vector<std::string>{
                                "--max-states is not supported by --engine bmc (the Z3 engines do not enumerate states; "
                                "--depth bounds them)",
                                "--memory is not supported by --engine bmc (the Z3 engines do not bound their memory yet)"});
  EngineOptions e = with(Engine::Explicit);
  e.limits.rlimit = 10;
  e.reduction = true;
  CHECK(unsupported(e) == std::vector<std::string>{
                              "--rlimit is not supported by --engine explicit (it limits each Z3 query, and the explicit "
                              "engine makes none)",
                              "--reduction is not supported by --engine explicit (the explicit engine has no partial-order "
                              "reduction yet)"});
  // --engine all: the options both of its engines honour, and it says which one lacks it.
  for (std::string flag : {"--max-states", "--memory", "--rlimit", "--reduction"}) {
    EngineOptions a = with(Engine::All);
    a.limits.max_states = flag == "--max-states";
    a.limits.memory_mb = flag == "--memory";
    a.limits.rlimit = flag == "--rlimit";
    a.reduction = flag == "--reduction";
    auto why = unsupported(a);
    REQUIRE(why.size() == 1);
    CHECK(why[0].rfind(flag + " is not supported by --engine all (", 0) == 0);
    CHECK(why[0].find(", one of its two engines, ") != std::string::npos);
  }
}

TEST_CASE("engine: the symbolic engines refuse a monitored Machine, never ignore the monitor") {
  CHECK(unsupported(with(Engine::Explicit), true).empty());
  CHECK(unsupported(with(Engine::Bmc), true) ==
        std::vector<std::string>{"--engine bmc cannot run with a step monitor (replay and prediction use the explicit search)"});
  CHECK(unsupported(with(Engine::Induction), true).size() == 1);
  CHECK(unsupported(with(Engine::All), true) ==
        std::vector<std::string>{"--engine all cannot run with a step monitor (induction, one of its two engines, cannot "
                                 "encode one; replay and prediction use the explicit search)"});
  auto p = lct::compile("int x = 0;\nfn b() { x = 1; }\nthread t { b(); }\n");
  EntryMonitor em;
  em.observed_fn.assign(p->fns.size(), true);
  em.sequence = {{p->fn_index("b")}};
  Machine m(*p, &em);
  CheckResult r = run_engine(m, "test.lc", with(Engine::Bmc));
  CHECK(r.outcome == Outcome::ModelError);
  CHECK(r.exit_code() == 2);
  CHECK(r.error ==
        "lifecheck: error: --engine bmc cannot run with a step monitor (replay and prediction use the explicit search)\n");
  // An option the engine does not honour is refused by the dispatch too.
  EngineOptions bad = with(Engine::Explicit);
  bad.limits.rlimit = 10;
  CheckResult b = run_engine(Machine(*p), "test.lc", bad);
  CHECK(b.exit_code() == 2);
  CHECK(b.error.rfind("lifecheck: error: --rlimit is not supported by --engine explicit", 0) == 0);
}
