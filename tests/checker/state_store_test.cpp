#include <catch2/catch.hpp>

#include "checker/explicit/state_store.h"

using lc::StateStore;

TEST_CASE("state store: deduplicates, keeps parents, survives growth across chunks") {
  StateStore s(6);
  uint8_t buf[6] = {};
  uint32_t prev = StateStore::kNone;
  for (uint32_t i = 0; i < 70000; ++i) {  // more than one 65536-state chunk and many table doublings
    memcpy(buf, &i, 4);
    auto [idx, fresh] = s.insert(buf, prev);
    REQUIRE(fresh);
    REQUIRE(idx == i);
    prev = idx;
  }
  CHECK(s.size() == 70000);
  uint32_t k = 12345;
  memcpy(buf, &k, 4);
  auto [idx, fresh] = s.insert(buf, 0);
  CHECK(!fresh);
  CHECK(idx == 12345);
  CHECK(s.parent(12345) == 12344);
  auto path = s.path_to(3);
  REQUIRE(path.size() == 4);
  CHECK(path[0][0] == 0);
  CHECK(path[3][0] == 3);
}

TEST_CASE("state store: the hash is a fixed function of the bytes") {
  uint8_t a[13] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  CHECK(StateStore::hash(a, 13) == StateStore::hash(a, 13));
  uint8_t b[13] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14};
  CHECK(StateStore::hash(a, 13) != StateStore::hash(b, 13));
}
