// Feature cuts: each feature's distinct split values, sorted, and the bin of
// a row's value among them. Shared by the engines that compare integer bins
// instead of doubles (predicated, binned). Internal to native/core/engines.
//
// For a split value of rank k among its feature's cuts, `x < t` holds exactly
// when bin(x) = (number of cuts <= x) is at most k, so a node's double compare
// becomes an integer compare with the same result for every non-NaN x
// (docs/model-format.md); NaN is routed by each engine on its own.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/model.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MLOPS_CUTS_AVX512 1
#define MLOPS_CUTS_INLINE __attribute__((target("avx512f,popcnt"), always_inline)) inline
#endif

namespace mlops::engines::cuts {

constexpr size_t kFan = 16;         // keys per search-table block (two zmm of doubles)
constexpr uint32_t kMaxLevels = 8;  // 16^8 keys per feature at most

// Per feature, the values every `x < t` of the model compares against (`<=`
// compiled to `< nextafter(t, +inf)`), ascending, -0 and +0 as one.
std::vector<std::vector<double>> SplitValues(const Model& m);
// The value node i of tree t compares against (as in SplitValues).
double SplitValue(const Model& m, const Tree& t, size_t i);
// Rank of node i's split value among its feature's cuts (its index).
uint32_t RankOf(const std::vector<double>& cuts, double split_value);

// Feature f's cuts as 16-ary search tables. Level 0 is the sorted cuts; level
// j + 1 holds the last key of every full 16-key block of level j; the top
// level has at most 16 keys. Every level is padded with NaN to whole blocks
// plus one, and NaN <= x is false, so a block's count of keys <= x never
// counts padding. bin = sum over levels, top down, of j = 16 j + count.
//
// Buckets, a direct-mapped first step (features with more than kFan cuts and
// a finite range): bucket(x) = trunc(clamp((x - lo) * scale, 0, n - 1)) is
// monotone in x, so every cut in a lower bucket is below x and every cut in
// a higher one above it. first[i] = the number of cuts in buckets below i;
// when bucket i holds at most kScan cuts, bin(x) = first[i] + (number of the
// kScan cuts from index first[i] that are <= x), exactly. Fuller buckets hold
// kFullBucket and take the search. Built from the same bucket function that
// scores, so the split is the same on every CPU (no fused operations: a
// subtraction, then a multiplication).
constexpr uint32_t kScan = 8;
constexpr uint16_t kFullBucket = 0xFFFF;

struct SearchTables {
  std::vector<double> keys;
  struct Feature {
    uint32_t n_levels = 0;
    uint32_t start[kMaxLevels] = {};
    // Buckets: n_buckets == 0 when the feature has none.
    double lo = 0, scale = 0, last = 0;  // last = n_buckets - 1
    uint32_t n_buckets = 0;
    uint32_t bucket_start = 0;  // into `first`
    uint32_t scan_start = 0;    // into `keys`: level 0, the sorted cuts, then >= kScan NaN
  };
  std::vector<Feature> features;
  std::vector<std::vector<double>> sorted;  // the plain cuts, for the scalar path
  std::vector<uint16_t> first;              // per bucket, or kFullBucket

  size_t bytes() const {
    size_t b = keys.size() * sizeof(double) + features.size() * sizeof(Feature) + first.size() * sizeof(uint16_t);
    for (const auto& s : sorted) b += s.size() * sizeof(double);
    return b;
  }
};

// Bucket of a non-NaN x (feature has buckets).
inline uint32_t BucketOf(const SearchTables::Feature& sf, double x) {
  double t = (x - sf.lo) * sf.scale;
  t = t > 0.0 ? t : 0.0;
  t = t < sf.last ? t : sf.last;
  return static_cast<uint32_t>(t);
}

SearchTables BuildSearchTables(std::vector<std::vector<double>> per_feature);

// Number of cuts <= x (x not NaN).
inline uint32_t BinScalar(const SearchTables& s, uint32_t f, double x) {
  const SearchTables::Feature& sf = s.features[f];
  if (sf.n_buckets != 0) {
    const uint16_t first = s.first[sf.bucket_start + BucketOf(sf, x)];
    if (first != kFullBucket) {
      const double* k = s.keys.data() + sf.scan_start + first;
      uint32_t n = first;
      for (uint32_t i = 0; i < kScan; ++i) n += k[i] <= x;  // NaN padding counts 0
      return n;
    }
  }
  const auto& c = s.sorted[f];
  return static_cast<uint32_t>(std::upper_bound(c.begin(), c.end(), x) - c.begin());
}

#ifdef MLOPS_CUTS_AVX512
// Whether BinAvx512 may run (AVX-512 F and popcnt).
bool CpuHasBinAvx512();

// The bucket step's count: first + (number of the kScan cuts from index first
// of `scan`, the feature's level 0, that are <= x), one compare.
MLOPS_CUTS_INLINE uint32_t ScanAvx512(const double* scan, uint16_t first, double x) {
  const __mmask8 le = _mm512_cmp_pd_mask(_mm512_loadu_pd(scan + first), _mm512_set1_pd(x), _CMP_LE_OQ);
  return first + static_cast<uint32_t>(__builtin_popcount(static_cast<uint32_t>(le)));
}

// Number of cuts <= x (x not NaN) by the 16-ary tables alone: two compares
// and a popcount per level.
MLOPS_CUTS_INLINE uint32_t SearchAvx512(const SearchTables& s, const SearchTables::Feature& sf, double x) {
  const __m512d xv = _mm512_set1_pd(x);
  uint32_t j = 0;
  for (uint32_t l = sf.n_levels; l-- > 0;) {
    const double* b = s.keys.data() + sf.start[l] + kFan * j;
    const __mmask8 lo = _mm512_cmp_pd_mask(_mm512_loadu_pd(b), xv, _CMP_LE_OQ);
    const __mmask8 hi = _mm512_cmp_pd_mask(_mm512_loadu_pd(b + 8), xv, _CMP_LE_OQ);
    j = kFan * j + static_cast<uint32_t>(__builtin_popcount(_cvtmask16_u32(_mm512_kunpackb(hi, lo))));
  }
  return j;
}

// Number of cuts <= x (x not NaN): the bucket step where the bucket is not
// full, else the search.
MLOPS_CUTS_INLINE uint32_t BinAvx512(const SearchTables& s, uint32_t f, double x) {
  const SearchTables::Feature& sf = s.features[f];
  if (sf.n_buckets != 0) {
    const uint16_t first = s.first[sf.bucket_start + BucketOf(sf, x)];
    if (first != kFullBucket) return ScanAvx512(s.keys.data() + sf.scan_start, first, x);
  }
  return SearchAvx512(s, sf, x);
}

// NaN in BinColumnAvx512's output: above every count (a feature has at most
// kBinnedMaxDistinct < 0xFFFF cuts).
constexpr uint16_t kNanBin = 0xFFFF;

// Bins of n values of feature f read at x[0], x[stride], ...: out[i] = the
// number of cuts <= x, or kNanBin. One feature at a time keeps its bucket and
// key tables in L1 across the values; the output is contiguous, so engines
// derive their own encodings from it with vector ops (NaN right: saturating
// +1; NaN left: wrapping +1).
void BinColumnAvx512(const SearchTables& s, uint32_t f, const double* x, size_t stride, size_t n, uint16_t* out);
#endif

}  // namespace mlops::engines::cuts
