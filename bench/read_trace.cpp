// lc-read-trace CAPTURE...: reads each capture with the replay's readers and nothing else
// (bench/replay.py times it beside `wc -l`). Prints the events read per kind; exit 2 on
// bad input, as replay.
#include <cstdio>
#include <map>

#include "traces/reader.h"

int main(int argc, char** argv) {
  using namespace lc::traces;
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    try {
      auto r = open_trace(argv[i]);
      Event e;
      std::map<int, unsigned long long> kinds;
      unsigned long long n = 0;
      while (r->next(e)) {
        ++n;
        ++kinds[int(e.kind)];
      }
      printf("%s: %s, %llu events", r->file().c_str(), format_name(r->format()), n);
      for (auto& [k, c] : kinds) printf(" %s=%llu", kind_name(EventKind(k)), c);
      printf("\n");
    } catch (const TraceError& e) {
      fputs(e.render().c_str(), stderr);
      status = 2;
    }
  }
  return status;
}
