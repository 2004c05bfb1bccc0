// The heap engine: quantized features, every tree padded to a full implicit
// heap, vector kernels that look nodes up with in-register permutes.
//
// Layout (built once from the validated Model):
// - cuts: per feature, its distinct split values sorted ascending. A row's
//   value x becomes its bin, the number of cuts <= x (NaN: kNanBin). For a
//   split value t with rank k among its feature's cuts, `x < t` exactly when
//   bin(x) <= k: decisions are integer compares, and bit-identical to the
//   double compares of docs/model-format.md.
// - nodes: one uint32 per heap node (bits 0-15: k + 1, "go right iff
//   bin >= k + 1"; bits 16-30: feature; bit 31: default_left). A leaf above
//   the deepest level becomes pass-through nodes whose every leaf below holds
//   its value, so each walk is exactly `depth` steps of `p = 2p + right`.
//   Trees are stored in pairs, level by level: pair g, level L holds tree
//   2g's 2^L nodes then tree 2g+1's, so one level's lookups for both trees
//   are one permute over a few registers (a gather below level 6).
// - leaves: 2^depth leaf vectors per tree, in heap order.
//
// Kernels: the AVX-512 kernel walks 16 lanes at once, 2 trees x 8 rows, and
// adds each tree's 8 leaf values to the 8 rows' margins with one vector add,
// trees in index order. The scalar kernel walks one row through 8 trees at a
// time. Both add a row's leaves in tree index order from Ensemble::Start, so
// a row's result does not depend on the kernel, the batch or the thread.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MLOPS_HEAP_AVX512 1
#define MLOPS_TARGET_AVX512 __attribute__((target("avx512f,avx512bw")))
#define MLOPS_INLINE_AVX512 __attribute__((target("avx512f,avx512bw"), always_inline)) inline
#endif

#include "core/engines/engine.h"
#include "core/engines/select.h"

namespace mlops::engines {
namespace {

constexpr uint32_t kNanBin = 0xFFFF;
constexpr uint32_t kThrMask = 0xFFFF;
constexpr uint32_t kDefaultLeftBit = 0x80000000u;
constexpr size_t kBlock = 64;       // rows per block (bins and margins in scratch)
constexpr size_t kGroup = 8;        // rows per vector group
constexpr int kScalarLanes = 8;     // trees walked together by the scalar kernel
constexpr uint32_t kPermuteLevels = 7;  // levels 0-6 by permutes, deeper by gathers
// Below this many rows a call uses the scalar kernel: a vector group of 8
// rows costs about as much for 1 row as for 8. (A 16-trees-per-lane vector
// kernel for single rows, with gathered nodes, measured slower than the
// generic engine's row walk on Zen 4, so the Scorer sends small calls there.)
constexpr size_t kMinVectorRows = 3;

struct Layout {
  uint32_t depth = 0;
  uint32_t n_features = 0;
  uint32_t n_outputs = 0;
  uint32_t leaf_width = 1;
  size_t n_trees = 0;
  size_t n_pairs = 0;
  // Offset (uint32 entries) of level L inside a pair's tables, and the pair
  // stride. Levels below kPermuteLevels are padded to at least 16 entries so
  // a full-register load stays inside the table.
  uint32_t level_offset[kHeapMaxDepth + 1] = {};
  size_t pair_stride = 0;
  std::vector<uint32_t> nodes;
  std::vector<double> leaves;            // n_trees * 2^depth * leaf_width
  std::vector<uint32_t> output_index;    // per tree (0 when leaf_width > 1)
  std::vector<double> cuts;              // all features' cuts, concatenated
  std::vector<uint32_t> cut_offset;      // n_features + 1

  size_t leaves_per_tree() const { return (size_t{1} << depth) * leaf_width; }
};

size_t LevelEntries(uint32_t level) {
  const size_t n = size_t{2} << level;  // both trees of the pair
  return level < kPermuteLevels ? std::max<size_t>(n, 16) : n;
}

// Places model node `id` (at heap level `level`, position `pos`) and its
// subtree into tree `t`'s heap.
void Place(const Model& m, const Tree& tree, const std::vector<uint32_t>& rank_plus_one, size_t t, int32_t id,
           uint32_t level, size_t pos, Layout& h) {
  if (tree.left[id] == -1) {
    // A leaf at level `level` covers heap leaves [pos << r, (pos + 1) << r).
    const uint32_t r = h.depth - level;
    const double* v = tree.value.data() + size_t(id) * m.leaf_width;
    double* dst = h.leaves.data() + t * h.leaves_per_tree();
    for (size_t p = pos << r; p < (pos + 1) << r; ++p) {
      std::memcpy(dst + p * h.leaf_width, v, h.leaf_width * sizeof(double));
    }
    return;  // the pass-through nodes below stay 0: "go right", harmless
  }
  const size_t g = t / 2, tau = t % 2;
  const uint32_t word = rank_plus_one[id] | (static_cast<uint32_t>(tree.feature[id]) << 16) |
                        (tree.default_left[id] ? kDefaultLeftBit : 0u);
  h.nodes[g * h.pair_stride + h.level_offset[level] + (tau << level) + pos] = word;
  Place(m, tree, rank_plus_one, t, tree.left[id], level + 1, 2 * pos, h);
  Place(m, tree, rank_plus_one, t, tree.right[id], level + 1, 2 * pos + 1, h);
}

Layout BuildLayout(const Model& m, uint32_t depth) {
  Layout h;
  h.depth = depth;
  h.n_features = m.n_features;
  h.n_outputs = m.n_outputs;
  h.leaf_width = m.leaf_width;
  h.n_trees = m.trees.size();
  h.n_pairs = (h.n_trees + 1) / 2;
  size_t at = 0;
  for (uint32_t L = 0; L < depth; ++L) {
    h.level_offset[L] = static_cast<uint32_t>(at);
    at += LevelEntries(L);
  }
  h.level_offset[depth] = static_cast<uint32_t>(at);
  h.pair_stride = at;
  h.nodes.assign(h.n_pairs * h.pair_stride, 0);
  h.leaves.assign((h.n_pairs * 2) * h.leaves_per_tree(), 0.0);

  // Cuts: what `<` compares against (a `<=` split is `< nextafter(t, +inf)`).
  const bool less_equal = m.decision == Decision::kLessEqual;
  auto split_value = [&](const Tree& t, size_t i) {
    return less_equal ? std::nextafter(t.threshold[i], std::numeric_limits<double>::infinity()) : t.threshold[i];
  };
  std::vector<std::vector<double>> per_feature(m.n_features);
  for (const Tree& t : m.trees) {
    for (size_t i = 0; i < t.size(); ++i) {
      if (t.left[i] != -1) per_feature[t.feature[i]].push_back(split_value(t, i));
    }
  }
  h.cut_offset.push_back(0);
  for (auto& v : per_feature) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end(), [](double a, double b) { return a == b; }), v.end());
    h.cuts.insert(h.cuts.end(), v.begin(), v.end());
    h.cut_offset.push_back(static_cast<uint32_t>(h.cuts.size()));
  }
  // A sentinel past the last cut: lockstep searches on a feature without
  // cuts read (and ignore) it.
  h.cuts.push_back(0.0);

  std::vector<uint32_t> rank_plus_one;
  for (size_t t = 0; t < h.n_trees; ++t) {
    const Tree& tree = m.trees[t];
    h.output_index.push_back(tree.output_index);
    rank_plus_one.assign(tree.size(), 0);
    for (size_t i = 0; i < tree.size(); ++i) {
      if (tree.left[i] == -1) continue;
      const double* c = h.cuts.data() + h.cut_offset[tree.feature[i]];
      const double* e = h.cuts.data() + h.cut_offset[tree.feature[i] + 1];
      rank_plus_one[i] = static_cast<uint32_t>(std::lower_bound(c, e, split_value(tree, i)) - c) + 1;
    }
    Place(m, tree, rank_plus_one, t, 0, 0, 0, h);
  }
  return h;
}

// Number of cuts <= x in c[0..n), c sorted ascending; kNanBin for NaN.
inline uint32_t Bin(const double* c, uint32_t n, double x) {
  if (x != x) return kNanBin;
  if (n == 0) return 0;
  // Branch-free: the outcomes are data-dependent coin flips, which a branch
  // would mispredict half the time.
  uint32_t lo = 0;
  while (n > 1) {
    const uint32_t half = n / 2;
    lo += half & (0u - static_cast<uint32_t>(c[lo + half] <= x));
    n -= half;
  }
  return lo + (c[lo] <= x);
}

// One row's bins. The features' searches run in lockstep (a search whose
// range is down to one cut just repeats a no-op step), so the core overlaps
// their load latencies instead of waiting on one chain at a time.
void BinRow(const Layout& h, const double* row, uint16_t* bins) {
  constexpr uint32_t kLanes = 16;
  for (uint32_t f0 = 0; f0 < h.n_features; f0 += kLanes) {
    const uint32_t lanes = std::min(kLanes, h.n_features - f0);
    const double* c[kLanes];
    uint32_t len[kLanes], lo[kLanes] = {}, longest = 0;
    double x[kLanes];
    for (uint32_t j = 0; j < kLanes; ++j) {
      const uint32_t f = f0 + (j < lanes ? j : 0);
      c[j] = h.cuts.data() + h.cut_offset[f];
      len[j] = h.cut_offset[f + 1] - h.cut_offset[f];
      x[j] = row[f];
      longest = std::max(longest, len[j]);
    }
    for (; longest > 1; longest -= longest / 2) {
      for (uint32_t j = 0; j < kLanes; ++j) {
        const uint32_t half = len[j] / 2;
        lo[j] += half & (0u - static_cast<uint32_t>(c[j][lo[j] + half] <= x[j]));
        len[j] -= half;
      }
    }
    for (uint32_t j = 0; j < lanes; ++j) {
      const uint32_t n = h.cut_offset[f0 + j + 1] - h.cut_offset[f0 + j];
      const uint32_t b = n == 0 ? 0 : lo[j] + (c[j][lo[j]] <= x[j]);
      bins[f0 + j] = static_cast<uint16_t>(x[j] != x[j] ? kNanBin : b);
    }
  }
}

// Bins of nb rows (row-major in and out). The searches of up to kGroup rows
// on one feature run in lockstep: each is a chain of dependent loads, so one
// at a time would leave the core waiting on load latency.
void BinRows(const Layout& h, const double* rows, size_t nb, uint16_t* bins) {
  const uint32_t nf = h.n_features;
  for (size_t r0 = 0; r0 < nb; r0 += kGroup) {
    const size_t lanes = std::min(kGroup, nb - r0);
    for (uint32_t f = 0; f < nf; ++f) {
      const double* c = h.cuts.data() + h.cut_offset[f];
      const uint32_t n = h.cut_offset[f + 1] - h.cut_offset[f];
      double x[kGroup];
      uint32_t lo[kGroup] = {};
      for (size_t j = 0; j < kGroup; ++j) x[j] = rows[(r0 + (j < lanes ? j : 0)) * nf + f];
      if (n > 0) {
        for (uint32_t len = n; len > 1;) {
          const uint32_t half = len / 2;
          for (size_t j = 0; j < kGroup; ++j) lo[j] += half & (0u - static_cast<uint32_t>(c[lo[j] + half] <= x[j]));
          len -= half;
        }
        for (size_t j = 0; j < kGroup; ++j) lo[j] += c[lo[j]] <= x[j];
      }
      for (size_t j = 0; j < lanes; ++j) bins[(r0 + j) * nf + f] = static_cast<uint16_t>(x[j] != x[j] ? kNanBin : lo[j]);
    }
  }
}

// Per-thread scratch for one block: bins (row-major, n_features per row) and
// margins (output-major: acc[k * kBlock + row]). Owned by the thread.
struct Scratch {
  std::vector<uint16_t> bins;
  std::vector<double> acc;
};
thread_local Scratch tls_scratch;

// One row through every tree, kScalarLanes trees at a time.
void ScalarRow(const Layout& h, const Ensemble& e, const uint16_t* bins, double* acc) {
  for (uint32_t k = 0; k < h.n_outputs; ++k) acc[k] = e.Start(k);
  const size_t per_tree = h.leaves_per_tree();
  for (size_t t0 = 0; t0 < h.n_trees; t0 += kScalarLanes) {
    const int lanes = static_cast<int>(std::min<size_t>(kScalarLanes, h.n_trees - t0));
    uint32_t p[kScalarLanes] = {};
    const uint32_t* pair[kScalarLanes];
    uint32_t tau[kScalarLanes];
    for (int j = 0; j < kScalarLanes; ++j) {
      const size_t t = t0 + (j < lanes ? j : 0);
      pair[j] = h.nodes.data() + (t / 2) * h.pair_stride;
      tau[j] = static_cast<uint32_t>(t % 2);
    }
    for (uint32_t L = 0; L < h.depth; ++L) {
      for (int j = 0; j < kScalarLanes; ++j) {
        const uint32_t node = pair[j][h.level_offset[L] + (tau[j] << L) + p[j]];
        const uint32_t xb = bins[(node >> 16) & 0x7FFF];
        const uint32_t right = (xb >= (node & kThrMask)) & !((xb == kNanBin) & (node >> 31));
        p[j] = 2 * p[j] + right;
      }
    }
    for (int j = 0; j < lanes; ++j) {
      const size_t t = t0 + j;
      const double* v = h.leaves.data() + t * per_tree + size_t{p[j]} * h.leaf_width;
      if (h.leaf_width == 1) {
        acc[h.output_index[t]] += v[0];
      } else {
        for (uint32_t k = 0; k < h.leaf_width; ++k) acc[k] += v[k];
      }
    }
  }
}

#ifdef MLOPS_HEAP_AVX512
// GCC 12 reports its own intrinsics' undefined-value idiom under a target
// attribute as maybe-uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// Lanes j = tau * 8 + r: tree tau of the pair, row r of the group.
MLOPS_INLINE_AVX512 __m512i LookupLevel(const uint32_t* tab, uint32_t level, __m512i idx) {
  switch (level) {
    case 0:
    case 1:
    case 2:
    case 3:
      return _mm512_permutexvar_epi32(idx, _mm512_loadu_si512(tab));
    case 4:
      return _mm512_permutex2var_epi32(_mm512_loadu_si512(tab), idx, _mm512_loadu_si512(tab + 16));
    case 5: {
      const __m512i a = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab), idx, _mm512_loadu_si512(tab + 16));
      const __m512i b = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab + 32), idx, _mm512_loadu_si512(tab + 48));
      return _mm512_mask_blend_epi32(_mm512_test_epi32_mask(idx, _mm512_set1_epi32(32)), a, b);
    }
    case 6: {
      const __m512i a = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab), idx, _mm512_loadu_si512(tab + 16));
      const __m512i b = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab + 32), idx, _mm512_loadu_si512(tab + 48));
      const __m512i c = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab + 64), idx, _mm512_loadu_si512(tab + 80));
      const __m512i d = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab + 96), idx, _mm512_loadu_si512(tab + 112));
      const __mmask16 b5 = _mm512_test_epi32_mask(idx, _mm512_set1_epi32(32));
      const __m512i ab = _mm512_mask_blend_epi32(b5, a, b);
      const __m512i cd = _mm512_mask_blend_epi32(b5, c, d);
      return _mm512_mask_blend_epi32(_mm512_test_epi32_mask(idx, _mm512_set1_epi32(64)), ab, cd);
    }
    default:
      return _mm512_i32gather_epi32(idx, tab, 4);
  }
}

// The group's bins as kG pairs of registers (64 words each); w < 64 * kG.
template <int kG>
MLOPS_INLINE_AVX512 __m512i LookupBins(const __m512i* x, __m512i w) {
  __m512i r = _mm512_permutex2var_epi16(x[0], w, x[1]);
  if (kG >= 2) {
    const __mmask16 b6 = _mm512_test_epi32_mask(w, _mm512_set1_epi32(64));
    const __m512i r1 = _mm512_permutex2var_epi16(x[2], w, x[3]);
    if (kG == 2) {
      r = _mm512_mask_blend_epi32(b6, r, r1);
    } else {
      __m512i r23 = _mm512_permutex2var_epi16(x[4], w, x[5]);
      if (kG == 4) r23 = _mm512_mask_blend_epi32(b6, r23, _mm512_permutex2var_epi16(x[6], w, x[7]));
      r = _mm512_mask_blend_epi32(_mm512_test_epi32_mask(w, _mm512_set1_epi32(128)), _mm512_mask_blend_epi32(b6, r, r1),
                                  r23);
    }
  }
  return _mm512_and_si512(r, _mm512_set1_epi32(0xFFFF));
}

// 8 doubles v[idx[j]]. Two 4-wide gathers: measured faster than one 8-wide
// gather on AMD Zen 4, and no slower elsewhere.
MLOPS_INLINE_AVX512 __m512d Gather8(__m256i idx, const double* v) {
  const __m256d lo = _mm256_i32gather_pd(v, _mm256_castsi256_si128(idx), 8);
  const __m256d hi = _mm256_i32gather_pd(v, _mm256_extracti128_si256(idx, 1), 8);
  return _mm512_insertf64x4(_mm512_castpd256_pd512(lo), hi, 1);
}

// nb rows of bins (row-major, padded with zero rows to a multiple of kGroup)
// through every tree; acc[k * kBlock + r] gets each row's sums.
template <bool kNaN, int kG>
MLOPS_TARGET_AVX512 void BlockAvx512(const Layout& h, const uint16_t* bins, size_t nb, double* acc) {
  const uint32_t nf = h.n_features;
  const size_t groups = (nb + kGroup - 1) / kGroup;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i tau = _mm512_srli_epi32(lane, 3);                                             // 0 x8, 1 x8
  const __m512i row_base = _mm512_mullo_epi32(_mm512_and_si512(lane, _mm512_set1_epi32(7)), _mm512_set1_epi32(nf));
  const __m512i one = _mm512_set1_epi32(1);
  const size_t per_tree = h.leaves_per_tree();
  const __m256i lw = _mm256_set1_epi32(static_cast<int>(h.leaf_width));
  for (size_t g = 0; g < h.n_pairs; ++g) {
    const uint32_t* pair = h.nodes.data() + g * h.pair_stride;
    const size_t t0 = 2 * g;
    const bool second = t0 + 1 < h.n_trees;
    for (size_t grp = 0; grp < groups; ++grp) {
      const uint16_t* gb = bins + grp * kGroup * nf;
      __m512i x[2 * kG];
      for (int i = 0; i < 2 * kG; ++i) x[i] = _mm512_loadu_si512(gb + 32 * i);
      __m512i p = _mm512_setzero_si512();
      __m512i tau_at_level = tau;  // tau << L
      for (uint32_t L = 0; L < h.depth; ++L) {
        const __m512i idx = _mm512_add_epi32(tau_at_level, p);
        tau_at_level = _mm512_add_epi32(tau_at_level, tau_at_level);
        const __m512i node = LookupLevel(pair + h.level_offset[L], L, idx);
        const __m512i feat = _mm512_and_si512(_mm512_srli_epi32(node, 16), _mm512_set1_epi32(0x7FFF));
        const __m512i xb = LookupBins<kG>(x, _mm512_add_epi32(row_base, feat));
        __mmask16 right = _mm512_cmpge_epu32_mask(xb, _mm512_and_si512(node, _mm512_set1_epi32(kThrMask)));
        if (kNaN) {
          const __mmask16 nan_left = _mm512_cmpeq_epi32_mask(xb, _mm512_set1_epi32(kNanBin)) &
                                     _mm512_test_epi32_mask(node, _mm512_set1_epi32(static_cast<int>(kDefaultLeftBit)));
          right = static_cast<__mmask16>(right & ~nan_left);
        }
        p = _mm512_mask_add_epi32(_mm512_add_epi32(p, p), right, _mm512_add_epi32(p, p), one);
      }
      // Leaves: tree t0 in lanes 0-7, tree t0 + 1 in lanes 8-15.
      const __m256i p_lo = _mm256_mullo_epi32(_mm512_castsi512_si256(p), lw);
      const __m256i p_hi = _mm256_mullo_epi32(_mm512_extracti64x4_epi64(p, 1), lw);
      double* a = acc + grp * kGroup;
      for (int s = 0; s < (second ? 2 : 1); ++s) {
        const size_t t = t0 + s;
        const double* v = h.leaves.data() + t * per_tree;
        const __m256i pi = s == 0 ? p_lo : p_hi;
        if (h.leaf_width == 1) {
          double* o = a + size_t{h.output_index[t]} * kBlock;
          _mm512_storeu_pd(o, _mm512_add_pd(_mm512_loadu_pd(o), Gather8(pi, v)));
        } else {
          for (uint32_t k = 0; k < h.leaf_width; ++k) {
            double* o = a + size_t{k} * kBlock;
            _mm512_storeu_pd(o, _mm512_add_pd(_mm512_loadu_pd(o), Gather8(pi, v + k)));
          }
        }
      }
    }
  }
}

using BlockFn = void (*)(const Layout&, const uint16_t*, size_t, double*);

template <bool kNaN>
BlockFn PickBlock(uint32_t n_features) {
  switch ((8 * n_features + 63) / 64) {
    case 1:
      return &BlockAvx512<kNaN, 1>;
    case 2:
      return &BlockAvx512<kNaN, 2>;
    case 3:
      return &BlockAvx512<kNaN, 3>;
    default:
      return &BlockAvx512<kNaN, 4>;
  }
}

bool CpuHasAvx512() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }

#pragma GCC diagnostic pop
#endif  // MLOPS_HEAP_AVX512

class HeapEngine final : public Engine {
 public:
  HeapEngine(const Model& m, bool simd) : e_(m), h_(BuildLayout(m, TraitsOf(m).max_depth)) {
#ifdef MLOPS_HEAP_AVX512
    if (simd && CpuHasAvx512()) {
      block_ = PickBlock<false>(h_.n_features);
      block_nan_ = PickBlock<true>(h_.n_features);

    }
#else
    (void)simd;
#endif
  }

  const char* name() const override { return "heap"; }
  const char* isa() const override { return block_ ? "avx512" : "scalar"; }
  size_t bytes() const override {
    return e_.bytes() + h_.nodes.size() * sizeof(uint32_t) + h_.leaves.size() * sizeof(double) +
           h_.cuts.size() * sizeof(double) + (h_.cut_offset.size() + h_.output_index.size()) * sizeof(uint32_t);
  }

  void Predict(const double* rows, size_t n_rows, double* out) const override {
    Scratch& s = tls_scratch;
    const uint32_t nf = h_.n_features, no = h_.n_outputs, nc = e_.n_classes;
    // Bins for a block, padded so that a vector kernel's register loads (up
    // to 8 rows x 32 features) stay inside the buffer.
    const size_t bin_words = kBlock * nf + 8 * 32;
    if (s.bins.size() < bin_words) s.bins.resize(bin_words);
    if (s.acc.size() < size_t{no} * kBlock + no) s.acc.resize(size_t{no} * kBlock + no);
    double* m = s.acc.data() + size_t{no} * kBlock;  // one row's margins
    if (!block_ || n_rows < kMinVectorRows) {
      for (size_t r = 0; r < n_rows; ++r) {
        BinRow(h_, rows + r * nf, s.bins.data());
        ScalarRow(h_, e_, s.bins.data(), m);
        e_.Finish(m, out + r * nc);
      }
      return;
    }
    for (size_t r0 = 0; r0 < n_rows; r0 += kBlock) {
      const size_t nb = std::min(kBlock, n_rows - r0);
      bool nan = false;
      BinRows(h_, rows + r0 * nf, nb, s.bins.data());
      const size_t padded = (nb + kGroup - 1) / kGroup * kGroup;
      std::fill(s.bins.begin() + nb * nf, s.bins.begin() + bin_words, uint16_t{0});
      for (size_t i = 0; i < nb * nf; ++i) nan |= s.bins[i] == kNanBin;
      for (uint32_t k = 0; k < no; ++k) std::fill_n(s.acc.data() + size_t{k} * kBlock, padded, e_.Start(k));
      (nan ? block_nan_ : block_)(h_, s.bins.data(), nb, s.acc.data());
      for (size_t r = 0; r < nb; ++r) {
        for (uint32_t k = 0; k < no; ++k) m[k] = s.acc[size_t{k} * kBlock + r];
        e_.Finish(m, out + (r0 + r) * nc);
      }
    }
  }

 private:
  Ensemble e_;
  Layout h_;
  // Vector kernels, null when the CPU lacks them or `simd` was false.
  void (*block_)(const Layout&, const uint16_t*, size_t, double*) = nullptr;
  void (*block_nan_)(const Layout&, const uint16_t*, size_t, double*) = nullptr;
};

}  // namespace

bool HeapHasVectorKernels() {
#ifdef MLOPS_HEAP_AVX512
  return CpuHasAvx512();
#else
  return false;
#endif
}

std::unique_ptr<Engine> MakeHeapEngine(const Model& model, bool simd) {
  return std::make_unique<HeapEngine>(model, simd);
}

}  // namespace mlops::engines
