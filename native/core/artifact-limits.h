// Caps on counts and lengths in an artifact. The parser checks them before it
// allocates anything, and ValidateModel applies the same caps to in-memory
// models, so a model that serializes always parses back. Documented in
// docs/model-format.md ("Limits").
#pragma once

#include <cstdint>

namespace mlops::limits {

constexpr uint32_t kMaxFeatures = 1000000;
constexpr uint32_t kMaxClasses = 65536;  // also caps n_outputs and leaf_width
constexpr uint32_t kMaxTrees = 1000000;
constexpr uint32_t kMaxNodesPerTree = 1u << 24;
// All trees together; keeps compiled node indices within int32.
constexpr uint64_t kMaxTotalNodes = uint64_t{1} << 30;
// n_nodes * leaf_width summed over trees, and n_outputs * n_features for linear models.
constexpr uint64_t kMaxValues = uint64_t{1} << 30;
constexpr uint32_t kMaxNameBytes = 4096;            // one feature name, UTF-8
constexpr uint32_t kMaxParamsBytes = 16u << 20;     // params JSON text, UTF-8
// Categorical sets (format version 2): words of one node's bitset (2^24
// categories, XGBoost's own cap) and of one tree's pool.
constexpr uint32_t kMaxCategoryWordsPerNode = 1u << 19;
constexpr uint32_t kMaxCategoryWordsPerTree = 1u << 24;
// int64 class labels stay within the doubles' exact integers, so JSON clients read them exactly.
constexpr int64_t kMaxIntLabel = int64_t{1} << 53;

}  // namespace mlops::limits
