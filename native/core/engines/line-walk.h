// The 4-level walk of a line (15 nodes in heap order, 16 leaves) from its
// nodes' decision bits, shared by the binned and predicated engines' line
// kernels. Internal to native/core/engines.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mlops::engines::line_walk {

// Sub-heap node (8..15, 1-based: node j's children 2j and 2j + 1) that 3
// steps from node 1 reach, by the decisions of nodes 1..7 (bits 1..7 of the
// index; bit 0 unused): one load instead of three dependent steps.
struct Level3Table {
  uint8_t j[256];
};
constexpr Level3Table MakeLevel3Table() {
  Level3Table t{};
  for (uint32_t m = 0; m < 256; ++m) {
    uint32_t j = 1;
    for (uint32_t s = 0; s < 3; ++s) j = 2 * j + ((m >> j) & 1);
    t.j[m] = static_cast<uint8_t>(j);
  }
  return t;
}
inline constexpr Level3Table kLevel3 = MakeLevel3Table();

// Sub-heap node (2^kLevels .. 2^(kLevels + 1) - 1: leaf j - 2^kLevels)
// that kLevels steps from node 1 reach, bit j of `right` being node j's
// decision (1 = right): three steps from the table, then per level
// j = 2j + bit j (on x86-64 one bt and one adc).
// `level3` is kLevel3.j (a kernel may keep it in one register for all its
// lines).
template <uint32_t kLevels>
inline size_t EndOfDecisions(uint32_t right, const uint8_t* level3 = kLevel3.j) {
  static_assert(kLevels >= 3 && kLevels <= 5, "a line's decisions fit 32 bits");
  size_t j = level3[right & 0xFF];
  for (uint32_t s = 3; s < kLevels; ++s) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    // 64-bit, so that j indexes memory without a zero extension.
    asm("btq %q[j], %q[m]\n\tadcq %q[j], %q[j]" : [j] "+r"(j) : [m] "r"(uint64_t{right}) : "cc");
#else
    j = 2 * j + ((right >> j) & 1);
#endif
  }
  return j;
}

}  // namespace mlops::engines::line_walk
