#include "traces/read_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "traces/reader.h"

namespace lc::traces {

namespace {
constexpr size_t kRawBlock = 256 << 10;
}

ByteSource::ByteSource(int fd, std::string path, std::string shown)
    : fd_(fd), path_(std::move(path)), shown_(std::move(shown)) {}

ByteSource::~ByteSource() {
  if (gzip_) inflateEnd(&z_);
  if (fd_ > 0) ::close(fd_);
}

void ByteSource::fail(const std::string& message) const { throw TraceError(shown_, 0, 0, message); }

std::unique_ptr<ByteSource> ByteSource::open(const std::string& path, const std::string& shown) {
  int fd = 0;
  if (path != "-") {
    // stat before open: opening a FIFO for reading would block until a writer comes.
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      throw TraceError(shown, 0, 0, std::string("cannot open: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
      throw TraceError(shown, 0, 0, "not a regular file (to read a pipe, give - and redirect it)");
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw TraceError(shown, 0, 0, std::string("cannot open: ") + std::strerror(errno));
  }
  std::unique_ptr<ByteSource> src(new ByteSource(fd, path, shown));
  // Read the start raw to see the gzip magic; the bytes are kept either way.
  std::vector<char> first(kRawBlock);
  size_t got = 0;
  while (got < 2) {
    size_t n = src->read_raw(first.data() + got, first.size() - got);
    if (n == 0) break;
    got += n;
  }
  first.resize(got);
  if (got >= 2 && uint8_t(first[0]) == 0x1f && uint8_t(first[1]) == 0x8b) {
    src->gzip_ = true;
    src->zin_ = std::move(first);
    src->zin_.resize(std::max(src->zin_.size(), kRawBlock));
    src->z_.next_in = reinterpret_cast<Bytef*>(src->zin_.data());
    src->z_.avail_in = uInt(got);
    if (inflateInit2(&src->z_, 16 + MAX_WBITS) != Z_OK) {
      src->gzip_ = false;
      src->fail("cannot start gzip decompression");
    }
  } else {
    src->pending_ = std::move(first);
  }
  return src;
}

size_t ByteSource::read_raw(char* buf, size_t n) {
  if (raw_eof_) return 0;
  for (;;) {
    ssize_t r = ::read(fd_, buf, n);
    if (r > 0) return size_t(r);
    if (r == 0) {
      raw_eof_ = true;
      return 0;
    }
    if (errno == EINTR) continue;
    fail(std::string("read error: ") + std::strerror(errno));
  }
}

size_t ByteSource::inflate_some(char* buf, size_t n) {
  while (!stream_end_) {
    if (z_.avail_in == 0) {
      z_.next_in = reinterpret_cast<Bytef*>(zin_.data());
      z_.avail_in = uInt(read_raw(zin_.data(), zin_.size()));
    }
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = uInt(n);
    int ret = inflate(&z_, Z_NO_FLUSH);
    size_t produced = n - z_.avail_out;
    if (ret == Z_STREAM_END) {
      // A gzip file may hold several members one after the other: go on if more follows.
      if (z_.avail_in == 0) {
        z_.next_in = reinterpret_cast<Bytef*>(zin_.data());
        z_.avail_in = uInt(read_raw(zin_.data(), zin_.size()));
      }
      if (z_.avail_in == 0)
        stream_end_ = true;
      else
        inflateReset(&z_);
    } else if (ret == Z_BUF_ERROR || (ret == Z_OK && produced == 0)) {
      if (z_.avail_in == 0 && raw_eof_) fail("truncated gzip data (the file ends inside a compressed block)");
    } else if (ret != Z_OK) {
      fail(std::string("corrupt gzip data (zlib: ") + (z_.msg ? z_.msg : "error " + std::to_string(ret)) + ")");
    }
    if (produced > 0) return produced;
  }
  return 0;
}

size_t ByteSource::read(char* buf, size_t n) {
  if (pending_pos_ < pending_.size()) {
    size_t k = std::min(n, pending_.size() - pending_pos_);
    std::memcpy(buf, pending_.data() + pending_pos_, k);
    pending_pos_ += k;
    if (pending_pos_ == pending_.size()) pending_.clear(), pending_pos_ = 0;
    return k;
  }
  return gzip_ ? inflate_some(buf, n) : read_raw(buf, n);
}

std::string_view ByteSource::peek(size_t n) {
  while (pending_.size() - pending_pos_ < n) {
    size_t have = pending_.size();
    pending_.resize(have + kRawBlock);
    size_t got = gzip_ ? inflate_some(pending_.data() + have, kRawBlock) : read_raw(pending_.data() + have, kRawBlock);
    pending_.resize(have + got);
    if (got == 0) break;
  }
  size_t k = std::min(n, pending_.size() - pending_pos_);
  return {pending_.data() + pending_pos_, k};
}

LineReader::LineReader(ByteSource& src) : src_(src), buf_(kBlock) {}

bool LineReader::refill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) {
    if (buf_.size() >= kMaxLine)
      throw TraceError(src_.shown(), line_no_ + 1, 0, "line is longer than 16 MiB (not a text capture?)");
    buf_.resize(buf_.size() * 2);
  }
  size_t got = src_.read(buf_.data() + end_, buf_.size() - end_);
  if (got == 0) eof_ = true;
  end_ += got;
  return got > 0;
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    const char* start = buf_.data() + begin_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    size_t len;
    if (nl) {
      len = size_t(nl - start);
      begin_ += len + 1;
      had_newline_ = true;
    } else if (refill()) {
      continue;
    } else if (begin_ < end_) {
      start = buf_.data() + begin_;
      len = end_ - begin_;
      begin_ = end_;
      had_newline_ = false;
    } else {
      return false;
    }
    if (len > 0 && start[len - 1] == '\r') --len;
    ++line_no_;
    line = std::string_view(start, len);
    return true;
  }
}

}  // namespace lc::traces
