// Predicated heap levels for 32 rows at once (AVX-512 BW), shared by the
// predicated and binned engines. Internal to native/core/engines.
//
// A block's bins are 16-bit lanes, feature-major: node i of a heap reads the
// vector at byte offset offset[i] from a 32-row group, and its decision is
// the sign bit of rank[i] - bin (1 = right; bins and ranks stay in
// [-1, 0x7FFF], so the difference never wraps). Level L's choice is a
// 2^L-way multiplexer over that level's decisions driven by the choices
// above (one vpternlog per node); the D choices are the row's heap position
// at level D.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MLOPS_MUX_AVX512 1
#define MLOPS_MUX_INLINE __attribute__((target("avx512f,avx512bw"), always_inline)) inline

namespace mlops::engines::mux {

// Bit 15 of each 16-bit lane carries a decision: 1 = right. Selects hi where
// s says right, lo elsewhere (only bit 15 of the result matters).
MLOPS_MUX_INLINE __m512i Select(__m512i s, __m512i hi, __m512i lo) { return _mm512_ternarylogic_epi32(s, hi, lo, 0xCA); }

// Decisions of node i for kG 32-row groups at g, g + 64 bytes, ...
struct Nodes {
  const int16_t* rank;
  const uint32_t* offset;
  const char* g;
};
template <int kG>
MLOPS_MUX_INLINE void Decide(const Nodes& n, size_t i, __m512i* d) {
  const __m512i r = _mm512_set1_epi16(n.rank[i]);
  const char* v = n.g + n.offset[i];
  for (int j = 0; j < kG; ++j) d[j] = _mm512_sub_epi16(r, _mm512_loadu_si512(v + 64 * j));
}

// The choice among 2^K consecutive nodes starting at `first` (one level),
// driven by the choices of the levels above: s[j][0..K) for group j, s[j][0]
// the highest level. kD is the row stride of s.
template <int K, int kG, int kD>
struct Mux {
  MLOPS_MUX_INLINE static void Run(const Nodes& n, size_t first, const __m512i (*s)[kD], int level, __m512i* o) {
    __m512i a[kG], b[kG];
    Mux<K - 1, kG, kD>::Run(n, first, s, level + 1, a);
    Mux<K - 1, kG, kD>::Run(n, first + (size_t{1} << (K - 1)), s, level + 1, b);
    for (int j = 0; j < kG; ++j) o[j] = Select(s[j][level], b[j], a[j]);
  }
};
template <int kG, int kD>
struct Mux<0, kG, kD> {
  MLOPS_MUX_INLINE static void Run(const Nodes& n, size_t first, const __m512i (*)[kD], int, __m512i* o) {
    Decide<kG>(n, first, o);
  }
};

template <int L, int D, int kG>
MLOPS_MUX_INLINE void Levels(const Nodes& n, __m512i (*s)[D > 0 ? D : 1]) {
  if constexpr (L < D) {
    __m512i o[kG];
    Mux<L, kG, D>::Run(n, (size_t{1} << L) - 1, s, 0, o);
    for (int j = 0; j < kG; ++j) s[j][L] = o[j];
    Levels<L + 1, D, kG>(n, s);
  }
}

// Leaf index (bits: the D choices, highest level first) of 32 rows.
template <int D>
MLOPS_MUX_INLINE __m512i LeafIndex(const __m512i* s) {
  __m512i idx = _mm512_setzero_si512();
  for (int L = 0; L < D; ++L) {
    const int bit = D - 1 - L;
    idx = _mm512_ternarylogic_epi32(idx, _mm512_srli_epi16(s[L], 15 - bit), _mm512_set1_epi16(int16_t(1 << bit)), 0xF8);
  }
  return idx;
}

}  // namespace mlops::engines::mux

#endif
