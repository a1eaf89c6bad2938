// The trace.dat reader (versions 6 and 7, compressed or not), through libtracecmd.
#pragma once
#include <memory>

#include "traces/read_input.h"
#include "traces/reader.h"

namespace lc::traces {

// A reader of the trace.dat in `src`. A regular uncompressed file is opened in place;
// standard input and gzip content are first copied to an unlinked temporary file,
// because libtracecmd seeks.
std::unique_ptr<EventReader> make_dat_reader(std::unique_ptr<ByteSource> src, const ReadOptions& opt);

// The first bytes of every trace.dat: "\x17\x08\x44tracing".
bool is_dat_magic(std::string_view head);

}  // namespace lc::traces
