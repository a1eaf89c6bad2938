// Visited set of packed states: states live in fixed-size chunks of an arena (indices
// are stable, nothing is copied on growth); an open-addressing table of 32-bit indices
// finds them by hash. Each state keeps its BFS parent for counterexamples.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace lc {

class StateStore {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;
  // At most this many states (the table packs a hash tag beside 27-bit indices).
  static constexpr int kIndexBits = 27;
  static constexpr uint32_t kIndexMask = (1u << kIndexBits) - 1;
  static constexpr uint32_t kCapacity = kIndexMask - 1;
  explicit StateStore(size_t state_size);
  // Inserts `s` if new. Returns {index, inserted}.
  std::pair<uint32_t, bool> insert(const uint8_t* s, uint32_t parent);
  const uint8_t* state(uint32_t i) const {
    return chunks_[i >> kChunkBits].get() + size_t(i & (kChunk - 1)) * size_;
  }
  uint32_t parent(uint32_t i) const { return parents_[i]; }
  uint32_t size() const { return count_; }
  size_t state_size() const { return size_; }
  // Bytes held by the store (arena chunks, parents, table).
  size_t bytes() const;
  size_t table_bytes() const { return table_.size() * 4; }
  // The path of states from a root to `i`.
  std::vector<std::vector<uint8_t>> path_to(uint32_t i) const;

  static uint64_t hash(const uint8_t* s, size_t n);

 private:
  static constexpr int kChunkBits = 16;
  static constexpr uint32_t kChunk = 1u << kChunkBits;
  void grow();
  size_t size_;
  uint32_t count_ = 0;
  std::vector<std::unique_ptr<uint8_t[]>> chunks_;
  std::vector<uint32_t> parents_;
  std::vector<uint32_t> table_;  // tag | (index + 1); 0 = empty
  uint64_t mask_;
};

}  // namespace lc
