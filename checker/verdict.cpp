#include "checker/verdict.h"

namespace lc {

const char* status_name(Status s) {
  switch (s) {
    case Status::Holds: return "holds";
    case Status::Violated: return "violated";
    case Status::Unknown: return "unknown";
  }
  return "?";
}

bool CheckResult::any_violated() const {
  for (const auto& p : properties)
    if (p.status == Status::Violated) return true;
  return false;
}

int CheckResult::exit_code() const {
  if (outcome == Outcome::ModelError) return 2;
  if (any_violated()) return 1;
  if (outcome == Outcome::LimitHit) return 3;
  return 0;
}

Violation property_violation(const ir::Program& p, int i) {
  const ir::Property& prop = p.properties[i];
  Violation v;
  v.check = prop.is_final ? ir::Check::Final : ir::Check::Invariant;
  v.property = i;
  v.span = prop.span;
  v.message = std::string(prop.is_final ? "final" : "invariant") + " '" + prop.name + "' is false" +
              (prop.is_final ? " when every thread has finished" : "");
  return v;
}

std::vector<PropertyResult> properties_of(const ir::Program& p) {
  std::vector<PropertyResult> out;
  for (ir::Check c : ir::kBuiltinChecks) {
    PropertyResult r;
    r.name = ir::check_name(c);
    r.check = c;
    out.push_back(r);
  }
  for (size_t i = 0; i < p.properties.size(); ++i) {
    PropertyResult r;
    r.name = p.properties[i].name;
    r.check = p.properties[i].is_final ? ir::Check::Final : ir::Check::Invariant;
    r.property = int(i);
    r.span = p.properties[i].span;
    out.push_back(r);
  }
  for (const auto& e : p.expects)
    for (auto& r : out)
      if (r.name == e.name) r.expect_violated = e.violated;
  return out;
}

}  // namespace lc
