// The binned engine: deep forests (RF 100x10) scored on integer bins, the
// top levels of every tree decided 32 rows at a time, the levels below one
// 128-byte line per 5 levels.
//
// Layout (built once from the validated Model):
// - cuts (cuts.h): a row's value x becomes, per feature, two 16-bit bins in
//   the row's 64-word bin row: column f holds 1 + (number of cuts <= x), or
//   0xFFFF for NaN (above every rank: goes right); column 32 + f the same, or
//   0 for NaN (below every rank: goes left). A node reads the column of its
//   default side.
// - each tree is padded to a full implicit heap of its own depth d (1-based,
//   node j's children 2j and 2j + 1); a node is {rank, column}: rank = 1 +
//   the rank of its split value among the feature's cuts, so `x < t` is
//   exactly `!(rank < bin)`. Pass-through nodes below a leaf above level d
//   have rank 0xFFFF (never right), so every row takes exactly d steps.
// - the top K = min(kTopLevels, d) levels: the predicated multiplexer's
//   tables (mux.h, rank and feature-major offset per node) and a 4-byte node
//   heap for the scalar walks.
// - below them, lines: a Line holds the 31 nodes of the kChunkLevels levels
//   below one heap position (ranks, columns) and, in a tree's last chunk, its
//   up to 32 leaves as byte ordinals from a first leaf number into the leaf
//   values (the leaves under one position are consecutive in the values,
//   which are stored in depth-first order). A row's position at the chunk's
//   first level selects its line; one vpermi2w fetches the 31 nodes' bins
//   from the row's bins (two zmm), one compare gives the 31 decisions, and a
//   table and two bit steps (line-walk.h) give the leaf: no child pointers,
//   no leaf table, one 128-byte line per (row, tree) below the top.
//
// Kernels. Batches are scored over blocks of kBlock rows, binned feature by
// feature (one feature's cut tables stay in L1 for the block). With AVX-512 F+BW
// the top levels of kTreeGroup trees are decided for the block's rows, 32 at
// a time (on a feature-major copy of the block's bins), then each row's bins
// are loaded once into two registers and its line of each of those trees is
// evaluated.
// Calls of fewer than kMinBatchRows rows, CPUs without AVX-512 and
// MLOPS_SCORER_ISA=scalar walk each (row, tree) in portable C++ on the same
// layout. Leaves are added to each row's margins in tree index order, from
// Ensemble::Start, so results are bit-identical to the generic engine's
// whatever the batch, block position or thread.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/engines/cuts.h"
#include "core/engines/engine.h"
#include "core/engines/line-walk.h"
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
constexpr size_t kBlock = 1024;  // rows per block (their bins: 128 KiB, in L2)
// Top levels decided for 32 rows at a time by the predicated multiplexer
// (mux.h), and levels per line: 5 + 5 measured faster than 6 + 4 (a line
// decides 31 nodes with the same vector instructions as 15; the multiplexer
// costs two vector operations per node), see docs/decisions/0018.
constexpr uint32_t kTopLevels = 5;
constexpr uint32_t kChunkLevels = 5;
// Lines per (row, tree) at most.
constexpr uint32_t kMaxChunks = 3;
static_assert((kBinnedMaxDepth - kTopLevels + kChunkLevels - 1) / kChunkLevels <= kMaxChunks, "chunks per tree");
// Trees whose tops are decided before the rows walk them: a row's bins are
// loaded once per group.
constexpr size_t kTreeGroup = 4;
// Rows of scratch beyond a block: the last 32-row group of the top.
constexpr size_t kPadRows = 64;
constexpr size_t kScratchRows = kBlock + kPadRows;

struct Node {
  uint16_t rank;  // right iff rank < bin
  uint16_t col;   // the node's bin in a row's bins: word index (top_nodes: byte offset)
};

// kChunkLevels levels below one heap position: sub-heap nodes 1..31 (node
// s at sub-level l covers heap node ((position << l) + s - 2^l) of the
// tree). A chunk of b < kChunkLevels levels fills the sub-levels below b
// with pass-through nodes, so 5 steps always end on sub-heap leaf q = (its
// leaf at level b) << (5 - b).
struct alignas(64) Line {
  // Last chunk: the leaf number of ordinal 0, counted from the first leaf of
  // the line's group of kTreeGroup trees: rank[0] its low 16 bits, col[0] its
  // high 8 (zero where the group's trees are one line deep: at most
  // kTreeGroup << (kTopLevels + kChunkLevels) leaves). Neither is a node.
  uint16_t rank[32];
  uint8_t col[32];   // word index in a row's bins
  uint8_t leaf[32];  // last chunk: leaf q's ordinal from the first leaf number
};
static_assert(sizeof(Line) == 128, "a line is two cache lines");
static_assert(kTopLevels + 7 <= 16, "a top's line offset fits 16 bits");
constexpr uint32_t kLineLeaves = 1u << kChunkLevels;
static_assert((kTreeGroup << (kTopLevels + kChunkLevels)) <= 0x10000, "one-line groups number their leaves in 16 bits");

enum GroupKind : uint8_t { kGroupAny, kGroupOneLine, kGroupTopOnly };

struct TreeInfo {
  uint32_t depth = 0, top_levels = 0, n_chunks = 0, output_index = 0;
  uint32_t top_node = 0;  // into top_nodes: 2^K slots in heap order, [0] unused (col: byte offset)
  uint32_t top_mux = 0;   // into top_rank / top_offset: 2^K - 1 nodes
  uint32_t chunk_line[kMaxChunks] = {};    // into lines: 2^(first level) lines
  uint32_t chunk_levels[kMaxChunks] = {};  // b: levels the chunk covers
  uint32_t value_begin = 0, value_end = 0;
};

struct Layout {
  uint32_t n_features = 0, n_outputs = 0, leaf_width = 1;
  cuts::SearchTables cuts;
  std::vector<TreeInfo> trees;
  std::vector<Node> top_nodes;
  std::vector<Line> lines;     // 128-byte lines, 64-byte aligned (over-aligned allocation)
  std::vector<double> values;  // leaf_width per model leaf, each tree depth-first
  // The multiplexer's top (where every feature has at most
  // kPredicatedMaxDistinct cuts, so its 16-bit differences cannot wrap): per
  // tree 2^K - 1 nodes in heap order, the split value's rank and the byte
  // offset of its bin vector in a block's feature-major bins. Empty otherwise.
  std::vector<int16_t> top_rank;
  std::vector<uint32_t> top_offset;
  // Per group of kTreeGroup trees, its kernel: kGroupAny, kGroupOneLine
  // (kTreeGroup trees of one chunk each, unrolled) or kGroupTopOnly (the
  // same, every chunk of 0 levels: a line holds just the leaf).
  std::vector<uint8_t> group_kind;

  size_t bytes() const {
    return cuts.bytes() + trees.size() * sizeof(TreeInfo) + top_nodes.size() * sizeof(Node) +
           lines.size() * sizeof(Line) + values.size() * sizeof(double) + top_rank.size() * 2 + top_offset.size() * 4 + group_kind.size();
  }
};

// Depth (edges) of the subtree at node `id`.
uint32_t DepthOf(const Tree& t, int32_t id) {
  if (t.left[id] == -1) return 0;
  return 1 + std::max(DepthOf(t, t.left[id]), DepthOf(t, t.right[id]));
}

// Places model node `id` at heap slot j (level `level` of a heap of depth d):
// nodes[j], and for a leaf the value offset of every heap leaf (level d) below j.
void Place(const Model& m, const Tree& tree, const std::vector<std::vector<double>>& cuts, int32_t id, uint32_t j,
           uint32_t level, uint32_t d, Node* nodes, uint32_t* leaf, std::vector<double>& values) {
  if (tree.left[id] == -1) {
    const auto offset = static_cast<uint32_t>(values.size());
    const double* v = tree.value.data() + size_t(id) * m.leaf_width;
    values.insert(values.end(), v, v + m.leaf_width);
    // Below a leaf every node goes left: the row lands on heap leaf j << r.
    const uint32_t r = d - level;
    for (uint32_t k = 0; k < r; ++k) nodes[j << k] = {kNeverRight, 0};
    for (uint32_t p = j << r; p < (j + 1) << r; ++p) leaf[p - (1u << d)] = offset;
    return;
  }
  const auto f = static_cast<uint32_t>(tree.feature[id]);
  const uint32_t rank = cuts::RankOf(cuts[f], cuts::SplitValue(m, tree, id));
  const uint32_t col = tree.default_left[id] ? kNanLeftColumn + f : f;
  nodes[j] = {static_cast<uint16_t>(rank + 1), static_cast<uint16_t>(col)};
  Place(m, tree, cuts, tree.left[id], 2 * j, level + 1, d, nodes, leaf, values);
  Place(m, tree, cuts, tree.right[id], 2 * j + 1, level + 1, d, nodes, leaf, values);
}

// Column of a block's feature-major bins for row-bin column `col`: features
// with NaN right, then features with NaN left.
uint32_t FeatureMajorColumn(uint32_t nf, uint32_t col) {
  return col < kNanLeftColumn ? col : nf + (col - kNanLeftColumn);
}

// Levels of each chunk below the top: the first takes the remainder, so the
// last chunk (the one with the most lines) is full. A tree no deeper than
// its top gets one chunk of 0 levels (its lines hold only leaves).
uint32_t ChunkPlan(uint32_t below, uint32_t* levels) {
  if (below == 0) {
    levels[0] = 0;
    return 1;
  }
  uint32_t n = 0;
  if (below % kChunkLevels != 0) levels[n++] = below % kChunkLevels;
  for (uint32_t k = 0; k < below / kChunkLevels; ++k) levels[n++] = kChunkLevels;
  return n;
}

// The lines of one chunk of b levels starting at heap level `level` of a tree
// whose padded heap is `heap` (depth d); `leaf` (last chunk only) the value
// offset of each heap leaf.
void AddLines(const Node* heap, const uint32_t* leaf, uint32_t value_begin, uint32_t level, uint32_t b,
              uint32_t leaf_width, std::vector<Line>& lines) {
  const size_t first = lines.size();
  lines.resize(first + (size_t{1} << level));
  for (uint32_t p = 0; p < (1u << level); ++p) {
    Line& ln = lines[first + p];
    std::fill(std::begin(ln.rank), std::end(ln.rank), kNeverRight);
    std::fill(std::begin(ln.col), std::end(ln.col), uint8_t{0});
    std::fill(std::begin(ln.leaf), std::end(ln.leaf), uint8_t{0});
    for (uint32_t l = 0; l < b && l < kChunkLevels; ++l) {
      for (uint32_t i = 0; i < (1u << l); ++i) {
        const Node n = heap[(((1u << level) + p) << l) + i];
        ln.rank[(1u << l) + i] = n.rank;
        ln.col[(1u << l) + i] = static_cast<uint8_t>(n.col);
      }
    }
    if (leaf == nullptr) continue;
    // Heap leaves p << b .. (p + 1) << b: depth-first, so their values are
    // consecutive from the leftmost (pass-through leaves repeat an offset).
    const uint32_t* under = leaf + (size_t{p} << b);
    const uint32_t first_leaf = (under[0] - value_begin) / leaf_width;
    if (under[0] < value_begin || first_leaf > 0xFFFFFF) throw std::logic_error("binned: a group's leaf number past 24 bits");
    ln.rank[0] = static_cast<uint16_t>(first_leaf);
    ln.col[0] = static_cast<uint8_t>(first_leaf >> 16);
    for (uint32_t i = 0; i < (1u << b); ++i) {
      const uint32_t ordinal = (under[i] - under[0]) / leaf_width;
      if (under[i] < under[0] || ordinal >= kLineLeaves) throw std::logic_error("binned: leaves under a line not consecutive");
      ln.leaf[i << (kChunkLevels - b)] = static_cast<uint8_t>(ordinal);
    }
  }
}

Layout BuildLayout(const Model& m) {
  Layout h;
  h.n_features = m.n_features;
  h.n_outputs = m.n_outputs;
  h.leaf_width = m.leaf_width;
  auto per_feature = cuts::SplitValues(m);
  size_t most_cuts = 0;
  for (const auto& c : per_feature) most_cuts = std::max(most_cuts, c.size());
  const bool mux = most_cuts <= kPredicatedMaxDistinct;
  std::vector<Node> heap;      // one tree's padded heap, 2^d slots
  std::vector<uint32_t> leaf;  // its heap leaves' value offsets
  for (const Tree& tree : m.trees) {
    TreeInfo ti;
    const uint32_t d = DepthOf(tree, 0);
    ti.depth = d;
    ti.output_index = tree.output_index;
    // Slots no model node reaches stay pass-through (never right).
    heap.assign(size_t{1} << d, Node{kNeverRight, 0});
    leaf.assign(size_t{1} << d, 0);
    ti.value_begin = static_cast<uint32_t>(h.values.size());
    // Leaf numbers in lines count from the first value of the tree's group.
    const size_t group_first = h.trees.size() - h.trees.size() % kTreeGroup;
    const uint32_t group_value_begin = group_first < h.trees.size() ? h.trees[group_first].value_begin : ti.value_begin;
    Place(m, tree, per_feature, 0, 1, 0, d, heap.data(), leaf.data(), h.values);
    ti.value_end = static_cast<uint32_t>(h.values.size());
    const uint32_t k = std::min(kTopLevels, d);
    ti.top_levels = k;
    ti.top_node = static_cast<uint32_t>(h.top_nodes.size());
    // The scalar walks' top: the column as a byte offset into a row's bins.
    for (uint32_t j = 0; j < (1u << k); ++j) {
      h.top_nodes.push_back({heap[j].rank, static_cast<uint16_t>(heap[j].col * sizeof(uint16_t))});
    }
    if (mux) {
      ti.top_mux = static_cast<uint32_t>(h.top_rank.size());
      for (uint32_t j = 1; j < (1u << k); ++j) {
        const Node n = heap[j];
        // A pass-through node may decide either way: every heap leaf below
        // it holds the same leaf's values.
        const bool pass = n.rank == kNeverRight;
        h.top_rank.push_back(static_cast<int16_t>(pass ? 0 : n.rank - 1));
        h.top_offset.push_back(pass ? 0 : FeatureMajorColumn(h.n_features, n.col) * kScratchRows * 2);
      }
    }
    ti.n_chunks = ChunkPlan(d - k, ti.chunk_levels);
    uint32_t level = k;
    for (uint32_t c = 0; c < ti.n_chunks; ++c) {
      ti.chunk_line[c] = static_cast<uint32_t>(h.lines.size());
      const bool last = c + 1 == ti.n_chunks;
      AddLines(heap.data(), last ? leaf.data() : nullptr, group_value_begin, level, ti.chunk_levels[c], m.leaf_width, h.lines);
      level += ti.chunk_levels[c];
    }
    h.trees.push_back(ti);
  }
  for (size_t t0 = 0; t0 < h.trees.size(); t0 += kTreeGroup) {
    bool one = t0 + kTreeGroup <= h.trees.size(), top_only = one;
    for (size_t t = t0; one && t < t0 + kTreeGroup; ++t) {
      one = h.trees[t].n_chunks == 1;
      top_only = top_only && h.trees[t].chunk_levels[0] == 0;
    }
    h.group_kind.push_back(!one ? kGroupAny : top_only ? kGroupTopOnly : kGroupOneLine);
  }
  h.cuts = cuts::BuildSearchTables(std::move(per_feature));
  return h;
}

// Per-thread scratch (bins of a block, margins of a block), grown on demand.
struct Scratch {
  std::vector<uint16_t> bins;
  std::vector<double> acc;
  // Top levels: feature-major bins ([2 nf][kScratchRows], the predicated
  // engine's convention: the count of cuts <= x, NaN 0x7FFF or -1) and, for
  // two groups of kTreeGroup trees (the one walked, the next), each row's
  // line offset in each tree ([2][kTreeGroup][kScratchRows]).
  std::vector<int16_t> fm;
  std::vector<uint16_t> top;
};
thread_local Scratch tls_scratch;

// The same leaf, from a row's bins in memory (portable).
inline uint32_t LeafOfRow(const Line& ln, const uint16_t* bins) {
  uint32_t j = 1;
  for (uint32_t s = 0; s < kChunkLevels; ++s) j = 2 * j + static_cast<uint32_t>(ln.rank[j] < bins[ln.col[j]]);
  return j - kLineLeaves;
}

// Index into its group's values of the last line's leaf q.
inline uint32_t ValueIndex(const Line& ln, uint32_t q, uint32_t leaf_width) {
  return ((uint32_t{ln.col[0]} << 16) + ln.rank[0] + ln.leaf[q]) * leaf_width;
}
// The same in a group of one-line trees (col[0] is 0), from the end node
// j = kLineLeaves + q (the offset folds into the load's displacement).
inline uint32_t OneLineValueIndex(const Line& ln, size_t j, uint32_t leaf_width) {
  const uint8_t* leaf = reinterpret_cast<const uint8_t*>(&ln) + offsetof(Line, leaf) - kLineLeaves;
  return (uint32_t{ln.rank[0]} + leaf[j]) * leaf_width;
}

// One step of a top walk, j = 2j + (rank < bin), the bin read from `row` at
// the node's byte offset plus kOffset. On x86-64 four instructions: the
// column load, the bin load (the lane's row at a constant displacement), a
// compare of the node's rank in memory with the bin (carry = rank < bin) and
// j = j + j + carry.
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
  const Node n = heap[j];
  uint16_t b;
  std::memcpy(&b, row + kOffset + n.col, sizeof b);
  return 2 * j + static_cast<uint32_t>(n.rank < b);
#endif
}

// A block's bins, feature by feature (so one feature's cut tables stay in
// L1 while every row of the block is binned against them): rows (nb rows of
// nf values) to bins (kRowWords per row) and, with fm, the feature-major bins
// of the top (column stride kScratchRows).
void BinBlockScalar(const cuts::SearchTables& s, uint32_t nf, const double* rows, size_t nb, uint16_t* bins,
                    int16_t*) {
  for (uint32_t f = 0; f < nf; ++f) {
    for (size_t r = 0; r < nb; ++r) {
      const double x = rows[r * nf + f];
      const bool nan = x != x;
      const auto b = static_cast<uint16_t>(nan ? 0 : 1 + cuts::BinScalar(s, f, x));
      bins[r * kRowWords + f] = nan ? kNanRight : b;
      bins[r * kRowWords + kNanLeftColumn + f] = nan ? kNanLeft : b;
    }
  }
}

#ifdef MLOPS_MUX_AVX512
// Permute indices of a 32x32 transpose of 16-bit words, stage k (blocks of
// s = 16 >> k words): rows i and i + s (bit s of i clear) swap their
// off-diagonal s-word blocks, so row i takes row i + s's lower block and row
// i + s row i's upper one. After the five stages word p of row i holds what
// was word i of row p.
struct TransposeIndex {
  alignas(64) uint16_t lo[5][32];
  alignas(64) uint16_t hi[5][32];
};
constexpr TransposeIndex MakeTransposeIndex() {
  TransposeIndex t{};
  for (int k = 0; k < 5; ++k) {
    const int s = 16 >> k;
    for (int p = 0; p < 32; ++p) {
      t.lo[k][p] = static_cast<uint16_t>((p & s) ? 32 + p - s : p);
      t.hi[k][p] = static_cast<uint16_t>((p & s) ? 32 + p : p + s);
    }
  }
  return t;
}
constexpr TransposeIndex kTransposeIndex = MakeTransposeIndex();

__attribute__((target("avx512f,avx512bw"), always_inline)) inline void Transpose32(__m512i* m) {
  for (int k = 0; k < 5; ++k) {
    const int s = 16 >> k;
    const __m512i lo = _mm512_load_si512(kTransposeIndex.lo[k]);
    const __m512i hi = _mm512_load_si512(kTransposeIndex.hi[k]);
    for (int i = 0; i < 32; ++i) {
      if (i & s) continue;
      const __m512i a = m[i], b = m[i + s];
      m[i] = _mm512_permutex2var_epi16(a, lo, b);
      m[i + s] = _mm512_permutex2var_epi16(a, hi, b);
    }
  }
}

// A block's bins, feature by feature into contiguous columns
// (cuts::BinColumnAvx512: one feature's tables stay in L1, every store is
// sequential), written straight into the left half of the top's
// feature-major bins (NaN left is the count read as int16: kNanBin is -1);
// then per 32-row group the right half (NaN 0x7FFF: the count saturated)
// and each row's 64 bins by a transpose (NaN right: the count + 1
// saturated, 0xFFFF; NaN left: the count + 1 wrapped, 0). Rows past nb in
// the last group get count 0.
__attribute__((target("avx512f,avx512bw,popcnt"))) void BinBlockAvx512(const cuts::SearchTables& s, uint32_t nf,
                                                                        const double* rows, size_t nb, uint16_t* bins,
                                                                        int16_t* fm) {
  const size_t groups = (nb + 31) / 32;
  for (uint32_t f = 0; f < nf; ++f) {
    auto* col = reinterpret_cast<uint16_t*>(fm + (nf + f) * kScratchRows);
    cuts::BinColumnAvx512(s, f, rows + f, nf, nb, col);
    std::fill(col + nb, col + groups * 32, uint16_t{0});
  }
  const __m512i one = _mm512_set1_epi16(1), nan_right = _mm512_set1_epi16(0x7FFF);
  for (size_t g = 0; g < groups; ++g) {
    __m512i m[32];
    for (uint32_t f = 0; f < nf; ++f) {
      m[f] = _mm512_loadu_si512(fm + (nf + f) * kScratchRows + g * 32);
      _mm512_storeu_si512(fm + f * kScratchRows + g * 32, _mm512_min_epu16(m[f], nan_right));
    }
    for (uint32_t f = nf; f < 32; ++f) m[f] = _mm512_setzero_si512();
    Transpose32(m);
    for (size_t r = 0; r < 32; ++r) {
      uint16_t* row = bins + (g * 32 + r) * kRowWords;
      _mm512_storeu_si512(row, _mm512_adds_epu16(m[r], one));
      _mm512_storeu_si512(row + kNanLeftColumn, _mm512_add_epi16(m[r], one));
    }
  }
}
#endif

#ifdef MLOPS_MUX_AVX512
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// Heap positions at level K of one tree's top for `groups` 32-row groups, as
// byte offsets of the rows' lines (position * 128, below 2^12).
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
    _mm512_storeu_si512(top + g * 32, _mm512_slli_epi16(mux::LeafIndex<K>(s[0]), 7));
    _mm512_storeu_si512(top + (g + 1) * 32, _mm512_slli_epi16(mux::LeafIndex<K>(s[1]), 7));
  }
  if (g < groups) {
    n.g = reinterpret_cast<const char*>(fm + g * 32);
    __m512i s[1][kD];
    mux::Levels<0, K, 1>(n, s);
    _mm512_storeu_si512(top + g * 32, _mm512_slli_epi16(mux::LeafIndex<K>(s[0]), 7));
  }
}
#pragma GCC diagnostic pop

using TopFn = void (*)(const int16_t*, const uint32_t*, const int16_t*, size_t, uint16_t*);
constexpr TopFn kTopKernels[] = {&TopBlock<0>, &TopBlock<1>, &TopBlock<2>, &TopBlock<3>, &TopBlock<4>, &TopBlock<5>};
static_assert(kTopLevels + 1 == sizeof(kTopKernels) / sizeof(kTopKernels[0]), "a top kernel per level count");

// Decisions of a line's 31 nodes for one row (bins in lo: words 0-31, hi:
// words 32-63): bit j = node j goes right. Bit 0 is noise (the first leaf
// number compared as a rank); only bits 1-31 are read.
__attribute__((target("avx512f,avx512bw"), always_inline)) inline uint32_t LineDecisions(const Line* ln, __m512i lo,
                                                                                          __m512i hi) {
  const __m512i idx = _mm512_cvtepu8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(ln->col)));
  const __m512i bins = _mm512_permutex2var_epi16(lo, idx, hi);
  return static_cast<uint32_t>(_mm512_cmpgt_epu16_mask(bins, _mm512_load_si512(ln)));
}
#endif

using BinBlockFn = void (*)(const cuts::SearchTables&, uint32_t, const double*, size_t, uint16_t*, int16_t*);

// A row's margins while it walks a run of trees: kWidth is the leaf width
// when it is 1 (one output) or 2 (held in a register), else 0 (any: added in
// memory). Every add is one IEEE double add per margin, in tree order.
template <int kWidth>
struct Margins {
  using V2 = double __attribute__((vector_size(16)));
  double* acc;
  V2 a2;
  double a1;
  explicit Margins(double* p) : acc(p) {
    if constexpr (kWidth == 2) std::memcpy(&a2, p, sizeof a2);
    if constexpr (kWidth == 1) a1 = p[0];
  }
  void Add(const double* v, const TreeInfo&, uint32_t leaf_width) {
    if constexpr (kWidth == 2) {
      V2 b;
      std::memcpy(&b, v, sizeof b);
      a2 += b;
    } else if constexpr (kWidth == 1) {
      a1 += v[0];
    } else {
      for (uint32_t k = 0; k < leaf_width; ++k) acc[k] += v[k];
    }
  }
  void Store() {
    if constexpr (kWidth == 2) std::memcpy(acc, &a2, sizeof a2);
    if constexpr (kWidth == 1) acc[0] = a1;
  }
};

class BinnedEngine final : public Engine {
 public:
  BinnedEngine(const Model& m, bool simd) : e_(m), h_(BuildLayout(m)) {
#ifdef MLOPS_MUX_AVX512
    if (simd && BinnedHasTopKernels()) bin_block_ = &BinBlockAvx512;
    top_ = simd && !h_.top_rank.empty() && BinnedHasTopKernels();
#else
    (void)simd;
#endif
  }

  const char* name() const override { return "binned"; }
  const char* isa() const override { return bin_block_ == &BinBlockScalar ? "scalar" : "avx512"; }
  size_t bytes() const override { return e_.bytes() + h_.bytes(); }

  void Predict(const double* rows, size_t n_rows, double* out) const override {
    Scratch& s = tls_scratch;
    const uint32_t nf = h_.n_features, no = h_.n_outputs, nc = e_.n_classes;
    if (s.acc.size() < kBlock * no) s.acc.resize(kBlock * no);
    if (s.bins.size() < kScratchRows * kRowWords) s.bins.resize(kScratchRows * kRowWords, 0);
    // Calls of fewer than kMinBatchRows rows walk the portable way.
    const bool top = top_ && n_rows >= kMinBatchRows;
    // The vector binning goes through the feature-major bins (BinBlockAvx512).
    const bool columns = bin_block_ != &BinBlockScalar;
    if (columns && s.fm.size() < 2 * size_t{nf} * kScratchRows) s.fm.resize(2 * size_t{nf} * kScratchRows, 0);
    if (top && s.top.size() < 2 * kTreeGroup * kScratchRows) s.top.resize(2 * kTreeGroup * kScratchRows, 0);
    for (size_t r0 = 0; r0 < n_rows; r0 += kBlock) {
      const size_t nb = std::min(kBlock, n_rows - r0);
      const size_t groups = top ? (nb + 31) / 32 : 0;
      bin_block_(h_.cuts, nf, rows + r0 * nf, nb, s.bins.data(), columns ? s.fm.data() : nullptr);
      // The top's last 32-row group reads rows past nb: BinBlockAvx512 gave them count 0.
      const int16_t* fm = top ? s.fm.data() : nullptr;
      double* acc = s.acc.data();
      for (size_t r = 0; r < nb; ++r) {
        for (uint32_t k = 0; k < no; ++k) acc[r * no + k] = e_.Start(k);
      }
      if (h_.leaf_width == 2) {
        ScoreBlock<2>(s.bins.data(), nb, fm, groups, s.top.data(), acc);
      } else if (h_.leaf_width == 1 && no == 1) {
        ScoreBlock<1>(s.bins.data(), nb, fm, groups, s.top.data(), acc);
      } else {
        ScoreBlock<0>(s.bins.data(), nb, fm, groups, s.top.data(), acc);
      }
      for (size_t r = 0; r < nb; ++r) e_.Finish(acc + r * no, out + (r0 + r) * nc);
    }
  }

 private:
  Ensemble e_;
  Layout h_;
  BinBlockFn bin_block_ = &BinBlockScalar;
  bool top_ = false;  // batches decide the top levels with the multiplexer

  // The first tree of tree t's group (its lines' leaf numbers count from its values).
  const TreeInfo& GroupFirst(size_t t) const { return h_.trees[t - t % kTreeGroup]; }

  // Margins of one row, of output `k` of tree t's leaf when the leaf width
  // is 1 and there are several outputs (multiclass GBDT).
  double* RowMargins(double* acc, size_t r, const TreeInfo& ti) const {
    return acc + r * h_.n_outputs + (h_.leaf_width == 1 ? ti.output_index : 0);
  }

  template <int kWidth>
  void ScoreBlock(const uint16_t* bins, size_t nb, const int16_t* fm, size_t groups, uint16_t* top, double* acc) const {
#ifdef MLOPS_MUX_AVX512
    if (fm) return ScoreBlockTop<kWidth>(bins, nb, fm, groups, top, acc);
#else
    (void)fm, (void)groups, (void)top;
#endif
    ScoreBlockScalar<kWidth>(bins, nb, acc);
  }

  // Portable: tree-major, kScalarLanes rows walking each tree interleaved
  // (their chains of dependent loads overlap), node by node. Lanes past nb
  // walk the scratch's stale bins (every position stays in range) and are
  // never added.
  static constexpr size_t kScalarLanes = 8;
  template <int kWidth>
  void ScoreBlockScalar(const uint16_t* bins, size_t nb, double* acc) const {
    const uint32_t lw = h_.leaf_width;
    for (size_t t = 0; t < h_.trees.size(); ++t) {
      const TreeInfo& ti = h_.trees[t];
      const double* group_values = h_.values.data() + GroupFirst(t).value_begin;
      const Node* heap = h_.top_nodes.data() + ti.top_node;
      for (size_t r0 = 0; r0 < nb; r0 += kScalarLanes) {
        const size_t lanes = std::min(kScalarLanes, nb - r0);
        uint32_t j[kScalarLanes], q[kScalarLanes];
        const Line* ln[kScalarLanes];
        const uint16_t* row = bins + r0 * kRowWords;
        for (size_t l = 0; l < kScalarLanes; ++l) j[l] = 1;
        for (uint32_t s = 0; s < ti.top_levels; ++s) TopSteps(heap, j, row, std::make_index_sequence<kScalarLanes>());
        for (size_t l = 0; l < kScalarLanes; ++l) j[l] -= 1u << ti.top_levels;  // position at level K
        for (uint32_t c = 0; c < ti.n_chunks; ++c) {
          const uint32_t b = ti.chunk_levels[c];
          const Line* lines = h_.lines.data() + ti.chunk_line[c];
          for (size_t l = 0; l < kScalarLanes; ++l) ln[l] = lines + j[l];
          LineSteps(ln, q, row, std::make_index_sequence<kScalarLanes>());
          for (size_t l = 0; l < kScalarLanes; ++l) j[l] = (j[l] << b) + (q[l] >> (kChunkLevels - b));
        }
        for (size_t l = 0; l < lanes; ++l) {
          const double* v = group_values + ValueIndex(*ln[l], q[l], lw);
          if constexpr (kWidth == 0) {
            Margins<0>(RowMargins(acc, r0 + l, ti)).Add(v, ti, lw);
          } else {
            Margins<kWidth> mg(acc + (r0 + l) * h_.n_outputs);
            mg.Add(v, ti, lw);
            mg.Store();
          }
        }
      }
    }
  }
  template <size_t... kL>
  static void TopSteps(const Node* heap, uint32_t* j, const uint16_t* row, std::index_sequence<kL...>) {
    ((j[kL] = StepAt<kL * kRowBytes>(heap, j[kL], reinterpret_cast<const char*>(row))), ...);
  }
  template <size_t... kL>
  static void LineSteps(const Line* const* ln, uint32_t* q, const uint16_t* row, std::index_sequence<kL...>) {
    uint32_t j[] = {(static_cast<void>(kL), 1u)...};
    for (uint32_t s = 0; s < kChunkLevels; ++s) {
      ((j[kL] = 2 * j[kL] + static_cast<uint32_t>(ln[kL]->rank[j[kL]] < row[kL * kRowWords + ln[kL]->col[j[kL]]])), ...);
    }
    ((q[kL] = j[kL] - kLineLeaves), ...);
  }

#ifdef MLOPS_MUX_AVX512
  // Tops of trees [t0, t1) for the block into top[(t - t0) * kScratchRows].
  void Tops(size_t t0, size_t t1, const int16_t* fm, size_t groups, uint16_t* top) const {
    for (size_t t = t0; t < t1; ++t) {
      const TreeInfo& ti = h_.trees[t];
      kTopKernels[ti.top_levels](h_.top_rank.data() + ti.top_mux, h_.top_offset.data() + ti.top_mux, fm, groups,
                                 top + (t - t0) * kScratchRows);
    }
  }

  // Groups of kTreeGroup trees: their tops for the block's rows, then each
  // row's lines of those trees, the row's bins in two registers. Group
  // g + 1's tops are decided before group g's rows walk (measured ~3 %
  // faster at 10,000 rows than each group's just before its walk). Nothing
  // is prefetched: software prefetches of the next group's lines and values
  // measured slower than none (docs/decisions/0018).
  template <int kWidth>
  __attribute__((target("avx512f,avx512bw"))) void ScoreBlockTop(const uint16_t* bins, size_t nb, const int16_t* fm,
                                                                 size_t groups, uint16_t* top, double* acc) const {
    constexpr size_t kBuffer = kTreeGroup * kScratchRows;
    const size_t n_trees = h_.trees.size();
    Tops(0, std::min(kTreeGroup, n_trees), fm, groups, top);
    for (size_t t0 = 0, g = 0; t0 < n_trees; t0 += kTreeGroup, ++g) {
      const size_t t1 = std::min(n_trees, t0 + kTreeGroup);
      const uint16_t* cur = top + (g & 1) * kBuffer;
      Tops(t1, std::min(n_trees, t1 + kTreeGroup), fm, groups, top + ((g + 1) & 1) * kBuffer);
      switch (h_.group_kind[g]) {
        case kGroupOneLine:
          GroupRows<kWidth, kGroupOneLine>(bins, nb, t0, cur, acc);
          break;
        case kGroupTopOnly:
          GroupRows<kWidth, kGroupTopOnly>(bins, nb, t0, cur, acc);
          break;
        default:
          GroupRows<kWidth, kGroupAny>(bins, nb, t0, cur, acc);
      }
    }
  }

  // Rows [0, nb) through trees [t0, t0 + kTreeGroup) (fewer at the end),
  // tops[(t - t0) * kScratchRows + r] the row's line offset in tree t.
  // kKind: the group's kind (GroupKind).
  template <int kWidth, int kKind>
  __attribute__((target("avx512f,avx512bw"), always_inline)) inline void GroupRows(const uint16_t* bins, size_t nb,
                                                                                size_t t0, const uint16_t* tops,
                                                                                double* acc) const {
    const size_t t1 = std::min(h_.trees.size(), t0 + kTreeGroup);
    // The leaf width as a constant where the kernel knows it.
    const uint32_t lw = kWidth > 0 ? uint32_t{kWidth} : h_.leaf_width;
    const char* base[kTreeGroup];
    for (size_t t = t0; t < t1; ++t) base[t - t0] = reinterpret_cast<const char*>(h_.lines.data() + h_.trees[t].chunk_line[0]);
    const double* group_values = h_.values.data() + GroupFirst(t0).value_begin;
    // One register for the group's values, not an offset added per leaf.
    asm("" : "+r"(group_values));
    const uint8_t* level3 = line_walk::kLevel3.j;
    asm("" : "+r"(level3));
    const size_t no = h_.n_outputs;
    for (size_t r = 0; r < nb; ++r) {
      const __m512i lo = _mm512_loadu_si512(bins + r * kRowWords);
      const __m512i hi = _mm512_loadu_si512(bins + r * kRowWords + 32);
      Margins<kWidth> mg(acc + r * no);
      if constexpr (kKind != kGroupAny) {
#pragma GCC unroll 8
        for (size_t t = 0; t < kTreeGroup; ++t) {
          const Line* ln = reinterpret_cast<const Line*>(base[t] + tops[t * kScratchRows + r]);
          const double* v =
              group_values + (kKind == kGroupTopOnly
                             ? uint32_t{ln->rank[0]} * lw
                             : OneLineValueIndex(*ln, line_walk::EndOfDecisions<kChunkLevels>(LineDecisions(ln, lo, hi), level3), lw));
          if constexpr (kWidth == 0) {
            Margins<0>(RowMargins(acc, r, h_.trees[t0 + t])).Add(v, h_.trees[t0 + t], lw);
          } else {
            mg.Add(v, h_.trees[t0 + t], lw);
          }
        }
      } else {
        for (size_t t = t0; t < t1; ++t) {
          const TreeInfo& ti = h_.trees[t];
          uint32_t p = tops[(t - t0) * kScratchRows + r] / sizeof(Line);
          const Line* ln = nullptr;
          uint32_t q = 0;
          for (uint32_t c = 0; c < ti.n_chunks; ++c) {
            ln = h_.lines.data() + ti.chunk_line[c] + p;
            q = line_walk::EndOfDecisions<kChunkLevels>(LineDecisions(ln, lo, hi)) - kLineLeaves;
            p = (p << ti.chunk_levels[c]) + (q >> (kChunkLevels - ti.chunk_levels[c]));
          }
          const double* v = group_values + ValueIndex(*ln, q, lw);
          if constexpr (kWidth == 0) {
            Margins<0>(RowMargins(acc, r, ti)).Add(v, ti, lw);
          } else {
            mg.Add(v, ti, lw);
          }
        }
      }
      mg.Store();
    }
  }
#endif
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
