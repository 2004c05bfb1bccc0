// Internals shared by the trainers: the validated dataset view, the
// deterministic RNG, the per-family entry points (loops run on the core's
// shared thread pool, thread-pool.h).
// Not part of the public API (train.h is).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/thread-pool.h"
#include "core/train.h"

namespace mlops::train_detail {

[[noreturn]] inline void Invalid(const char* reason, const std::string& message) {
  throw TrainError(TrainError::kInvalid, reason, message);
}

// Borrowed view of validated training data (x is owned by the caller of Train).
struct Dataset {
  const double* x = nullptr;  // row-major n_rows * n_features
  size_t n_rows = 0;
  size_t n_features = 0;
  std::vector<uint32_t> label;  // class index per row
  std::vector<size_t> class_count;
  uint32_t n_classes = 0;

  double At(size_t row, size_t feature) const { return x[row * n_features + feature]; }
};

// SplitMix64 step: the seed expander and the mixer for stream derivation.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Independent random streams, so that what one tree draws never depends on
// what another drew or on which thread built it.
enum class Stream : uint64_t { kRows = 1, kColumns = 2, kForest = 3 };

// xoshiro256** seeded from (seed, stream, index) through SplitMix64.
class Rng {
 public:
  Rng(uint64_t seed, Stream stream, uint64_t index) {
    uint64_t sm = seed;
    uint64_t a = SplitMix64(sm);
    sm = a ^ (static_cast<uint64_t>(stream) * 0xD1B54A32D192ED03ULL);
    uint64_t b = SplitMix64(sm);
    sm = b ^ (index * 0xA0761D6478BD642FULL + 0x9E3779B97F4A7C15ULL);
    for (auto& word : s_) word = SplitMix64(sm);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n), n > 0, without modulo bias.
  uint64_t Below(uint64_t n) {
    const uint64_t limit = (0 - n) % n;  // values below this would bias
    for (;;) {
      const uint64_t r = Next();
      if (r >= limit) return r % n;
    }
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// What every trainer needs besides the data.
struct Context {
  const TrainParams& params;
  const TrainHooks& hooks;
  ThreadPool& pool;

  void CheckCancel() const {
    if (hooks.cancel != nullptr && hooks.cancel->load(std::memory_order_relaxed)) {
      throw TrainError(TrainError::kCancelled, "cancelled", "training was cancelled");
    }
  }
  void Progress(uint32_t done, uint32_t total) const {
    if (hooks.on_progress) hooks.on_progress(done, total);
  }
};

Model TrainGbdt(const Dataset& data, const Context& ctx);
Model TrainRandomForest(const Dataset& data, const Context& ctx);
Model TrainLogistic(const Dataset& data, const Context& ctx);

// Copies the fields every family shares (shape, names, params text).
void FillCommon(const Dataset& data, const TrainParams& params, Family family, Model& model);

}  // namespace mlops::train_detail
