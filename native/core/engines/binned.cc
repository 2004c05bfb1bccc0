// The binned engine: deep forests (RF 100x10) walked on integer bins with
// 4-byte implicit-heap nodes, tree-major over large row blocks.
//
// Layout (built once from the validated Model):
// - cuts (cuts.h): a row's value x becomes, per feature, two 16-bit bins in
//   the row's 64-word bin row: column f holds 1 + (number of cuts <= x), or
//   0xFFFF for NaN (above every rank: goes right); column 32 + f the same, or
//   0 for NaN (below every rank: goes left). A node reads the column of its
//   default side.
// - trees: each tree padded to a full implicit heap of its own depth d
//   (1-based: node j's children are 2j and 2j + 1). A node is {rank, column}:
//   rank = 1 + the rank of its split value among the feature's cuts, so
//   `x < t` is exactly `!(rank < bin)` and a step is `j = 2j + (rank < bin)`
//   (on x86-64 one compare and one add-with-carry). Pass-through nodes below
//   a leaf that sits above level d have rank 0xFFFF (never right), so every
//   row takes exactly d steps and lands on heap leaf j - 2^d, whose entry
//   holds the offset of the leaf's values. No child pointers, no leaf test,
//   no NaN branch: 4 bytes per heap node.
//
// Kernels. Batches are scored tree-major over blocks of kBlock rows (a
// block's bins stay in L2, one tree's heap in L1; the next tree's data is
// prefetched while one is walked). With AVX-512 F+BW the top kTopLevels
// levels of a tree are decided for 32 rows at a time by the predicated
// multiplexer (mux.h, on a feature-major copy of the block's bins) and rows
// walk only the levels below; kRowLanes rows walk interleaved so their load
// latencies overlap. Calls of fewer than kMinBatchRows rows walk one row
// through every tree, level by level. The walks and the scalar bins are
// portable C++ (MLOPS_SCORER_ISA=scalar, and every CPU without AVX-512).
// Leaves are added to each row's margins in tree index order, from
// Ensemble::Start, so results are bit-identical to the generic engine's
// whatever the batch, block position or thread.
#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "core/engines/cuts.h"
#include "core/engines/engine.h"
#include "core/engines/mux.h"
#include "core/engines/select.h"

namespace mlops::engines {
namespace {

constexpr uint16_t kNanRight = 0xFFFF;  // above every rank
constexpr uint16_t kNanLeft = 0;        // below every rank
constexpr uint16_t kNeverRight = 0xFFFF;
constexpr uint32_t kNanLeftColumn = 32;  // column of feature f with NaN left: 32 + f
constexpr size_t kRowWords = 64;         // a row's bins: 2 * kBinnedMaxFeatures columns
constexpr size_t kRowBytes = kRowWords * sizeof(uint16_t);
constexpr size_t kBlock = 1024;  // rows per tree-major block (their bins: 128 KiB, in L2)
// Rows walked together through one tree: 12 measured best (a step's chain of
// two dependent loads is ~12 cycles; more lanes spill).
constexpr int kRowLanes = 12;
// Top levels decided for 32 rows at a time by the predicated multiplexer
// (mux.h), AVX-512 only: node j < 2^kTopLevels of every tree. Deeper levels
// are walked from the row's heap position at level kTopLevels.
constexpr uint32_t kTopLevels = 6;
// Rows of scratch beyond a block: padding lanes and the last 32-row group.
constexpr size_t kPadRows = 64;
constexpr size_t kScratchRows = kBlock + kPadRows;

struct Node {
  uint16_t rank;  // right iff rank < bin
  uint16_t col;   // byte offset of the node's bin in a row's bins
};

struct Layout {
  uint32_t n_features = 0, n_outputs = 0, leaf_width = 1;
  cuts::SearchTables cuts;
  std::vector<Node> nodes;         // per tree 2^d slots (slot 0 unused), heap order
  std::vector<uint32_t> leaf;      // per tree 2^d: offset of the heap leaf's values
  std::vector<double> values;      // leaf_width per model leaf
  std::vector<uint32_t> node_base, leaf_base, value_base, depth, output_index;  // per tree
  uint32_t max_depth = 0;
  // Top levels (where every feature has at most kPredicatedMaxDistinct cuts,
  // so the multiplexer's 16-bit differences cannot wrap): per tree K =
  // min(kTopLevels, d) levels, 2^K - 1 nodes in heap order from top_base[t]:
  // the split value's rank and the byte offset of its bin vector in a
  // block's feature-major bins. Empty otherwise.
  std::vector<int16_t> top_rank;
  std::vector<uint32_t> top_offset, top_base;

  size_t bytes() const {
    return cuts.bytes() + nodes.size() * sizeof(Node) + leaf.size() * 4 + values.size() * 8 +
           (node_base.size() + leaf_base.size() + value_base.size() + depth.size() + output_index.size()) * 4 +
           top_rank.size() * 2 + (top_offset.size() + top_base.size()) * 4;
  }
};

// Depth (edges) of the subtree at node `id`.
uint32_t DepthOf(const Tree& t, int32_t id) {
  if (t.left[id] == -1) return 0;
  return 1 + std::max(DepthOf(t, t.left[id]), DepthOf(t, t.right[id]));
}

// Places model node `id` at heap slot j (level `level` of a heap of depth d).
void Place(const Model& m, const Tree& tree, const std::vector<std::vector<double>>& cuts, int32_t id, uint32_t j,
           uint32_t level, uint32_t d, Node* nodes, uint32_t* leaf, Layout& h) {
  if (tree.left[id] == -1) {
    const auto offset = static_cast<uint32_t>(h.values.size());
    const double* v = tree.value.data() + size_t(id) * m.leaf_width;
    h.values.insert(h.values.end(), v, v + m.leaf_width);
    // Below a leaf every node goes left: the row lands on heap leaf j << r.
    const uint32_t r = d - level;
    for (uint32_t k = 0; k < r; ++k) nodes[j << k] = {kNeverRight, 0};
    for (uint32_t p = j << r; p < (j + 1) << r; ++p) leaf[p - (1u << d)] = offset;
    return;
  }
  const auto f = static_cast<uint32_t>(tree.feature[id]);
  const uint32_t rank = cuts::RankOf(cuts[f], cuts::SplitValue(m, tree, id));
  const uint32_t col = tree.default_left[id] ? kNanLeftColumn + f : f;
  nodes[j] = {static_cast<uint16_t>(rank + 1), static_cast<uint16_t>(col * sizeof(uint16_t))};
  Place(m, tree, cuts, tree.left[id], 2 * j, level + 1, d, nodes, leaf, h);
  Place(m, tree, cuts, tree.right[id], 2 * j + 1, level + 1, d, nodes, leaf, h);
}

// Column of a block's feature-major bins for row-bin column `col`: features
// with NaN right, then features with NaN left.
uint32_t FeatureMajorColumn(uint32_t nf, uint32_t col) {
  return col < kNanLeftColumn ? col : nf + (col - kNanLeftColumn);
}

Layout BuildLayout(const Model& m) {
  Layout h;
  h.n_features = m.n_features;
  h.n_outputs = m.n_outputs;
  h.leaf_width = m.leaf_width;
  auto per_feature = cuts::SplitValues(m);
  for (const Tree& t : m.trees) {
    const uint32_t d = DepthOf(t, 0);
    h.depth.push_back(d);
    h.output_index.push_back(t.output_index);
    h.node_base.push_back(static_cast<uint32_t>(h.nodes.size()));
    h.leaf_base.push_back(static_cast<uint32_t>(h.leaf.size()));
    // Slots no model node reaches stay pass-through (never right).
    h.nodes.resize(h.nodes.size() + (size_t{1} << d), Node{kNeverRight, 0});
    h.leaf.resize(h.leaf.size() + (size_t{1} << d), 0);
  }
  for (size_t i = 0; i < m.trees.size(); ++i) {
    const uint32_t d = h.depth[i];
    h.value_base.push_back(static_cast<uint32_t>(h.values.size()));
    Place(m, m.trees[i], per_feature, 0, 1, 0, d, h.nodes.data() + h.node_base[i], h.leaf.data() + h.leaf_base[i], h);
  }
  for (uint32_t d : h.depth) h.max_depth = std::max(h.max_depth, d);
  size_t most_cuts = 0;
  for (const auto& c : per_feature) most_cuts = std::max(most_cuts, c.size());
  if (most_cuts <= kPredicatedMaxDistinct) {
    for (size_t i = 0; i < m.trees.size(); ++i) {
      const uint32_t k = std::min(kTopLevels, h.depth[i]);
      h.top_base.push_back(static_cast<uint32_t>(h.top_rank.size()));
      for (uint32_t j = 1; j < (1u << k); ++j) {
        const Node n = h.nodes[h.node_base[i] + j];
        // A pass-through node may decide either way: every heap leaf below
        // it holds the same leaf's values.
        const bool pass = n.rank == kNeverRight;
        h.top_rank.push_back(static_cast<int16_t>(pass ? 0 : n.rank - 1));
        h.top_offset.push_back(pass ? 0 : FeatureMajorColumn(h.n_features, n.col / 2) * kScratchRows * 2);
      }
    }
  }
  h.cuts = cuts::BuildSearchTables(std::move(per_feature));
  return h;
}

// Per-thread scratch (bins of a block, margins of a block), grown on demand.
struct Scratch {
  std::vector<uint16_t> bins;
  std::vector<double> acc;
  // Top levels: feature-major bins ([2 nf][kScratchRows], the predicated
  // engine's convention: the count of cuts <= x, NaN 0x7FFF or -1) and each
  // row's heap position at the top's last level.
  std::vector<int16_t> fm;
  std::vector<uint16_t> top;
  std::vector<uint32_t> pos;  // single rows: each tree's node
};
thread_local Scratch tls_scratch;

// One step of a walk: j = 2j + (rank < bin), the bin read from `row`.
inline uint32_t Step(const Node* heap, uint32_t j, const char* row) {
  const Node n = heap[j];
  uint16_t b;
  std::memcpy(&b, row + n.col, sizeof b);
  return 2 * j + static_cast<uint32_t>(n.rank < b);
}

// kLanes rows (bins at row + l * kRowBytes) through one tree of depth d;
// leaf[l] gets the heap leaf index (0 .. 2^d) each reaches.
// With `top`, row l starts at heap position top[l] of level k instead of the
// root.
//
// On x86-64 a step is four instructions: the column load, the bin load (the
// lane's row at a constant displacement), a compare of the node's rank in
// memory with the bin (carry = rank < bin) and j = j + j + carry.
template <size_t kOffset>
inline uint32_t StepAt(const Node* heap, uint32_t j, const char* row) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  uint32_t t;
  asm("movzwl 2(%[h],%q[j],4), %k[t]\n\t"
      "movzwl %c[off](%[row],%q[t]), %k[t]\n\t"
      "cmpw %w[t], (%[h],%q[j],4)\n\t"
      "adcl %k[j], %k[j]"
      : [j] "+r"(j), [t] "=&r"(t)
      : [h] "r"(heap), [row] "r"(row), [off] "i"(kOffset)
      : "cc", "memory");
  return j;
#else
  return Step(heap, j, row + kOffset);
#endif
}

template <size_t... kL>
inline void StepLanes(const Node* heap, uint32_t* j, const char* row, std::index_sequence<kL...>) {
  ((j[kL] = StepAt<kL * kRowBytes>(heap, j[kL], row)), ...);
}

template <int kLanes>
inline void WalkRows(const Node* heap, uint32_t d, const char* row, const uint16_t* top, uint32_t k,
                     uint32_t* leaf) {
  uint32_t j[kLanes];
  for (int l = 0; l < kLanes; ++l) j[l] = top ? (1u << k) + top[l] : 1;
  for (uint32_t s = top ? k : 0; s < d; ++s) StepLanes(heap, j, row, std::make_index_sequence<kLanes>());
  for (int l = 0; l < kLanes; ++l) leaf[l] = j[l] - (1u << d);
}

void BinRowScalar(const cuts::SearchTables& s, uint32_t nf, const double* x, uint16_t* bins, int16_t*) {
  for (uint32_t f = 0; f < nf; ++f) {
    const bool nan = x[f] != x[f];
    const auto b = static_cast<uint16_t>(nan ? 0 : 1 + cuts::BinScalar(s, f, x[f]));
    bins[f] = nan ? kNanRight : b;
    bins[kNanLeftColumn + f] = nan ? kNanLeft : b;
  }
}

#ifdef MLOPS_CUTS_AVX512
// fm: the row's first feature-major bin (column stride kScratchRows), or null.
__attribute__((target("avx512f,popcnt"))) void BinRowAvx512(const cuts::SearchTables& s, uint32_t nf,
                                                             const double* x, uint16_t* bins, int16_t* fm) {
  for (uint32_t f = 0; f < nf; ++f) {
    const bool nan = x[f] != x[f];
    const uint32_t count = nan ? 0 : cuts::BinAvx512(s, f, x[f]);
    const auto b = static_cast<uint16_t>(count + 1);
    bins[f] = nan ? kNanRight : b;
    bins[kNanLeftColumn + f] = nan ? kNanLeft : b;
    if (fm) {
      fm[f * kScratchRows] = nan ? int16_t{0x7FFF} : static_cast<int16_t>(count);
      fm[(nf + f) * kScratchRows] = nan ? int16_t{-1} : static_cast<int16_t>(count);
    }
  }
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// Heap positions at level K of one tree's top for `groups` 32-row groups.
template <int K>
__attribute__((target("avx512f,avx512bw"))) void TopBlock(const int16_t* rank, const uint32_t* offset,
                                                          const int16_t* fm, size_t groups, uint16_t* top) {
  constexpr int kD = K > 0 ? K : 1;
  mux::Nodes n{rank, offset, nullptr};
  size_t g = 0;
  for (; g + 2 <= groups; g += 2) {
    n.g = reinterpret_cast<const char*>(fm + g * 32);
    __m512i s[2][kD];
    mux::Levels<0, K, 2>(n, s);
    _mm512_storeu_si512(top + g * 32, mux::LeafIndex<K>(s[0]));
    _mm512_storeu_si512(top + (g + 1) * 32, mux::LeafIndex<K>(s[1]));
  }
  if (g < groups) {
    n.g = reinterpret_cast<const char*>(fm + g * 32);
    __m512i s[1][kD];
    mux::Levels<0, K, 1>(n, s);
    _mm512_storeu_si512(top + g * 32, mux::LeafIndex<K>(s[0]));
  }
}
#pragma GCC diagnostic pop

using TopFn = void (*)(const int16_t*, const uint32_t*, const int16_t*, size_t, uint16_t*);
constexpr TopFn kTopKernels[] = {&TopBlock<0>, &TopBlock<1>, &TopBlock<2>, &TopBlock<3>,
                                 &TopBlock<4>, &TopBlock<5>, &TopBlock<6>};
static_assert(kTopLevels + 1 == sizeof(kTopKernels) / sizeof(kTopKernels[0]), "a top kernel per level count");
#endif

using BinRowFn = void (*)(const cuts::SearchTables&, uint32_t, const double*, uint16_t*, int16_t*);

class BinnedEngine final : public Engine {
 public:
  BinnedEngine(const Model& m, bool simd) : e_(m), h_(BuildLayout(m)) {
#ifdef MLOPS_CUTS_AVX512
    if (simd && cuts::CpuHasBinAvx512()) bin_row_ = &BinRowAvx512;
    top_ = simd && !h_.top_base.empty() && BinnedHasTopKernels();
#else
    (void)simd;
#endif
  }

  const char* name() const override { return "binned"; }
  const char* isa() const override { return bin_row_ == &BinRowScalar ? "scalar" : "avx512"; }
  size_t bytes() const override { return e_.bytes() + h_.bytes(); }

  void Predict(const double* rows, size_t n_rows, double* out) const override {
    Scratch& s = tls_scratch;
    const uint32_t nf = h_.n_features, no = h_.n_outputs, nc = e_.n_classes;
    if (s.acc.size() < kBlock * no) s.acc.resize(kBlock * no);
    if (s.bins.size() < kScratchRows * kRowWords) s.bins.resize(kScratchRows * kRowWords, 0);
    if (n_rows < kMinBatchRows) {
      if (s.pos.size() < h_.depth.size()) s.pos.resize(h_.depth.size());
      for (size_t r = 0; r < n_rows; ++r) {
        bin_row_(h_.cuts, nf, rows + r * nf, s.bins.data(), nullptr);
        ScoreRow(s.bins.data(), s.pos.data(), s.acc.data());
        e_.Finish(s.acc.data(), out + r * nc);
      }
      return;
    }
    for (size_t r0 = 0; r0 < n_rows; r0 += kBlock) {
      const size_t nb = std::min(kBlock, n_rows - r0);
      const size_t padded = (nb + kRowLanes - 1) / kRowLanes * kRowLanes;
      // The top covers every padded lane (its groups may cover more rows).
      const size_t groups = top_ ? (padded + 31) / 32 : 0;
      if (top_ && s.fm.size() < 2 * size_t{nf} * kScratchRows) {
        s.fm.resize(2 * size_t{nf} * kScratchRows, 0);
        s.top.resize(kScratchRows, 0);
      }
      int16_t* fm = top_ ? s.fm.data() : nullptr;
      for (size_t r = 0; r < nb; ++r) {
        bin_row_(h_.cuts, nf, rows + (r0 + r) * nf, s.bins.data() + r * kRowWords, fm ? fm + r : nullptr);
      }
      // Padding rows walk (all left) but are never added.
      std::fill(s.bins.data() + nb * kRowWords, s.bins.data() + padded * kRowWords, uint16_t{0});
      for (size_t v = 0; fm && v < 2 * size_t{nf}; ++v) {
        std::fill(fm + v * kScratchRows + nb, fm + v * kScratchRows + groups * 32, int16_t{0});
      }
      double* acc = s.acc.data();
      for (size_t r = 0; r < nb; ++r) {
        for (uint32_t k = 0; k < no; ++k) acc[r * no + k] = e_.Start(k);
      }
      ScoreBlock(reinterpret_cast<const char*>(s.bins.data()), nb, fm, groups, s.top.data(), acc);
      for (size_t r = 0; r < nb; ++r) e_.Finish(acc + r * no, out + (r0 + r) * nc);
    }
  }

 private:
  Ensemble e_;
  Layout h_;
  BinRowFn bin_row_ = &BinRowScalar;
  bool top_ = false;  // batches decide the top levels with the multiplexer

  void AddLeaf(size_t t, uint32_t offset, double* acc) const {
    const double* v = h_.values.data() + offset;
    if (h_.leaf_width == 1) {
      acc[h_.output_index[t]] += v[0];
    } else {
      for (uint32_t k = 0; k < h_.leaf_width; ++k) acc[k] += v[k];
    }
  }

  // Tree t's heap, leaf table and values, as byte ranges (for prefetching).
  struct Span {
    const char* p;
    size_t n;
  };
  void TreeSpans(size_t t, Span* s) const {
    const size_t slots = size_t{1} << h_.depth[t];
    const size_t v1 = t + 1 < h_.value_base.size() ? h_.value_base[t + 1] : h_.values.size();
    s[0] = {reinterpret_cast<const char*>(h_.nodes.data() + h_.node_base[t]), slots * sizeof(Node)};
    s[1] = {reinterpret_cast<const char*>(h_.leaf.data() + h_.leaf_base[t]), slots * sizeof(uint32_t)};
    s[2] = {reinterpret_cast<const char*>(h_.values.data() + h_.value_base[t]), (v1 - h_.value_base[t]) * 8};
  }

  // fm (feature-major bins) non-null: the top levels are decided first, for
  // `groups` 32-row groups, into top[].
  void ScoreBlock(const char* bins, size_t nb, const int16_t* fm, size_t groups, uint16_t* top, double* acc) const {
    if (h_.leaf_width == 1) return ScoreBlockW<1>(bins, nb, fm, groups, top, acc);
    if (h_.leaf_width == 2) return ScoreBlockW<2>(bins, nb, fm, groups, top, acc);
    ScoreBlockW<0>(bins, nb, fm, groups, top, acc);
  }

  // kWidth: the leaf width when it is 1 or 2, else 0 (any).
  template <int kWidth>
  void AddLeafW(size_t t, uint32_t offset, double* acc) const {
    const double* v = h_.values.data() + offset;
    if constexpr (kWidth == 1) {
      acc[h_.output_index[t]] += v[0];
    } else if constexpr (kWidth == 2) {
      // Two lanes of IEEE double adds: the same as two scalar adds.
      using V2 = double __attribute__((vector_size(16)));
      V2 a, b;
      std::memcpy(&a, acc, sizeof a);
      std::memcpy(&b, v, sizeof b);
      a += b;
      std::memcpy(acc, &a, sizeof a);
    } else {
      AddLeaf(t, offset, acc);
    }
  }

  template <int kWidth>
  void ScoreBlockW(const char* bins, size_t nb, const int16_t* fm, size_t groups, uint16_t* top, double* acc) const {
    const uint32_t no = h_.n_outputs;
    uint32_t leaf[kRowLanes];
    const size_t iters = (nb + kRowLanes - 1) / kRowLanes;
    for (size_t t = 0; t < h_.depth.size(); ++t) {
      // The next tree's data is fetched while this one is walked, a few
      // lines per lane group, so its first touches do not wait on L3.
      Span next[3] = {};
      if (t + 1 < h_.depth.size()) TreeSpans(t + 1, next);
      size_t step[3];
      for (int i = 0; i < 3; ++i) step[i] = (next[i].n + iters - 1) / iters;
      const Node* heap = h_.nodes.data() + h_.node_base[t];
      const uint32_t* leaves = h_.leaf.data() + h_.leaf_base[t];
      const uint32_t d = h_.depth[t];
      const uint32_t k = std::min(kTopLevels, d);
#ifdef MLOPS_MUX_AVX512
      if (fm) kTopKernels[k](h_.top_rank.data() + h_.top_base[t], h_.top_offset.data() + h_.top_base[t], fm, groups, top);
#endif
      for (size_t r0 = 0, it = 0; r0 < nb; r0 += kRowLanes, ++it) {
        for (int i = 0; i < 3; ++i) {
          for (size_t o = it * step[i]; o < std::min(next[i].n, (it + 1) * step[i]); o += 64) __builtin_prefetch(next[i].p + o);
        }
        WalkRows<kRowLanes>(heap, d, bins + r0 * kRowBytes, fm ? top + r0 : nullptr, k, leaf);
        const size_t lanes = std::min<size_t>(kRowLanes, nb - r0);
        for (size_t l = 0; l < lanes; ++l) AddLeafW<kWidth>(t, leaves[leaf[l]], acc + (r0 + l) * no);
      }
    }
  }

  // One row (bins) through every tree, level by level: every tree's step at
  // one level is independent of the others', so a row's ~100 cache misses
  // per level overlap instead of queueing behind each tree's chain of
  // dependent loads (a single row touches the whole layout, which is larger
  // than L2). pos: scratch of n_trees entries.
  void ScoreRow(const uint16_t* bins, uint32_t* pos, double* acc) const {
    for (uint32_t k = 0; k < h_.n_outputs; ++k) acc[k] = e_.Start(k);
    const char* row = reinterpret_cast<const char*>(bins);
    const size_t n_trees = h_.depth.size();
    const Node* nodes = h_.nodes.data();
    const uint32_t* base = h_.node_base.data();
    const uint32_t* depth = h_.depth.data();
    // Node index base + j; the children of base + j are 2 (base + j) - base
    // + {0, 1}.
    for (size_t t = 0; t < n_trees; ++t) pos[t] = base[t] + 1;
    for (uint32_t s = 0; s < h_.max_depth; ++s) {
      for (size_t t = 0; t < n_trees; ++t) {
        const uint32_t g = pos[t];
        const Node n = nodes[g];
        uint16_t b;
        std::memcpy(&b, row + n.col, sizeof b);
        const uint32_t next = 2 * g - base[t] + static_cast<uint32_t>(n.rank < b);
        pos[t] = s < depth[t] ? next : g;  // a shallower tree has no deeper level
      }
    }
    for (size_t t = 0; t < n_trees; ++t) pos[t] = h_.leaf[h_.leaf_base[t] + pos[t] - base[t] - (1u << depth[t])];
    if (h_.n_outputs == 1) {
      // One margin in a register: the adds, in tree order, are a chain.
      double m = acc[0];
      for (size_t t = 0; t < n_trees; ++t) m += h_.values[pos[t]];
      acc[0] = m;
      return;
    }
    for (size_t t = 0; t < n_trees; ++t) AddLeaf(t, pos[t], acc);
  }
};

}  // namespace

bool BinnedHasTopKernels() {
#ifdef MLOPS_MUX_AVX512
  return cuts::CpuHasBinAvx512() && __builtin_cpu_supports("avx512bw");
#else
  return false;
#endif
}

std::unique_ptr<Engine> MakeBinnedEngine(const Model& model, bool simd) {
  return std::make_unique<BinnedEngine>(model, simd);
}

}  // namespace mlops::engines
