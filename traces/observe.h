// From events to observations: what a capture says about the model. An observation is one
// entry into, or return from, a model function by one task, with the fields the capture
// shows; the function tracer's event and a kprobe's event of the same call are one
// observation. Everything else (functions the model does not have, tracepoints, markers)
// is skipped and counted.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/ir.h"
#include "traces/probes.h"
#include "traces/reader.h"

namespace lc::traces {

// A field of an observation, with what the capture's probe definition says it reads.
struct ObsField {
  uint32_t name = 0;  // the model's field or parameter name (Symbols id, after trace { field })
  int64_t value = 0;
  enum Source : uint8_t {
    ByName,       // no definition: a parameter of that name, else a field of a pointer argument
    Param,        // a parameter (the definition fetches an argument register)
    ParamField,   // a field of the object parameter `base` points to
    Result,       // the return value
    ResultField,  // a field of the returned object
  } source = ByName;
  uint32_t base = 0;  // ParamField: the parameter's name (Symbols id)
};

struct Observation {
  uint32_t task = 0;        // index into Tasks
  bool leave = false;       // false: entry, true: return
  uint32_t kfn = 0;         // kernel function (Symbols id, clone suffix stripped)
  bool has_retval = false;  // function_graph return value (raw register)
  int64_t retval = 0;
  std::vector<ObsField> fields;  // probe fields
  uint64_t ts_ns = 0;
  int32_t cpu = -1;
  uint32_t line = 0;    // of its first event
  uint32_t events = 1;  // events merged into it
  uint8_t sources = 0;  // bit 0: function/graph tracer, bit 1: probe
};

struct TaskInfo {
  int32_t pid = -1;
  uint32_t comm = 0;             // Symbols id
  uint32_t first = 0, last = 0;  // observation indices
  uint32_t count = 0;
  std::vector<uint32_t> kfns;  // kernel functions it calls (sorted Symbols ids)
};

// A span of observations where events of `cpu` were lost: matching is relaxed there.
struct LostSpan {
  int32_t cpu = -1;
  uint64_t events = 0;        // how many were lost (0: unknown)
  uint32_t line = 0;          // the marker's line
  uint32_t from = 0, to = 0;  // observation indices [from, to): the CPU's neighbours
};

// What was skipped, and why: for the report.
struct Skipped {
  std::map<std::string, uint64_t> functions;  // a function the model does not have -> events
  std::map<std::string, uint64_t> events;     // tracepoints, probes with no known function, inner probes
  std::map<std::string, uint64_t> fields;     // "obj_alloc.size": fields compared with nothing
  uint64_t markers = 0, unmapped_tasks = 0;
  std::vector<std::string> marker_texts;  // the first few trace_marker messages
};

// The model's side of the mapping: for each kernel function name, the model functions that
// stand for it, and how trace field names read in the model.
struct ModelNames {
  explicit ModelNames(const ir::Program& p, Symbols& syms);
  const ir::Program& program;
  std::vector<uint32_t> kname;                              // per model function: kernel name (Symbols id)
  std::unordered_map<uint32_t, std::vector<int>> fns_of;    // kernel name -> model functions
  std::unordered_map<uint32_t, uint32_t> field_alias;       // capture field name -> model field name
  std::map<std::string, std::pair<int, bool>> event_rules;  // trace { event } -> (fn, return)
  std::vector<uint32_t> result_field;                       // per fn: trace { result } field (0: default)
};

// "iommufd_device_change_pt.constprop.0" -> "iommufd_device_change_pt".
std::string base_function(const std::string& name);

// Turns a capture into observations, streaming. The mapper reads ahead of what it hands
// out so that a kprobe event and the function tracer's event of the same call merge even
// with other CPUs' events between them.
class Mapper {
 public:
  Mapper(std::unique_ptr<EventReader> reader, const ir::Program& p, const ProbeDefs& probes, uint64_t window_ns);
  // Observation i, reading as far as needed; nullptr past the end of the capture.
  const Observation* get(uint32_t i);
  // Drops observations before i (the search no longer needs them).
  void release(uint32_t i);
  // True once every event is read; then total() is the number of observations.
  bool done() const { return eof_; }
  uint32_t total() const { return next_index_; }
  const std::vector<TaskInfo>& tasks() const { return tasks_; }
  const std::vector<LostSpan>& lost() const { return lost_; }
  const Skipped& skipped() const { return skipped_; }
  uint64_t events_read() const { return events_; }
  Symbols& symbols() { return reader_->symbols(); }
  const std::string& file() const { return reader_->file(); }
  Format format() const { return reader_->format(); }
  const ModelNames& names() const { return names_; }
  // Reads the whole capture (pass 1: tasks, observable functions, lost spans).
  void read_all();
  // The capture's text for an observation ("iommufd_object_remove obj=0xffff88812932ea00 flags=1").
  std::string describe(const Observation& o);

 private:
  bool pull();  // maps one more event; false at the end
  void map_event(const Event& e);
  // Appends e's fields to o, each classified against the model function `fn`: a
  // parameter, a field of an object parameter, the result or a field of it. A field the
  // model has nothing for is counted in skipped().fields and dropped.
  void add_fields(Observation& o, const Event& e, const ProbeDef* def, int fn);
  uint32_t task_index(const Event& e);

  std::unique_ptr<EventReader> reader_;
  const ir::Program& p_;
  const ProbeDefs& probes_;
  ModelNames names_;
  uint64_t window_ns_;
  std::deque<Observation> buf_;   // observations [base_, next_index_)
  std::deque<uint64_t> read_at_;  // per buffered observation: events read when it was made
  uint32_t base_ = 0, next_index_ = 0;
  bool eof_ = false;
  uint64_t events_ = 0, last_ts_ = 0;
  std::vector<TaskInfo> tasks_;
  std::unordered_map<int64_t, uint32_t> task_of_pid_;
  // Per task: its last observation and the source that made it (a merge candidate until the
  // task's next event).
  std::vector<std::pair<uint32_t, uint8_t>> open_;
  std::vector<uint32_t> lost_open_;  // lost spans waiting for their CPU's next observation
  std::vector<LostSpan> lost_;
  Skipped skipped_;
  Event ev_;
  uint32_t sym_ret_ = 0, sym_retval_ = 0;
};

}  // namespace lc::traces
