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
// Kernels (portable C++; the bins use AVX-512 compares where the CPU has
// them): batches are scored tree-major over blocks of kBlock rows (the
// block's bins stay in L2, one tree's heap in L1), kRowLanes rows walked
// interleaved so their load latencies overlap; fewer rows walk one row
// through kTreeLanes trees at a time. Leaves are added to each row's margins
// in tree index order, from Ensemble::Start, so results are bit-identical to
// the generic engine's whatever the batch, block position or thread.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "core/engines/cuts.h"
#include "core/engines/engine.h"
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
constexpr int kTreeLanes = 16;  // trees walked together for one row

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
  std::vector<uint32_t> node_base, leaf_base, depth, output_index;  // per tree
  // Row kernel: trees in groups of kTreeLanes (the last padded with its own
  // last tree, walked but not added) and each group's step count.
  std::vector<uint32_t> group_steps;

  size_t bytes() const {
    return cuts.bytes() + nodes.size() * sizeof(Node) + leaf.size() * 4 + values.size() * 8 +
           (node_base.size() + leaf_base.size() + depth.size() + output_index.size() + group_steps.size()) * 4;
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
    Place(m, m.trees[i], per_feature, 0, 1, 0, d, h.nodes.data() + h.node_base[i], h.leaf.data() + h.leaf_base[i], h);
  }
  const size_t n_groups = (m.trees.size() + kTreeLanes - 1) / kTreeLanes;
  h.group_steps.assign(n_groups, 0);
  for (size_t i = 0; i < m.trees.size(); ++i) {
    h.group_steps[i / kTreeLanes] = std::max(h.group_steps[i / kTreeLanes], h.depth[i]);
  }
  h.cuts = cuts::BuildSearchTables(std::move(per_feature));
  return h;
}

// Per-thread scratch (bins of a block, margins of a block), grown on demand.
struct Scratch {
  std::vector<uint16_t> bins;
  std::vector<double> acc;
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
template <int kLanes>
inline void WalkRows(const Node* heap, uint32_t d, const char* row, uint32_t* leaf) {
  uint32_t j[kLanes];
  for (int l = 0; l < kLanes; ++l) j[l] = 1;
  for (uint32_t s = 0; s < d; ++s) {
    for (int l = 0; l < kLanes; ++l) j[l] = Step(heap, j[l], row + l * kRowBytes);
  }
  for (int l = 0; l < kLanes; ++l) leaf[l] = j[l] - (1u << d);
}

void BinRowScalar(const cuts::SearchTables& s, uint32_t nf, const double* x, uint16_t* bins) {
  for (uint32_t f = 0; f < nf; ++f) {
    const bool nan = x[f] != x[f];
    const auto b = static_cast<uint16_t>(nan ? 0 : 1 + cuts::BinScalar(s, f, x[f]));
    bins[f] = nan ? kNanRight : b;
    bins[kNanLeftColumn + f] = nan ? kNanLeft : b;
  }
}

#ifdef MLOPS_CUTS_AVX512
__attribute__((target("avx512f,popcnt"))) void BinRowAvx512(const cuts::SearchTables& s, uint32_t nf,
                                                             const double* x, uint16_t* bins) {
  for (uint32_t f = 0; f < nf; ++f) {
    const bool nan = x[f] != x[f];
    const auto b = static_cast<uint16_t>(nan ? 0 : 1 + cuts::BinAvx512(s, f, x[f]));
    bins[f] = nan ? kNanRight : b;
    bins[kNanLeftColumn + f] = nan ? kNanLeft : b;
  }
}
#endif

using BinRowFn = void (*)(const cuts::SearchTables&, uint32_t, const double*, uint16_t*);

class BinnedEngine final : public Engine {
 public:
  BinnedEngine(const Model& m, bool simd) : e_(m), h_(BuildLayout(m)) {
#ifdef MLOPS_CUTS_AVX512
    if (simd && cuts::CpuHasBinAvx512()) bin_row_ = &BinRowAvx512;
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
    if (s.bins.size() < (kBlock + kRowLanes) * kRowWords) s.bins.resize((kBlock + kRowLanes) * kRowWords, 0);
    if (n_rows < kMinBatchRows) {
      for (size_t r = 0; r < n_rows; ++r) {
        bin_row_(h_.cuts, nf, rows + r * nf, s.bins.data());
        ScoreRow(s.bins.data(), s.acc.data());
        e_.Finish(s.acc.data(), out + r * nc);
      }
      return;
    }
    for (size_t r0 = 0; r0 < n_rows; r0 += kBlock) {
      const size_t nb = std::min(kBlock, n_rows - r0);
      const size_t padded = (nb + kRowLanes - 1) / kRowLanes * kRowLanes;
      for (size_t r = 0; r < nb; ++r) bin_row_(h_.cuts, nf, rows + (r0 + r) * nf, s.bins.data() + r * kRowWords);
      // Padding rows walk (all left) but are never added.
      std::fill(s.bins.data() + nb * kRowWords, s.bins.data() + padded * kRowWords, uint16_t{0});
      double* acc = s.acc.data();
      for (size_t r = 0; r < nb; ++r) {
        for (uint32_t k = 0; k < no; ++k) acc[r * no + k] = e_.Start(k);
      }
      ScoreBlock(reinterpret_cast<const char*>(s.bins.data()), nb, acc);
      for (size_t r = 0; r < nb; ++r) e_.Finish(acc + r * no, out + (r0 + r) * nc);
    }
  }

 private:
  Ensemble e_;
  Layout h_;
  BinRowFn bin_row_ = &BinRowScalar;

  void AddLeaf(size_t t, uint32_t offset, double* acc) const {
    const double* v = h_.values.data() + offset;
    if (h_.leaf_width == 1) {
      acc[h_.output_index[t]] += v[0];
    } else {
      for (uint32_t k = 0; k < h_.leaf_width; ++k) acc[k] += v[k];
    }
  }

  void ScoreBlock(const char* bins, size_t nb, double* acc) const {
    const uint32_t no = h_.n_outputs;
    uint32_t leaf[kRowLanes];
    for (size_t t = 0; t < h_.depth.size(); ++t) {
      const Node* heap = h_.nodes.data() + h_.node_base[t];
      const uint32_t* leaves = h_.leaf.data() + h_.leaf_base[t];
      const uint32_t d = h_.depth[t];
      for (size_t r0 = 0; r0 < nb; r0 += kRowLanes) {
        WalkRows<kRowLanes>(heap, d, bins + r0 * kRowBytes, leaf);
        const size_t lanes = std::min<size_t>(kRowLanes, nb - r0);
        for (size_t l = 0; l < lanes; ++l) AddLeaf(t, leaves[leaf[l]], acc + (r0 + l) * no);
      }
    }
  }

  // One row (bins) through every tree, kTreeLanes at a time.
  void ScoreRow(const uint16_t* bins, double* acc) const {
    for (uint32_t k = 0; k < h_.n_outputs; ++k) acc[k] = e_.Start(k);
    const char* row = reinterpret_cast<const char*>(bins);
    const size_t n_trees = h_.depth.size();
    for (size_t g = 0; g < h_.group_steps.size(); ++g) {
      const size_t t0 = g * kTreeLanes;
      const Node* heap[kTreeLanes];
      uint32_t j[kTreeLanes], d[kTreeLanes];
      for (int l = 0; l < kTreeLanes; ++l) {
        const size_t t = std::min(t0 + l, n_trees - 1);
        heap[l] = h_.nodes.data() + h_.node_base[t];
        d[l] = h_.depth[t];
        j[l] = 1;
      }
      // A lane whose tree is shallower than the group's deepest stops at its
      // own depth (its heap has no deeper level).
      for (uint32_t s = 0; s < h_.group_steps[g]; ++s) {
        for (int l = 0; l < kTreeLanes; ++l) j[l] = s < d[l] ? Step(heap[l], j[l], row) : j[l];
      }
      const size_t lanes = std::min<size_t>(kTreeLanes, n_trees - t0);
      for (size_t l = 0; l < lanes; ++l) {
        AddLeaf(t0 + l, h_.leaf[h_.leaf_base[t0 + l] + j[l] - (1u << d[l])], acc);
      }
    }
  }
};

}  // namespace

std::unique_ptr<Engine> MakeBinnedEngine(const Model& model, bool simd) {
  return std::make_unique<BinnedEngine>(model, simd);
}

}  // namespace mlops::engines
