// function_graph call lines, shared by tracefs text and `trace-cmd report`: the part
// after the duration column ("  f() {", "    f(); /* = 0x0 */", "  } /* f = -16 */"), and
// the per-task stacks of open calls that name the function a bare "}" closes.
#pragma once
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "traces/event.h"
#include "traces/read_scan.h"

namespace lc::traces {

struct GraphCall {
  enum What : uint8_t { Entry, Leaf, Exit, Comment, Irq } what = Entry;
  uint32_t function = 0;  // Entry/Leaf; Exit when the tail names it
  uint32_t parent = 0;    // Entry with funcgraph-retaddr ("f() { /* <-caller+0x1f/0x60 */")
  int32_t depth = 0;      // from the indentation
  bool has_retval = false;
  int64_t retval = 0;
  std::string_view comment;  // Comment: the text between "/* " and " */"
};

// Parses the call text; `base` is the indentation of depth 0 (2 after "|  ").
void parse_graph_call(Cursor& c, int base, Symbols& syms, GraphCall& out);

// Open calls per task: Entry pushes, Exit pops to its depth and names the function.
class GraphStacks {
 public:
  void enter(int64_t task, uint32_t function, int32_t depth);
  // The function an exit at `depth` closes (`named` if the line named it), popping the
  // calls it closes; 0 when the capture began inside the call.
  uint32_t exit(int64_t task, uint32_t named, int32_t depth);
  // The calls opened under key `from` belong to `to` (a banner named the task of a CPU).
  void adopt(int64_t from, int64_t to);

 private:
  struct Frame {
    uint32_t function;
    int32_t depth;
  };
  std::unordered_map<int64_t, std::vector<Frame>> stacks_;
};

// The stack key of a task: its pid, or its CPU while the pid is unknown.
inline int64_t graph_task_key(int32_t pid, int32_t cpu) { return pid >= 0 ? int64_t(pid) : -int64_t(cpu) - 2; }

}  // namespace lc::traces
