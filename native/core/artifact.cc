// Serialize and parse the model artifact. Byte layout: docs/model-format.md.
#include "core/artifact.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/artifact-bytes.h"
#include "core/artifact-crc32c.h"
#include "core/artifact-limits.h"
#include "core/artifact-validate.h"

namespace mlops {
namespace {

using artifact_bytes::Reader;
using artifact_bytes::Writer;

constexpr char kMagic[8] = {'M', 'L', 'O', 'P', 'S', 'M', 'D', 'L'};
// Version 2 is written; version 1 (no labels, numeric nodes only) is still read.
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kFormatVersion1 = 1;
// magic, version, flags, total_size.
constexpr size_t kPreambleSize = 8 + 4 + 4 + 8;
constexpr size_t kChecksumSize = 4;

[[noreturn]] void Fail(const char* code, const std::string& message) { throw FormatError(code, message); }

// Node bytes on disk: left, right, feature (i32), threshold (f64), default_left (u8).
constexpr uint64_t kNodeBytes = 4 + 4 + 4 + 8 + 1;

void WriteTree(Writer& w, const Tree& t) {
  const size_t n = t.size();
  w.U32(static_cast<uint32_t>(n));
  w.U32(t.output_index);
  for (size_t i = 0; i < n; ++i) w.I32(t.left[i]);
  for (size_t i = 0; i < n; ++i) w.I32(t.right[i]);
  for (size_t i = 0; i < n; ++i) w.I32(t.feature[i]);
  for (size_t i = 0; i < n; ++i) w.F64(t.threshold[i]);
  for (size_t i = 0; i < n; ++i) w.U8(t.default_left[i]);
  for (size_t i = 0; i < n; ++i) w.U8(t.kind.empty() ? 0 : t.kind[i]);
  for (const double v : t.value) w.F64(v);
  w.U32(static_cast<uint32_t>(t.cat_words.size()));
  for (const uint32_t v : t.cat_words) w.U32(v);
  for (const CategoryRange& c : t.cat_ranges) {
    w.U32(c.offset);
    w.U32(c.count);
  }
}

void WriteLabels(Writer& w, const ClassLabels& l) {
  w.U32(static_cast<uint32_t>(l.kind));
  switch (l.kind) {
    case LabelKind::kInt64:
      for (const int64_t v : l.ints) w.U64(static_cast<uint64_t>(v));
      break;
    case LabelKind::kFloat64:
      for (const double v : l.floats) w.F64(v);
      break;
    case LabelKind::kString:
      for (const std::string& s : l.strings) {
        w.U32(static_cast<uint32_t>(s.size()));
        w.Bytes(s.data(), s.size());
      }
      break;
    case LabelKind::kNone:
      break;
  }
}

void ReadLabels(Reader& r, Model& m) {
  ClassLabels& l = m.labels;
  const uint32_t kind = r.U32("label kind");
  l.kind = static_cast<LabelKind>(kind);
  // n_classes is capped by the header check that already ran.
  switch (l.kind) {
    case LabelKind::kNone:
      return;
    case LabelKind::kInt64:
      r.Need(m.n_classes, 8, "class labels");
      l.ints.resize(m.n_classes);
      for (auto& v : l.ints) v = static_cast<int64_t>(r.U64("class label"));
      return;
    case LabelKind::kFloat64:
      r.Need(m.n_classes, 8, "class labels");
      l.floats.resize(m.n_classes);
      for (auto& v : l.floats) v = r.F64("class label");
      return;
    case LabelKind::kString:
      r.Need(m.n_classes, 4, "class labels");
      l.strings.resize(m.n_classes);
      for (auto& s : l.strings) {
        const uint32_t len = r.U32("class label length");
        if (len > limits::kMaxNameBytes) Fail("limit_exceeded", "class label too long");
        s = r.String(len, "class label");
      }
      return;
  }
  Fail("unknown_label_kind", "unknown class label kind " + std::to_string(kind));
}

// Version 2's per-tree additions: node kinds (already read into t.kind),
// categorical word pool and one range per categorical node.
void ReadCategories(Reader& r, Tree& t) {
  const uint32_t n_words = r.U32("category word count");
  if (n_words > limits::kMaxCategoryWordsPerTree) Fail("limit_exceeded", "category words exceed the limit");
  r.Need(n_words, 4, "category words");
  t.cat_words.resize(n_words);
  for (auto& v : t.cat_words) v = r.U32("category word");
  size_t n_cat = 0;
  for (const uint8_t k : t.kind) n_cat += IsCategorical(static_cast<NodeKind>(k)) ? 1 : 0;
  r.Need(n_cat, 8, "category ranges");
  t.cat_ranges.resize(n_cat);
  for (auto& c : t.cat_ranges) {
    c.offset = r.U32("category offset");
    c.count = r.U32("category count");
  }
  // In memory an all-numeric tree has no kind array (what trainers emit).
  bool any = false;
  for (const uint8_t k : t.kind) any |= k != 0;
  if (!any) t.kind.clear();
}

Tree ReadTree(Reader& r, const Model& m, uint32_t version, uint64_t& total_nodes) {
  Tree t;
  const uint32_t n = r.U32("tree node count");
  if (n == 0) Fail("empty_tree", "a tree has no nodes");
  if (n > limits::kMaxNodesPerTree) Fail("limit_exceeded", "tree node count exceeds the limit");
  total_nodes += n;
  if (total_nodes > limits::kMaxTotalNodes) Fail("limit_exceeded", "total node count exceeds the limit");
  t.output_index = r.U32("tree output index");
  // leaf_width <= 65536 and n <= 2^24, so the per-node size cannot overflow.
  const uint64_t kind_bytes = version == kFormatVersion1 ? 0 : 1;
  r.Need(n, kNodeBytes + kind_bytes + 8ull * m.leaf_width, "tree nodes");
  t.left.resize(n);
  t.right.resize(n);
  t.feature.resize(n);
  t.threshold.resize(n);
  t.default_left.resize(n);
  t.value.resize(size_t{n} * m.leaf_width);
  for (auto& v : t.left) v = r.I32("left");
  for (auto& v : t.right) v = r.I32("right");
  for (auto& v : t.feature) v = r.I32("feature");
  for (auto& v : t.threshold) v = r.F64("threshold");
  for (auto& v : t.default_left) v = r.U8("default_left");
  if (version != kFormatVersion1) {
    t.kind.resize(n);
    for (auto& v : t.kind) {
      v = r.U8("node kind");
      // Checked here: the kinds decide how many category ranges follow.
      if (v > static_cast<uint8_t>(NodeKind::kEqualFloat32)) Fail("unknown_node_kind", "unknown node kind");
    }
  }
  for (auto& v : t.value) v = r.F64("value");
  if (version != kFormatVersion1) ReadCategories(r, t);
  return t;
}

void ReadDoubles(Reader& r, std::vector<double>& out, uint64_t count, const char* what) {
  r.Need(count, 8, what);
  out.resize(count);
  for (auto& v : out) v = r.F64(what);
}

}  // namespace

std::vector<uint8_t> SerializeModel(const Model& m) {
  // Only valid models are written, so every artifact we produce parses back.
  ValidateModel(m);
  Writer w;
  uint64_t estimate = 256 + m.params_json.size() + 8 * (m.coef.size() + m.intercept.size() + m.base_score.size());
  for (const auto& name : m.feature_names) estimate += 4 + name.size();
  for (const auto& t : m.trees) {
    estimate += 12 + (kNodeBytes + 1) * t.size() + 8 * t.value.size() + 4 * t.cat_words.size() + 8 * t.cat_ranges.size();
  }
  for (const auto& s : m.labels.strings) estimate += 4 + s.size();
  estimate += 8 * (m.labels.ints.size() + m.labels.floats.size());
  w.Reserve(estimate);

  w.Bytes(kMagic, sizeof kMagic);
  w.U32(kFormatVersion);
  w.U32(0);  // flags, reserved
  w.U64(0);  // total_size, patched below
  w.U32(static_cast<uint32_t>(m.family));
  w.U32(m.n_features);
  w.U32(m.n_classes);
  w.U32(m.n_outputs);
  w.U32(m.leaf_width);
  w.U32(static_cast<uint32_t>(m.aggregation));
  w.U32(static_cast<uint32_t>(m.post_transform));
  w.U32(static_cast<uint32_t>(m.decision));
  w.U32(static_cast<uint32_t>(m.feature_names.size()));
  for (const auto& name : m.feature_names) {
    w.U32(static_cast<uint32_t>(name.size()));
    w.Bytes(name.data(), name.size());
  }
  w.U32(static_cast<uint32_t>(m.params_json.size()));
  w.Bytes(m.params_json.data(), m.params_json.size());
  WriteLabels(w, m.labels);

  if (m.family == Family::kLogistic) {
    for (const double v : m.intercept) w.F64(v);
    for (const double v : m.coef) w.F64(v);
  } else {
    for (const double v : m.base_score) w.F64(v);
    w.U32(static_cast<uint32_t>(m.trees.size()));
    for (const auto& t : m.trees) WriteTree(w, t);
  }

  std::vector<uint8_t>& out = w.buffer();
  const uint64_t total = out.size() + kChecksumSize;
  for (int i = 0; i < 8; ++i) out[16 + i] = static_cast<uint8_t>(total >> (8 * i));
  w.U32(Crc32c(out.data(), out.size()));
  return std::move(out);
}

Model ParseModel(const uint8_t* data, size_t size) {
  if (size == 0 || data == nullptr) Fail("empty", "artifact is empty");
  if (std::memcmp(data, kMagic, size < sizeof kMagic ? size : sizeof kMagic) != 0) {
    Fail("bad_magic", "not an mlops model artifact (bad magic)");
  }
  if (size < kPreambleSize + kChecksumSize) Fail("truncated", "artifact is shorter than its preamble");

  // The preamble is checked before the checksum: a later version may change
  // everything after it, the checksum included.
  Reader pre(data + 8, size - 8);
  const uint32_t version = pre.U32("version");
  if (version != kFormatVersion && version != kFormatVersion1) {
    Fail("unsupported_version", "unsupported artifact format version " + std::to_string(version));
  }
  if (pre.U32("flags") != 0) Fail("unsupported_flags", "artifact sets flags this version does not know");
  const uint64_t total = pre.U64("total_size");
  if (total > size) Fail("truncated", "artifact is truncated (header says " + std::to_string(total) + " bytes)");
  if (total < size) Fail("trailing_data", "artifact has bytes after its declared end");

  const size_t body_end = size - kChecksumSize;
  const uint32_t stored = Reader(data + body_end, kChecksumSize).U32("checksum");
  if (Crc32c(data, body_end) != stored) Fail("checksum_mismatch", "artifact checksum mismatch (corrupted)");

  // From here the bytes are intact, but may still have been written by a
  // hostile or buggy producer: every count is capped and bounds-checked.
  Reader r(data + kPreambleSize, body_end - kPreambleSize);
  Model m;
  m.family = static_cast<Family>(r.U32("family"));
  m.n_features = r.U32("n_features");
  m.n_classes = r.U32("n_classes");
  m.n_outputs = r.U32("n_outputs");
  m.leaf_width = r.U32("leaf_width");
  m.aggregation = static_cast<Aggregation>(r.U32("aggregation"));
  m.post_transform = static_cast<PostTransform>(r.U32("post_transform"));
  m.decision = static_cast<Decision>(r.U32("decision"));
  if (m.family != Family::kGbdt && m.family != Family::kRandomForest && m.family != Family::kLogistic) {
    Fail("unknown_family", "unknown model family " + std::to_string(static_cast<uint32_t>(m.family)));
  }
  if (m.n_features > limits::kMaxFeatures) Fail("limit_exceeded", "n_features exceeds the limit");
  if (m.n_classes > limits::kMaxClasses || m.n_outputs > limits::kMaxClasses ||
      m.leaf_width > limits::kMaxClasses) {
    Fail("limit_exceeded", "n_classes, n_outputs or leaf_width exceeds the limit");
  }

  const uint32_t n_names = r.U32("feature name count");
  if (n_names != 0 && n_names != m.n_features) {
    Fail("size_mismatch", "feature name count must be 0 or n_features");
  }
  r.Need(n_names, 4, "feature names");
  m.feature_names.resize(n_names);
  for (auto& name : m.feature_names) {
    const uint32_t len = r.U32("feature name length");
    if (len > limits::kMaxNameBytes) Fail("limit_exceeded", "feature name too long");
    name = r.String(len, "feature name");
  }
  const uint32_t params_len = r.U32("params length");
  if (params_len > limits::kMaxParamsBytes) Fail("limit_exceeded", "params_json too long");
  m.params_json = r.String(params_len, "params_json");
  ValidateModelHeader(m);
  if (version != kFormatVersion1) {
    ReadLabels(r, m);
    ValidateLabels(m);
  }

  if (m.family == Family::kLogistic) {
    const uint64_t n_coef = uint64_t{m.n_outputs} * m.n_features;
    if (n_coef > limits::kMaxValues) Fail("limit_exceeded", "too many coefficients");
    ReadDoubles(r, m.intercept, m.n_outputs, "intercept");
    ReadDoubles(r, m.coef, n_coef, "coef");
  } else {
    ReadDoubles(r, m.base_score, m.n_outputs, "base_score");
    const uint32_t n_trees = r.U32("tree count");
    if (n_trees > limits::kMaxTrees) Fail("limit_exceeded", "tree count exceeds the limit");
    r.Need(n_trees, 8, "trees");
    // Every tree that reads successfully holds at least one node, so reserve
    // no more trees than the remaining bytes could back: a hostile count
    // cannot make us allocate far beyond the artifact's size.
    const uint64_t min_tree_bytes = version == kFormatVersion1 ? 8 + kNodeBytes + 8ull * m.leaf_width
                                                               : 12 + kNodeBytes + 1 + 8ull * m.leaf_width;
    m.trees.reserve(std::min<uint64_t>(n_trees, r.remaining() / min_tree_bytes));
    uint64_t total_nodes = 0;
    for (uint32_t i = 0; i < n_trees; ++i) m.trees.push_back(ReadTree(r, m, version, total_nodes));
  }
  if (r.remaining() != 0) Fail("trailing_data", "artifact body has bytes after its last section");

  ValidateModel(m);
  return m;
}

}  // namespace mlops
