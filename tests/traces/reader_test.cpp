#include "traces/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace lc::traces;
namespace fs = std::filesystem;

namespace {

// A scratch directory for the files a test writes, removed at exit.
const fs::path& scratch() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("lc_traces_test_" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(fs::temp_directory_path() / ("lc_traces_test_" + std::to_string(::getpid())), ec);
    });
    return d;
  }();
  return dir;
}

std::string write_file(const std::string& name, const std::string& bytes) {
  std::string path = (scratch() / name).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string gzip(const std::string& name, const std::string& bytes) {
  std::string path = (scratch() / name).string();
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
  return path;
}

// The real captures live next to the source tree (tests/support.h is not included: these
// tests need neither the model nor the checker).
std::string shared(const std::string& file) { return std::string(LC_SOURCE_DIR) + "/../shared/traces/" + file; }

// One event as a line of text: the kind, then only the members that are set.
std::string describe(const EventReader& r, const Event& e) {
  const Symbols& s = r.symbols();
  std::string out = kind_name(e.kind);
  auto add = [&](const std::string& k, const std::string& v) { out += " " + k + "=" + v; };
  auto hex = [](uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
    return std::string(b);
  };
  if (e.has_ts) add("ts", std::to_string(e.ts_ns));
  if (e.cpu >= 0) add("cpu", std::to_string(e.cpu));
  if (e.pid >= 0) add("pid", std::to_string(e.pid));
  if (e.tgid >= 0) add("tgid", std::to_string(e.tgid));
  if (e.comm) add("comm", s.str(e.comm));
  if (e.function) add("fn", s.str(e.function));
  if (e.address) add("addr", hex(e.address));
  if (e.offset) add("off", hex(e.offset));
  if (e.parent) add("parent", s.str(e.parent));
  if (e.system) add("sys", s.str(e.system));
  if (e.name) add("name", s.str(e.name));
  if (e.depth >= 0) add("depth", std::to_string(e.depth));
  if (e.has_retval) add("ret", std::to_string(e.retval));
  if (e.kind == EventKind::Lost) add("lost", std::to_string(e.lost));
  if (e.text) add("text", "\"" + s.str(e.text) + "\"");
  for (const Field& f : e.fields) add("." + s.str(f.name), f.numeric ? std::to_string(f.value) : s.str(f.text));
  add("line", std::to_string(e.line));
  return out;
}

std::vector<std::string> read_path(const std::string& path, size_t window = 4096) {
  ReadOptions opt;
  opt.reorder_window = window;
  auto r = open_trace(path, "t.txt", opt);
  std::vector<std::string> out;
  Event e;
  while (r->next(e)) out.push_back(describe(*r, e));
  return out;
}

std::vector<std::string> read_text(const std::string& text, size_t window = 4096) {
  return read_path(write_file("t.txt", text), window);
}

// The rendered TraceError of reading `path` to the end ("" if there is none).
std::string error_of_path(const std::string& path, const std::string& shown = "t.txt") {
  try {
    auto r = open_trace(path, shown);
    Event e;
    while (r->next(e)) {
    }
  } catch (const TraceError& err) {
    return err.render();
  }
  return "";
}

std::string error_of(const std::string& text) { return error_of_path(write_file("t.txt", text)); }

using Lines = std::vector<std::string>;

std::string tlc_slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("traces: function tracer lines with parent, flags columns, tgid and odd task names", "[traces]") {
  Lines got = read_text(
      "# tracer: function\n"
      "#\n"
      "         iommufd-56      [001] ...1.     5.494871: iommufd_fops_open <-misc_open\n"
      "         iommufd-56      [001] d..1      5.495211: iommufd_fops_ioctl\n"
      " iommufd_fail_nt-67      [000]     5.495314: _iommufd_object_alloc <-iommufd_ioas_alloc_ioctl\n"
      "         iommufd-56 (   56) [001] ...1.     5.495327: iommufd_object_finalize <-iommufd_ioas_alloc_ioctl\n"
      "     Web Content-1234    (-------) [000] .N.1.     5.495400: iommufd_test <-iommufd_fops_ioctl\n"
      "    kworker/u4:2-a-b-77      [001] ...1.     5.495500: iommufd_device_change_pt.constprop.0 "
      "<-iommufd_device_attach\n");
  CHECK(got ==
        Lines{
            "entry ts=5494871000 cpu=1 pid=56 comm=iommufd fn=iommufd_fops_open parent=misc_open line=3",
            "entry ts=5495211000 cpu=1 pid=56 comm=iommufd fn=iommufd_fops_ioctl line=4",
            "entry ts=5495314000 cpu=0 pid=67 comm=iommufd_fail_nt fn=_iommufd_object_alloc "
            "parent=iommufd_ioas_alloc_ioctl line=5",
            "entry ts=5495327000 cpu=1 pid=56 tgid=56 comm=iommufd fn=iommufd_object_finalize "
            "parent=iommufd_ioas_alloc_ioctl line=6",
            "entry ts=5495400000 cpu=0 pid=1234 comm=Web Content fn=iommufd_test parent=iommufd_fops_ioctl line=7",
            "entry ts=5495500000 cpu=1 pid=77 comm=kworker/u4:2-a-b fn=iommufd_device_change_pt.constprop.0 "
            "parent=iommufd_device_attach line=8",
        });
  auto r = open_trace(write_file("t.txt", "# tracer: function\n"), "t.txt");
  CHECK(r->tracer() == "function");
  CHECK(r->format() == Format::TracefsText);
}

TEST_CASE("traces: sym-offset function lines and trace_marker writes", "[traces]") {
  Lines got = read_text(
      "            init-1       [001] .....     4.884739: tracing_mark_write+0xd7/0x260: BEGIN capture=x cmd=./iommufd "
      "-r a\n"
      "         iommufd-56      [000] ...1.     4.945447: iommufd_fops_open+0x0/0xf0 <-misc_open+0xd1/0x110\n"
      "         iommufd-56      [000] ...1.     4.945448: iommufd_object_remove <-[unknown/kretprobe'd]\n"
      "            init-1       [001] .....     4.945500: tracing_mark_write: END capture=x rc=0\n");
  CHECK(got ==
        Lines{
            "marker ts=4884739000 cpu=1 pid=1 comm=init text=\"BEGIN capture=x cmd=./iommufd -r a\" line=1",
            "entry ts=4945447000 cpu=0 pid=56 comm=iommufd fn=iommufd_fops_open parent=misc_open+0xd1/0x110 line=2",
            "entry ts=4945448000 cpu=0 pid=56 comm=iommufd fn=iommufd_object_remove "
            "parent=[unknown/kretprobe'd] line=3",
            "marker ts=4945500000 cpu=1 pid=1 comm=init text=\"END capture=x rc=0\" line=4",
        });
}

TEST_CASE("traces: timestamps with 6 or 9 decimals are nanoseconds", "[traces]") {
  Lines got = read_text(
      "  a-1 [000] 5.494871: f1\n"
      "  a-1 [000] 5.494871123: f2\n"
      "  a-1 [000] 12.5: f3\n");
  CHECK(got == Lines{
                   "entry ts=5494871000 cpu=0 pid=1 comm=a fn=f1 line=1",
                   "entry ts=5494871123 cpu=0 pid=1 comm=a fn=f2 line=2",
                   "entry ts=12500000000 cpu=0 pid=1 comm=a fn=f3 line=3",
               });
}

TEST_CASE("traces: kprobe and kretprobe events with every field form", "[traces]") {
  Lines got = read_text(
      "  iommufd-64 [001] ...1. 7.263349: fops_open: (iommufd_fops_open+0x0/0xf0) inode=0xffff888100c3d278 filp=3\n"
      "  iommufd-64 [001] ...1. 7.263884: fops_open_ret: (misc_open+0xd1/0x110 <- iommufd_fops_open) ret=-16\n"
      "  iommufd-64 [001] ...1. 7.263900: obj_remove_ret: ([unknown/kretprobe'd] <- iommufd_object_remove) ret=0\n"
      "  iommufd-64 [001] ...1. 7.264000: dev_bind: (iommufd_device_bind+0x1c/0x490) name=\"mock dev 0\" "
      "bad=(fault) arr={0x1,0x2} sym=misc_open+0xd1/0x110 empty=\"\"\n"
      "  iommufd-64 [001] ...1. 7.264100: raw: (0xffffffff813d6cf0)\n");
  CHECK(got ==
        Lines{
            "probe ts=7263349000 cpu=1 pid=64 comm=iommufd fn=iommufd_fops_open name=fops_open "
            ".inode=-131387331718536 .filp=3 line=1",
            "return-probe ts=7263884000 cpu=1 pid=64 comm=iommufd fn=iommufd_fops_open parent=misc_open+0xd1/0x110 "
            "name=fops_open_ret .ret=-16 line=2",
            "return-probe ts=7263900000 cpu=1 pid=64 comm=iommufd fn=iommufd_object_remove "
            "parent=[unknown/kretprobe'd] name=obj_remove_ret .ret=0 line=3",
            "probe ts=7264000000 cpu=1 pid=64 comm=iommufd fn=iommufd_device_bind off=0x1c name=dev_bind "
            ".name=\"mock dev 0\" .bad=(fault) .arr={0x1,0x2} .sym=misc_open+0xd1/0x110 .empty=\"\" line=4",
            "probe ts=7264100000 cpu=1 pid=64 comm=iommufd addr=0xffffffff813d6cf0 name=raw line=5",
        });
}

TEST_CASE("traces: a field cut at the end of the file is fine if it parses", "[traces]") {
  Lines got = read_text("  iommufd-64 [001] ...1. 7.263349: obj: (f+0x0/0xf0) obj=0xffff88");
  CHECK(got == Lines{"probe ts=7263349000 cpu=1 pid=64 comm=iommufd fn=f name=obj .obj=16777096 line=1"});
}

TEST_CASE("traces: lock tracepoints get lockdep_addr and lock, unknown tracepoints their text", "[traces]") {
  Lines got = read_text(
      "  iommufd-65 [000] d..2. 11.805863: lock_acquire: ffff88810100a928 &xa->xa_lock\n"
      "  iommufd-65 [000] d..2. 11.805864: lock_acquire: ffff888100f9d488 try read &iopt->domains_rwsem\n"
      "  iommufd-65 [000] d..2. 11.807665: lock_acquired: ffff88810100a928 &xa->xa_lock\n"
      "  iommufd-65 [000] d..2. 11.807991: lock_release: ffff88810100a928 &xa->xa_lock\n"
      "  init-1 [001] ...2. 11.808000: contention_begin: ffffffff81accfa0 (flags=SPIN|MUTEX)\n"
      "  init-1 [001] ...2. 11.808001: contention_end: ffffffff81accfa0 (ret=0)\n"
      "  init-1 [001] ...2. 11.808002: sched_switch: prev_comm=init prev_pid=1 ==> next_comm=swapper/1 next_pid=0\n"
      "  init-1 [001] ...2. 11.808003: mystery: something odd\n");
  CHECK(got ==
        Lines{
            "tracepoint ts=11805863000 cpu=0 pid=65 comm=iommufd sys=lock name=lock_acquire "
            "text=\"ffff88810100a928 &xa->xa_lock\" .lockdep_addr=-131387327731416 .flags=0 .lock=&xa->xa_lock line=1",
            "tracepoint ts=11805864000 cpu=0 pid=65 comm=iommufd sys=lock name=lock_acquire "
            "text=\"ffff888100f9d488 try read &iopt->domains_rwsem\" .lockdep_addr=-131387328179064 .flags=3 "
            ".lock=&iopt->domains_rwsem line=2",
            "tracepoint ts=11807665000 cpu=0 pid=65 comm=iommufd sys=lock name=lock_acquired "
            "text=\"ffff88810100a928 &xa->xa_lock\" .lockdep_addr=-131387327731416 .lock=&xa->xa_lock line=3",
            "tracepoint ts=11807991000 cpu=0 pid=65 comm=iommufd sys=lock name=lock_release "
            "text=\"ffff88810100a928 &xa->xa_lock\" .lockdep_addr=-131387327731416 .lock=&xa->xa_lock line=4",
            "tracepoint ts=11808000000 cpu=1 pid=1 comm=init sys=lock name=contention_begin "
            "text=\"ffffffff81accfa0 (flags=SPIN|MUTEX)\" .lock_addr=-2119381088 .flags=SPIN|MUTEX line=5",
            "tracepoint ts=11808001000 cpu=1 pid=1 comm=init sys=lock name=contention_end "
            "text=\"ffffffff81accfa0 (ret=0)\" .lock_addr=-2119381088 .ret=0 line=6",
            "tracepoint ts=11808002000 cpu=1 pid=1 comm=init name=sched_switch "
            "text=\"prev_comm=init prev_pid=1 ==> next_comm=swapper/1 next_pid=0\" .prev_comm=init .prev_pid=1 "
            ".next_comm=swapper/1 .next_pid=0 line=7",
            "tracepoint ts=11808003000 cpu=1 pid=1 comm=init name=mystery text=\"something odd\" line=8",
        });
}

TEST_CASE("traces: function_graph with funcgraph-proc, -abstime, -tail and -retval", "[traces]") {
  Lines got = read_text(
      "# tracer: function_graph\n"
      "#\n"
      "#     TIME        CPU  TASK/PID         DURATION                  FUNCTION CALLS\n"
      "#      |          |     |    |           |   |                     |   |   |   |\n"
      "    4.909269 |   1)     init-1     |               |  /* BEGIN capture=graph_small cmd=./iommufd */\n"
      "    4.961729 |   0)   iommufd-56   | ! 407.750 us  |  iommufd_fops_open(); /* = 0x0 */\n"
      "    4.963130 |   0)   iommufd-56   |               |  iommufd_fops_ioctl() {\n"
      "    4.963694 |   0)   iommufd-56   |               |    iommufd_destroy() {\n"
      "    4.963702 |   0)   iommufd-56   | + 66.800 us   |      iommufd_object_remove(); /* = -16 */\n"
      "    4.963770 |   0)   iommufd-56   | + 76.665 us   |    } /* iommufd_destroy = -16 */\n"
      "    4.963771 |   0)   iommufd-56   | # 2031.121 us |  } /* iommufd_fops_ioctl = 0xffff888100c9b800 */\n"
      " ------------------------------------------\n"
      " 0)   iommufd-56   =>   iommufd-58  \n"
      " ------------------------------------------\n"
      "\n"
      "    4.996029 |   0)   iommufd-58   |   9.545 us    |  iommufd_fops_open(); /* = 0x0 */\n");
  CHECK(got ==
        Lines{
            "marker ts=4909269000 cpu=1 pid=1 comm=init text=\"BEGIN capture=graph_small cmd=./iommufd\" line=5",
            "entry ts=4961729000 cpu=0 pid=56 comm=iommufd fn=iommufd_fops_open depth=0 line=6",
            "exit ts=4961729000 cpu=0 pid=56 comm=iommufd fn=iommufd_fops_open depth=0 ret=0 line=6",
            "entry ts=4963130000 cpu=0 pid=56 comm=iommufd fn=iommufd_fops_ioctl depth=0 line=7",
            "entry ts=4963694000 cpu=0 pid=56 comm=iommufd fn=iommufd_destroy depth=1 line=8",
            "entry ts=4963702000 cpu=0 pid=56 comm=iommufd fn=iommufd_object_remove depth=2 line=9",
            "exit ts=4963702000 cpu=0 pid=56 comm=iommufd fn=iommufd_object_remove depth=2 ret=-16 line=9",
            "exit ts=4963770000 cpu=0 pid=56 comm=iommufd fn=iommufd_destroy depth=1 ret=-16 line=10",
            "exit ts=4963771000 cpu=0 pid=56 comm=iommufd fn=iommufd_fops_ioctl depth=0 ret=-131387331332096 line=11",
            "entry ts=4996029000 cpu=0 pid=58 comm=iommufd fn=iommufd_fops_open depth=0 line=16",
            "exit ts=4996029000 cpu=0 pid=58 comm=iommufd fn=iommufd_fops_open depth=0 ret=0 line=16",
        });
}

TEST_CASE("traces: function_graph with the default options: banners name the task, } closes the stack's top",
          "[traces]") {
  Lines got = read_text(
      "# tracer: function_graph\n"
      "#\n"
      "# CPU  DURATION                  FUNCTION CALLS\n"
      "# |     |   |                     |   |   |   |\n"
      " 0)               |  iommufd_fops_ioctl() {\n"
      " 0)               |    iommufd_test() {\n"
      " 0)   9.545 us    |      iommufd_selftest_is_mock_dev();\n"
      " 0) $ 1234567 us  |    }\n"
      " 1)               |  /* fops_open: (iommufd_fops_open+0x0/0xf0) inode=0x1 */\n"
      " 1)               |  /* lock_acquire: ffff88810100a928 &xa->xa_lock */\n"
      " 0)   ==========> |\n"
      " 0)   <========== |\n"
      " ------------------------------------------\n"
      " 0)  iommufd-56    =>  iommufd-58   \n"
      " ------------------------------------------\n"
      "\n"
      " 0) + 11.000 us   |  }\n"
      " ------------------------------------------\n"
      " 0)  iommufd-58    =>  iommufd-56   \n"
      " ------------------------------------------\n"
      " 0)   1.000 us    |  }\n");
  CHECK(got == Lines{
                   "entry cpu=0 fn=iommufd_fops_ioctl depth=0 line=5",
                   "entry cpu=0 fn=iommufd_test depth=1 line=6",
                   "entry cpu=0 fn=iommufd_selftest_is_mock_dev depth=2 line=7",
                   "exit cpu=0 fn=iommufd_selftest_is_mock_dev depth=2 line=7",
                   "exit cpu=0 fn=iommufd_test depth=1 line=8",
                   "probe cpu=1 fn=iommufd_fops_open name=fops_open .inode=1 line=9",
                   "tracepoint cpu=1 sys=lock name=lock_acquire text=\"ffff88810100a928 &xa->xa_lock\" "
                   ".lockdep_addr=-131387327731416 .flags=0 .lock=&xa->xa_lock line=10",
                   // iommufd-58 entered its call before the capture began.
                   "exit cpu=0 pid=58 comm=iommufd depth=0 line=17",
                   // The first banner said the lines before it were iommufd-56's.
                   "exit cpu=0 pid=56 comm=iommufd fn=iommufd_fops_ioctl depth=0 line=21",
               });
}

TEST_CASE("traces: function_graph tail without retval, funcgraph-retaddr, and module symbols", "[traces]") {
  Lines got = read_text(
      " 1)               |  mock_domain_alloc() { /* <-iommufd_hwpt_alloc+0x1f/0x60 */\n"
      " 1)   2.000 us    |    iommufd_should_fail();\n"
      " 1)   5.000 us    |  } /* mock_domain_alloc */\n"
      "  a-1 [000] 1.000001: mock_domain_alloc [iommufd_test] <-iommufd_hwpt_alloc [iommufd]\n");
  CHECK(got ==
        Lines{
            "entry cpu=1 fn=mock_domain_alloc parent=iommufd_hwpt_alloc+0x1f/0x60 depth=0 line=1",
            "entry cpu=1 fn=iommufd_should_fail depth=1 line=2",
            "exit cpu=1 fn=iommufd_should_fail depth=1 line=2",
            "exit cpu=1 fn=mock_domain_alloc depth=0 line=3",
            "entry ts=1000001000 cpu=0 pid=1 comm=a fn=mock_domain_alloc parent=iommufd_hwpt_alloc [iommufd] line=4",
        });
}

TEST_CASE("traces: lost events take the cpu of their line, or of the next event", "[traces]") {
  Lines got = read_text(
      "  a-1 [000] 1.000001: f1\n"
      "CPU:1 [LOST 12 EVENTS]\n"
      "  a-2 [001] 1.000002: f2\n"
      "[LOST 3 EVENTS]\n"
      "  a-1 [000] 1.000003: f3\n"
      "CPU:0 [LOST EVENTS]\n");
  CHECK(got == Lines{
                   "entry ts=1000001000 cpu=0 pid=1 comm=a fn=f1 line=1",
                   "lost ts=1000002000 cpu=1 lost=12 line=2",
                   "entry ts=1000002000 cpu=1 pid=2 comm=a fn=f2 line=3",
                   "lost ts=1000003000 cpu=0 lost=3 line=4",
                   "entry ts=1000003000 cpu=0 pid=1 comm=a fn=f3 line=5",
                   "lost ts=1000003000 cpu=0 lost=0 line=6",
               });
}

TEST_CASE("traces: trace-cmd report lines", "[traces]") {
  Lines got = read_text(
      "version = 6\n"
      "cpus=2\n"
      "CPU 1 is empty\n"
      "       tc_cmd.sh-72    [001]     5.924882: print:                tracing_mark_write: BEGIN capture=x\n"
      "         iommufd-66    [000]     6.641164: function:             iommufd_fops_open\n"
      "         iommufd-66    [000]     6.641661: function:                iommufd_ioas_alloc_ioctl <-- "
      "iommufd_fops_ioctl\n"
      "CPU:0 [12 EVENTS DROPPED]\n"
      "         iommufd-75    [000]     6.967808: fops_open:            (ffffffff813d6cf0) inode=0xffff88810100c138\n"
      "         iommufd-75    [000]     6.968298: fops_open_ret:        (ffffffff813d6cf0 <- ffffffff813ce9b1) ret=0\n"
      "CPU:1 [EVENTS DROPPED]\n"
      "         iommufd-65    [001]     8.643192: funcgraph_entry:      ! 527.951 us |  iommufd_fops_open();\n"
      "         iommufd-65    [001]     8.643967: funcgraph_entry:                   |  iommufd_fops_ioctl() {\n"
      "         iommufd-65    [001]     8.644113: funcgraph_entry:      + 51.367 us  |    iommufd_test();\n"
      "         iommufd-65    [001]     8.645218: funcgraph_exit:       # 1258.063 us |  }\n"
      "         iommufd-65    [001]     8.645300: lock_acquire:         ffff88810100a928 &xa->xa_lock\n");
  CHECK(
      got ==
      Lines{
          "marker ts=5924882000 cpu=1 pid=72 comm=tc_cmd.sh text=\"BEGIN capture=x\" line=4",
          "entry ts=6641164000 cpu=0 pid=66 comm=iommufd fn=iommufd_fops_open line=5",
          "entry ts=6641661000 cpu=0 pid=66 comm=iommufd fn=iommufd_ioas_alloc_ioctl parent=iommufd_fops_ioctl line=6",
          "lost ts=6967808000 cpu=0 lost=12 line=7",
          "probe ts=6967808000 cpu=0 pid=75 comm=iommufd addr=0xffffffff813d6cf0 name=fops_open "
          ".inode=-131387327725256 line=8",
          "return-probe ts=6968298000 cpu=0 pid=75 comm=iommufd addr=0xffffffff813d6cf0 parent=ffffffff813ce9b1 "
          "name=fops_open_ret .ret=0 line=9",
          "lost ts=8643192000 cpu=1 lost=0 line=10",
          "entry ts=8643192000 cpu=1 pid=65 comm=iommufd fn=iommufd_fops_open depth=0 line=11",
          "exit ts=8643192000 cpu=1 pid=65 comm=iommufd fn=iommufd_fops_open depth=0 line=11",
          "entry ts=8643967000 cpu=1 pid=65 comm=iommufd fn=iommufd_fops_ioctl depth=0 line=12",
          "entry ts=8644113000 cpu=1 pid=65 comm=iommufd fn=iommufd_test depth=1 line=13",
          "exit ts=8644113000 cpu=1 pid=65 comm=iommufd fn=iommufd_test depth=1 line=13",
          "exit ts=8645218000 cpu=1 pid=65 comm=iommufd fn=iommufd_fops_ioctl depth=0 line=14",
          "tracepoint ts=8645300000 cpu=1 pid=65 comm=iommufd sys=lock name=lock_acquire "
          "text=\"ffff88810100a928 &xa->xa_lock\" .lockdep_addr=-131387327731416 .flags=0 .lock=&xa->xa_lock line=15",
      });
  CHECK(open_trace(write_file("r.txt", "cpus=2\n"), "r.txt")->format() == Format::TraceCmdReport);
}

TEST_CASE("traces: trace-cmd report -l (latency columns, the cpu without brackets)", "[traces]") {
  Lines got = read_text(
      "cpus=2\n"
      " iommufd-66      0 d..1.     6.641164: function:             iommufd_fops_open\n"
      "  <idle>-0       1 d.h2.     6.641165: lock_release:         ffff88810100a928 &xa->xa_lock\n");
  CHECK(got == Lines{
                   "entry ts=6641164000 cpu=0 pid=66 comm=iommufd fn=iommufd_fops_open line=2",
                   "tracepoint ts=6641165000 cpu=1 pid=0 comm=<idle> sys=lock name=lock_release "
                   "text=\"ffff88810100a928 &xa->xa_lock\" .lockdep_addr=-131387327731416 .lock=&xa->xa_lock line=3",
               });
}

TEST_CASE("traces: the real captures read without error, with their event counts", "[traces]") {
  struct Want {
    const char* file;
    size_t events, entries, exits, probes, returns, tracepoints, markers;
  };
  // The text captures hold 135 events for func_small (133 calls and the BEGIN/END
  // markers), 268 for function_graph (133 entries, 133 exits, 2 markers), 175 kprobe events
  // (173 probes, 2 markers); the .dat and .report.txt files the same counts of their run.
  const Want wants[] = {
      {"iommufd-func_small.trace.txt", 135, 133, 0, 0, 0, 0, 2},
      {"iommufd-func_small_symoff.trace.txt", 135, 133, 0, 0, 0, 0, 2},
      {"iommufd-graph_small.trace.txt", 268, 133, 133, 0, 0, 0, 2},
      {"iommufd-kprobe_small.trace.txt", 175, 0, 0, 98, 75, 0, 2},
      {"iommufd-lock_kprobe_small.trace.txt", 13540, 84, 0, 58, 45, 13351, 2},
      {"iommufd-failnth.trace.txt.gz", 51430, 0, 0, 29619, 21809, 0, 2},
      {"iommufd-func_small.report.txt", 135, 133, 0, 0, 0, 0, 2},
      {"iommufd-graphfilt_small.report.txt", 268, 133, 133, 0, 0, 0, 2},
      {"iommufd-kprobe_small.report.txt", 175, 0, 0, 98, 75, 0, 2},
      {"iommufd-func_small.dat", 135, 133, 0, 0, 0, 0, 2},
      {"iommufd-func_small.v6.dat", 135, 133, 0, 0, 0, 0, 2},
      {"iommufd-graphfilt_small.dat", 268, 133, 133, 0, 0, 0, 2},
      {"iommufd-graphfilt_small.v6.dat", 268, 133, 133, 0, 0, 0, 2},
      {"iommufd-kprobe_small.dat", 175, 0, 0, 98, 75, 0, 2},
      {"iommufd-kprobe_small.v6.dat", 175, 0, 0, 98, 75, 0, 2},
  };
  for (const Want& w : wants) {
    INFO(w.file);
    auto r = open_trace(shared(w.file));
    size_t n = 0, count[7] = {};
    uint64_t last_ts = 0;
    Event e;
    while (r->next(e)) {
      ++n;
      ++count[int(e.kind)];
      CHECK(e.ts_ns >= last_ts);  // merged in time order
      last_ts = e.ts_ns;
      if (e.kind == EventKind::Entry || e.kind == EventKind::Exit) CHECK(e.function != 0);
    }
    CHECK(n == w.events);
    CHECK(count[int(EventKind::Entry)] == w.entries);
    CHECK(count[int(EventKind::Exit)] == w.exits);
    CHECK(count[int(EventKind::Probe)] == w.probes);
    CHECK(count[int(EventKind::ReturnProbe)] == w.returns);
    CHECK(count[int(EventKind::Tracepoint)] == w.tracepoints);
    CHECK(count[int(EventKind::Marker)] == w.markers);
    CHECK(count[int(EventKind::Lost)] == 0);
  }
}

namespace {

std::vector<Event> all_events(const std::string& path, std::unique_ptr<EventReader>& r) {
  r = open_trace(path);
  std::vector<Event> out;
  Event e;
  while (r->next(e)) out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("traces: a trace.dat and its trace-cmd report give the same events", "[traces]") {
  for (const char* run : {"func_small", "kprobe_small", "graphfilt_small"}) {
    std::unique_ptr<EventReader> dr, rr;
    std::vector<Event> dat = all_events(shared(std::string("iommufd-") + run + ".dat"), dr);
    std::vector<Event> rep = all_events(shared(std::string("iommufd-") + run + ".report.txt"), rr);
    const Symbols &ds = dr->symbols(), &rs = rr->symbols();
    REQUIRE(dat.size() == rep.size());
    for (size_t i = 0; i < dat.size(); ++i) {
      const Event &d = dat[i], &p = rep[i];
      INFO(run << " event " << i + 1 << ": " << describe(*dr, d) << "\n  vs " << describe(*rr, p));
      CHECK(d.kind == p.kind);
      CHECK(d.pid == p.pid);
      CHECK(d.cpu == p.cpu);
      CHECK(ds.str(d.comm) == rs.str(p.comm));
      // The report shows microseconds rounded to nearest; the exit of a leaf "f();" line
      // shows the entry's time (the exit's own is not printed).
      uint64_t us = (d.ts_ns + 500) / 1000 * 1000;
      bool leaf_exit = p.kind == EventKind::Exit && i > 0 && rep[i - 1].line == p.line;
      if (leaf_exit)
        CHECK(p.ts_ns <= us);
      else
        CHECK(p.ts_ns == us);
      if (p.kind == EventKind::Probe || p.kind == EventKind::ReturnProbe) {
        CHECK(p.function == 0);  // the report gives raw addresses only
        CHECK(p.address == d.address);
        CHECK(ds.str(d.name) == rs.str(p.name));
        CHECK(ds.str(d.system) == "iofd");
      } else {
        CHECK(ds.str(d.function) == rs.str(p.function));
      }
      CHECK(d.depth == p.depth);
      CHECK(ds.str(d.text) == rs.str(p.text));
      REQUIRE(d.fields.size() == p.fields.size());
      for (size_t f = 0; f < d.fields.size(); ++f) {
        CHECK(ds.str(d.fields[f].name) == rs.str(p.fields[f].name));
        CHECK(d.fields[f].numeric == p.fields[f].numeric);
        CHECK(d.fields[f].value == p.fields[f].value);
      }
    }
  }
}

TEST_CASE("traces: trace.dat version 6 and version 7 (zstd) read the same", "[traces]") {
  for (const char* run : {"func_small", "kprobe_small", "graphfilt_small"}) {
    INFO(run);
    std::unique_ptr<EventReader> r6, r7;
    std::vector<Event> v6 = all_events(shared(std::string("iommufd-") + run + ".v6.dat"), r6);
    std::vector<Event> v7 = all_events(shared(std::string("iommufd-") + run + ".dat"), r7);
    REQUIRE(v6.size() == v7.size());
    for (size_t i = 0; i < v6.size(); ++i) CHECK(describe(*r6, v6[i]) == describe(*r7, v7[i]));
  }
}

TEST_CASE("traces: trace.dat fields, function_graph return values and markers", "[traces]") {
  std::unique_ptr<EventReader> r;
  std::vector<Event> k = all_events(shared("iommufd-kprobe_small.dat"), r);
  CHECK(describe(*r, k[0]) ==
        "marker ts=5924881881 cpu=1 pid=72 comm=tc_cmd.sh text=\"BEGIN capture=tc_kprobe_small cmd=./iommufd -r "
        "iommufd_ioas.mock_domain.access_domain_destory -r iommufd_ioas.mock_domain.ioas_destroy\" line=1");
  CHECK(describe(*r, k[1]) ==
        "probe ts=5967807629 cpu=0 pid=75 comm=iommufd fn=iommufd_fops_open addr=0xffffffff813d6cf0 sys=iofd "
        "name=fops_open .inode=-131387327725256 .filp=-131386635880832 line=2");
  CHECK(describe(*r, k[2]) ==
        "return-probe ts=5968297935 cpu=0 pid=75 comm=iommufd fn=iommufd_fops_open addr=0xffffffff813d6cf0 "
        "parent=misc_open+0xd1/0x110 sys=iofd name=fops_open_ret .ret=0 line=3");
  // An s32 return value of -16 is -16; u32 fields are zero-extended.
  bool busy = false;
  for (const Event& e : k) {
    const Field* ret = find_field(e, r->symbols().find("ret"));
    if (e.name == r->symbols().find("obj_remove_ret") && ret && ret->value == -16) busy = true;
    if (const Field* cmd = find_field(e, r->symbols().find("cmd"))) CHECK(cmd->value > 0);
  }
  CHECK(busy);
  std::vector<Event> g = all_events(shared("iommufd-graphfilt_small.dat"), r);
  CHECK(describe(*r, g[1]) == "entry ts=8643192173 cpu=0 pid=65 comm=iommufd fn=iommufd_fops_open depth=0 line=2");
  CHECK(describe(*r, g[2]) == "exit ts=8643587876 cpu=0 pid=65 comm=iommufd fn=iommufd_fops_open depth=0 ret=0 line=3");
  bool minus16 = false;
  for (const Event& e : g) minus16 = minus16 || (e.kind == EventKind::Exit && e.retval == -16);
  CHECK(minus16);
  std::vector<Event> f = all_events(shared("iommufd-func_small.dat"), r);
  CHECK(describe(*r, f[1]) ==
        "entry ts=6641164396 cpu=0 pid=66 comm=iommufd fn=iommufd_fops_open parent=misc_open line=2");
}

TEST_CASE("traces: events are merged by timestamp, stably, within the reorder window", "[traces]") {
  std::string text =
      "  a-1 [000] 1.000003: f3\n"
      "  b-2 [001] 1.000001: f1\n"
      "  a-1 [000] 1.000002: f2\n"
      "  b-2 [001] 1.000002: f2b\n";
  CHECK(read_text(text) == Lines{
                               "entry ts=1000001000 cpu=1 pid=2 comm=b fn=f1 line=2",
                               "entry ts=1000002000 cpu=0 pid=1 comm=a fn=f2 line=3",
                               "entry ts=1000002000 cpu=1 pid=2 comm=b fn=f2b line=4",
                               "entry ts=1000003000 cpu=0 pid=1 comm=a fn=f3 line=1",
                           });
  std::string far =
      "  a-1 [000] 1.000005: f5\n"
      "  a-1 [000] 1.000006: f6\n"
      "  a-1 [000] 1.000007: f7\n"
      "  b-2 [001] 1.000001: f1\n";
  try {
    read_text(far, 1);
    FAIL("no error");
  } catch (const TraceError& err) {
    CHECK(err.render() ==
          "t.txt:4:13: error: event at 1.000001000 is older than one already read (1.000006000, line 2): out of order "
          "by more than the reorder window (1 events)\n"
          " 4 |   b-2 [001] 1.000001: f1\n"
          "   |             ^\n");
  }
}

TEST_CASE("traces: gzip input, by magic or by name, and standard input", "[traces]") {
  std::string text = "# tracer: function\n  a-1 [000] 1.000001: f1 <-p\n  a-1 [000] 1.000002: f2 <-p\n";
  Lines want = {"entry ts=1000001000 cpu=0 pid=1 comm=a fn=f1 parent=p line=2",
                "entry ts=1000002000 cpu=0 pid=1 comm=a fn=f2 parent=p line=3"};
  CHECK(read_path(gzip("t.txt.gz", text)) == want);
  CHECK(read_path(gzip("t.bin", text)) == want);           // the magic decides, not the name
  CHECK(read_path(write_file("plain.gz", text)) == want);  // a .gz name holding plain text
  std::string gz = tlc_slurp(gzip("cut.gz", text + text + text));
  CHECK(error_of_path(write_file("cut.gz", gz.substr(0, gz.size() / 2))) ==
        "t.txt: error: truncated gzip data (the file ends inside a compressed block)\n");

  // "-" reads standard input: text, gzip, and a trace.dat (spooled to a temporary file).
  auto from_stdin = [&](const std::string& path) {
    int saved = ::dup(0);
    int fd = ::open(path.c_str(), O_RDONLY);
    ::dup2(fd, 0);
    ::close(fd);
    size_t n = 0;
    std::string shown;
    try {
      auto r = open_trace("-");
      shown = r->file();
      Event e;
      while (r->next(e)) ++n;
    } catch (...) {
      ::dup2(saved, 0);
      ::close(saved);
      throw;
    }
    ::dup2(saved, 0);
    ::close(saved);
    CHECK(shown == "<stdin>");
    return n;
  };
  CHECK(from_stdin(write_file("in.txt", text)) == 2);
  CHECK(from_stdin(gzip("in.gz", text)) == 2);
  CHECK(from_stdin(shared("iommufd-kprobe_small.dat")) == 175);
  CHECK(from_stdin(shared("iommufd-failnth.trace.txt.gz")) == 51430);
}

TEST_CASE("traces: errors name the file, line and column, with the line and a caret", "[traces]") {
  // Garbage: the caret is at the first character that does not fit.
  CHECK(error_of("# tracer: function\n  a-1 [000] 1.000001: f1 <-p\nthis is no trace line\n") ==
        "t.txt:3:1: error: expected an event line: TASK-PID [CPU] TIMESTAMP: EVENT\n"
        " 3 | this is no trace line\n"
        "   | ^\n");
  CHECK(error_of("  a-1 [000] 1.000001: f1 <-p\n  a-1 [000] 1.000002: f2 junk\n") ==
        "t.txt:2:26: error: unexpected text after the function name\n"
        " 2 |   a-1 [000] 1.000002: f2 junk\n"
        "   |                          ^\n");
  CHECK(error_of("  a-1 [000] 1.000001: f1\n  a-1 [000] 1.0x0002: f2\n") ==
        "t.txt:2:16: error: expected a timestamp (seconds.microseconds:)\n"
        " 2 |   a-1 [000] 1.0x0002: f2\n"
        "   |                ^\n");
  CHECK(error_of("  a-1 [000] 1.000001: f1\n  a-1 [000] 1.000002: obj: (f+0x0/0x10) obj=0x1 users\n") ==
        "t.txt:2:54: error: expected a field (name=value)\n"
        " 2 |   a-1 [000] 1.000002: obj: (f+0x0/0x10) obj=0x1 users\n"
        "   |                                                      ^\n");
  CHECK(error_of("  a-1 [000] 1.000001: f1\n  a-1 [000] 1.000002: obj: (f+0x0/0x10) name=\"open\n") ==
        "t.txt:2:46: error: unterminated string\n"
        " 2 |   a-1 [000] 1.000002: obj: (f+0x0/0x10) name=\"open\n"
        "   |                                              ^\n");
  // Truncation: a line cut inside the probe location.
  CHECK(error_of("  a-1 [000] 1.000001: f1\n  iommufd-64 [001] ...1. 7.263349: fops_open: (iommufd_fops_open+0x0/") ==
        "t.txt:2:69: error: expected the symbol size (/0x490) (the file ends inside this line)\n"
        " 2 |   iommufd-64 [001] ...1. 7.263349: fops_open: (iommufd_fops_open+0x0/\n"
        "   |                                                                     ^\n");
  CHECK(error_of("  a-1 [000] 1.000001: f1\n  a-1 [000] 1.00") ==
        "t.txt:2:17: error: expected a timestamp (seconds.microseconds:) (the file ends inside this line)\n"
        " 2 |   a-1 [000] 1.00\n"
        "   |                 ^\n");
  CHECK(error_of(" 0)               |  f() {\n 0)               |  f() x\n") ==
        "t.txt:2:25: error: expected \" {\" or \";\" after \"()\"\n"
        " 2 |  0)               |  f() x\n"
        "   |                         ^\n");
  CHECK(error_of("cpus=2\n  a-1 [000] 1.000001: bogus line\n") ==
        "t.txt:2:28: error: expected the event name and ':'\n"
        " 2 |   a-1 [000] 1.000001: bogus line\n"
        "   |                            ^\n");
}

TEST_CASE("traces: whole-file errors: unknown format, not a regular file, missing, binary", "[traces]") {
  const std::string unknown =
      "t.txt: error: not an ftrace capture (expected tracefs text, trace-cmd report or trace.dat)\n";
  CHECK(error_of("hello, world\nthis is a letter\n") == unknown);
  CHECK(error_of("# A Title\n\nSome markdown.\n") == unknown);
  CHECK(error_of(std::string("\x7f"
                             "ELF\x02\x01\x01\0\0\0\0\0",
                             12) +
                 std::string(200, '\0')) == unknown);
  CHECK(error_of_path(scratch().string()) ==
        "t.txt: error: not a regular file (to read a pipe, give - and redirect it)\n");
  std::string fifo = (scratch() / "fifo").string();
  ::mkfifo(fifo.c_str(), 0600);
  CHECK(error_of_path(fifo) == "t.txt: error: not a regular file (to read a pipe, give - and redirect it)\n");
  CHECK(error_of_path("/dev/null") == "t.txt: error: not a regular file (to read a pipe, give - and redirect it)\n");
  CHECK(error_of_path((scratch() / "missing.txt").string()) ==
        "t.txt: error: cannot open: No such file or directory\n");
  // An empty capture is valid: no events.
  CHECK(read_text("").empty());
  CHECK(read_text("# tracer: nop\n#\n").empty());
  // A TraceError's what() is its first line.
  try {
    open_trace(scratch().string(), "dir");
  } catch (const TraceError& err) {
    CHECK(std::string(err.what()) == "dir: error: not a regular file (to read a pipe, give - and redirect it)");
    CHECK(err.line == 0);
  }
}

TEST_CASE("traces: a trace.dat cut short is an error or a clean prefix, never a crash", "[traces]") {
  CHECK(error_of_path(write_file("t.dat", tlc_slurp(shared("iommufd-kprobe_small.dat")).substr(0, 100000)), "t.dat") ==
        "t.dat: error: cannot read the trace.dat headers (truncated or corrupt file)\n");
  std::string v6 = tlc_slurp(shared("iommufd-kprobe_small.v6.dat"));
  CHECK(error_of_path(write_file("t.dat", v6.substr(0, v6.size() - 100)), "t.dat") ==
        "t.dat: error: cannot read the trace.dat data sections (truncated or corrupt file)\n");
  CHECK(error_of_path(write_file("t.dat", std::string("\x17\x08\x44tracing6\0", 11) + std::string(100, 'x')),
                      "t.dat") == "t.dat: error: cannot read the trace.dat headers (truncated or corrupt file)\n");
  for (const char* name : {"iommufd-kprobe_small.dat", "iommufd-kprobe_small.v6.dat"}) {
    std::unique_ptr<EventReader> r;
    std::vector<Event> full = all_events(shared(name), r);
    std::vector<std::string> want;
    for (const Event& e : full) want.push_back(describe(*r, e));
    std::string bytes = tlc_slurp(shared(name));
    // Cut points through the whole file, denser near the end where the event data is.
    std::vector<size_t> cuts;
    for (size_t c = 0; c < bytes.size(); c += bytes.size() / 23) cuts.push_back(c);
    for (size_t c = bytes.size() > 9000 ? bytes.size() - 9000 : 0; c < bytes.size(); c += 613) cuts.push_back(c);
    for (size_t back : {1, 2, 7, 64, 4096}) cuts.push_back(bytes.size() - back);
    for (size_t cut : cuts) {
      INFO(name << " cut at " << cut);
      std::string path = write_file("cut.dat", bytes.substr(0, cut));
      try {
        auto rc = open_trace(path);
        Event e;
        size_t i = 0;
        while (rc->next(e)) {
          REQUIRE(i < want.size());
          CHECK(describe(*rc, e) == want[i]);
          ++i;
        }
      } catch (const TraceError& err) {
        CHECK(err.file == path);
      }
    }
  }
}
