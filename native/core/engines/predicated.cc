// The predicated engine: shallow trees evaluated without a walk. Every node of
// a tree's implicit heap is decided for 32 rows at once (16-bit lanes), and the
// leaf each row reaches is selected from those decisions with a tree of
// bitwise multiplexers, one per node. No per-row index, no gather: the cost is
// fixed per (tree, 32 rows), about one vector op per heap node.
//
// Layout (built once from the validated Model):
// - cuts: per feature, its distinct split values ascending (after `<=` is
//   compiled to `< nextafter(t, +inf)`), as 16-ary search tables. A row's value
//   x becomes its bin, the number of cuts <= x; for a split value of rank k,
//   `x < t` exactly when bin <= k, so decisions are integer compares that are
//   bit-identical to the double compares of docs/model-format.md.
// - NaN: each feature has two bin vectors, one where NaN is 0x7FFF (above every
//   rank: goes right) and one where it is -1 (below every rank: goes left). A
//   node reads the one of its default side.
// - trees: every tree padded to a full heap of the model's depth D (a leaf
//   above the deepest level is copied into every heap leaf below it, the
//   pass-through nodes above them decide anything). Per node: its rank and
//   which bin vector it reads; per tree: 2^D leaf values in heap order.
//
// Kernels. Batches (avx512): tree-major over blocks of up to 256 rows; for
// one tree and 32 rows, node i's decision is the sign of rank_i - bin (one
// vpsubw), level L's choice is a 2^L-way multiplexer over that level's
// decisions driven by the choices above (vpternlog), the D choices form the
// leaf index, and the 8-row slices pick their leaf values with in-register
// permutes and add them to the rows' margins, trees in index order. Single
// rows (avx512): the same heap, lanes = 32 trees, bins looked up by one
// permute; in hybrid layouts of trees of at most 10 levels each tree's heap
// leaf then selects one 64-byte line holding the 4 levels below it (its 15
// decisions by one permute and one compare). Scalar: a walk over the same
// heap (and lines); always present (MLOPS_SCORER_ISA=scalar) and the only
// kernel off x86-64.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MLOPS_PRED_AVX512 1
#define MLOPS_PRED_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,popcnt")))
#define MLOPS_PRED_INLINE __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,popcnt"), always_inline)) inline
#endif

#include "core/engines/cuts.h"
#include "core/engines/line-walk.h"
#include "core/engines/mux.h"
#include "core/engines/engine.h"
#include "core/engines/select.h"

#ifndef MLOPS_PRED_TOP_LEVELS
#define MLOPS_PRED_TOP_LEVELS 6
#endif

namespace mlops::engines {
namespace {

using cuts::BuildSearchTables;
using cuts::SearchTables;

constexpr int16_t kNanRight = 0x7FFF;  // above every rank (ranks <= kPredicatedMaxDistinct - 1)
constexpr int16_t kNanLeft = -1;       // below every rank
constexpr size_t kLanes = 32;          // rows (batch kernel) or trees (row kernel) per vector
constexpr size_t kGroups = 8;          // 32-row groups per block
constexpr size_t kBlockRows = kLanes * kGroups;
// Packed row nodes: bin * 32 must stay below 65,536 with room for the NaN bin.
constexpr size_t kMaxPackedCuts = 2046;
// Trees up to this depth with one value per leaf keep their leaf values in the
// heap; deeper ones (or leaf vectors) use the hybrid layout with a heap top of
// kTopLevels levels.
constexpr uint32_t kPlainMaxDepth = 6;
constexpr uint32_t kTopLevels = MLOPS_PRED_TOP_LEVELS;
// Below this many rows the batch kernel (32 rows per vector) would be mostly
// padding; such calls use the row kernel (32 trees per vector).
constexpr size_t kMinBatchKernelRows = 8;

// A node below the heap top of a deep tree (hybrid layout). Right child =
// left + 1. A leaf has rank 0x7FFF (no bin is above it) and left = itself,
// so a walk can run a fixed number of steps.
struct BottomNode {
  int16_t rank;
  uint16_t vec;  // index into a row's 2 * n_features bins
  uint32_t left;
};
constexpr int16_t kLeafRank = 0x7FFF;

// One row-kernel bottom line (Layout::row_lines): a 4-level heap, node i's
// children 2i + 1 and 2i + 2, heap leaf k = node 15 + k. Pass-through nodes
// (under a shallow leaf) have rank kLeafRank: no bin is above it. A tree's
// leaves are numbered in depth-first order, so the leaves under one line are
// consecutive: heap leaf k holds leaf `first + delta_k` (4 bits each).
constexpr uint32_t kLineLevels = 4;
constexpr size_t kLineNodes = 15, kLineLeaves = 16;
struct alignas(64) RowLine {
  int16_t rank[16];  // "right iff bin > rank" (15 used)
  uint8_t col[16];   // word of the row's 64 bins: f (NaN right) or 32 + f (NaN left)
  uint64_t deltas;   // heap leaf k: bits 4k .. 4k + 3
  uint32_t first;    // index into Layout::row_values / leaf_width
};
static_assert(sizeof(RowLine) == 64, "one cache line");
static_assert(kTopLevels + kLineLevels >= kPredicatedAutoRowMaxDepth, "lines take every tree the row choice gives");

struct Layout {
  uint32_t depth = 0;  // D: heap levels of internal nodes (the top's, in a hybrid layout)
  uint32_t n_features = 0;
  uint32_t n_outputs = 0;
  uint32_t leaf_width = 1;
  // Hybrid: trees deeper than the heap top, or with leaf vectors. Heap level
  // D then holds subtree roots instead of leaf values, and each row walks the
  // rest of the tree (at most bottom_steps[t] steps) in `bottom`.
  bool hybrid = false;
  std::vector<uint32_t> subtree;      // leaves_per_tree per tree: index into bottom
  std::vector<BottomNode> bottom;
  std::vector<double> bottom_values;  // leaf_width per bottom node (0 on internal ones)
  std::vector<uint32_t> bottom_steps; // per tree
  size_t n_trees = 0;
  size_t nodes_per_tree = 0;   // 2^D - 1, padded to at least 1
  size_t leaves_per_tree = 0;  // 2^D
  SearchTables cuts;
  // Per tree, nodes_per_tree entries each, heap order.
  std::vector<int16_t> rank;      // "right iff bin > rank"
  std::vector<uint16_t> vec;      // bin vector: feature (NaN right) or n_features + feature (NaN left)
  std::vector<uint32_t> offset;   // byte offset of that vector in a block's bins: vec * kGroups * 64
  std::vector<double> leaves;     // leaves_per_tree per tree, heap order
  std::vector<uint32_t> output_index;
  // Row kernel: trees in groups of 32 lanes, node-major: [group][node][lane].
  size_t n_tree_groups = 0;
  std::vector<int16_t> lane_rank;
  std::vector<uint16_t> lane_vec;
  // The same nodes packed for rows without NaN, when every feature has at
  // most kMaxPackedCuts cuts: rank * 32 + feature - 32768 in one word, so a
  // node costs one load (the row kernel is load-bound). Empty otherwise.
  std::vector<int16_t> lane_packed;
  // Row kernel bottoms of hybrid layouts whose trees end within kLineLevels
  // levels below the heap top (RF 100x10): per tree and heap-top leaf p, one
  // 64-byte line at [t * leaves_per_tree + p] holding that subtree padded to
  // a full 4-level heap (RowLine). A single row then reads one line per tree
  // below the top, instead of walking up to four dependent node loads, and
  // the lines of 32 trees are known, and prefetched, as soon as the top is
  // decided. Empty otherwise (deeper trees walk `bottom`).
  std::vector<RowLine> row_lines;
  std::vector<double> row_values;  // every tree's leaves, depth-first, leaf_width each

  // Frees what only the batch kernels and the scalar kernels read (the row
  // kernel reads the lane tables, leaves or lines, and the search tables).
  void DropBatchTables() {
    std::vector<int16_t>().swap(rank);
    std::vector<uint16_t>().swap(vec);
    std::vector<uint32_t>().swap(offset);
    if (!row_lines.empty()) {
      std::vector<uint32_t>().swap(subtree);
      std::vector<BottomNode>().swap(bottom);
      std::vector<double>().swap(bottom_values);
    }
    std::vector<std::vector<double>>().swap(cuts.sorted);
  }

  size_t bytes() const {
    return cuts.bytes() + rank.size() * 2 + vec.size() * 2 + offset.size() * 4 + leaves.size() * 8 +
           output_index.size() * 4 + lane_rank.size() * 2 + lane_vec.size() * 2 + lane_packed.size() * 2 +
           subtree.size() * 4 + bottom.size() * sizeof(BottomNode) + bottom_values.size() * 8 +
           bottom_steps.size() * 4 + row_lines.size() * sizeof(RowLine) + row_values.size() * 8;
  }
};



// Appends model node `id` and its subtree to h.bottom, breadth-first with
// children adjacent; returns the root's index and raises *steps to the
// subtree's depth.
uint32_t AddBottom(const Model& m, const Tree& tree, const std::vector<int16_t>& rank, int32_t id, Layout& h,
                   uint32_t* steps) {
  const auto root = static_cast<uint32_t>(h.bottom.size());
  std::vector<std::pair<int32_t, uint32_t>> queue{{id, 0}};
  h.bottom.push_back({});
  for (size_t q = 0; q < queue.size(); ++q) {
    const auto [node, d] = queue[q];
    const uint32_t slot = root + static_cast<uint32_t>(q);
    if (tree.left[node] == -1) {
      h.bottom[slot] = {kLeafRank, 0, slot};
      h.bottom_values.resize(h.bottom.size() * h.leaf_width, 0.0);
      std::memcpy(h.bottom_values.data() + size_t{slot} * h.leaf_width, tree.value.data() + size_t(node) * m.leaf_width,
                  h.leaf_width * sizeof(double));
      *steps = std::max(*steps, d);
      continue;
    }
    const auto f = static_cast<uint32_t>(tree.feature[node]);
    h.bottom[slot] = {rank[node], static_cast<uint16_t>(tree.default_left[node] ? h.n_features + f : f),
                      root + static_cast<uint32_t>(queue.size())};
    queue.emplace_back(tree.left[node], d + 1);
    queue.emplace_back(tree.right[node], d + 1);
    h.bottom.resize(h.bottom.size() + 2);
  }
  h.bottom_values.resize(h.bottom.size() * h.leaf_width, 0.0);
  return root;
}

// Places model node `id` (heap level `level`, position `pos`) and its subtree.
void Place(const Model& m, const Tree& tree, const std::vector<int16_t>& rank, size_t t, int32_t id, uint32_t level,
           size_t pos, Layout& h) {
  if (h.hybrid && (level == h.depth || tree.left[id] == -1)) {
    // A subtree root at the top's last level, or a leaf above it that covers
    // heap positions [pos << r, (pos + 1) << r).
    const uint32_t r = h.depth - level;
    const uint32_t b = AddBottom(m, tree, rank, id, h, &h.bottom_steps[t]);
    for (size_t p = pos << r; p < (pos + 1) << r; ++p) h.subtree[t * h.leaves_per_tree + p] = b;
    return;
  }
  if (tree.left[id] == -1) {
    const uint32_t r = h.depth - level;
    const double v = tree.value[size_t(id) * m.leaf_width];
    double* dst = h.leaves.data() + t * h.leaves_per_tree;
    for (size_t p = pos << r; p < (pos + 1) << r; ++p) dst[p] = v;
    return;  // pass-through nodes below keep rank 0 on feature 0: harmless
  }
  const size_t i = t * h.nodes_per_tree + (size_t{1} << level) - 1 + pos;
  const auto f = static_cast<uint32_t>(tree.feature[id]);
  h.rank[i] = rank[id];
  h.vec[i] = static_cast<uint16_t>(tree.default_left[id] ? h.n_features + f : f);
  Place(m, tree, rank, t, tree.left[id], level + 1, 2 * pos, h);
  Place(m, tree, rank, t, tree.right[id], level + 1, 2 * pos + 1, h);
}

// Depth-first leaf numbering of a tree from node `id`, left before right:
// ordinal[leaf] = (*next)++ (counting on from earlier trees' leaves), its
// values appended to `values` in that order. A subtree's leaves are thus
// consecutive, its leftmost leaf the first.
void NumberLeaves(const Model& m, const Tree& tree, int32_t id, uint32_t* next, std::vector<uint32_t>& ordinal,
                  std::vector<double>& values) {
  if (tree.left[id] == -1) {
    ordinal[id] = (*next)++;
    const double* v = tree.value.data() + size_t(id) * m.leaf_width;
    values.insert(values.end(), v, v + m.leaf_width);
    return;
  }
  NumberLeaves(m, tree, tree.left[id], next, ordinal, values);
  NumberLeaves(m, tree, tree.right[id], next, ordinal, values);
}

// Fills `line` from model node `id` at bottom level `lvl`, position `pos`.
void FillLine(const Tree& tree, const std::vector<int16_t>& rank, const std::vector<uint32_t>& ordinal, int32_t id,
              uint32_t lvl, size_t pos, RowLine& line) {
  if (tree.left[id] == -1) {
    const uint32_t r = kLineLevels - lvl;
    const uint64_t delta = ordinal[id] - line.first;  // < 16: at most 16 leaves under a line
    for (size_t p = pos << r; p < (pos + 1) << r; ++p) line.deltas |= delta << (4 * p);
    return;  // pass-through nodes below keep kLeafRank
  }
  const size_t i = (size_t{1} << lvl) - 1 + pos;
  line.rank[i] = rank[id];
  line.col[i] = static_cast<uint8_t>(tree.default_left[id] ? 32 + tree.feature[id] : tree.feature[id]);
  FillLine(tree, rank, ordinal, tree.left[id], lvl + 1, 2 * pos, line);
  FillLine(tree, rank, ordinal, tree.right[id], lvl + 1, 2 * pos + 1, line);
}

// The leftmost leaf under model node `id`.
int32_t FirstLeaf(const Tree& tree, int32_t id) {
  while (tree.left[id] != -1) id = tree.left[id];
  return id;
}

// The lines of tree t from model node `id` at heap-top level `level`,
// position `pos` (a leaf above the top's last level fills every line under it).
void PlaceLines(const Tree& tree, const std::vector<int16_t>& rank, const std::vector<uint32_t>& ordinal, size_t t,
                int32_t id, uint32_t level, size_t pos, Layout& h) {
  if (level == h.depth || tree.left[id] == -1) {
    const uint32_t r = h.depth - level;
    for (size_t p = pos << r; p < (pos + 1) << r; ++p) {
      RowLine& line = h.row_lines[t * h.leaves_per_tree + p];
      line.first = ordinal[FirstLeaf(tree, id)];
      FillLine(tree, rank, ordinal, id, 0, 0, line);
    }
    return;
  }
  PlaceLines(tree, rank, ordinal, t, tree.left[id], level + 1, 2 * pos, h);
  PlaceLines(tree, rank, ordinal, t, tree.right[id], level + 1, 2 * pos + 1, h);
}

void BuildRowLines(const Model& m, const Tree& tree, const std::vector<int16_t>& rank, size_t t, Layout& h) {
  std::vector<uint32_t> ordinal(tree.size(), 0);
  uint32_t next = static_cast<uint32_t>(h.row_values.size() / h.leaf_width);
  NumberLeaves(m, tree, 0, &next, ordinal, h.row_values);
  PlaceLines(tree, rank, ordinal, t, 0, 0, 0, h);
}

Layout BuildLayout(const Model& m, uint32_t model_depth) {
  Layout h;
  h.leaf_width = m.leaf_width;
  h.hybrid = model_depth > kPlainMaxDepth || m.leaf_width != 1;
  const uint32_t depth = h.hybrid ? std::min(model_depth, kTopLevels) : model_depth;
  h.depth = depth;
  h.n_features = m.n_features;
  h.n_outputs = m.n_outputs;
  h.n_trees = m.trees.size();
  h.nodes_per_tree = std::max<size_t>(1, (size_t{1} << depth) - 1);
  h.leaves_per_tree = size_t{1} << depth;

  h.cuts = BuildSearchTables(cuts::SplitValues(m));

  h.rank.assign(h.n_trees * h.nodes_per_tree, 0);
  h.vec.assign(h.n_trees * h.nodes_per_tree, 0);
  if (h.hybrid) {
    h.subtree.assign(h.n_trees * h.leaves_per_tree, 0);
    h.bottom_steps.assign(h.n_trees, 0);
  } else {
    h.leaves.assign(h.n_trees * h.leaves_per_tree, 0.0);
  }
  // Lines need every tree to end within kLineLevels below the top, and
  // leaf indices that fit 32 bits.
  size_t total_leaves = 0;
  for (const Tree& tree : m.trees) total_leaves += tree.size() / 2 + 1;
  const bool lines = h.hybrid && model_depth <= depth + kLineLevels && total_leaves < (size_t{1} << 32);
  if (lines) {
    RowLine blank{};
    std::fill_n(blank.rank, kLineLeaves, kLeafRank);
    h.row_lines.assign(h.n_trees * h.leaves_per_tree, blank);
  }
  std::vector<int16_t> rank;
  for (size_t t = 0; t < h.n_trees; ++t) {
    const Tree& tree = m.trees[t];
    h.output_index.push_back(tree.output_index);
    rank.assign(tree.size(), 0);
    for (size_t i = 0; i < tree.size(); ++i) {
      if (tree.left[i] == -1) continue;
      const auto& c = h.cuts.sorted[tree.feature[i]];
      rank[i] = static_cast<int16_t>(cuts::RankOf(c, cuts::SplitValue(m, tree, i)));
    }
    Place(m, tree, rank, t, 0, 0, 0, h);
    if (lines) BuildRowLines(m, tree, rank, t, h);
  }
  h.offset.resize(h.vec.size());
  for (size_t i = 0; i < h.vec.size(); ++i) h.offset[i] = uint32_t{h.vec[i]} * kGroups * 64;

  // Row kernel tables; padding lanes repeat tree 0 and are never added.
  h.n_tree_groups = (h.n_trees + kLanes - 1) / kLanes;
  h.lane_rank.assign(h.n_tree_groups * h.nodes_per_tree * kLanes, 0);
  h.lane_vec.assign(h.n_tree_groups * h.nodes_per_tree * kLanes, 0);
  for (size_t g = 0; g < h.n_tree_groups; ++g) {
    for (size_t j = 0; j < kLanes; ++j) {
      const size_t t = g * kLanes + j < h.n_trees ? g * kLanes + j : 0;
      for (size_t i = 0; i < h.nodes_per_tree; ++i) {
        const size_t dst = (g * h.nodes_per_tree + i) * kLanes + j;
        h.lane_rank[dst] = h.rank[t * h.nodes_per_tree + i];
        // Row kernel bins: words 0-31 NaN right, words 32-63 NaN left.
        const uint16_t v = h.vec[t * h.nodes_per_tree + i];
        h.lane_vec[dst] = static_cast<uint16_t>(v >= h.n_features ? 32 + (v - h.n_features) : v);
      }
    }
  }
  size_t most_cuts = 0;
  for (const auto& c : h.cuts.sorted) most_cuts = std::max(most_cuts, c.size());
  if (most_cuts <= kMaxPackedCuts) {
    h.lane_packed.resize(h.lane_rank.size());
    for (size_t i = 0; i < h.lane_packed.size(); ++i) {
      h.lane_packed[i] = static_cast<int16_t>(int32_t{h.lane_rank[i]} * 32 + (h.lane_vec[i] & 31) - 32768);
    }
  }
  return h;
}

// Per-thread scratch: a block's bins ([2 * n_features vectors][kGroups][32]
// int16) and margins ([output][kBlockRows]). Owned by the thread.
struct Scratch {
  std::vector<int16_t> bins;
  std::vector<double> acc;
};
thread_local Scratch tls_scratch;

// ---- scalar kernels ----

// A row's bins in the row layout: [0, nf) NaN right, [nf, 2 nf) NaN left.
void BinRowScalar(const Layout& h, const double* row, int16_t* bins) {
  for (uint32_t f = 0; f < h.n_features; ++f) {
    const double x = row[f];
    const bool nan = x != x;
    const int16_t b = nan ? 0 : static_cast<int16_t>(cuts::BinScalar(h.cuts, f, x));
    bins[f] = nan ? kNanRight : b;
    bins[h.n_features + f] = nan ? kNanLeft : b;
  }
}

// From bottom node p, `steps` steps down with the row's bins.
inline uint32_t WalkBottom(const Layout& h, uint32_t p, uint32_t steps, const int16_t* bins) {
  for (uint32_t s = 0; s < steps; ++s) {
    const BottomNode& n = h.bottom[p];
    p = n.left + (bins[n.vec] > n.rank);
  }
  return p;
}

// Adds bottom leaf p of tree t to a row's margins (acc[k * stride]).
inline void AddBottomLeaf(const Layout& h, size_t t, uint32_t p, double* acc, size_t stride) {
  const double* v = h.bottom_values.data() + size_t{p} * h.leaf_width;
  if (h.leaf_width == 1) {
    acc[h.output_index[t] * stride] += v[0];
  } else {
    for (uint32_t k = 0; k < h.leaf_width; ++k) acc[k * stride] += v[k];
  }
}

// The leaf a row reaches through line li (bins in the scalar layout).
inline const double* LineLeafScalar(const Layout& h, size_t li, const int16_t* bins) {
  const RowLine& line = h.row_lines[li];
  uint32_t i = 0;
  for (uint32_t s = 0; s < kLineLevels; ++s) {
    const uint32_t c = line.col[i];
    const int16_t b = c < 32 ? bins[c] : bins[h.n_features + c - 32];
    i = 2 * i + 1 + (b > line.rank[i]);
  }
  const uint32_t leaf = line.first + static_cast<uint32_t>((line.deltas >> (4 * (i - kLineNodes))) & 15);
  return h.row_values.data() + size_t{leaf} * h.leaf_width;
}

// Adds tree t's leaf values v to a row's margins.
inline void AddLineLeaf(const Layout& h, size_t t, const double* v, double* acc) {
  if (h.leaf_width == 1) {
    acc[h.output_index[t]] += v[0];
  } else {
    for (uint32_t k = 0; k < h.leaf_width; ++k) acc[k] += v[k];
  }
}

void RowScalar(const Layout& h, const Ensemble& e, const int16_t* bins, double* acc) {
  for (uint32_t k = 0; k < h.n_outputs; ++k) acc[k] = e.Start(k);
  for (size_t t = 0; t < h.n_trees; ++t) {
    const int16_t* rank = h.rank.data() + t * h.nodes_per_tree;
    const uint16_t* vec = h.vec.data() + t * h.nodes_per_tree;
    size_t p = 0;
    for (uint32_t L = 0; L < h.depth; ++L) {
      const size_t i = (size_t{1} << L) - 1 + p;
      p = 2 * p + (bins[vec[i]] > rank[i]);
    }
    if (!h.row_lines.empty()) {
      AddLineLeaf(h, t, LineLeafScalar(h, t * h.leaves_per_tree + p, bins), acc);
    } else if (h.hybrid) {
      const uint32_t b = WalkBottom(h, h.subtree[t * h.leaves_per_tree + p], h.bottom_steps[t], bins);
      AddBottomLeaf(h, t, b, acc, 1);
    } else {
      acc[h.output_index[t]] += h.leaves[t * h.leaves_per_tree + p];
    }
  }
}

#ifdef MLOPS_PRED_AVX512
// GCC 12 reports its own intrinsics' undefined-value idiom under a target
// attribute as maybe-uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

bool CpuHasAvx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("popcnt");
}


// The block's bins: vector v, group g, lane r at bins[(v * kGroups + g) * 32 + r],
// feature by feature (cuts::BinColumnAvx512: one feature's tables stay in L1)
// straight into the NaN-left vectors (kNanBin read as int16 is kNanLeft),
// then the NaN-right ones (the count saturated at kNanRight). Rows [nb,
// padded) get bin 0. Hybrid layouts also get the row-major copy
// rm[r * 2 * n_features + v].
MLOPS_PRED_TARGET void BinBlock(const Layout& h, const double* rows, size_t nb, size_t padded, int16_t* bins,
                                int16_t* rm) {
  static_assert(static_cast<int16_t>(cuts::kNanBin) == kNanLeft, "NaN left is the column's NaN bin");
  const uint32_t nf = h.n_features;
  const __m512i nan_right = _mm512_set1_epi16(kNanRight);
  for (uint32_t f = 0; f < nf; ++f) {
    int16_t* left = bins + (nf + f) * kBlockRows;
    int16_t* right = bins + f * kBlockRows;
    cuts::BinColumnAvx512(h.cuts, f, rows + f, nf, nb, reinterpret_cast<uint16_t*>(left));
    std::fill(left + nb, left + padded, int16_t{0});
    for (size_t r = 0; r < padded; r += kLanes) {
      _mm512_storeu_si512(right + r, _mm512_min_epu16(_mm512_loadu_si512(left + r), nan_right));
    }
  }
  for (size_t r = 0; rm && r < padded; ++r) {
    for (uint32_t v = 0; v < 2 * nf; ++v) rm[r * 2 * nf + v] = bins[v * kBlockRows + r];
  }
}

using mux::LeafIndex;
using mux::Levels;
using mux::Nodes;
using mux::Select;

// The leaf values of 8 rows (qword indices < 2^D) from the tree's table t.
template <int D>
MLOPS_PRED_INLINE __m512d LeafValues(const __m512d* t, __m512i q) {
  if constexpr (D <= 3) {
    return _mm512_permutexvar_pd(q, t[0]);
  } else if constexpr (D == 4) {
    return _mm512_permutex2var_pd(t[0], q, t[1]);
  } else if constexpr (D == 5) {
    const __mmask8 b4 = _mm512_test_epi64_mask(q, _mm512_set1_epi64(16));
    return _mm512_mask_blend_pd(b4, _mm512_permutex2var_pd(t[0], q, t[1]), _mm512_permutex2var_pd(t[2], q, t[3]));
  } else {
    const __mmask8 b4 = _mm512_test_epi64_mask(q, _mm512_set1_epi64(16));
    const __mmask8 b5 = _mm512_test_epi64_mask(q, _mm512_set1_epi64(32));
    const __m512d a = _mm512_mask_blend_pd(b4, _mm512_permutex2var_pd(t[0], q, t[1]), _mm512_permutex2var_pd(t[2], q, t[3]));
    const __m512d b = _mm512_mask_blend_pd(b4, _mm512_permutex2var_pd(t[4], q, t[5]), _mm512_permutex2var_pd(t[6], q, t[7]));
    return _mm512_mask_blend_pd(b5, a, b);
  }
}

// Adds tree leaf values for the 32 rows of index vector idx to acc[0..32).
template <int D, int Q>
MLOPS_PRED_INLINE void AddQuarter(const __m512d* t, __m512i idx, double* acc) {
  const __m512i qi = _mm512_cvtepu16_epi64(_mm512_extracti32x4_epi32(idx, Q));
  _mm512_storeu_pd(acc + 8 * Q, _mm512_add_pd(_mm512_loadu_pd(acc + 8 * Q), LeafValues<D>(t, qi)));
}
template <int D>
MLOPS_PRED_INLINE void AddLeaves(const __m512d* t, __m512i idx, double* acc) {
  AddQuarter<D, 0>(t, idx, acc);
  AddQuarter<D, 1>(t, idx, acc);
  AddQuarter<D, 2>(t, idx, acc);
  AddQuarter<D, 3>(t, idx, acc);
}

// Every tree over `groups` 32-row groups of the block, two at a time (a last
// odd one alone); acc[k * kBlockRows + r] gets each row's sums, trees in
// index order.
template <int D>
MLOPS_PRED_TARGET void BlockAvx512(const Layout& h, const int16_t* bins, size_t groups, double* acc) {
  constexpr size_t kTableRegs = D <= 3 ? 1 : (size_t{1} << D) / 8;
  constexpr int kD = D > 0 ? D : 1;
  for (size_t t = 0; t < h.n_trees; ++t) {
    const double* leaves = h.leaves.data() + t * h.leaves_per_tree;
    __m512d table[kTableRegs];
    if constexpr (D < 3) {
      // Fewer than 8 leaves: indices stay below 2^D, the rest is never read.
      alignas(64) double padded[8] = {};
      for (size_t i = 0; i < h.leaves_per_tree; ++i) padded[i] = leaves[i];
      table[0] = _mm512_load_pd(padded);
    } else {
      for (size_t i = 0; i < kTableRegs; ++i) table[i] = _mm512_loadu_pd(leaves + 8 * i);
    }
    double* a = acc + size_t{h.output_index[t]} * kBlockRows;
    Nodes n{h.rank.data() + t * h.nodes_per_tree, h.offset.data() + t * h.nodes_per_tree, nullptr};
    size_t g = 0;
    for (; g + 2 <= groups; g += 2) {
      n.g = reinterpret_cast<const char*>(bins) + g * 64;
      __m512i s[2][kD];
      Levels<0, D, 2>(n, s);
      AddLeaves<D>(table, LeafIndex<D>(s[0]), a + g * kLanes);
      AddLeaves<D>(table, LeafIndex<D>(s[1]), a + (g + 1) * kLanes);
    }
    if (g < groups) {
      n.g = reinterpret_cast<const char*>(bins) + g * 64;
      __m512i s[1][kD];
      Levels<0, D, 1>(n, s);
      AddLeaves<D>(table, LeafIndex<D>(s[0]), a + g * kLanes);
    }
  }
}

// Hybrid: the heap top of every tree over the block's groups gives each row
// its subtree; kWalk rows at a time then walk their subtrees in lockstep (a
// row at a leaf stays there) and add the leaves, trees in index order.
constexpr size_t kWalk = 16;

template <int D>
MLOPS_PRED_TARGET void BlockHybridAvx512(const Layout& h, const int16_t* bins, const int16_t* rm, size_t groups,
                                         double* acc) {
  constexpr int kD = D > 0 ? D : 1;
  alignas(64) uint16_t sidx[kBlockRows];
  const size_t rows = groups * kLanes, row_words = 2 * size_t{h.n_features};
  for (size_t t = 0; t < h.n_trees; ++t) {
    Nodes n{h.rank.data() + t * h.nodes_per_tree, h.offset.data() + t * h.nodes_per_tree, nullptr};
    size_t g = 0;
    for (; g + 2 <= groups; g += 2) {
      n.g = reinterpret_cast<const char*>(bins) + g * 64;
      __m512i s[2][kD];
      Levels<0, D, 2>(n, s);
      _mm512_store_si512(sidx + g * kLanes, LeafIndex<D>(s[0]));
      _mm512_store_si512(sidx + (g + 1) * kLanes, LeafIndex<D>(s[1]));
    }
    if (g < groups) {
      n.g = reinterpret_cast<const char*>(bins) + g * 64;
      __m512i s[1][kD];
      Levels<0, D, 1>(n, s);
      _mm512_store_si512(sidx + g * kLanes, LeafIndex<D>(s[0]));
    }
    const uint32_t* sub = h.subtree.data() + t * h.leaves_per_tree;
    const uint32_t steps = h.bottom_steps[t];
    for (size_t r0 = 0; r0 < rows; r0 += kWalk) {
      uint32_t p[kWalk];
      for (size_t j = 0; j < kWalk; ++j) p[j] = sub[sidx[r0 + j]];
      for (uint32_t st = 0; st < steps; ++st) {
        for (size_t j = 0; j < kWalk; ++j) {
          const BottomNode& b = h.bottom[p[j]];
          p[j] = b.left + (rm[(r0 + j) * row_words + b.vec] > b.rank);
        }
      }
      for (size_t j = 0; j < kWalk; ++j) AddBottomLeaf(h, t, p[j], acc + r0 + j, kBlockRows);
    }
  }
}

// Row kernel: lanes = 32 trees; lo and hi hold the row's bins as 64 words
// (NaN right in 0-31, NaN left in 32-63). Without NaN in the row both halves
// are equal and one single-source permute does.
struct LaneNodes {
  const int16_t* rank;
  const uint16_t* vec;
  __m512i lo, hi;
};
// kPacked: n.rank holds packed words and n.lo the row's bin * 32 - 32768;
// the saturating subtraction keeps the sign of the exact difference
// (rank * 32 + f) - bin * 32, negative exactly when bin > rank.
template <bool kNaN, bool kPacked>
MLOPS_PRED_INLINE __m512i DecideLanes(const LaneNodes& n, size_t i) {
  if constexpr (kPacked) {
    const __m512i w = _mm512_loadu_si512(n.rank + i * kLanes);
    return _mm512_subs_epi16(w, _mm512_permutexvar_epi16(w, n.lo));
  } else {
    const __m512i idx = _mm512_loadu_si512(n.vec + i * kLanes);
    const __m512i b = kNaN ? _mm512_permutex2var_epi16(n.lo, idx, n.hi) : _mm512_permutexvar_epi16(idx, n.lo);
    return _mm512_sub_epi16(_mm512_loadu_si512(n.rank + i * kLanes), b);
  }
}
template <int K, bool kNaN, bool kPacked>
struct LaneMux {
  MLOPS_PRED_INLINE static __m512i Run(const LaneNodes& n, size_t first, const __m512i* s) {
    const __m512i a = LaneMux<K - 1, kNaN, kPacked>::Run(n, first, s + 1);
    const __m512i b = LaneMux<K - 1, kNaN, kPacked>::Run(n, first + (size_t{1} << (K - 1)), s + 1);
    return Select(s[0], b, a);
  }
};
template <bool kNaN, bool kPacked>
struct LaneMux<0, kNaN, kPacked> {
  MLOPS_PRED_INLINE static __m512i Run(const LaneNodes& n, size_t first, const __m512i*) {
    return DecideLanes<kNaN, kPacked>(n, first);
  }
};
template <int L, int D, bool kNaN, bool kPacked>
MLOPS_PRED_INLINE void LaneLevels(const LaneNodes& n, __m512i* s) {
  if constexpr (L < D) {
    s[L] = LaneMux<L, kNaN, kPacked>::Run(n, (size_t{1} << L) - 1, s);
    LaneLevels<L + 1, D, kNaN, kPacked>(n, s);
  }
}

// Hybrid row: trees t0.. (lanes of them) from their heap positions down their
// subtrees, kWalk at a time, then their leaves added in tree order.
MLOPS_PRED_INLINE void RowBottoms(const Layout& h, size_t t0, size_t lanes, const uint16_t* leaf, const int16_t* rm,
                                  double* acc) {
  for (size_t j0 = 0; j0 < lanes; j0 += kWalk) {
    const size_t w = std::min(kWalk, lanes - j0);
    uint32_t p[kWalk] = {};
    uint32_t steps = 0;
    for (size_t j = 0; j < w; ++j) {
      const size_t t = t0 + j0 + j;
      p[j] = h.subtree[t * h.leaves_per_tree + leaf[j0 + j]];
      steps = std::max(steps, h.bottom_steps[t]);
    }
    for (uint32_t st = 0; st < steps; ++st) {
      for (size_t j = 0; j < kWalk; ++j) {
        const BottomNode& b = h.bottom[p[j]];
        p[j] = b.left + (rm[b.vec] > b.rank);
      }
    }
    for (size_t j = 0; j < w; ++j) AddBottomLeaf(h, t0 + j0 + j, p[j], acc, 1);
  }
}

// The leaf values a row reaches through line `line` (its 15 decisions by one
// permute of the row's bins and one compare, then the 4-level path read from
// the decision bits).
MLOPS_PRED_INLINE const double* LineLeaf(const Layout& h, const RowLine& line, __m512i lo, __m512i hi) {
  const __m128i col8 = _mm_load_si128(reinterpret_cast<const __m128i*>(line.col));
  const __m512i col = _mm512_cvtepu8_epi16(_mm256_castsi128_si256(col8));
  const __m512i rank = _mm512_castsi256_si512(_mm256_load_si256(reinterpret_cast<const __m256i*>(line.rank)));
  const uint32_t d = _mm512_mask_cmpgt_epi16_mask(0x7FFF, _mm512_permutex2var_epi16(lo, col, hi), rank);
  // Node i here is node i + 1 of the 1-based walk.
  const uint32_t leaf = line_walk::EndOfDecisions<4>(d << 1) - 16;
  const uint32_t at = line.first + static_cast<uint32_t>((line.deltas >> (4 * leaf)) & 15);
  return h.row_values.data() + size_t{at} * h.leaf_width;
}

// Line layouts: trees in chunks of kChunkGroups lane groups, in three passes
// so that a chunk's misses overlap (a row touches ~1 MiB of lines and leaf
// values, more than L2 holds): every group's heap top, its lines prefetched
// as soon as they are known; every line, its leaf values prefetched; then,
// after the next chunk's first two passes, the leaves added in tree order.
// Chunks of 2 groups with that lag measured ~5 % faster than chunks of 1 or 4
// (RF 100x10). Margins in registers where they fit: `one`
// (binary GBDT), `two` (a binary forest's two, one 2-wide add per tree: the
// same IEEE adds, in the same order, as two scalar ones).
constexpr size_t kChunkGroups = 2;

// Out of line (and the nodes unpacked), so the plain row kernel's code and
// registers stay as they were.
template <int D, bool kNaN>
__attribute__((noinline)) MLOPS_PRED_TARGET void RowLineTrees(const Layout& h, LaneNodes n, double* acc) {
  alignas(64) uint16_t leaf[kChunkGroups * kLanes];
  // Leaf values of this chunk and the one before: a chunk's adds run after
  // the next chunk's tops and lines, so its leaf prefetches have landed.
  const double* v[2][kChunkGroups * kLanes];
  size_t counts[2] = {0, 0};
  const bool two = h.leaf_width == 2 && h.n_outputs == 2;
  const bool one = h.leaf_width == 1 && h.n_outputs == 1;
  __m128d m2 = two ? _mm_loadu_pd(acc) : _mm_setzero_pd();
  double m1 = acc[0];
  const auto add = [&](const double* const* w, size_t count, size_t t0) {
    if (two) {
      for (size_t j = 0; j < count; ++j) m2 = _mm_add_pd(m2, _mm_loadu_pd(w[j]));
    } else if (one) {
      for (size_t j = 0; j < count; ++j) m1 += w[j][0];
    } else {
      for (size_t j = 0; j < count; ++j) AddLineLeaf(h, t0 + j, w[j], acc);
    }
  };
  size_t c = 0;
  for (size_t g0 = 0; g0 < h.n_tree_groups; g0 += kChunkGroups, ++c) {
    const size_t g1 = std::min(h.n_tree_groups, g0 + kChunkGroups);
    const size_t t0 = g0 * kLanes, count = std::min(h.n_trees, g1 * kLanes) - t0;
    const RowLine* lines = h.row_lines.data() + t0 * h.leaves_per_tree;
    for (size_t g = g0; g < g1; ++g) {
      n.rank = h.lane_rank.data() + g * h.nodes_per_tree * kLanes;
      n.vec = h.lane_vec.data() + g * h.nodes_per_tree * kLanes;
      __m512i s[D > 0 ? D : 1];
      LaneLevels<0, D, kNaN, false>(n, s);
      uint16_t* l = leaf + (g - g0) * kLanes;
      _mm512_store_si512(l, LeafIndex<D>(s));
      const size_t j0 = (g - g0) * kLanes, j1 = std::min(count, j0 + kLanes);
      for (size_t j = j0; j < j1; ++j) {
        _mm_prefetch(reinterpret_cast<const char*>(lines + j * h.leaves_per_tree + leaf[j]), _MM_HINT_T0);
      }
    }
    const double** w = v[c & 1];
    for (size_t j = 0; j < count; ++j) {
      w[j] = LineLeaf(h, lines[j * h.leaves_per_tree + leaf[j]], n.lo, n.hi);
      _mm_prefetch(reinterpret_cast<const char*>(w[j]), _MM_HINT_T0);
    }
    counts[c & 1] = count;
    if (c > 0) add(v[(c - 1) & 1], counts[(c - 1) & 1], t0 - kChunkGroups * kLanes);
  }
  if (c > 0) add(v[(c - 1) & 1], counts[(c - 1) & 1], (c - 1) * kChunkGroups * kLanes);
  if (two) _mm_storeu_pd(acc, m2);
  if (one) acc[0] = m1;
}

template <int D, bool kNaN, bool kPacked>
MLOPS_PRED_INLINE void RowTrees(const Layout& h, LaneNodes n, const int16_t* rm, double* acc) {
  alignas(64) uint16_t leaf[kLanes];
  const bool one_output = h.n_outputs == 1 && !h.hybrid;
  double m = acc[0];
  if (!h.hybrid) {
    // The adds (the critical path: their order is fixed) run one group
    // behind the heap tops, so each group's top overlaps the previous group's
    // add chain (GBDT 300x6: 1.10 -> 0.77 us per row in the driver).
    alignas(64) uint16_t lf[2][kLanes];
    for (size_t g = 0; g <= h.n_tree_groups; ++g) {
      if (g < h.n_tree_groups) {
        n.rank = (kPacked ? h.lane_packed.data() : h.lane_rank.data()) + g * h.nodes_per_tree * kLanes;
        n.vec = h.lane_vec.data() + g * h.nodes_per_tree * kLanes;
        __m512i s[D > 0 ? D : 1];
        LaneLevels<0, D, kNaN, kPacked>(n, s);
        _mm512_store_si512(lf[g & 1], LeafIndex<D>(s));
      }
      if (g == 0) continue;
      const size_t t0 = (g - 1) * kLanes, lanes = std::min(kLanes, h.n_trees - t0);
      const double* v = h.leaves.data() + t0 * h.leaves_per_tree;
      const uint16_t* l = lf[(g - 1) & 1];
      if (one_output) {
        // One margin in a register.
        for (size_t j = 0; j < lanes; ++j) m += v[j * h.leaves_per_tree + l[j]];
      } else {
        for (size_t j = 0; j < lanes; ++j) acc[h.output_index[t0 + j]] += v[j * h.leaves_per_tree + l[j]];
      }
    }
    if (one_output) acc[0] = m;
    return;
  }
  for (size_t g = 0; g < h.n_tree_groups; ++g) {
    n.rank = (kPacked ? h.lane_packed.data() : h.lane_rank.data()) + g * h.nodes_per_tree * kLanes;
    n.vec = h.lane_vec.data() + g * h.nodes_per_tree * kLanes;
    __m512i s[D > 0 ? D : 1];
    LaneLevels<0, D, kNaN, kPacked>(n, s);
    _mm512_store_si512(leaf, LeafIndex<D>(s));
    // Hybrid layouts without lines (trees deeper than 10 levels): walks.
    const size_t t0 = g * kLanes;
    RowBottoms(h, t0, std::min(kLanes, h.n_trees - t0), leaf, rm, acc);
  }
}

template <int D>
MLOPS_PRED_TARGET void RowAvx512(const Layout& h, const Ensemble& e, const double* row, double* acc) {
  alignas(64) int16_t words[64] = {};
  int16_t rm[2 * kPredicatedMaxFeatures];  // the row's bins as hybrid bottom nodes read them
  bool any_nan = false;
  for (uint32_t f = 0; f < h.n_features; ++f) {
    const double x = row[f];
    const bool nan = x != x;
    any_nan |= nan;
    const int16_t b = nan ? 0 : static_cast<int16_t>(cuts::BinAvx512(h.cuts, f, x));
    words[f] = rm[f] = nan ? kNanRight : b;
    words[32 + f] = rm[h.n_features + f] = nan ? kNanLeft : b;
  }
  for (uint32_t k = 0; k < h.n_outputs; ++k) acc[k] = e.Start(k);
  if (!h.row_lines.empty()) {
    const LaneNodes n{nullptr, nullptr, _mm512_load_si512(words), _mm512_load_si512(words + 32)};
    if (any_nan) {
      RowLineTrees<D, true>(h, n, acc);
    } else {
      RowLineTrees<D, false>(h, n, acc);
    }
    return;
  }
  if (!any_nan && !h.lane_packed.empty()) {
    for (uint32_t f = 0; f < h.n_features; ++f) words[f] = static_cast<int16_t>(int32_t{words[f]} * 32 - 32768);
    RowTrees<D, false, true>(h, LaneNodes{nullptr, nullptr, _mm512_load_si512(words), _mm512_setzero_si512()}, rm,
                             acc);
    return;
  }
  const LaneNodes n{nullptr, nullptr, _mm512_load_si512(words), _mm512_load_si512(words + 32)};
  if (any_nan) {
    RowTrees<D, true, false>(h, n, rm, acc);
  } else {
    RowTrees<D, false, false>(h, n, rm, acc);
  }
}

using BlockFn = void (*)(const Layout&, const int16_t*, size_t, double*);
using RowFn = void (*)(const Layout&, const Ensemble&, const double*, double*);
using HybridFn = void (*)(const Layout&, const int16_t*, const int16_t*, size_t, double*);

template <int D>
void Pick(bool hybrid, BlockFn* block, HybridFn* block_hybrid, RowFn* row) {
  if constexpr (D <= static_cast<int>(kPlainMaxDepth)) {
    if (!hybrid) *block = &BlockAvx512<D>;
  }
  if (hybrid) *block_hybrid = &BlockHybridAvx512<D>;
  *row = &RowAvx512<D>;
}

void PickKernels(const Layout& h, BlockFn* block, HybridFn* block_hybrid, RowFn* row) {
  static_assert(kTopLevels >= kPlainMaxDepth && kTopLevels <= 7, "kernels exist for heaps of 0-7 levels");
  switch (h.depth) {
    case 0: return Pick<0>(h.hybrid, block, block_hybrid, row);
    case 1: return Pick<1>(h.hybrid, block, block_hybrid, row);
    case 2: return Pick<2>(h.hybrid, block, block_hybrid, row);
    case 3: return Pick<3>(h.hybrid, block, block_hybrid, row);
    case 4: return Pick<4>(h.hybrid, block, block_hybrid, row);
    case 5: return Pick<5>(h.hybrid, block, block_hybrid, row);
    case 6: return Pick<6>(h.hybrid, block, block_hybrid, row);
    default: return Pick<kTopLevels>(h.hybrid, block, block_hybrid, row);
  }
}

#pragma GCC diagnostic pop
#endif  // MLOPS_PRED_AVX512

class PredicatedEngine final : public Engine {
 public:
  // rows_only: the row kernel alone (simd must be true and the CPU must have
  // it); what only the batch and scalar kernels read is freed after the build.
  PredicatedEngine(const Model& m, bool simd, bool rows_only = false)
      : e_(m), h_(BuildLayout(m, TraitsOf(m).max_depth)) {
#ifdef MLOPS_PRED_AVX512
    if (simd && CpuHasAvx512()) PickKernels(h_, &block_, &block_hybrid_, &row_);
#else
    (void)simd;
#endif
    if (rows_only && row_) {
      rows_only_ = true;
      block_ = nullptr;
      block_hybrid_ = nullptr;
      h_.DropBatchTables();
    }
  }

  const char* name() const override { return "predicated"; }
  const char* isa() const override { return row_ ? "avx512" : "scalar"; }
  size_t bytes() const override { return e_.bytes() + h_.bytes(); }

  void Predict(const double* rows, size_t n_rows, double* out) const override {
    const uint32_t nf = h_.n_features, no = h_.n_outputs, nc = e_.n_classes;
    if (row_ && (n_rows < kMinBatchKernelRows || rows_only_)) {
      // One row's margins on the stack: no thread_local lookup (a call into
      // the TLS resolver from a shared library) on the single-row path.
      double m[kPredicatedMaxOutputs];
      for (size_t r = 0; r < n_rows; ++r) {
        row_(h_, e_, rows + r * nf, m);
        e_.Finish(m, out + r * nc);
      }
      return;
    }
    Scratch& s = tls_scratch;
    if (s.acc.size() < size_t{no} * kBlockRows + no) s.acc.resize(size_t{no} * kBlockRows + no);
    double* m = s.acc.data() + size_t{no} * kBlockRows;  // one row's margins
    if (!row_) {
      if (s.bins.size() < 2 * size_t{nf}) s.bins.resize(2 * size_t{nf});
      for (size_t r = 0; r < n_rows; ++r) {
        BinRowScalar(h_, rows + r * nf, s.bins.data());
        RowScalar(h_, e_, s.bins.data(), m);
        e_.Finish(m, out + r * nc);
      }
      return;
    }
    // Feature-major bins, then (hybrid) the row-major copy.
    const size_t bin_words = 2 * size_t{nf} * kBlockRows;
    if (s.bins.size() < 2 * bin_words) s.bins.resize(2 * bin_words);
    int16_t* rm = h_.hybrid ? s.bins.data() + bin_words : nullptr;
#ifdef MLOPS_PRED_AVX512
    for (size_t r0 = 0; r0 < n_rows; r0 += kBlockRows) {
      const size_t nb = std::min(kBlockRows, n_rows - r0);
      const size_t groups = (nb + kLanes - 1) / kLanes;
      BinBlock(h_, rows + r0 * nf, nb, groups * kLanes, s.bins.data(), rm);
      for (uint32_t k = 0; k < no; ++k) std::fill_n(s.acc.data() + size_t{k} * kBlockRows, groups * kLanes, e_.Start(k));
      if (h_.hybrid) {
        block_hybrid_(h_, s.bins.data(), rm, groups, s.acc.data());
      } else {
        block_(h_, s.bins.data(), groups, s.acc.data());
      }
      for (size_t r = 0; r < nb; ++r) {
        for (uint32_t k = 0; k < no; ++k) m[k] = s.acc[size_t{k} * kBlockRows + r];
        e_.Finish(m, out + (r0 + r) * nc);
      }
    }
#endif
  }

 private:
  Ensemble e_;
  Layout h_;
  // Vector kernels, null when the CPU lacks them or `simd` was false.
  void (*block_)(const Layout&, const int16_t*, size_t, double*) = nullptr;
  void (*block_hybrid_)(const Layout&, const int16_t*, const int16_t*, size_t, double*) = nullptr;
  void (*row_)(const Layout&, const Ensemble&, const double*, double*) = nullptr;
  bool rows_only_ = false;
};

}  // namespace

bool PredicatedHasVectorKernels() {
#ifdef MLOPS_PRED_AVX512
  return CpuHasAvx512();
#else
  return false;
#endif
}

std::unique_ptr<Engine> MakePredicatedEngine(const Model& model, bool simd) {
  return std::make_unique<PredicatedEngine>(model, simd);
}

std::unique_ptr<Engine> MakePredicatedRowEngine(const Model& model) {
  return std::make_unique<PredicatedEngine>(model, true, true);
}

}  // namespace mlops::engines
