// ValidateModel: the structural rules every model must satisfy before it is
// serialized (trainers) or handed to a Scorer (parser). See
// docs/model-format.md ("Validation rules") for the list and error codes.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/artifact-limits.h"
#include "core/artifact-validate.h"
#include "core/artifact.h"

namespace mlops {
namespace {

[[noreturn]] void Fail(const char* code, const std::string& message) { throw FormatError(code, message); }

bool ValidUtf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Reject overlong forms, surrogates and code points past U+10FFFF.
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += extra + 1;
  }
  return true;
}

bool KnownFamily(Family f) {
  return f == Family::kGbdt || f == Family::kRandomForest || f == Family::kLogistic;
}
bool KnownAggregation(Aggregation a) { return a == Aggregation::kSum || a == Aggregation::kMean; }
bool KnownPostTransform(PostTransform t) {
  return static_cast<uint32_t>(t) <= static_cast<uint32_t>(PostTransform::kComplement);
}
bool KnownNodeKind(uint8_t k) { return k <= static_cast<uint8_t>(NodeKind::kEqualFloat32); }
bool KnownDecision(Decision d) { return d == Decision::kLess || d == Decision::kLessEqual; }

void CheckFinite(const std::vector<double>& v, const std::string& what) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) Fail("non_finite", what + "[" + std::to_string(i) + "] is not finite");
  }
}

}  // namespace

void ValidateModelHeader(const Model& m) {
  if (!KnownFamily(m.family)) Fail("unknown_family", "unknown model family " + std::to_string(uint32_t(m.family)));
  if (!KnownAggregation(m.aggregation)) {
    Fail("unknown_aggregation", "unknown aggregation " + std::to_string(uint32_t(m.aggregation)));
  }
  if (!KnownPostTransform(m.post_transform)) {
    Fail("unknown_post_transform", "unknown post transform " + std::to_string(uint32_t(m.post_transform)));
  }
  if (!KnownDecision(m.decision)) Fail("unknown_decision", "unknown decision " + std::to_string(uint32_t(m.decision)));

  if (m.n_features == 0) Fail("bad_n_features", "n_features must be at least 1");
  if (m.n_features > limits::kMaxFeatures) Fail("limit_exceeded", "n_features exceeds the limit");
  if (m.n_classes < 2) Fail("bad_n_classes", "n_classes must be at least 2");
  if (m.n_classes > limits::kMaxClasses) Fail("limit_exceeded", "n_classes exceeds the limit");
  if (m.n_outputs == 0 || m.n_outputs > limits::kMaxClasses) Fail("bad_n_outputs", "n_outputs out of range");

  switch (m.post_transform) {
    case PostTransform::kSigmoid:
    case PostTransform::kComplement:
      if (m.n_outputs != 1 || m.n_classes != 2) {
        Fail("transform_mismatch", "sigmoid and complement need n_outputs == 1 and n_classes == 2");
      }
      break;
    case PostTransform::kSoftmax:
    case PostTransform::kSoftmaxZero:
    case PostTransform::kSigmoidEach:
    case PostTransform::kIdentity:
      if (m.n_outputs != m.n_classes) {
        Fail("transform_mismatch", "identity, softmax, softmax_zero and sigmoid_each need n_outputs == n_classes");
      }
      break;
  }
  if (m.leaf_width != 1 && m.leaf_width != m.n_outputs) {
    Fail("bad_leaf_width", "leaf_width must be 1 or n_outputs");
  }

  if (!m.feature_names.empty() && m.feature_names.size() != m.n_features) {
    Fail("size_mismatch", "feature_names must be empty or hold n_features names");
  }
  for (size_t i = 0; i < m.feature_names.size(); ++i) {
    const std::string& name = m.feature_names[i];
    if (name.size() > limits::kMaxNameBytes) Fail("limit_exceeded", "feature name too long");
    if (!ValidUtf8(name)) Fail("bad_string", "feature name " + std::to_string(i) + " is not valid UTF-8");
  }
  if (m.params_json.size() > limits::kMaxParamsBytes) Fail("limit_exceeded", "params_json too long");
  if (!ValidUtf8(m.params_json)) Fail("bad_string", "params_json is not valid UTF-8");
}

void ValidateLabels(const Model& m) {
  const ClassLabels& l = m.labels;
  const size_t want = m.n_classes;
  auto count = [&](size_t have) {
    if (have != want) Fail("bad_labels", "class labels must hold n_classes values");
  };
  switch (l.kind) {
    case LabelKind::kNone:
      count(want);
      if (!l.ints.empty() || !l.floats.empty() || !l.strings.empty()) {
        Fail("bad_labels", "label kind none stores no values");
      }
      return;
    case LabelKind::kInt64: {
      count(l.ints.size());
      if (!l.floats.empty() || !l.strings.empty()) Fail("bad_labels", "int64 labels store only integers");
      for (const int64_t v : l.ints) {
        if (v > limits::kMaxIntLabel || v < -limits::kMaxIntLabel) {
          Fail("bad_labels", "an int64 class label is beyond +-2^53");
        }
      }
      std::vector<int64_t> sorted = l.ints;
      std::sort(sorted.begin(), sorted.end());
      if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) Fail("bad_labels", "class labels repeat");
      return;
    }
    case LabelKind::kFloat64: {
      count(l.floats.size());
      if (!l.ints.empty() || !l.strings.empty()) Fail("bad_labels", "float64 labels store only numbers");
      CheckFinite(l.floats, "class label");
      std::vector<double> sorted = l.floats;
      std::sort(sorted.begin(), sorted.end());
      // == so that -0 and +0 count as one label.
      for (size_t i = 1; i < sorted.size(); ++i) {
        if (sorted[i] == sorted[i - 1]) Fail("bad_labels", "class labels repeat");
      }
      return;
    }
    case LabelKind::kString: {
      count(l.strings.size());
      if (!l.ints.empty() || !l.floats.empty()) Fail("bad_labels", "string labels store only strings");
      for (size_t i = 0; i < l.strings.size(); ++i) {
        if (l.strings[i].size() > limits::kMaxNameBytes) Fail("limit_exceeded", "class label too long");
        if (!ValidUtf8(l.strings[i])) Fail("bad_string", "class label " + std::to_string(i) + " is not valid UTF-8");
      }
      std::vector<std::string> sorted = l.strings;
      std::sort(sorted.begin(), sorted.end());
      if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) Fail("bad_labels", "class labels repeat");
      return;
    }
  }
  Fail("unknown_label_kind", "unknown class label kind " + std::to_string(static_cast<uint32_t>(l.kind)));
}

namespace {

// Node kinds and categorical sets (format version 2).
void ValidateKinds(const Tree& t, const std::string& where) {
  const size_t n = t.left.size();
  if (t.kind.empty()) {
    if (!t.cat_ranges.empty()) Fail("size_mismatch", where + ": category ranges without categorical nodes");
  } else {
    if (t.kind.size() != n) Fail("size_mismatch", where + ": node kinds differ in length");
    size_t n_cat = 0;
    for (size_t i = 0; i < n; ++i) {
      const std::string node = where + " node " + std::to_string(i);
      if (!KnownNodeKind(t.kind[i])) Fail("unknown_node_kind", node + ": unknown node kind");
      const NodeKind k = static_cast<NodeKind>(t.kind[i]);
      if (t.left[i] == -1 && k != NodeKind::kNumeric) Fail("bad_leaf", node + " is a leaf but has a split kind");
      if (IsCategorical(k)) ++n_cat;
      if (k == NodeKind::kEqualFloat32 &&
          static_cast<double>(static_cast<float>(t.threshold[i])) != t.threshold[i]) {
        Fail("bad_threshold", node + ": a float32 equality needs a float32 threshold");
      }
    }
    if (n_cat != t.cat_ranges.size()) {
      Fail("size_mismatch", where + ": one category range per categorical node is needed");
    }
  }
  if (t.cat_words.size() > limits::kMaxCategoryWordsPerTree) Fail("limit_exceeded", where + ": too many category words");
  for (const CategoryRange& c : t.cat_ranges) {
    if (c.count > limits::kMaxCategoryWordsPerNode) Fail("limit_exceeded", where + ": a category set is too large");
    if (uint64_t{c.offset} + c.count > t.cat_words.size()) {
      Fail("category_out_of_range", where + ": a category range lies outside the tree's words");
    }
  }
}

void ValidateTree(const Model& m, const Tree& t, size_t ti, std::vector<uint8_t>& seen,
                  std::vector<int32_t>& stack) {
  const std::string where = "tree " + std::to_string(ti);
  const size_t n = t.left.size();
  if (n == 0) Fail("empty_tree", where + " has no nodes");
  if (n > limits::kMaxNodesPerTree) Fail("limit_exceeded", where + " has too many nodes");
  if (t.right.size() != n || t.feature.size() != n || t.threshold.size() != n || t.default_left.size() != n ||
      t.value.size() != n * uint64_t{m.leaf_width}) {
    Fail("size_mismatch", where + ": node arrays differ in length");
  }
  if (uint64_t{t.output_index} + m.leaf_width > m.n_outputs) {
    Fail("output_out_of_range", where + ": output_index out of range");
  }
  const int32_t n32 = static_cast<int32_t>(n);
  for (size_t i = 0; i < n; ++i) {
    const int32_t l = t.left[i], r = t.right[i];
    const std::string node = where + " node " + std::to_string(i);
    if (l == -1 || r == -1) {
      if (l != r) Fail("half_leaf", node + " has exactly one child");
      if (t.feature[i] != -1) Fail("bad_leaf", node + " is a leaf but has feature != -1");
    } else {
      if (l < 0 || l >= n32 || r < 0 || r >= n32) Fail("child_out_of_range", node + ": child index out of range");
      if (t.feature[i] < 0 || static_cast<uint32_t>(t.feature[i]) >= m.n_features) {
        Fail("feature_out_of_range", node + ": feature index out of range");
      }
    }
    if (t.default_left[i] > 1) Fail("bad_default_left", node + ": default_left must be 0 or 1");
    if (!std::isfinite(t.threshold[i])) Fail("non_finite", node + ": threshold is not finite");
  }
  CheckFinite(t.value, where + " value");
  ValidateKinds(t, where);

  // Every node must be reached exactly once from the root: a second arrival
  // means a cycle or a shared subtree; a node never reached is garbage.
  seen.assign(n, 0);
  stack.clear();
  stack.push_back(0);
  seen[0] = 1;
  size_t reached = 1;
  while (!stack.empty()) {
    const int32_t i = stack.back();
    stack.pop_back();
    if (t.left[i] == -1) continue;
    for (const int32_t c : {t.left[i], t.right[i]}) {
      if (seen[c]) Fail("node_revisited", where + " node " + std::to_string(c) + " is reached twice");
      seen[c] = 1;
      ++reached;
      stack.push_back(c);
    }
  }
  if (reached != n) Fail("unreachable_node", where + " has nodes not reachable from the root");
}

void ValidateTrees(const Model& m) {
  if (m.aggregation != Aggregation::kSum && m.family == Family::kGbdt) {
    Fail("family_mismatch", "gbdt needs aggregation sum");
  }
  if (m.aggregation != Aggregation::kMean && m.family == Family::kRandomForest) {
    Fail("family_mismatch", "random forest needs aggregation mean");
  }
  // gbdt takes every post transform in version 2: an imported ONNX forest sums
  // votes that already are probabilities (identity).
  if (!m.coef.empty() || !m.intercept.empty()) Fail("family_mismatch", "tree models carry no coefficients");
  if (m.base_score.size() != m.n_outputs) Fail("size_mismatch", "base_score must hold n_outputs values");
  CheckFinite(m.base_score, "base_score");
  if (m.trees.size() > limits::kMaxTrees) Fail("limit_exceeded", "too many trees");

  uint64_t total_nodes = 0, total_values = 0;
  std::vector<uint32_t> per_output(m.n_outputs, 0);
  std::vector<uint8_t> seen;
  std::vector<int32_t> stack;
  for (size_t ti = 0; ti < m.trees.size(); ++ti) {
    const Tree& t = m.trees[ti];
    ValidateTree(m, t, ti, seen, stack);
    total_nodes += t.left.size();
    total_values += t.value.size();
    if (total_nodes > limits::kMaxTotalNodes || total_values > limits::kMaxValues) {
      Fail("limit_exceeded", "too many nodes in total");
    }
    for (uint32_t k = 0; k < m.leaf_width; ++k) ++per_output[t.output_index + k];
  }
  // A mean over zero trees is undefined.
  if (m.aggregation == Aggregation::kMean) {
    for (uint32_t k = 0; k < m.n_outputs; ++k) {
      if (per_output[k] == 0) Fail("output_without_trees", "output " + std::to_string(k) + " has no trees to average");
    }
  }
}

void ValidateLinear(const Model& m) {
  if (m.post_transform == PostTransform::kIdentity || m.post_transform == PostTransform::kComplement) {
    Fail("family_mismatch", "logistic needs a sigmoid, softmax, softmax_zero or sigmoid_each post transform");
  }
  if (!m.trees.empty() || !m.base_score.empty()) Fail("family_mismatch", "logistic models carry no trees");
  if (uint64_t{m.n_outputs} * m.n_features > limits::kMaxValues) Fail("limit_exceeded", "too many coefficients");
  if (m.coef.size() != uint64_t{m.n_outputs} * m.n_features) {
    Fail("size_mismatch", "coef must hold n_outputs * n_features values");
  }
  if (m.intercept.size() != m.n_outputs) Fail("size_mismatch", "intercept must hold n_outputs values");
  CheckFinite(m.coef, "coef");
  CheckFinite(m.intercept, "intercept");
}

}  // namespace

void ValidateModel(const Model& model) {
  ValidateModelHeader(model);
  ValidateLabels(model);
  if (model.family == Family::kLogistic) {
    ValidateLinear(model);
  } else {
    ValidateTrees(model);
  }
}

}  // namespace mlops
