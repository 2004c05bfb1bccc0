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
constexpr uint32_t kFormatVersion = 1;
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
  for (const double v : t.value) w.F64(v);
}

Tree ReadTree(Reader& r, const Model& m, uint64_t& total_nodes) {
  Tree t;
  const uint32_t n = r.U32("tree node count");
  if (n == 0) Fail("empty_tree", "a tree has no nodes");
  if (n > limits::kMaxNodesPerTree) Fail("limit_exceeded", "tree node count exceeds the limit");
  total_nodes += n;
  if (total_nodes > limits::kMaxTotalNodes) Fail("limit_exceeded", "total node count exceeds the limit");
  t.output_index = r.U32("tree output index");
  // leaf_width <= 65536 and n <= 2^24, so the per-node size cannot overflow.
  r.Need(n, kNodeBytes + 8ull * m.leaf_width, "tree nodes");
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
  for (auto& v : t.value) v = r.F64("value");
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
  for (const auto& t : m.trees) estimate += 8 + kNodeBytes * t.size() + 8 * t.value.size();
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
  if (version != kFormatVersion) {
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
    const uint64_t min_tree_bytes = 8 + kNodeBytes + 8ull * m.leaf_width;
    m.trees.reserve(std::min<uint64_t>(n_trees, r.remaining() / min_tree_bytes));
    uint64_t total_nodes = 0;
    for (uint32_t i = 0; i < n_trees; ++i) m.trees.push_back(ReadTree(r, m, total_nodes));
  }
  if (r.remaining() != 0) Fail("trailing_data", "artifact body has bytes after its last section");

  ValidateModel(m);
  return m;
}

}  // namespace mlops
