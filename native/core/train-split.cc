// The GBDT split search (see train-split.h).
//
// Candidates of a feature, in order: NaN alone (when the NaN bin has rows),
// then for each cut k the left side bins 0..k, without and then with the NaN
// bin. The best so far is held as the fraction n / d of its two children's
// summed score (n = gl^2 dr + gr^2 dl, d = dl dr, d's > 0), so comparing a
// candidate with it needs no division:
//   n_k / d_k > n / d  <=>  n_k d > n d_k.
// The kernel runs that loop for eight features at once, lane by lane the same
// operations as the portable loop: no fused multiply-adds (ISO C++ mode
// leaves them off) and the same association everywhere.
#include "core/train-split.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MLOPS_SPLIT_AVX512 1
#endif

namespace mlops::train_detail {
namespace {

// Without counts, a bin is empty when its hessian sum is at most this share of
// the node's: a subtracted histogram leaves rounding residue (far below this)
// in bins that lost all their rows, and such a bin must not count as fresh.
constexpr double kEmptyShare = 1e-12;

double Score(const GH& s, double lambda) {
  const double d = s.h + lambda;
  return d > 0 ? s.g * s.g / d : 0.0;
}

// The winner's split record; its gain in the division form, once.
Split Finish(double lg, double lh, double lc, int32_t bin, bool default_left, int32_t feature, const GH& total,
             const SplitRules& rules) {
  Split s;
  const double dl = lh + rules.lambda;
  const double dr = (total.h - lh) + rules.lambda;
  const double rg = total.g - lg;
  s.gain = lg * lg / dl + rg * rg / dr - Score(total, rules.lambda);
  s.feature = feature;
  s.bin = bin;
  s.default_left = default_left;
  s.left = GH{lg, lh, lc};
  return s;
}

template <bool kCounted>
Split FindSplitScalar(const FeatureSlice& slice, const GH& total, const SplitRules& rules) {
  const Cell* cells = slice.cells;
  const uint32_t* counts = slice.counts;
  auto cell = [&](uint32_t k) { return GH{cells[k].g, cells[k].h, kCounted ? static_cast<double>(counts[k]) : 0.0}; };
  const double empty_h = kEmptyShare * total.h;
  auto nonempty = [&](uint32_t k) { return kCounted ? counts[k] != 0 : cells[k].h > empty_h; };
  const uint32_t value_bins = slice.value_bins;
  const double lambda = rules.lambda;
  const double mcw = rules.min_child_weight;
  const double msl = rules.min_samples_leaf;
  double best_n = kMinGain + Score(total, lambda);
  double best_d = 1.0;
  GH best_left;
  int32_t best_bin = 0;
  bool best_default = false;
  bool found = false;
  // `fresh` is false for a cut after an empty bin: it repeats the previous
  // partition (up to rounding), so it may never win.
  auto consider = [&](const GH& left, int32_t bin, bool default_left, bool fresh) {
    const double rh = total.h - left.h;
    if (kCounted) {
      const double rc = total.c - left.c;
      if (left.c < msl || rc < msl) return;
    }
    if (left.h < mcw || rh < mcw) return;
    const double dl = left.h + lambda;
    const double dr = rh + lambda;
    // Only with l2 = 0 and zero hessian; count-free, the weight checks above
    // (min_child_weight >= kCountFreeMinWeight, l2 >= 0) already rule it out.
    if (kCounted && !(dl > 0 && dr > 0)) return;
    const double rg = total.g - left.g;
    const double n = left.g * left.g * dr + rg * rg * dl;
    const double d = dl * dr;
    if (fresh && n * best_d > best_n * d) {
      best_n = n;
      best_d = d;
      best_left = left;
      best_bin = bin;
      best_default = default_left;
      found = true;
    }
  };
  // Empty bins are not skipped with a branch: that mispredicts on sparse
  // histograms and costs more than evaluating the cut.
  const GH nan = cell(value_bins);
  const bool nan_rows = nonempty(value_bins);
  if (nan_rows) consider(nan, -1, true, true);
  GH acc;
  for (uint32_t k = 0; k + 1 < value_bins; ++k) {
    acc += cell(k);
    const bool fresh = nonempty(k);
    if (nan_rows) {
      consider(acc, static_cast<int32_t>(k), false, fresh);
      GH with_nan = acc;
      with_nan += nan;
      consider(with_nan, static_cast<int32_t>(k), true, fresh);
    } else {
      // No NaN here to learn from: send unseen NaN to the heavier side.
      consider(acc, static_cast<int32_t>(k), acc.h >= total.h - acc.h, fresh);
    }
  }
  if (!found) return Split();
  return Finish(best_left.g, best_left.h, best_left.c, best_bin, best_default, slice.feature, total, rules);
}

#ifdef MLOPS_SPLIT_AVX512

#define MLOPS_SPLIT_TARGET __attribute__((target("avx512f"), optimize("fp-contract=off")))
#define MLOPS_SPLIT_INLINE __attribute__((target("avx512f"), optimize("fp-contract=off"), always_inline)) inline

// Eight features' best candidates so far, lane by lane.
struct Lanes8 {
  // The node's sums and the rules, broadcast.
  struct Node {
    __m512d th;
    __m512d tg;
    __m512d lambda;
    __m512d mcw;
  };

  __m512d n;
  __m512d d;
  __m512d lg;
  __m512d lh;
  __m512i bin;
  __mmask8 default_left;
  __mmask8 found;

  MLOPS_SPLIT_INLINE void Start(__m512d bar) {
    n = bar;
    d = _mm512_set1_pd(1.0);
    lg = _mm512_setzero_pd();
    lh = _mm512_setzero_pd();
    bin = _mm512_setzero_si512();
    default_left = 0;
    found = 0;
  }

  // The portable loop's `consider`, for the lanes in `live`.
  MLOPS_SPLIT_INLINE void Consider(const Node& t, __m512d left_g, __m512d left_h, __m512i cut, __mmask8 nan_left,
                                   __mmask8 live) {
    const __m512d rh = _mm512_sub_pd(t.th, left_h);
    // `!(x < mcw)`, as the portable loop's early return.
    live = _mm512_mask_cmp_pd_mask(live, left_h, t.mcw, _CMP_NLT_UQ);
    live = _mm512_mask_cmp_pd_mask(live, rh, t.mcw, _CMP_NLT_UQ);
    const __m512d dl = _mm512_add_pd(left_h, t.lambda);
    const __m512d dr = _mm512_add_pd(rh, t.lambda);
    const __m512d rg = _mm512_sub_pd(t.tg, left_g);
    const __m512d num =
        _mm512_add_pd(_mm512_mul_pd(_mm512_mul_pd(left_g, left_g), dr), _mm512_mul_pd(_mm512_mul_pd(rg, rg), dl));
    const __m512d den = _mm512_mul_pd(dl, dr);
    const __mmask8 better = _mm512_mask_cmp_pd_mask(live, _mm512_mul_pd(num, d), _mm512_mul_pd(n, den), _CMP_GT_OQ);
    n = _mm512_mask_mov_pd(n, better, num);
    d = _mm512_mask_mov_pd(d, better, den);
    lg = _mm512_mask_mov_pd(lg, better, left_g);
    lh = _mm512_mask_mov_pd(lh, better, left_h);
    bin = _mm512_mask_mov_epi64(bin, better, cut);
    default_left = static_cast<__mmask8>((default_left & ~better) | (nan_left & better));
    found = static_cast<__mmask8>(found | better);
  }
};

// GCC 12 warns that its own unpack and shuffle intrinsics read an undefined
// pass-through operand (its bug 105593); nothing here is uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// Rows r[j] = four cells of lane j (g0 h0 .. g3 h3) to g[b] / h[b] = bin b
// of every lane: an 8 x 8 transpose of doubles.
MLOPS_SPLIT_INLINE void Transpose(const __m512d* r, __m512d* g, __m512d* h) {
  __m512d lo[4];
  __m512d hi[4];
  for (int p = 0; p < 4; ++p) {
    lo[p] = _mm512_unpacklo_pd(r[2 * p], r[2 * p + 1]);  // g of lanes 2p, 2p + 1, per bin
    hi[p] = _mm512_unpackhi_pd(r[2 * p], r[2 * p + 1]);  // h likewise
  }
  const __m512d* in[2] = {lo, hi};
  __m512d* out[2] = {g, h};
  for (int q = 0; q < 2; ++q) {
    const __m512d* t = in[q];
    const __m512d even01 = _mm512_shuffle_f64x2(t[0], t[1], 0x88);  // bins 0, 2 of lanes 0-3
    const __m512d odd01 = _mm512_shuffle_f64x2(t[0], t[1], 0xDD);   // bins 1, 3 of lanes 0-3
    const __m512d even23 = _mm512_shuffle_f64x2(t[2], t[3], 0x88);  // lanes 4-7
    const __m512d odd23 = _mm512_shuffle_f64x2(t[2], t[3], 0xDD);
    out[q][0] = _mm512_shuffle_f64x2(even01, even23, 0x88);
    out[q][2] = _mm512_shuffle_f64x2(even01, even23, 0xDD);
    out[q][1] = _mm512_shuffle_f64x2(odd01, odd23, 0x88);
    out[q][3] = _mm512_shuffle_f64x2(odd01, odd23, 0xDD);
  }
}

// Lane j is slices[j]; lanes past n and bins past a slice's last cut are
// masked off (their loads read nothing). Cells come four bins a lane at a
// time and are transposed: gathers cost several times more on this path.
MLOPS_SPLIT_TARGET void FindSplitsAvx512(const FeatureSlice* slices, size_t n, const GH& total,
                                         const SplitRules& rules, Split* out) {
  const __mmask8 lanes = static_cast<__mmask8>((1u << n) - 1);
  alignas(64) int64_t cuts[kSplitLanes] = {};  // bins 0..cuts-1 end a left side
  alignas(64) double nan_cell[2][kSplitLanes] = {};
  uint32_t max_cuts = 0;
  uint32_t min_cuts = UINT32_MAX;
  for (size_t j = 0; j < n; ++j) {
    const uint32_t c = slices[j].value_bins - 1;
    cuts[j] = c;
    max_cuts = c > max_cuts ? c : max_cuts;
    min_cuts = c < min_cuts ? c : min_cuts;
    nan_cell[0][j] = slices[j].cells[slices[j].value_bins].g;
    nan_cell[1][j] = slices[j].cells[slices[j].value_bins].h;
  }
  const __m512i lane_cuts = _mm512_load_si512(cuts);
  const __m512d th = _mm512_set1_pd(total.h);
  const __m512d empty_h = _mm512_set1_pd(kEmptyShare * total.h);
  const __m512d nan_g = _mm512_load_pd(nan_cell[0]);
  const __m512d nan_h = _mm512_load_pd(nan_cell[1]);
  const __mmask8 nan_rows = _mm512_mask_cmp_pd_mask(lanes, nan_h, empty_h, _CMP_GT_OQ);

  Lanes8 best;
  best.Start(_mm512_set1_pd(kMinGain + Score(total, rules.lambda)));
  const Lanes8::Node node{th, _mm512_set1_pd(total.g), _mm512_set1_pd(rules.lambda),
                          _mm512_set1_pd(rules.min_child_weight)};
  best.Consider(node, nan_g, nan_h, _mm512_set1_epi64(-1), 0xff, nan_rows);
  __m512d acc_g = _mm512_setzero_pd();
  __m512d acc_h = _mm512_setzero_pd();
  for (uint32_t k = 0; k < max_cuts; k += 4) {
    __m512d r[kSplitLanes];
    for (size_t j = 0; j < kSplitLanes; ++j) {
      // Doubles of this lane's cuts k..k+3 (none for lanes past n).
      uint32_t take = 0;
      if (j < n) take = k + 4 <= min_cuts ? 4 : (cuts[j] > k ? std::min<uint32_t>(4, cuts[j] - k) : 0);
      const __mmask8 m = static_cast<__mmask8>((1u << (2 * take)) - 1);
      r[j] = _mm512_maskz_loadu_pd(m, &slices[j < n ? j : 0].cells[j < n ? k : 0].g);
    }
    __m512d g[4];
    __m512d h[4];
    Transpose(r, g, h);
    for (uint32_t b = 0; b < 4; ++b) {
      const __m512i cut = _mm512_set1_epi64(k + b);
      const __mmask8 live = _mm512_mask_cmpgt_epi64_mask(lanes, lane_cuts, cut);
      acc_g = _mm512_add_pd(acc_g, g[b]);
      acc_h = _mm512_add_pd(acc_h, h[b]);
      const __mmask8 fresh = _mm512_mask_cmp_pd_mask(live, h[b], empty_h, _CMP_GT_OQ);
      // Where the NaN bin is empty, unseen NaN goes to the heavier side.
      const __mmask8 heavier =
          static_cast<__mmask8>(~nan_rows & _mm512_cmp_pd_mask(acc_h, _mm512_sub_pd(th, acc_h), _CMP_GE_OQ));
      best.Consider(node, acc_g, acc_h, cut, heavier, fresh);
      if (nan_rows != 0) {
        best.Consider(node, _mm512_add_pd(acc_g, nan_g), _mm512_add_pd(acc_h, nan_h), cut, 0xff,
                      static_cast<__mmask8>(fresh & nan_rows));
      }
    }
  }
  alignas(64) double lg[kSplitLanes];
  alignas(64) double lh[kSplitLanes];
  alignas(64) int64_t bin[kSplitLanes];
  _mm512_store_pd(lg, best.lg);
  _mm512_store_pd(lh, best.lh);
  _mm512_store_si512(bin, best.bin);
  for (size_t j = 0; j < n; ++j) {
    if (((best.found >> j) & 1) == 0) {
      out[j] = Split();
      continue;
    }
    out[j] = Finish(lg[j], lh[j], 0.0, static_cast<int32_t>(bin[j]), ((best.default_left >> j) & 1) != 0,
                    slices[j].feature, total, rules);
  }
}

#pragma GCC diagnostic pop

bool CpuHasAvx512F() { return __builtin_cpu_supports("avx512f"); }

#endif

}  // namespace

bool VectorSplits() {
#ifdef MLOPS_SPLIT_AVX512
  const char* isa = std::getenv("MLOPS_TRAIN_ISA");
  return CpuHasAvx512F() && !(isa != nullptr && std::strcmp(isa, "scalar") == 0);
#else
  return false;
#endif
}

void FindSplits(const FeatureSlice* slices, size_t n, const GH& total, const SplitRules& rules, bool vector,
                Split* out) {
#ifdef MLOPS_SPLIT_AVX512
  if (vector && n > 0 && slices[0].counts == nullptr) {
    FindSplitsAvx512(slices, n, total, rules, out);
    return;
  }
#endif
  for (size_t j = 0; j < n; ++j) {
    out[j] = slices[j].counts != nullptr ? FindSplitScalar<true>(slices[j], total, rules)
                                         : FindSplitScalar<false>(slices[j], total, rules);
  }
}

}  // namespace mlops::train_detail
