// Standalone driver that times the scoring engines against each other on one
// machine, in one process, variants interleaved round by round, best of N
// (a shared, loaded machine makes single timings meaningless; the minimum
// over interleaved rounds is what the code can do). Not part of the addon:
// bench/lib/engine-driver.ts builds and runs it.
//
//   engine-driver MODEL.mlm ROWS.f64 N_ROWS ROUNDS BATCH VARIANT...
//
// VARIANT is engine[/scalar][@threads[:min_rows]] (generic, heap, predicated, binned;
// "/scalar" forces the scalar kernels; "@2" scores each call with
// PredictParallel on 2 threads, ":128" overriding the scorer's rows-per-
// thread rule). Every variant's output is first compared bit for bit with
// the generic engine's on all rows. Prints one line per variant: best µs per
// row at that batch size. With ROUNDS = 0 it scores the rows once per variant
// (for callgrind: --toggle-collect='*Measured*').
//
// ENGINE_DRIVER_CLOCK=cpu times single-thread variants with the thread's CPU
// clock (CLOCK_THREAD_CPUTIME_ID) instead of the wall clock: on a machine
// shared with other loads it leaves out the time the thread was descheduled,
// which cuts the round-to-round spread (variants with @threads stay on the
// wall clock).
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "core/artifact.h"
#include "core/engines/select.h"
#include "core/scorer.h"

namespace {

std::vector<uint8_t> ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(2);
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Variant {
  std::string name;
  std::unique_ptr<mlops::Scorer> scorer;
  unsigned threads = 1;
  size_t min_rows = 0;
  double best = 1e300;
};

// Scores n rows in calls of `batch` rows; kept out of line so callgrind can
// count exactly this.
__attribute__((noinline)) void Measured(const Variant& v, const double* rows, size_t n, size_t batch, size_t nf,
                                        size_t nc, double* out) {
  for (size_t r = 0; r + batch <= n; r += batch) {
    if (v.threads > 1) {
      mlops::PredictParallel(*v.scorer, rows + r * nf, batch, out + r * nc, v.threads, v.min_rows);
    } else {
      v.scorer->Predict(rows + r * nf, batch, out + r * nc);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s MODEL ROWS N_ROWS ROUNDS BATCH VARIANT...\n", argv[0]);
    return 2;
  }
  const auto bytes = ReadFile(argv[1]);
  const auto raw = ReadFile(argv[2]);
  const size_t n = std::strtoul(argv[3], nullptr, 10);
  const int rounds = std::atoi(argv[4]);
  const size_t batch = std::strtoul(argv[5], nullptr, 10);
  const mlops::Model model = mlops::ParseModel(bytes.data(), bytes.size());
  const size_t nf = model.n_features, nc = model.n_classes;
  if (raw.size() < n * nf * sizeof(double)) {
    std::fprintf(stderr, "rows file too short\n");
    return 2;
  }
  std::vector<double> rows(n * nf);
  std::memcpy(rows.data(), raw.data(), rows.size() * sizeof(double));

  std::vector<Variant> variants;
  for (int i = 6; i < argc; ++i) {
    const std::string name = argv[i];
    const size_t at = name.find('@');
    const std::string v = name.substr(0, at);
    unsigned threads = 1;
    size_t min_rows = 0;
    if (at != std::string::npos) {
      threads = static_cast<unsigned>(std::strtoul(name.c_str() + at + 1, nullptr, 10));
      const size_t colon = name.find(':', at);
      if (colon != std::string::npos) min_rows = std::strtoul(name.c_str() + colon + 1, nullptr, 10);
    }
    mlops::engines::EngineRequest req;
    const size_t slash = v.find('/');
    const std::string engine = v.substr(0, slash);
    req.scalar = slash != std::string::npos && v.substr(slash + 1) == "scalar";
    if (engine == "generic") req.engine = mlops::engines::EngineRequest::Engine::kGeneric;
    if (engine == "heap") req.engine = mlops::engines::EngineRequest::Engine::kHeap;
    if (engine == "predicated") req.engine = mlops::engines::EngineRequest::Engine::kPredicated;
    if (engine == "binned") req.engine = mlops::engines::EngineRequest::Engine::kBinned;
    variants.push_back({name, std::make_unique<mlops::Scorer>(model, req), threads, min_rows});
  }

  mlops::engines::EngineRequest generic_req;
  generic_req.engine = mlops::engines::EngineRequest::Engine::kGeneric;
  const mlops::Scorer generic(model, generic_req);
  std::vector<double> expected(n * nc), out(n * nc);
  generic.Predict(rows.data(), n, expected.data());
  for (auto& v : variants) {
    std::fill(out.begin(), out.end(), 0.0);
    Measured(v, rows.data(), n, batch, nf, nc, out.data());
    const size_t scored = n / batch * batch;
    if (std::memcmp(out.data(), expected.data(), scored * nc * sizeof(double)) != 0) {
      std::fprintf(stderr, "%s: output differs from the generic engine\n", v.name.c_str());
      return 1;
    }
  }
  const char* clock_env = std::getenv("ENGINE_DRIVER_CLOCK");
  const bool cpu_clock = clock_env != nullptr && std::strcmp(clock_env, "cpu") == 0;
  auto now_us = [cpu_clock](const Variant& v) {
    if (cpu_clock && v.threads <= 1) {
      timespec ts;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) * 1e-3;
    }
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  // Each timed slice scores ~2,000 rows (at least one call).
  const size_t per_slice = std::max<size_t>(batch, 2000 / batch * batch);
  for (int round = 0; round < rounds; ++round) {
    for (auto& v : variants) {
      const size_t start = (static_cast<size_t>(round) * per_slice) % (n - per_slice + 1) / batch * batch;
      const double t0 = now_us(v);
      Measured(v, rows.data() + start * nf, per_slice, batch, nf, nc, out.data());
      const double us = now_us(v) - t0;
      v.best = std::min(v.best, us / static_cast<double>(per_slice));
    }
  }
  for (const auto& v : variants) {
    std::printf("%-24s engine %-10s isa %-7s batch %6zu  best %.4f us/row  (split at %zu rows)\n", v.name.c_str(),
                v.scorer->engine_name(), v.scorer->engine_isa(), batch, rounds > 0 ? v.best : 0.0,
                v.scorer->min_rows_per_thread());
  }
  return 0;
}
