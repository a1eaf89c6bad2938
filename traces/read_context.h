// The context columns that start every event line of tracefs text and `trace-cmd report`:
// "TASK-PID [(TGID)] [CPU] [FLAGS] TIMESTAMP: ".
#pragma once
#include <cstdint>
#include <string_view>

#include "traces/read_scan.h"

namespace lc::traces {

struct Context {
  std::string_view comm;  // as printed, may contain spaces and dashes ("<...>", "iommufd_fail_nt")
  int32_t pid = -1, tgid = -1, cpu = -1;
  uint64_t ts_ns = 0;
  uint32_t ts_col = 0;  // column of the timestamp (for out-of-order diagnostics)
};

// Parses the context columns and leaves `c` at the first character of the event body.
// `bare_cpu` also accepts the cpu as a plain number ("%3d", trace-cmd report -l).
// Throws LineError at the first character that does not fit.
void parse_context(Cursor& c, Context& out, bool bare_cpu);

// Splits "comm-pid" at its last '-' (comm may contain '-'); false if there is no pid.
bool split_task(std::string_view task, std::string_view& comm, int32_t& pid);

}  // namespace lc::traces
