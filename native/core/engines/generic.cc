// The generic engine: every model the validator accepts. Tree ensembles are
// scored tree-major over blocks of kBlock rows: the block is transposed to
// feature-major scratch, every tree walks all rows of the block (kRowLanes at
// a time) while its nodes sit in L1, and leaf values are added to a
// per-block margin buffer. Batches too small for a block walk one row through
// kTreeLanes trees at a time instead. Both paths add leaves to a row's
// margins in tree index order, starting from the same value, so a row's
// result is bit-identical whatever batch, block position or thread scores it.
#include <algorithm>
#include <memory>
#include <vector>

#include "core/engines/engine.h"
#include "core/engines/generic-kernels.h"
#include "core/engines/generic-layout.h"
#include "core/engines/split.h"

namespace mlops::engines {
namespace {

using scorer::NodeView;

constexpr size_t kBlock = 64;        // rows per tree-major block
// Lanes: independent walks interleaved to hide load latency. 16 measured best
// on x86-64 (a few lane indices spill, but the extra overlap wins).
constexpr int kRowLanes = 16;        // rows walked together in a block
constexpr int kTreeLanes = 16;       // trees walked together for one row
constexpr size_t kMinBlockRows = 8;  // below this a block would be mostly padding
// Models up to this many features read a transposed copy of each block
// (feature-major, kBlock rows wide: lane offsets become constants). Wider
// models read the caller's rows in place, so scratch stays small.
constexpr uint32_t kMaxTransposedFeatures = 256;

// Per-thread scratch, grown on demand and reused across calls so that a
// single-row call does not touch the allocator. Owned by the thread; freed
// when it exits.
struct Scratch {
  // Buffers above this are released after each call, so a thread that once
  // scored a very wide model does not keep megabytes for the rest of its life.
  static constexpr size_t kKeepDoubles = size_t{1} << 17;  // 1 MiB

  std::vector<double> x;
  std::vector<double> acc;
  void Trim() {
    if (x.capacity() > kKeepDoubles) std::vector<double>().swap(x);
    if (acc.capacity() > kKeepDoubles) std::vector<double>().swap(acc);
  }
  double* X(size_t n) {
    if (x.size() < n) x.resize(n);
    return x.data();
  }
  double* Acc(size_t n) {
    if (acc.size() < n) acc.resize(n);
    return acc.data();
  }
};
thread_local Scratch tls_scratch;

bool AnyNaN(const double* x, size_t n) {
  bool nan = false;
  for (size_t i = 0; i < n; ++i) nan |= x[i] != x[i];
  return nan;
}

// Models with any non-numeric node (format version 2: categorical sets,
// LightGBM's zero-as-missing, equality) are walked node by node with the
// canonical arrays: one row at a time, trees in index order, so a row's result
// is still the same whatever batch or thread scores it.
class NodeWalkTrees {
 public:
  explicit NodeWalkTrees(const Model& m) : trees_(m.trees), less_equal_(m.decision == Decision::kLessEqual) {
    for (const Tree& t : trees_) {
      std::vector<int32_t> range(t.size(), -1);
      int32_t next = 0;
      for (size_t i = 0; i < t.size(); ++i) {
        if (IsCategorical(t.kind_of(i))) range[i] = next++;
      }
      ranges_.push_back(std::move(range));
    }
  }

  // Index of the leaf row x reaches in tree ti.
  size_t Leaf(size_t ti, const double* x) const {
    const Tree& t = trees_[ti];
    size_t i = 0;
    while (t.left[i] != -1) {
      const NodeKind kind = t.kind_of(i);
      const uint32_t* words = nullptr;
      uint32_t count = 0;
      if (IsCategorical(kind)) {
        const CategoryRange& c = t.cat_ranges[static_cast<size_t>(ranges_[ti][i])];
        words = t.cat_words.data() + c.offset;
        count = c.count;
      }
      const bool left = GoesLeft(kind, x[t.feature[i]], t.threshold[i], t.default_left[i] != 0, less_equal_, words, count);
      i = static_cast<size_t>(left ? t.left[i] : t.right[i]);
    }
    return i;
  }

  const std::vector<Tree>& trees() const { return trees_; }

  size_t bytes() const {
    size_t b = 0;
    for (const Tree& t : trees_) {
      b += t.size() * (4 + 4 + 4 + 8 + 1 + 1 + 4) + 8 * t.value.size() + 4 * t.cat_words.size() +
           8 * t.cat_ranges.size();
    }
    return b;
  }

 private:
  std::vector<Tree> trees_;
  std::vector<std::vector<int32_t>> ranges_;  // per node: its category range, -1 if none
  bool less_equal_;
};

bool HasSpecialNodes(const Model& m) {
  for (const Tree& t : m.trees) {
    if (!t.kind.empty()) return true;
  }
  return false;
}

class NodeWalkEngine final : public Engine {
 public:
  explicit NodeWalkEngine(const Model& m) : e_(m), walk_(m) {}

  const char* name() const override { return "generic"; }
  const char* isa() const override { return "scalar"; }
  size_t bytes() const override { return e_.bytes() + walk_.bytes(); }

  void Predict(const double* rows, size_t n_rows, double* out) const override {
    std::vector<double> acc(e_.n_outputs);
    const auto& trees = walk_.trees();
    for (size_t r = 0; r < n_rows; ++r) {
      const double* x = rows + r * e_.n_features;
      for (uint32_t k = 0; k < e_.n_outputs; ++k) acc[k] = e_.Start(k);
      for (size_t ti = 0; ti < trees.size(); ++ti) {
        const Tree& t = trees[ti];
        const double* v = t.value.data() + walk_.Leaf(ti, x) * e_.leaf_width;
        if (e_.leaf_width == 1) {
          acc[t.output_index] += v[0];
        } else {
          for (uint32_t k = 0; k < e_.leaf_width; ++k) acc[k] += v[k];
        }
      }
      e_.Finish(acc.data(), out + r * e_.n_classes);
    }
  }

 private:
  Ensemble e_;
  NodeWalkTrees walk_;
};

class GenericEngine final : public Engine {
 public:
  explicit GenericEngine(const Model& m) : e_(m) {
    transposed = e_.n_features <= kMaxTransposedFeatures;
    ct = scorer::CompileTrees(m, transposed ? kBlock * sizeof(double) : sizeof(double));
    nodes = {ct.threshold.data(), ct.link.data(), ct.default_left.data()};
    const size_t n_trees = ct.trees.size();
    const size_t n_groups = (n_trees + kTreeLanes - 1) / kTreeLanes;
    group_roots.resize(n_groups * kTreeLanes);
    group_steps.assign(n_groups, 0);
    for (size_t i = 0; i < group_roots.size(); ++i) {
      const auto& t = ct.trees[std::min(i, n_trees - 1)];
      group_roots[i] = t.root;
      group_steps[i / kTreeLanes] = std::max(group_steps[i / kTreeLanes], t.depth);
    }
  }

  const char* name() const override { return "generic"; }
  const char* isa() const override { return "scalar"; }
  size_t bytes() const override {
    return e_.bytes() + ct.threshold.size() * sizeof(double) + ct.link.size() * sizeof(scorer::Link) +
           ct.default_left.size() + ct.values.size() * sizeof(double) + ct.trees.size() * sizeof(scorer::TreeMeta) +
           (group_roots.size() + group_steps.size()) * sizeof(uint32_t);
  }

  void Predict(const double* rows, size_t n_rows, double* out) const override {
    Scratch& scratch = tls_scratch;
    size_t r = 0;
    while (n_rows - r >= kMinBlockRows) {
      const size_t nb = std::min(kBlock, n_rows - r);
      ScoreTreeBlock(rows + r * e_.n_features, nb, out + r * e_.n_classes, scratch);
      r += nb;
    }
    for (; r < n_rows; ++r) ScoreTreeRow(rows + r * e_.n_features, out + r * e_.n_classes, scratch);
    scratch.Trim();
  }

 private:
  Ensemble e_;
  bool transposed = false;
  scorer::CompiledTrees ct;
  NodeView nodes{};
  // Tree roots padded to a multiple of kTreeLanes (padding repeats the last
  // root; those lanes are walked but never added), and the step count of each
  // group of kTreeLanes trees.
  std::vector<uint32_t> group_roots;
  std::vector<uint32_t> group_steps;

  void InitMargins(double* acc) const {
    for (uint32_t k = 0; k < e_.n_outputs; ++k) acc[k] = e_.Start(k);
  }

  void AddLeaf(const scorer::TreeMeta& t, uint32_t leaf, double* acc) const {
    const double* v = ct.values.data() + scorer::LeafValueOffset(nodes.threshold[leaf]);
    if (e_.leaf_width == 1) {
      acc[t.output_index] += v[0];
    } else {
      for (uint32_t k = 0; k < e_.leaf_width; ++k) acc[k] += v[k];
    }
  }

  // x: the row in the input layout the nodes were compiled for.
  template <bool kNaN>
  void TreesRow(const char* x, double* acc) const {
    const size_t n_trees = ct.trees.size();
    uint32_t leaf[kTreeLanes];
    if (e_.n_outputs == 1) {
      // One margin: keep it in a register. Through memory, each add would
      // wait on the previous store (the order of adds is fixed, so this chain
      // is the single-row path's critical path).
      double m = acc[0];
      for (size_t g = 0; g < group_steps.size(); ++g) {
        const size_t t0 = g * kTreeLanes;
        scorer::WalkTrees<kTreeLanes, kNaN>(nodes, &group_roots[t0], group_steps[g], x, leaf);
        const size_t lanes = std::min<size_t>(kTreeLanes, n_trees - t0);
        for (size_t j = 0; j < lanes; ++j) m += ct.values[scorer::LeafValueOffset(nodes.threshold[leaf[j]])];
      }
      acc[0] = m;
      return;
    }
    for (size_t g = 0; g < group_steps.size(); ++g) {
      const size_t t0 = g * kTreeLanes;
      scorer::WalkTrees<kTreeLanes, kNaN>(nodes, &group_roots[t0], group_steps[g], x, leaf);
      const size_t lanes = std::min<size_t>(kTreeLanes, n_trees - t0);
      for (size_t j = 0; j < lanes; ++j) AddLeaf(ct.trees[t0 + j], leaf[j], acc);
    }
  }

  void ScoreTreeRow(const double* row, double* out, Scratch& scratch) const {
    const char* x = reinterpret_cast<const char*>(row);
    if (transposed) {
      double* xb = scratch.X(kBlock * e_.n_features);
      for (uint32_t f = 0; f < e_.n_features; ++f) xb[f * kBlock] = row[f];
      x = reinterpret_cast<const char*>(xb);
    }
    double* acc = scratch.Acc(e_.n_outputs);
    InitMargins(acc);
    if (AnyNaN(row, e_.n_features)) {
      TreesRow<true>(x, acc);
    } else {
      TreesRow<false>(x, acc);
    }
    e_.Finish(acc, out);
  }

  // Transposed layout: x is the block scratch, lane j reads x + j * 8, and
  // columns [nb, padded) hold zeros, so a partial group runs padded and only
  // its real lanes are added.
  template <bool kNaN>
  void TreesBlockTransposed(const char* x, size_t nb, double* acc) const {
    constexpr size_t kLane = sizeof(double);
    constexpr int kHalf = kRowLanes / 2;
    uint32_t leaf[kRowLanes];
    for (const auto& t : ct.trees) {
      size_t r0 = 0;
      for (; r0 + kRowLanes <= nb; r0 += kRowLanes) {
        scorer::WalkRows<kRowLanes, kNaN, kLane>(nodes, t.root, t.depth, x + r0 * kLane, kLane, leaf);
        for (size_t j = 0; j < kRowLanes; ++j) AddLeaf(t, leaf[j], acc + (r0 + j) * e_.n_outputs);
      }
      const size_t rest = nb - r0;
      if (rest > kHalf) {
        scorer::WalkRows<kRowLanes, kNaN, kLane>(nodes, t.root, t.depth, x + r0 * kLane, kLane, leaf);
      } else if (rest > 0) {
        scorer::WalkRows<kHalf, kNaN, kLane>(nodes, t.root, t.depth, x + r0 * kLane, kLane, leaf);
      }
      for (size_t j = 0; j < rest; ++j) AddLeaf(t, leaf[j], acc + (r0 + j) * e_.n_outputs);
    }
  }

  // In-place layout (wide models): x is the caller's first row, lane j reads
  // x + j * row_bytes; no padding exists, so the tail walks one row at a time.
  template <bool kNaN>
  void TreesBlockInPlace(const char* x, size_t row_bytes, size_t nb, double* acc) const {
    uint32_t leaf[kRowLanes];
    for (const auto& t : ct.trees) {
      size_t r0 = 0;
      for (; r0 + kRowLanes <= nb; r0 += kRowLanes) {
        scorer::WalkRows<kRowLanes, kNaN, 0>(nodes, t.root, t.depth, x + r0 * row_bytes, row_bytes, leaf);
        for (size_t j = 0; j < kRowLanes; ++j) AddLeaf(t, leaf[j], acc + (r0 + j) * e_.n_outputs);
      }
      for (; r0 < nb; ++r0) {
        scorer::WalkRows<1, kNaN, 0>(nodes, t.root, t.depth, x + r0 * row_bytes, row_bytes, leaf);
        AddLeaf(t, leaf[0], acc + r0 * e_.n_outputs);
      }
    }
  }

  void ScoreTreeBlock(const double* rows, size_t nb, double* out, Scratch& scratch) const {
    double* acc = scratch.Acc(kBlock * e_.n_outputs);
    for (size_t i = 0; i < nb; ++i) InitMargins(acc + i * e_.n_outputs);
    const bool nan = AnyNaN(rows, nb * e_.n_features);
    if (transposed) {
      double* xb = scratch.X(kBlock * e_.n_features);
      const size_t padded = std::min(kBlock, (nb + kRowLanes - 1) / kRowLanes * kRowLanes);
      for (uint32_t f = 0; f < e_.n_features; ++f) {
        double* col = xb + f * kBlock;
        for (size_t i = 0; i < nb; ++i) col[i] = rows[i * e_.n_features + f];
        for (size_t i = nb; i < padded; ++i) col[i] = 0.0;
      }
      const char* x = reinterpret_cast<const char*>(xb);
      if (nan) {
        TreesBlockTransposed<true>(x, nb, acc);
      } else {
        TreesBlockTransposed<false>(x, nb, acc);
      }
    } else {
      const char* x = reinterpret_cast<const char*>(rows);
      const size_t row_bytes = size_t{e_.n_features} * sizeof(double);
      if (nan) {
        TreesBlockInPlace<true>(x, row_bytes, nb, acc);
      } else {
        TreesBlockInPlace<false>(x, row_bytes, nb, acc);
      }
    }
    for (size_t i = 0; i < nb; ++i) e_.Finish(acc + i * e_.n_outputs, out + i * e_.n_classes);
  }
};

}  // namespace

std::unique_ptr<Engine> MakeGenericEngine(const Model& model) {
  if (HasSpecialNodes(model)) return std::make_unique<NodeWalkEngine>(model);
  return std::make_unique<GenericEngine>(model);
}

}  // namespace mlops::engines
