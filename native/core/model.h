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
  kIdentity = 0,  // n_outputs == n_classes, margins already are probabilities (RF)
  kSigmoid = 1,   // n_outputs == 1, n_classes == 2: p1 = sigmoid(m0), p0 = 1 - p1
  kSoftmax = 2,   // n_outputs == n_classes
};

// Split rule. A node sends a row left iff `x <op> threshold`, compared in
// double precision; NaN goes to the node's default direction. Room is left for
// LightGBM-style `<=` imports.
enum class Decision : uint32_t {
  kLess = 0,       // x < threshold (what our trainers emit)
  kLessEqual = 1,  // x <= threshold
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

  size_t size() const { return left.size(); }
};

struct Model {
  Family family = Family::kGbdt;
  uint32_t n_features = 0;
  uint32_t n_classes = 0;
  std::vector<std::string> feature_names;  // empty or n_features entries
  std::string params_json;                 // training params, opaque JSON text

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
