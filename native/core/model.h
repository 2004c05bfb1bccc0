// Canonical in-memory model. This is what the artifact format stores and what
// training produces; scoring compiles it into its own compact layout at load.
// Plain C++17, no N-API, so native/core stays testable on its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlops {

enum class Family : uint32_t {
  kGbdt = 1,
  kRandomForest = 2,
  kLogistic = 3,
};

// How tree outputs are combined before the post transform.
enum class Aggregation : uint32_t {
  kSum = 0,   // margin[k] = base_score[k] + sum of tree outputs (GBDT)
  kMean = 1,  // margin[k] = base_score[k] + mean of tree outputs (RF)
};

// Maps the n_outputs margins of one row to n_classes probabilities.
enum class PostTransform : uint32_t {
  kIdentity = 0,     // n_outputs == n_classes, margins already are probabilities (RF)
  kSigmoid = 1,      // n_outputs == 1, n_classes == 2: p1 = sigmoid(m0), p0 = 1 - p1
  kSoftmax = 2,      // n_outputs == n_classes
  kSoftmaxZero = 3,  // softmax over the non-zero margins; a zero margin stays 0 (ONNX SOFTMAX_ZERO)
  kSigmoidEach = 4,  // n_outputs == n_classes, p_k = sigmoid(m_k), not normalized (one-vs-rest)
  kComplement = 5,   // n_outputs == 1, n_classes == 2: p1 = m0, p0 = 1 - m0
};

// Split rule. A node sends a row left iff `x <op> threshold`, compared in
// double precision; NaN goes to the node's default direction. Room is left for
// LightGBM-style `<=` imports.
enum class Decision : uint32_t {
  kLess = 0,       // x < threshold (what our trainers emit)
  kLessEqual = 1,  // x <= threshold
};

// What an internal node tests (format version 2). A NaN input always goes to
// the node's default side. Leaves are kNumeric.
enum class NodeKind : uint8_t {
  kNumeric = 0,            // x <decision> threshold goes left
  kNumericZeroMissing = 1, // as kNumeric, but |x| <= kZeroMissingBound also goes to the default side
  kCategoricalLeft = 2,    // category in the node's set goes left (see InCategorySet)
  kCategoricalRight = 3,   // category in the node's set goes right
  kEqual = 4,              // x == threshold goes left
  kEqualFloat32 = 5,       // float(x) == threshold goes left (threshold is a float32 value)
};

// LightGBM's kZeroThreshold (1e-35f) as a double: the "zero" of its Zero missing type.
constexpr double kZeroMissingBound = static_cast<double>(1e-35f);

// Class labels, in probability-column order (format version 2). kNone: the
// classes are 0..n_classes-1 and nothing is stored.
enum class LabelKind : uint32_t {
  kNone = 0,
  kInt64 = 1,
  kFloat64 = 2,
  kString = 3,
};

struct ClassLabels {
  LabelKind kind = LabelKind::kNone;
  std::vector<int64_t> ints;          // kInt64: n_classes values
  std::vector<double> floats;         // kFloat64: n_classes values
  std::vector<std::string> strings;   // kString: n_classes values
};

// One categorical node's set: words [offset, offset + count) of its tree's
// cat_words; category c is in the set iff word c / 32 exists and has bit c % 32.
struct CategoryRange {
  uint32_t offset = 0;
  uint32_t count = 0;
};

// One tree in parallel arrays, indexed by node id; node 0 is the root.
// A leaf has left[i] == right[i] == -1 and feature[i] == -1.
struct Tree {
  std::vector<int32_t> left;
  std::vector<int32_t> right;
  std::vector<int32_t> feature;
  std::vector<double> threshold;
  std::vector<uint8_t> default_left;  // 1: NaN goes left
  // leaf_width values per node (internal nodes may hold anything finite).
  std::vector<double> value;
  // Output this tree adds to when leaf_width == 1 (GBDT: the class of the tree).
  // When leaf_width == n_outputs the leaf vector spans all outputs and this is 0.
  uint32_t output_index = 0;
  // Format version 2. `kind` is empty when every node is kNumeric, else one
  // per node. cat_ranges has one entry per categorical node, in node id order;
  // a categorical node's threshold is the smallest value that can be in its
  // set (anything below is "not in the set").
  std::vector<uint8_t> kind;
  std::vector<uint32_t> cat_words;
  std::vector<CategoryRange> cat_ranges;

  size_t size() const { return left.size(); }
  NodeKind kind_of(size_t i) const { return kind.empty() ? NodeKind::kNumeric : static_cast<NodeKind>(kind[i]); }
};

inline bool IsCategorical(NodeKind k) { return k == NodeKind::kCategoricalLeft || k == NodeKind::kCategoricalRight; }

struct Model {
  Family family = Family::kGbdt;
  uint32_t n_features = 0;
  uint32_t n_classes = 0;
  std::vector<std::string> feature_names;  // empty or n_features entries
  std::string params_json;                 // training params, opaque JSON text
  ClassLabels labels;                      // format version 2; kNone in version 1

  // Tree ensembles (kGbdt, kRandomForest).
  uint32_t n_outputs = 0;   // 1 for binary GBDT, else n_classes
  uint32_t leaf_width = 1;  // 1 (GBDT) or n_outputs (RF leaf distributions)
  Aggregation aggregation = Aggregation::kSum;
  PostTransform post_transform = PostTransform::kSigmoid;
  Decision decision = Decision::kLess;
  std::vector<double> base_score;  // n_outputs, in margin space
  std::vector<Tree> trees;

  // Linear (kLogistic): margin[k] = intercept[k] + dot(coef[k * n_features ..], x).
  // Uses n_outputs and post_transform as above; NaN inputs count as 0.
  std::vector<double> coef;       // n_outputs * n_features, row-major
  std::vector<double> intercept;  // n_outputs
};

}  // namespace mlops
