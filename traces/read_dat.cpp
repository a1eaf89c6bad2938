#include "traces/read_dat.h"

#include <fcntl.h>
#include <unistd.h>

// trace-cmd.h includes tracefs.h, whose inline helpers pass an int where C++ wants an
// enum: this file is built with -fpermissive (traces/CMakeLists.txt).
#include <trace-cmd/trace-cmd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "traces/read_merge.h"

namespace lc::traces {

namespace {

constexpr std::string_view kDatMagic("\x17\x08\x44tracing", 10);

// libtracecmd prints to stdout while it opens a file ("CPU 1 is empty", "File possibly
// truncated ..."): that would corrupt our own output (JSON, reports), so it goes to
// /dev/null for the duration.
class QuietStdout {
 public:
  QuietStdout() {
    std::fflush(stdout);
    saved_ = ::dup(1);
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null >= 0) ::dup2(null, 1);
    if (null >= 0) ::close(null);
  }
  ~QuietStdout() {
    std::fflush(stdout);
    if (saved_ >= 0) ::dup2(saved_, 1), ::close(saved_);
  }

 private:
  int saved_;
};

// A temporary copy of a stream (stdin, gzip content): libtracecmd needs a file it can seek.
std::string spool(ByteSource& src) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/lifecheck-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0)
    throw TraceError(src.shown(), 0, 0, std::string("cannot create a temporary copy: ") + std::strerror(errno));
  std::vector<char> buf(1 << 20);
  try {
    for (size_t n; (n = src.read(buf.data(), buf.size())) > 0;)
      for (size_t off = 0; off < n;) {
        ssize_t w = ::write(fd, buf.data() + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
          throw TraceError(src.shown(), 0, 0, std::string("cannot write a temporary copy: ") + std::strerror(errno));
        off += size_t(w);
      }
  } catch (...) {
    ::close(fd);
    ::unlink(path.c_str());
    throw;
  }
  ::close(fd);
  return path;
}

// What one event type of the file is to us, worked out once per type.
struct EventType {
  enum Kind : uint8_t { Function, GraphEntry, GraphExit, Print, Probe, ReturnProbe, Other } kind = Other;
  tep_event* ev = nullptr;
  uint32_t system = 0, name = 0;
  tep_format_field *a = nullptr, *b = nullptr, *c = nullptr;  // the kind's own fields (ip, parent_ip, ...)
  struct Arg {
    tep_format_field* f;
    uint32_t name;
  };
  std::vector<Arg> args;  // the fields shown as Event fields
  bool lock = false;      // lock:* : `name` is also given as `lock`, as the text readers do
  bool quote_strings = false;
};

class DatReader final : public MergingReader {
 public:
  DatReader(std::unique_ptr<ByteSource> src, const ReadOptions& opt);
  ~DatReader() override;
  Format format() const override { return Format::TraceDat; }

 protected:
  bool fill() override;

 private:
  [[noreturn]] void fail(const std::string& message) const { throw TraceError(shown_, index_, 0, message, "", true); }
  const EventType& type_of(tep_record* r);
  void convert(tep_record* r, const EventType& t, Event& e);
  uint64_t number(tep_record* r, const tep_format_field* f) const;
  std::string_view string_of(tep_record* r, const tep_format_field* f) const;
  void add_arg(tep_record* r, const EventType::Arg& a, bool quote, Event& e);
  uint32_t function_name(uint64_t addr);
  uint32_t site(uint64_t addr);
  uint32_t comm_of(int pid);

  std::unique_ptr<ByteSource> src_;
  tracecmd_input* handle_ = nullptr;
  tep_handle* tep_ = nullptr;
  std::vector<tep_record*> heads_;  // the next record of each CPU
  std::unordered_map<int, EventType> types_;
  std::unordered_map<uint64_t, uint32_t> functions_, sites_;
  std::unordered_map<int, uint32_t> comms_;
  trace_seq seq_{};
  uint32_t index_ = 0;  // 1-based index of the record being read
  uint32_t id_lock_ = 0, id_name_ = 0;
};

DatReader::DatReader(std::unique_ptr<ByteSource> src, const ReadOptions& opt)
    : MergingReader(src->shown(), opt), src_(std::move(src)) {
  binary_ = true;
  tracecmd_set_loglevel(TEP_LOG_NONE);
  tep_set_loglevel(TEP_LOG_NONE);
  bool temp = src_->from_stdin() || src_->gzip();
  std::string path = temp ? spool(*src_) : src_->path();
  {
    QuietStdout quiet;
    handle_ = tracecmd_open_head(path.c_str(), TRACECMD_FL_LOAD_NO_PLUGINS);
    if (temp) ::unlink(path.c_str());  // libtracecmd holds the file open
    if (!handle_) fail("cannot read the trace.dat headers (truncated or corrupt file)");
    int ret = tracecmd_init_data(handle_);
    if (ret != 0) {
      // libtracecmd 3.1 crashes closing a handle whose init failed (its per-CPU data is
      // gone): the handle is left allocated, only its event parser (the bulk: kallsyms,
      // formats) is freed.
      tep_free(tracecmd_get_tep(handle_));
      handle_ = nullptr;
      fail(ret > 0 ? "trace.dat holds a latency trace (text), which is not read"
                   : "cannot read the trace.dat data sections (truncated or corrupt file)");
    }
  }
  tep_ = tracecmd_get_tep(handle_);
  int cpus = tep_get_cpus(tep_);
  if (cpus < 0 || cpus > 8192) {
    tracecmd_close(handle_);
    handle_ = nullptr;
    fail("implausible CPU count " + std::to_string(cpus));
  }
  heads_.resize(size_t(cpus));
  for (int cpu = 0; cpu < cpus; ++cpu) heads_[size_t(cpu)] = tracecmd_read_data(handle_, cpu);
  trace_seq_init(&seq_);
  id_lock_ = symbols_.intern("lock");
  id_name_ = symbols_.intern("name");
}

DatReader::~DatReader() {
  for (tep_record* r : heads_)
    if (r) tracecmd_free_record(r);
  trace_seq_destroy(&seq_);
  if (handle_) tracecmd_close(handle_);
}

bool DatReader::fill() {
  // The per-CPU streams are each in time order: take the oldest head (ties: lower CPU,
  // as trace-cmd report does).
  int best = -1;
  for (size_t cpu = 0; cpu < heads_.size(); ++cpu)
    if (heads_[cpu] && (best < 0 || heads_[cpu]->ts < heads_[size_t(best)]->ts)) best = int(cpu);
  if (best < 0) return false;
  tep_record* r = heads_[size_t(best)];
  ++index_;
  if (r->missed_events != 0) {
    Event& lost = slot();
    lost.kind = EventKind::Lost;
    lost.ts_ns = r->ts;
    lost.cpu = best;
    lost.lost = r->missed_events > 0 ? uint64_t(r->missed_events) : 0;
    lost.line = index_;
    emit(lost);
  }
  Event& e = slot();
  e.ts_ns = r->ts;
  e.cpu = best;
  e.line = index_;
  e.pid = tep_data_pid(tep_, r);
  e.comm = comm_of(e.pid);
  convert(r, type_of(r), e);
  emit(e);
  tracecmd_free_record(r);
  heads_[size_t(best)] = tracecmd_read_data(handle_, best);
  return true;
}

const EventType& DatReader::type_of(tep_record* r) {
  int id = tep_data_type(tep_, r);
  auto it = types_.find(id);
  if (it != types_.end()) return it->second;
  tep_event* ev = tep_find_event(tep_, id);
  if (!ev) fail("unknown event type " + std::to_string(id) + " (corrupt record)");
  EventType t;
  t.ev = ev;
  std::string_view sys = ev->system ? ev->system : "", name = ev->name ? ev->name : "";
  t.system = symbols_.intern(sys);
  t.name = symbols_.intern(name);
  auto field = [&](const char* n) { return tep_find_field(ev, n); };
  if (sys == "ftrace" && name == "function")
    t.kind = EventType::Function, t.a = field("ip"), t.b = field("parent_ip");
  else if (sys == "ftrace" && name == "funcgraph_entry")
    t.kind = EventType::GraphEntry, t.a = field("func"), t.b = field("depth");
  else if (sys == "ftrace" && name == "funcgraph_exit")
    t.kind = EventType::GraphExit, t.a = field("func"), t.b = field("depth"), t.c = field("retval");
  else if (sys == "ftrace" && name == "print")
    t.kind = EventType::Print, t.a = field("buf");
  else if ((t.a = field("__probe_ip")))
    t.kind = EventType::Probe;
  else if ((t.a = field("__probe_func")) && (t.b = field("__probe_ret_ip")))
    t.kind = EventType::ReturnProbe;
  else
    t.a = t.b = nullptr;
  bool own_fields = t.kind == EventType::Probe || t.kind == EventType::ReturnProbe || t.kind == EventType::Other;
  if (own_fields) {
    tep_format_field** fields = tep_event_fields(ev);
    for (size_t i = 0; fields && fields[i]; ++i)
      if (std::strncmp(fields[i]->name, "__probe_", 8) != 0)
        t.args.push_back({fields[i], symbols_.intern(fields[i]->name)});
    std::free(fields);
  }
  t.lock = sys == "lock";
  t.quote_strings = t.kind == EventType::Probe || t.kind == EventType::ReturnProbe;  // kprobes print "%s" in quotes
  return types_.emplace(id, std::move(t)).first->second;
}

uint64_t DatReader::number(tep_record* r, const tep_format_field* f) const {
  if (!f) return 0;
  int size = f->size;
  if (f->offset < 0 || size <= 0 || f->offset + size > r->size)
    fail(std::string("record too short for field ") + f->name);
  if (size != 1 && size != 2 && size != 4 && size != 8) return 0;
  uint64_t v = tep_read_number(tep_, static_cast<const char*>(r->data) + f->offset, size);
  if ((f->flags & TEP_FIELD_IS_SIGNED) && size < 8) {  // sign-extend: an s32 -16 is -16
    uint64_t sign = 1ull << (size * 8 - 1);
    v = (v ^ sign) - sign;
  }
  return v;
}

std::string_view DatReader::string_of(tep_record* r, const tep_format_field* f) const {
  const char* data = static_cast<const char*>(r->data);
  int off = f->offset, len = f->size;
  if (f->flags & TEP_FIELD_IS_DYNAMIC) {  // __data_loc: 16-bit length << 16 | 16-bit offset
    uint64_t loc = number(r, f);
    off = int(loc & 0xffff);
    len = int(loc >> 16);
    if (f->flags & TEP_FIELD_IS_RELATIVE) off += f->offset + f->size;
  } else if (len == 0) {
    len = r->size - off;  // "char buf[]": the rest of the record (ftrace print)
  }
  if (off < 0 || len < 0 || off + len > r->size) fail(std::string("record too short for field ") + f->name);
  std::string_view s(data + off, size_t(len));
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

void DatReader::add_arg(tep_record* r, const EventType::Arg& a, bool quote, Event& e) {
  const tep_format_field* f = a.f;
  Field out;
  out.name = a.name;
  bool is_string = (f->flags & TEP_FIELD_IS_STRING) || ((f->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC)) &&
                                                        f->elementsize == 1 && std::strstr(f->type, "char"));
  if (is_string) {
    std::string_view s = string_of(r, f);
    if (quote) {
      std::string q;
      q.reserve(s.size() + 2);
      q.append(1, '"').append(s).append(1, '"');
      out.text = symbols_.intern(q);
    } else {
      out.text = symbols_.intern(s);
    }
  } else if (f->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC)) {
    // A numeric array: "{1,2}" as kprobes print it.
    std::string text(1, '{');
    int elem = f->elementsize > 0 ? int(f->elementsize) : 1;
    const char* data = static_cast<const char*>(r->data);
    if (f->offset + f->size > r->size) fail(std::string("record too short for field ") + f->name);
    for (int i = 0; i + elem <= f->size && (elem == 1 || elem == 2 || elem == 4 || elem == 8); i += elem)
      text.append(i ? "," : "").append(std::to_string(tep_read_number(tep_, data + f->offset + i, elem)));
    text.append(1, '}');
    out.text = symbols_.intern(text);
  } else {
    out.numeric = true;
    out.value = int64_t(number(r, f));
  }
  e.fields.push_back(out);
  if (is_string && a.name == id_name_ && e.system == id_lock_) e.fields.push_back(Field{id_lock_, false, 0, out.text});
}

// A function_graph return value as tracefs shows it with funcgraph-retval: an error code
// (a 32-bit negative value, sign-extended) as a negative number, anything else as is.
int64_t graph_retval(uint64_t raw) {
  int64_t v = int64_t(raw);
  if ((raw & 0x80000000ull) && (raw >> 32) == 0) v = int64_t(int32_t(uint32_t(raw)));
  return v < 0 && v >= -4095 ? v : int64_t(raw);
}

void DatReader::convert(tep_record* r, const EventType& t, Event& e) {
  switch (t.kind) {
    case EventType::Function:
      e.kind = EventKind::Entry;
      e.function = function_name(number(r, t.a));
      if (!e.function) e.address = number(r, t.a);
      e.parent = function_name(number(r, t.b));
      return;
    case EventType::GraphEntry:
    case EventType::GraphExit:
      e.kind = t.kind == EventType::GraphEntry ? EventKind::Entry : EventKind::Exit;
      e.function = function_name(number(r, t.a));
      e.depth = int32_t(number(r, t.b));
      if (t.c) e.has_retval = true, e.retval = graph_retval(number(r, t.c));
      return;
    case EventType::Print: {
      e.kind = EventKind::Marker;
      std::string_view s = t.a ? string_of(r, t.a) : std::string_view();
      while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
      e.text = symbols_.intern(s);
      return;
    }
    default: break;
  }
  e.system = t.system;
  e.name = t.name;
  if (t.kind == EventType::Probe) {
    e.kind = EventKind::Probe;
    e.address = number(r, t.a);
    unsigned long long start = 0;
    unsigned long size = 0;
    const char* name = nullptr;
    if (tep_find_function_info(tep_, e.address, &name, &start, &size) && name) {
      e.function = symbols_.intern(name);
      e.offset = e.address - start;
    }
  } else if (t.kind == EventType::ReturnProbe) {
    e.kind = EventKind::ReturnProbe;
    e.address = number(r, t.a);
    e.function = function_name(e.address);
    e.parent = site(number(r, t.b));
  } else {
    e.kind = EventKind::Tracepoint;
    trace_seq_reset(&seq_);
    tep_print_event(tep_, &seq_, r, "%s", TEP_PRINT_INFO);
    e.text = symbols_.intern(std::string_view(seq_.buffer ? seq_.buffer : "", seq_.len));
  }
  for (const auto& a : t.args) add_arg(r, a, t.quote_strings, e);
}

// The function at `addr` by the file's kallsyms, or 0.
uint32_t DatReader::function_name(uint64_t addr) {
  auto it = functions_.find(addr);
  if (it != functions_.end()) return it->second;
  const char* name = tep_find_function(tep_, addr);
  uint32_t id = name ? symbols_.intern(name) : 0;
  functions_.emplace(addr, id);
  return id;
}

// A return site as the kernel prints it for kretprobes: "misc_open+0xd1/0x110".
uint32_t DatReader::site(uint64_t addr) {
  auto it = sites_.find(addr);
  if (it != sites_.end()) return it->second;
  unsigned long long start = 0;
  unsigned long size = 0;
  const char* name = nullptr;
  char buf[512];
  if (tep_find_function_info(tep_, addr, &name, &start, &size) && name)
    std::snprintf(buf, sizeof buf, "%s+0x%llx/0x%lx", name, (unsigned long long)(addr - start), size);
  else
    std::snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)addr);
  uint32_t id = symbols_.intern(buf);
  sites_.emplace(addr, id);
  return id;
}

uint32_t DatReader::comm_of(int pid) {
  auto it = comms_.find(pid);
  if (it != comms_.end()) return it->second;
  const char* comm = tep_data_comm_from_pid(tep_, pid);
  uint32_t id = symbols_.intern(comm ? comm : "<...>");
  comms_.emplace(pid, id);
  return id;
}

}  // namespace

bool is_dat_magic(std::string_view head) { return head.substr(0, kDatMagic.size()) == kDatMagic; }

std::unique_ptr<EventReader> make_dat_reader(std::unique_ptr<ByteSource> src, const ReadOptions& opt) {
  return std::make_unique<DatReader>(std::move(src), opt);
}

}  // namespace lc::traces
