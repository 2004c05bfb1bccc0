// Feature cuts and their search tables (cuts.h).
#include "core/engines/cuts.h"

#include <cmath>
#include <limits>
#include <utility>

namespace mlops::engines::cuts {

double SplitValue(const Model& m, const Tree& t, size_t i) {
  return m.decision == Decision::kLessEqual ? std::nextafter(t.threshold[i], std::numeric_limits<double>::infinity())
                                            : t.threshold[i];
}

std::vector<std::vector<double>> SplitValues(const Model& m) {
  std::vector<std::vector<double>> per_feature(m.n_features);
  for (const Tree& t : m.trees) {
    for (size_t i = 0; i < t.size(); ++i) {
      if (t.left[i] != -1) per_feature[t.feature[i]].push_back(SplitValue(m, t, i));
    }
  }
  for (auto& v : per_feature) {
    std::sort(v.begin(), v.end());
    // == dedup: -0 and +0 are one split value.
    v.erase(std::unique(v.begin(), v.end(), [](double a, double b) { return a == b; }), v.end());
  }
  return per_feature;
}

uint32_t RankOf(const std::vector<double>& cuts, double split_value) {
  return static_cast<uint32_t>(std::lower_bound(cuts.begin(), cuts.end(), split_value) - cuts.begin());
}

namespace {

// Two buckets per cut (at most 65,536): with cuts spread like a Gaussian, a
// bucket at the peak holds ~1.6 on average and more than kScan very rarely.
void AddBuckets(const std::vector<double>& cuts, SearchTables::Feature& f, SearchTables& s) {
  if (cuts.size() <= kFan || cuts.size() >= kFullBucket) return;
  const double lo = cuts.front(), hi = cuts.back();
  const size_t n = std::min<size_t>(2 * cuts.size(), 65536);
  const double range = hi - lo;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(range) || !(range > 0)) return;
  const double scale = static_cast<double>(n) / range;
  if (!std::isfinite(scale)) return;
  f.lo = lo;
  f.scale = scale;
  f.last = static_cast<double>(n - 1);
  f.n_buckets = static_cast<uint32_t>(n);
  std::vector<uint32_t> count(n, 0);
  for (double c : cuts) ++count[BucketOf(f, c)];
  f.bucket_start = static_cast<uint32_t>(s.first.size());
  uint32_t below = 0;
  for (size_t i = 0; i < n; ++i) {
    s.first.push_back(count[i] <= kScan ? static_cast<uint16_t>(below) : kFullBucket);
    below += count[i];
  }
  // The scan reads level 0 of the search tables (padded with kScan NaN).
  f.scan_start = f.start[0];
}

}  // namespace

SearchTables BuildSearchTables(std::vector<std::vector<double>> per_feature) {
  SearchTables s;
  for (auto& cuts : per_feature) {
    SearchTables::Feature f;
    std::vector<double> level = cuts;
    std::vector<std::vector<double>> levels;
    for (;;) {
      levels.push_back(level);
      if (level.size() <= kFan) break;
      std::vector<double> up;
      for (size_t i = kFan - 1; i < level.size(); i += kFan) up.push_back(level[i]);
      level = std::move(up);
    }
    f.n_levels = static_cast<uint32_t>(levels.size());
    for (uint32_t l = 0; l < f.n_levels; ++l) {
      f.start[l] = static_cast<uint32_t>(s.keys.size());
      // Level 0 also serves the bucket scan: at least kScan NaN after it.
      const size_t padded = ((levels[l].size() + (l == 0 ? kScan : 0)) / kFan + 1) * kFan;
      s.keys.insert(s.keys.end(), levels[l].begin(), levels[l].end());
      s.keys.insert(s.keys.end(), padded - levels[l].size(), std::numeric_limits<double>::quiet_NaN());
    }
    AddBuckets(cuts, f, s);  // after the levels: it reads level 0
    s.features.push_back(f);
    s.sorted.push_back(std::move(cuts));
  }
  return s;
}

#ifdef MLOPS_CUTS_AVX512
bool CpuHasBinAvx512() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("popcnt"); }

__attribute__((target("avx512f,popcnt"))) void BinColumnAvx512(const SearchTables& s, uint32_t f, const double* x,
                                                                 size_t stride, size_t n, uint16_t* out) {
  // The feature's tables, hoisted out of the loop (BinAvx512's steps, read
  // once per column instead of once per value: the compiler cannot tell the
  // stores to `out` from the tables behind the vectors' pointers).
  const SearchTables::Feature sf = s.features[f];
  const uint16_t* first = s.first.data() + sf.bucket_start;
  const double* scan = s.keys.data() + sf.scan_start;
  for (size_t i = 0; i < n; ++i) {
    const double v = x[i * stride];
    if (v != v) {
      out[i] = kNanBin;
      continue;
    }
    const uint16_t k = sf.n_buckets != 0 ? first[BucketOf(sf, v)] : kFullBucket;
    out[i] = static_cast<uint16_t>(k != kFullBucket ? ScanAvx512(scan, k, v) : SearchAvx512(s, sf, v));
  }
}
#endif

}  // namespace mlops::engines::cuts
