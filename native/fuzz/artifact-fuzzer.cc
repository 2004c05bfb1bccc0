// libFuzzer harness for the model artifact loader (native/core/artifact.cc): parse and validate,
// then compile every engine the model allows and score a few rows. Built with clang and
// -fsanitize=fuzzer,address,undefined by scripts/build-fuzzers.sh; `npm run fuzz` runs it.
//
// A crash is anything other than returning: a sanitizer report, an abort, or an exception other
// than mlops::FormatError (the loader's one documented failure) escaping ParseModel.
//
// The artifact ends in a CRC-32C of everything before it and records its total size, so random
// edits almost never get past the preamble. The custom mutator below fixes both up after
// libFuzzer's own mutation for most inputs (and leaves the rest as they are, so the checks
// themselves stay fuzzed), the usual way to fuzz a checksummed format.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/artifact-crc32c.h"
#include "core/artifact.h"
#include "core/engines/select.h"
#include "core/scorer.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

constexpr size_t kTotalSizeOffset = 16;
constexpr size_t kMinArtifact = 24 + 4;  // preamble + checksum

void Reseal(uint8_t* data, size_t size) {
  if (size < kMinArtifact) return;
  const uint64_t total = size;
  for (int i = 0; i < 8; ++i) data[kTotalSizeOffset + i] = static_cast<uint8_t>(total >> (8 * i));
  const uint32_t crc = mlops::Crc32c(data, size - 4);
  for (int i = 0; i < 4; ++i) data[size - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

// Scores a handful of rows built from the input's bytes, NaN included, on one engine.
void Score(const mlops::Model& model, const mlops::engines::EngineRequest& request, const uint8_t* data,
           size_t size) {
  mlops::Scorer scorer(model, request);
  const size_t n_rows = 9;  // above kMinBatchRows, so both the row and the batch engine run
  std::vector<double> rows(n_rows * model.n_features);
  for (size_t i = 0; i < rows.size(); ++i) {
    const uint8_t b = size == 0 ? 0 : data[i % size];
    rows[i] = b == 0xff ? __builtin_nan("") : (static_cast<double>(b) - 128.0) / 16.0;
  }
  std::vector<double> out(n_rows * model.n_classes);
  scorer.Predict(rows.data(), 1, out.data());
  scorer.Predict(rows.data(), n_rows, out.data());
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (seed % 8 != 0) Reseal(data, size);
  return size;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mlops::Model model;
  try {
    model = mlops::ParseModel(data, size);
  } catch (const mlops::FormatError&) {
    return 0;
  }
  // A model that loads must compile and score on every engine that takes it, as the addon does.
  using Engine = mlops::engines::EngineRequest::Engine;
  for (const Engine engine : {Engine::kAuto, Engine::kGeneric, Engine::kHeap}) {
    for (const bool scalar : {false, true}) {
      mlops::engines::EngineRequest request;
      request.engine = engine;
      request.scalar = scalar;
      Score(model, request, data, size);
    }
  }
  // And it must serialize back to bytes that parse.
  const std::vector<uint8_t> again = mlops::SerializeModel(model);
  mlops::ParseModel(again.data(), again.size());
  return 0;
}
