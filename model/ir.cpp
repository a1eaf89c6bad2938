#include "model/ir.h"

#include <algorithm>

namespace lc::ir {

const char* check_name(Check c) {
  switch (c) {
    case Check::UseAfterFree: return "use_after_free";
    case Check::DoubleFree: return "double_free";
    case Check::LockMisuse: return "lock_misuse";
    case Check::Deadlock: return "deadlock";
    case Check::LockOrder: return "lock_order";
    case Check::Assert: return "assert";
    case Check::Range: return "range";
    case Check::NullDeref: return "null_deref";
    case Check::Invariant: return "invariant";
    case Check::Final: return "final";
  }
  return "?";
}

std::string Program::pointer_name(int64_t v) const {
  if (v <= 0 || v > int64_t(gid_kind.size())) return "null";
  const Kind& k = kinds[gid_kind[v - 1]];
  return k.name + "#" + std::to_string(v - 1 - k.first_gid);
}

int64_t Program::instance_of_slot(int slot) const {
  for (const Kind& k : kinds) {
    int end = k.first_slot + k.max * k.stride;
    if (slot >= k.first_slot && slot < end) return k.first_gid + (slot - k.first_slot) / k.stride + 1;
  }
  return 0;
}

std::string Program::slot_name(int slot) const {
  for (const Global& g : globals) {
    int n = g.len ? g.len : 1;
    if (slot >= g.slot && slot < g.slot + n)
      return g.len ? g.name + "[" + std::to_string(slot - g.slot) + "]" : g.name;
  }
  if (int64_t inst = instance_of_slot(slot)) {
    const Kind& k = kinds[gid_kind[inst - 1]];
    int rel = (slot - k.first_slot) % k.stride;
    std::string base = pointer_name(inst);
    if (rel == 0) return base;
    for (const Field& f : k.fields) {
      int n = f.len ? f.len : 1;
      if (rel >= f.off && rel < f.off + n)
        return base + "." + f.name + (f.len ? "[" + std::to_string(rel - f.off) + "]" : "");
    }
  }
  auto local_name = [&](const ThreadTmpl& t, const std::string& who, int base, int pc) {
    if (slot == pc) return who + ".pc";
    int li = slot - base;
    if (li >= 0 && li < int(t.locals.size())) return who + "." + t.locals[li].name;
    return std::string();
  };
  for (const ThreadInst& th : threads) {
    std::string n = local_name(tmpls[th.tmpl], th.name, th.local_base, th.pc_slot);
    if (!n.empty()) return n;
  }
  if (init_tmpl >= 0) {
    std::string n = local_name(tmpls[init_tmpl], "init", init_local_base, init_pc_slot);
    if (!n.empty()) return n;
  }
  return "slot" + std::to_string(slot);
}

std::vector<std::pair<int, int>> Program::entries_of(int tmpl, int fn) const {
  std::vector<std::pair<int, int>> out;
  const ThreadTmpl& t = tmpls[tmpl];
  for (size_t l = 0; l < t.locs.size(); ++l)
    for (size_t a = 0; a < t.locs[l].actions.size(); ++a)
      if (t.locs[l].actions[a].kind == Act::Call && t.locs[l].actions[a].callee == fn) out.push_back({int(l), int(a)});
  return out;
}

std::vector<std::pair<int, int>> Program::next_entries(int tmpl, int loc, int fn,
                                                      const std::vector<bool>& observed) const {
  const ThreadTmpl& t = tmpls[tmpl];
  std::vector<std::pair<int, int>> out;
  std::vector<bool> seen(t.locs.size(), false);
  std::vector<int> work = {loc};
  seen[loc] = true;
  while (!work.empty()) {
    int l = work.back();
    work.pop_back();
    for (size_t a = 0; a < t.locs[l].actions.size(); ++a) {
      const Action& act = t.locs[l].actions[a];
      if (act.kind == Act::Call && act.callee == fn) out.push_back({l, int(a)});
      bool stops = act.kind == Act::Call && act.callee >= 0 && act.callee < int(observed.size()) && observed[act.callee];
      if (!stops && act.target >= 0 && !seen[act.target]) {
        seen[act.target] = true;
        work.push_back(act.target);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

int Program::fn_index(const std::string& name) const {
  for (size_t i = 0; i < fns.size(); ++i)
    if (fns[i] == name) return int(i);
  return -1;
}

uint32_t Program::shared_bytes() const {
  uint32_t end = state_size;
  for (const auto& t : threads) end = std::min(end, slots[size_t(t.pc_slot)].offset);
  if (init_pc_slot >= 0) end = std::min(end, slots[size_t(init_pc_slot)].offset);
  return end;
}

bool Program::reads_threads(int e) const {
  if (e < 0 || size_t(e) >= exprs.size()) return false;
  const Expr& x = exprs[size_t(e)];
  switch (x.op) {
    case Op::Self: case Op::Local: case Op::At: case Op::ThreadVar: case Op::HeldBy: case Op::Mine:
      return true;
    default:
      return reads_threads(x.a) || reads_threads(x.b) || reads_threads(x.c);
  }
}

}  // namespace lc::ir
