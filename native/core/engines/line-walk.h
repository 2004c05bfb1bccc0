// The 4-level walk of a line (15 nodes in heap order, 16 leaves) from its
// nodes' decision bits, shared by the binned and predicated engines' line
// kernels. Internal to native/core/engines.
#pragma once

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

// Sub-heap node (16..31: leaf j - 16) that 4 steps from node 1 reach, bit j
// of `right` being node j's decision (1 = right): three steps from the
// table, then j = 2j + bit j (on x86-64 one bt and one adc).
inline uint32_t EndOfDecisions(uint32_t right) {
  uint32_t j = kLevel3.j[right & 0xFF];
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  asm("btl %k[j], %k[m]\n\tadcl %k[j], %k[j]" : [j] "+r"(j) : [m] "r"(right) : "cc");
#else
  j = 2 * j + ((right >> j) & 1);
#endif
  return j;
}

}  // namespace mlops::engines::line_walk
