#include "checker/explicit/state_store.h"

namespace lc {

StateStore::StateStore(size_t state_size) : size_(state_size ? state_size : 1) {
  table_.assign(1u << 12, 0);
  mask_ = table_.size() - 1;
}

// 8 bytes at a time, multiply-xorshift mixing: fast, and the same on every machine.
uint64_t StateStore::hash(const uint8_t* s, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  uint64_t w = 0;
  memcpy(&w, s + i, n - i);
  h = (h ^ w) * 0x94d049bb133111ebull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

// Table entries are (tag << kIndexBits) | (index + 1): the tag, a few more bits of the
// hash, lets most probes of other states skip the arena (a cache miss) entirely.
static inline uint32_t tag_of(uint64_t h) { return uint32_t(h >> 59); }

void StateStore::grow() {
  std::vector<uint32_t> t(table_.size() * 2, 0);
  uint64_t mask = t.size() - 1;
  for (uint32_t e : table_) {
    if (!e) continue;
    uint64_t h = hash(state((e & kIndexMask) - 1), size_) & mask;
    while (t[h]) h = (h + 1) & mask;
    t[h] = e;
  }
  table_.swap(t);
  mask_ = mask;
}

std::pair<uint32_t, bool> StateStore::insert(const uint8_t* s, uint32_t parent) {
  if (uint64_t(count_ + 1) * 2 > table_.size()) grow();
  uint64_t full = hash(s, size_);
  uint32_t tag = tag_of(full) << kIndexBits;
  uint64_t h = full & mask_;
  while (uint32_t e = table_[h]) {
    if ((e & ~kIndexMask) == tag && memcmp(state((e & kIndexMask) - 1), s, size_) == 0)
      return {(e & kIndexMask) - 1, false};
    h = (h + 1) & mask_;
  }
  uint32_t idx = count_++;
  if ((idx >> kChunkBits) >= chunks_.size()) chunks_.emplace_back(new uint8_t[size_t(kChunk) * size_]);
  memcpy(const_cast<uint8_t*>(state(idx)), s, size_);
  parents_.push_back(parent);
  table_[h] = tag | (idx + 1);
  return {idx, true};
}

size_t StateStore::bytes() const {
  return chunks_.size() * size_t(kChunk) * size_ + parents_.capacity() * 4 + table_.size() * 4;
}

std::vector<std::vector<uint8_t>> StateStore::path_to(uint32_t i) const {
  std::vector<std::vector<uint8_t>> out;
  for (uint32_t k = i; k != kNone; k = parents_[k]) out.emplace_back(state(k), state(k) + size_);
  return {out.rbegin(), out.rend()};
}

}  // namespace lc
