#include "traces/read_merge.h"

#include <algorithm>
#include <cstdio>

namespace lc::traces {

void reset_event(Event& e) {
  std::vector<Field> fields = std::move(e.fields);
  fields.clear();
  e = Event{};
  e.fields = std::move(fields);
}

ReorderBuffer::ReorderBuffer(size_t window) : window_(window) {}

Event& ReorderBuffer::slot() {
  if (filling_ == UINT32_MAX) {
    if (free_.empty()) {
      slots_.emplace_back();
      keys_.emplace_back();
      filling_ = uint32_t(slots_.size() - 1);
    } else {
      filling_ = free_.back();
      free_.pop_back();
    }
  }
  Event& e = slots_[filling_];
  reset_event(e);
  return e;
}

bool ReorderBuffer::commit() {
  uint32_t i = filling_;
  filling_ = UINT32_MAX;
  const Event& e = slots_[i];
  uint64_t ts = e.has_ts ? e.ts_ns : last_key_ts_;
  if (emitted_any_ && ts < emitted_ts_) {
    free_.push_back(i);
    return false;
  }
  last_key_ts_ = ts;
  keys_[i] = Key{ts, seq_++};
  // Captures are nearly sorted: the new event almost always goes at the back.
  if (order_.empty() || !(keys_[i] < keys_[order_.back()])) {
    order_.push_back(i);
  } else {
    auto at =
        std::upper_bound(order_.begin(), order_.end(), i, [&](uint32_t a, uint32_t b) { return keys_[a] < keys_[b]; });
    order_.insert(at, i);
  }
  return true;
}

bool ReorderBuffer::too_old(const Event& e) const { return e.has_ts && emitted_any_ && e.ts_ns < emitted_ts_; }

bool ReorderBuffer::pop(Event& out) {
  if (order_.empty()) return false;
  uint32_t i = order_.front();
  order_.pop_front();
  std::swap(out, slots_[i]);
  emitted_ts_ = keys_[i].ts;
  emitted_line_ = out.line;
  emitted_any_ = true;
  free_.push_back(i);
  return true;
}

bool MergingReader::next(Event& e) {
  while (!ended_ && !buffer_.full())
    if (!fill()) ended_ = true;
  return buffer_.pop(e);
}

static std::string seconds(uint64_t ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%llu.%09llu", (unsigned long long)(ns / 1000000000),
                (unsigned long long)(ns % 1000000000));
  return buf;
}

std::string MergingReader::too_old_message(const Event& e) const {
  return "event at " + seconds(e.ts_ns) + " is older than one already read (" + seconds(buffer_.emitted_ts()) +
         (binary_ ? ", record " : ", line ") + std::to_string(buffer_.emitted_line()) +
         "): out of order by more than the reorder window (" + std::to_string(buffer_.window()) + " events)";
}

void MergingReader::emit(const Event& e, std::string_view line_text, uint32_t col) {
  if (buffer_.too_old(e)) throw TraceError(shown_, e.line, col, too_old_message(e), std::string(line_text), binary_);
  buffer_.commit();
}

void MergingReader::hold_lost(int32_t cpu, uint64_t count, uint32_t line) { held_.push_back({cpu, count, line}); }

void MergingReader::flush_lost(uint64_t ts, bool has_ts, int32_t cpu) {
  if (has_ts) last_ts_ = ts;
  last_has_ts_ = has_ts;
  for (const HeldLost& h : held_) {
    Event& e = slot();
    e.kind = EventKind::Lost;
    e.ts_ns = ts;
    e.has_ts = has_ts;
    e.cpu = h.cpu >= 0 ? h.cpu : cpu;
    e.lost = h.count;
    e.line = h.line;
    buffer_.commit();
  }
  held_.clear();
}

bool MergingReader::flush_lost_at_end() {
  if (held_.empty()) return false;
  flush_lost(last_ts_, last_has_ts_, -1);
  return true;
}

uint32_t MergingReader::intern_comm(std::string_view comm) {
  if (comm != last_comm_) {
    last_comm_.assign(comm);
    last_comm_id_ = symbols_.intern(comm);
  }
  return last_comm_id_;
}

}  // namespace lc::traces
