#include "checker/report/view.h"

namespace lc {

std::string where(const ir::Program& p, Span s) {
  auto [l, c] = p.file->line_col(s.begin);
  return p.file->name() + ":" + std::to_string(l) + ":" + std::to_string(c);
}

std::string observed_at(const Observed& o) {
  return o.file + (o.record ? " record " : " line ") + std::to_string(o.line) + " " + o.task;
}

std::string thread_name(const Machine& m, int thread) {
  if (thread < 0 || thread >= m.threads()) return "init";
  return m.program().threads[thread].name;
}

static std::string strip(std::string s) {
  while (!s.empty() && (s.back() == ';' || s.back() == ' ' || s.back() == '\n')) s.pop_back();
  std::string out;
  bool space = false;
  for (char c : s) {  // multi-line statements on one line
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string action_text(const ir::Program& p, const ir::Action& a) {
  switch (a.kind) {
    case ir::Act::Branch:
      return a.msg + " (" + strip(p.text(p.exprs[a.expr].span)) + ") [" + (a.branch_value ? "true" : "false") + "]";
    case ir::Act::Choose: return "choose: " + a.msg;
    case ir::Act::Return:
      if (a.expr < 0 && p.file->slice(a.span) == "}") return "return from " + p.fns[a.callee];
      return strip(p.text(a.span));
    default: return strip(p.text(a.span));
  }
}

static const char* kind_name(ir::Act k) {
  switch (k) {
    case ir::Act::Assign: return "assign";
    case ir::Act::New: return "new";
    case ir::Act::Free: return "free";
    case ir::Act::Lock: return "lock";
    case ir::Act::Unlock: return "unlock";
    case ir::Act::Trylock: return "trylock";
    case ir::Act::Wait: return "wait";
    case ir::Act::Assert: return "assert";
    case ir::Act::Branch: return "branch";
    case ir::Act::Choose: return "choose";
    case ir::Act::Call: return "call";
    case ir::Act::Return: return "return";
    case ir::Act::Skip: return "skip";
  }
  return "?";
}

std::vector<StepView> view_trace(const Machine& m, const Trace& t, bool last_violates) {
  const ir::Program& p = m.program();
  std::vector<StepView> out;
  int n = 0;
  for (size_t i = 0; i < t.steps.size(); ++i) {
    const TraceStep& st = t.steps[i];
    StepView v;
    bool init = st.thread == m.init_thread() || st.thread < 0;
    v.thread = init ? -1 : st.thread;
    v.index = init ? 0 : ++n;
    v.thread_name = thread_name(m, v.thread);
    std::string text;
    for (size_t k = 0; k < st.acts.size(); ++k) {
      const ir::Location& L = m.location(st.thread, st.acts[k].loc);
      const ir::Action& a = L.actions[st.acts[k].action];
      if (k == 0) {
        v.kind = kind_name(a.kind);
        for (int f : p.stacks[L.stack]) v.stack.push_back(p.fns[f]);
        v.depth = int(v.stack.size());
        v.function = v.stack.empty() ? (init ? std::string("init") : p.tmpls[p.threads[st.thread].tmpl].name) : v.stack.back();
        auto [l, c] = p.file->line_col(a.span.begin);
        v.line = l;
        v.col = c;
      }
      if (a.kind == ir::Act::Skip && a.msg.empty() && st.acts.size() > 1) continue;
      text += (text.empty() ? "" : "; ") + action_text(p, a);
    }
    if (st.acts.size() > 1) text = (init ? "init { " : "atomic { ") + text + " }";
    v.text = text;
    if (!init)
      for (int l : m.held_locks(st.after.data(), st.thread)) v.locks.push_back(p.slot_name(l));
    for (const Event& e : st.events) {
      switch (e.kind) {
        case Event::Alloc: v.events.push_back("new " + p.pointer_name(e.value)); break;
        case Event::Free: v.events.push_back("free " + p.pointer_name(e.value)); break;
        case Event::TrylockFail: v.events.push_back("trylock failed: " + p.slot_name(int(e.value))); break;
        default: break;
      }
    }
    v.violating = last_violates && i + 1 == t.steps.size();
    v.observed = st.observed;
    out.push_back(v);
  }
  return out;
}

std::vector<std::string> object_history(const Machine& m, const Trace& t, int64_t instance) {
  const ir::Program& p = m.program();
  std::vector<std::string> out;
  auto views = view_trace(m, t, false);
  for (size_t i = 0; i < t.steps.size(); ++i)
    for (const Event& e : t.steps[i].events) {
      if (e.value != instance || (e.kind != Event::Alloc && e.kind != Event::Free)) continue;
      const StepView& v = views[i];
      std::string what = p.pointer_name(instance) + (e.kind == Event::Alloc ? " was allocated " : " was freed ");
      if (!v.index)
        what += "by init (line " + std::to_string(v.line) + ")";
      else
        what += "at step " + std::to_string(v.index) + " by " + v.thread_name + (v.stack.empty() ? "" : " in " + v.function) + " (" + v.text +
                ", line " + std::to_string(v.line) + ")";
      out.push_back(what);
    }
  return out;
}

StateView view_state(const Machine& m, const std::vector<uint8_t>& s) {
  const ir::Program& p = m.program();
  StateView v;
  struct First : StepSink {
    std::vector<uint8_t> state;
    size_t n = 0;
    void successor(const uint8_t* s, const StepInfo&) override {
      if (state.empty()) state.assign(s, s + n);
    }
  } init;
  init.n = m.state_size();
  m.initial(init);
  std::vector<bool> is_pc(p.slots.size(), false);
  for (int t = 0; t < m.threads(); ++t) {
    is_pc[p.threads[t].pc_slot] = true;
    const ir::ThreadTmpl& T = p.tmpls[p.threads[t].tmpl];
    int loc = m.pc(s.data(), t);
    std::string at = "finished";
    if (loc != T.end) {
      const ir::Location& L = T.locs[loc];
      at = L.actions.empty() ? where(p, T.span) : where(p, L.actions[0].span) + " '" + action_text(p, L.actions[0]) + "'";
      if (loc == T.entry) at += " (not started)";
    }
    v.threads.push_back({thread_name(m, t), at});
  }
  if (p.init_pc_slot >= 0) is_pc[p.init_pc_slot] = true;
  // A thread's locals are shown by the names in scope at its position; a slot no local in
  // scope uses holds nothing meaningful there (in a made-up induction state, anything).
  std::vector<bool> is_local(p.slots.size(), false);
  std::vector<std::string> local_name(p.slots.size());
  std::vector<ir::Type> type(p.slots.size());
  for (size_t j = 0; j < p.slots.size(); ++j) type[j] = p.slots[j].type;
  auto mark_locals = [&](const ir::ThreadTmpl& T, int base) {
    for (size_t i = 0; i < T.locals.size(); ++i) is_local[base + i] = true;
  };
  for (int t = 0; t < m.threads(); ++t) {
    const ir::ThreadInst& th = p.threads[t];
    const ir::ThreadTmpl& T = p.tmpls[th.tmpl];
    mark_locals(T, th.local_base);
    int loc = m.pc(s.data(), t);
    if (loc >= 0)
      for (const auto& in : T.scope(loc)) {
        local_name[th.local_base + in.local] = th.name + "." + in.name;
        type[th.local_base + in.local] = in.type;
      }
  }
  if (p.init_tmpl >= 0) mark_locals(p.tmpls[p.init_tmpl], p.init_local_base);
  std::vector<bool> is_status(p.slots.size(), false);
  for (const auto& k : p.kinds)
    for (int i = 0; i < k.max; ++i) is_status[k.first_slot + i * k.stride] = true;
  for (size_t j = 0; j < p.slots.size(); ++j) {
    if (is_pc[j] || (is_local[j] && local_name[j].empty())) continue;
    int64_t x = m.get(s.data(), int(j));
    if (!init.state.empty() && x == m.get(init.state.data(), int(j))) continue;
    std::string val;
    if (is_status[j]) {
      val = x == ir::kAlive ? "allocated" : x == ir::kFreed ? "freed" : "unallocated";
    } else switch (type[j]) {
      case ir::Type::Ptr: val = p.pointer_name(x); break;
      case ir::Type::Bool: val = x ? "true" : "false"; break;
      case ir::Type::Lock: val = x ? "held by " + thread_name(m, int(x) - 1) : "free"; break;
      default: val = std::to_string(x);
    }
    v.values.push_back({is_local[j] ? local_name[j] : p.slot_name(int(j)), val});
  }
  return v;
}

}  // namespace lc
