// The bytes of a capture and its lines: a regular file or standard input, gzip-compressed
// or not (detected by the gzip magic), read in large blocks with bounded memory.
#pragma once
#include <zlib.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lc::traces {

// A stream of (decompressed) bytes. Throws TraceError for open, read and gzip errors.
class ByteSource {
 public:
  // Opens `path` ("-" is standard input); `shown` is the name for diagnostics.
  // Refuses directories, FIFOs and devices ("not a regular file").
  static std::unique_ptr<ByteSource> open(const std::string& path, const std::string& shown);
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Up to `n` bytes into `buf`; 0 only at the end.
  size_t read(char* buf, size_t n);
  // The first bytes of the content (up to `n`), which later reads still return.
  std::string_view peek(size_t n);
  const std::string& shown() const { return shown_; }
  const std::string& path() const { return path_; }
  bool from_stdin() const { return fd_ == 0; }
  bool gzip() const { return gzip_; }

 private:
  ByteSource(int fd, std::string path, std::string shown);
  size_t read_raw(char* buf, size_t n);
  size_t inflate_some(char* buf, size_t n);
  [[noreturn]] void fail(const std::string& message) const;

  int fd_;
  std::string path_, shown_;
  bool gzip_ = false, raw_eof_ = false, stream_end_ = false;
  z_stream z_{};
  std::vector<char> zin_;      // compressed input block
  std::vector<char> pending_;  // peeked bytes not yet consumed by read()
  size_t pending_pos_ = 0;
};

// Splits a ByteSource into lines without copying them (views into a block buffer).
class LineReader {
 public:
  explicit LineReader(ByteSource& src);
  // The next line without "\n" (and "\r"); false at the end. The view lives until the next call.
  bool next(std::string_view& line);
  // 1-based number of the line last returned.
  uint32_t line_no() const { return line_no_; }
  // False when the last line returned ended at the end of the file without a newline.
  bool had_newline() const { return had_newline_; }
  static constexpr size_t kBlock = 1 << 20;      // read size
  static constexpr size_t kMaxLine = 16u << 20;  // longer lines are an error, not a memory hog

 private:
  bool refill();
  ByteSource& src_;
  std::vector<char> buf_;
  size_t begin_ = 0, end_ = 0;  // unread bytes are buf_[begin_, end_)
  bool eof_ = false, had_newline_ = true;
  uint32_t line_no_ = 0;
};

}  // namespace lc::traces
