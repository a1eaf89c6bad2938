// The `trace-cmd report` text reader ("cpus=N", then one line per record).
#pragma once
#include <memory>

#include "traces/read_input.h"
#include "traces/reader.h"

namespace lc::traces {

// A reader of `trace-cmd report` output from `src`.
std::unique_ptr<EventReader> make_report_reader(std::unique_ptr<ByteSource> src, const ReadOptions& opt);

}  // namespace lc::traces
