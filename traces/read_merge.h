// Merging events by timestamp with a bounded reorder window, and the reader base that
// every format shares: a format only produces events in file order, the base emits them
// sorted by (timestamp, file order).
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "traces/reader.h"

namespace lc::traces {

// Resets `e` to a default Event, keeping the capacity of its fields vector.
void reset_event(Event& e);

// Up to `window` events waiting, kept sorted by (timestamp, arrival); the oldest leaves
// when the window is full or at the end. Events are pooled: no allocation once warm.
class ReorderBuffer {
 public:
  explicit ReorderBuffer(size_t window);
  // A reset event to fill; it enters the buffer with commit().
  Event& slot();
  // Files the slot filled last. False (the event is dropped) when it is older than an
  // event already emitted: the disorder is larger than the window. An event without a
  // timestamp (has_ts false) keeps its place in file order.
  bool commit();
  // Whether `e` is older than an event already emitted (commit would drop it).
  bool too_old(const Event& e) const;
  bool full() const { return order_.size() > window_; }
  bool empty() const { return order_.empty(); }
  // Moves the oldest event into `out` (swapped, so capacities circulate); false if empty.
  bool pop(Event& out);
  // The timestamp and line of the newest event emitted so far (for diagnostics).
  uint64_t emitted_ts() const { return emitted_ts_; }
  uint32_t emitted_line() const { return emitted_line_; }
  size_t window() const { return window_; }

 private:
  struct Key {
    uint64_t ts, seq;
    bool operator<(const Key& o) const { return ts != o.ts ? ts < o.ts : seq < o.seq; }
  };
  size_t window_;
  std::vector<Event> slots_;
  std::vector<Key> keys_;
  std::vector<uint32_t> free_;
  std::deque<uint32_t> order_;  // slot indexes, sorted by key
  uint32_t filling_ = UINT32_MAX;
  uint64_t seq_ = 0, last_key_ts_ = 0, emitted_ts_ = 0;
  uint32_t emitted_line_ = 0;
  bool emitted_any_ = false;
};

// The base of the three readers: next() pulls events from fill() into the reorder buffer.
class MergingReader : public EventReader {
 public:
  MergingReader(std::string shown, const ReadOptions& opt) : shown_(std::move(shown)), buffer_(opt.reorder_window) {}
  bool next(Event& e) final;
  const std::string& file() const final { return shown_; }

 protected:
  // Reads on until at least one event was committed (through emit) or the input ends;
  // false at the end.
  virtual bool fill() = 0;
  // A reset event to fill and then emit().
  Event& slot() { return buffer_.slot(); }
  // Commits the slot `e`; throws the out-of-order TraceError at e.line:col (`line_text`
  // is the line for the caret; empty for trace.dat).
  void emit(const Event& e, std::string_view line_text = {}, uint32_t col = 0);
  // The message of that error.
  std::string too_old_message(const Event& e) const;
  // Holds a "[LOST n EVENTS]" line (cpu -1 if the line did not say) until the next event
  // is known: the Lost event takes that event's timestamp (and cpu when it had none), so
  // it stays just before it in the merged order.
  void hold_lost(int32_t cpu, uint64_t count, uint32_t line);
  // Emits the held Lost events before an event at `ts` on `cpu`.
  void flush_lost(uint64_t ts, bool has_ts, int32_t cpu);
  // Emits held Lost events at the end of the input (at the last timestamp seen).
  bool flush_lost_at_end();
  // The Symbols id of a task name; the same task repeats, so the last one is cached.
  uint32_t intern_comm(std::string_view comm);
  std::string shown_;
  ReorderBuffer buffer_;
  bool binary_ = false;   // trace.dat: positions are record indexes
  uint64_t last_ts_ = 0;  // of the last event emitted through flush_lost's callers
  bool last_has_ts_ = true;

 private:
  struct HeldLost {
    int32_t cpu;
    uint64_t count;
    uint32_t line;
  };
  bool ended_ = false;
  std::vector<HeldLost> held_;
  std::string last_comm_;
  uint32_t last_comm_id_ = 0;
};

}  // namespace lc::traces
