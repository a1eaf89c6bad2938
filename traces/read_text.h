// The tracefs text reader: /sys/kernel/tracing/trace (with its "#" header) and
// trace_pipe (without), for the function and function_graph tracers and events.
#pragma once
#include <memory>

#include "traces/read_input.h"
#include "traces/reader.h"

namespace lc::traces {

// A reader of tracefs text from `src` (positioned at the start of the content).
std::unique_ptr<EventReader> make_tracefs_reader(std::unique_ptr<ByteSource> src, const ReadOptions& opt);

}  // namespace lc::traces
