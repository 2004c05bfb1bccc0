// Which engine scores a model: decided once at load, from the model's shape
// (ModelTraits) and an optional request (MLOPS_SCORER_ENGINE and
// MLOPS_SCORER_ISA, read when a model is loaded; see docs/model-format.md,
// "Scoring engines").
//
// The rule is explicit so that a model with a feature an engine does not
// handle can never reach it: each specialised engine lists what it supports,
// and anything else goes to the generic engine, which handles every model
// the validator accepts. A new kind of split (say, categorical) must add a
// trait here; until an engine says it supports it, such models score on the
// generic engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/model.h"

namespace mlops::engines {

enum class EngineKind { kGeneric, kHeap, kPredicated, kBinned, kLinear };

struct ModelTraits {
  Family family = Family::kGbdt;
  uint32_t n_features = 0;
  uint32_t n_outputs = 0;
  uint32_t leaf_width = 0;
  size_t n_trees = 0;
  uint32_t max_depth = 0;  // edges on the longest root-to-leaf path
  size_t max_leaves = 0;   // most leaves in one tree
  // Largest number of distinct split values on one feature (after `<=` is
  // compiled to `<`), which sets the width of the heap engine's feature bins.
  size_t max_distinct_thresholds = 0;
  // Every node is a plain numeric `<` / `<=` split. False when any node has
  // another kind (format version 2: categorical, zero-as-missing, equality):
  // only the generic engine scores those.
  bool numeric_splits_only = true;
};

ModelTraits TraitsOf(const Model& model);

// Limits of the heap engine (engines/heap.cc).
constexpr uint32_t kHeapMaxDepth = 10;
constexpr uint32_t kHeapMaxFeatures = 32;
constexpr size_t kHeapMaxDistinct = 0xFFFE;  // bins 0..0xFFFE, 0xFFFF = NaN
constexpr size_t kHeapMaxBytes = size_t{64} << 20;
constexpr uint32_t kHeapMaxOutputs = 256;  // per-block margins stay small
// Deepest model the automatic choice gives the heap engine.
constexpr uint32_t kHeapAutoMaxDepth = 7;

// Empty when the heap engine can score the model, else why not.
std::string HeapUnsupported(const ModelTraits& t);

// Limits of the predicated engine (engines/predicated.cc): bins that fit a
// signed 16-bit lane with room for the two NaN bins, a row's bins in one
// 32-word register, trees of at most kPredicatedMaxDepth levels (those deeper
// than 6, and forests with leaf vectors, use its hybrid layout).
constexpr uint32_t kPredicatedMaxDepth = 16;
constexpr uint32_t kPredicatedMaxOutputs = 256;
// Deepest model the automatic choice gives the predicated engine.
constexpr uint32_t kPredicatedAutoMaxDepth = 6;
// Deepest forest with leaf vectors whose calls of a few rows it takes
// automatically (its row kernel's heap top and one 4-level line per tree:
// decision 0025).
constexpr uint32_t kPredicatedAutoRowMaxDepth = 10;
constexpr uint32_t kPredicatedMaxFeatures = 32;
constexpr size_t kPredicatedMaxDistinct = 0x7FFE;
constexpr size_t kPredicatedMaxBytes = size_t{64} << 20;

// Empty when the predicated engine can score the model, else why not.
std::string PredicatedUnsupported(const ModelTraits& t);

// Limits of the binned engine (engines/binned.cc): a row's bins in 64 16-bit
// columns (32 features, NaN right and NaN left), bins 1 .. distinct + 1 below
// the NaN-right bin 0xFFFF, every tree padded to a full heap of its depth.
constexpr uint32_t kBinnedMaxFeatures = 32;
constexpr size_t kBinnedMaxDistinct = 0xFFFD;
constexpr uint32_t kBinnedMaxDepth = 16;
constexpr uint32_t kBinnedMaxOutputs = 64;  // a block's margins stay small
constexpr size_t kBinnedMaxBytes = size_t{64} << 20;

// Empty when the binned engine can score the model, else why not.
std::string BinnedUnsupported(const ModelTraits& t);

// Whether this CPU runs the binned engine's vector kernels (the AVX-512 F+BW
// top levels and bins; none elsewhere yet). They need every feature's cuts to
// fit the multiplexer's 16-bit lanes (kPredicatedMaxDistinct).
bool BinnedHasTopKernels();

// Whether this CPU runs the predicated engine's vector kernels (AVX-512
// F+BW+VL+DQ on x86-64; none elsewhere yet).
bool PredicatedHasVectorKernels();

struct EngineRequest {
  // kAuto picks by traits; anything else is honoured when the model allows
  // it, and falls back to the generic engine when it does not.
  enum class Engine { kAuto, kGeneric, kHeap, kPredicated, kBinned } engine = Engine::kAuto;
  bool scalar = false;  // MLOPS_SCORER_ISA=scalar: no vector kernels
};

// Reads MLOPS_SCORER_ENGINE (auto | generic | heap | predicated | binned) and MLOPS_SCORER_ISA
// (auto | scalar). Unknown values mean auto.
EngineRequest RequestFromEnv();

// Whether this CPU runs the heap engine's vector kernels (AVX-512 F+BW on
// x86-64; none elsewhere yet).
bool HeapHasVectorKernels();

// What scores a model: `batch` for calls of kMinBatchRows rows or more,
// `rows` for smaller ones (the same engine, or a second one). Measurements
// behind the automatic choice: docs/decisions/0004-scoring-engines.md.
struct EngineChoice {
  EngineKind batch = EngineKind::kGeneric;
  EngineKind rows = EngineKind::kGeneric;
};
constexpr size_t kMinBatchRows = 8;

EngineChoice ChooseEngine(const ModelTraits& traits, const EngineRequest& request);

// A rough cost per row of an engine on a model (one thread, AVX-512 Zen 4
// figures from the engine driver; other CPUs are within a small factor),
// used only to decide when a batch is worth splitting across threads.
double EstimatedNanosPerRow(EngineKind kind, const ModelTraits& traits);

}  // namespace mlops::engines
