// Logistic regression: binary (sigmoid) and multinomial (softmax), fitted by
// L-BFGS on standardized features with an L2 penalty on the coefficients
// (not the intercepts), then mapped back to raw feature space.
//
// NaN counts as 0 in training, exactly as the scorer treats it. Sums over
// rows go through a fixed set of row chunks combined in chunk order, so the
// fit does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "core/train-common.h"

namespace mlops::train_detail {
namespace {

constexpr size_t kHistory = 10;        // L-BFGS correction pairs
constexpr double kGradTol = 1e-6;      // stop when max |dF/dtheta| is below this
constexpr double kRelFuncTol = 1e-12;  // or when an iteration barely lowers F
constexpr double kArmijo = 1e-4;
constexpr int kMaxBacktracks = 60;

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double MaxAbs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::fabs(v));
  return m;
}

// F(theta) = (sum of per-row log-losses + l2/2 * |w|^2) / n over
// standardized features z = (x - mean) / scale (NaN as 0), computed row by
// row rather than stored, so the fit needs no second copy of x. theta is
// n_outputs blocks of [w_0..w_{d-1}, b].
class Objective {
 public:
  Objective(const Dataset& data, const std::vector<double>& mean, const std::vector<double>& scale,
            uint32_t n_outputs, double l2, ThreadPool& pool)
      : data_(data), mean_(mean), scale_(scale), d_(data.n_features), k_(n_outputs), l2_(l2), pool_(pool) {
    const size_t n = data.n_rows;
    chunk_ = std::max<size_t>(1024, (n + 63) / 64);  // depends on n only, never on threads
    chunks_ = (n + chunk_ - 1) / chunk_;
    partial_.resize(chunks_ * (size() + 1));
  }

  size_t size() const { return k_ * (d_ + 1); }

  double Eval(const std::vector<double>& theta, std::vector<double>& grad) {
    const size_t p = size();
    pool_.ParallelFor(chunks_, [&](size_t c) { EvalChunk(theta, c, partial_.data() + c * (p + 1)); });
    grad.assign(p, 0.0);
    double loss = 0;
    for (size_t c = 0; c < chunks_; ++c) {
      const double* part = partial_.data() + c * (p + 1);
      for (size_t i = 0; i < p; ++i) grad[i] += part[i];
      loss += part[p];
    }
    for (uint32_t k = 0; k < k_; ++k) {
      for (size_t j = 0; j < d_; ++j) {
        const double w = theta[k * (d_ + 1) + j];
        loss += 0.5 * l2_ * w * w;
        grad[k * (d_ + 1) + j] += l2_ * w;
      }
    }
    const double inv_n = 1.0 / static_cast<double>(data_.n_rows);
    for (double& g : grad) g *= inv_n;
    return loss * inv_n;
  }

 private:
  // out: gradient (size()) then loss, for the chunk's rows.
  void EvalChunk(const std::vector<double>& theta, size_t c, double* out) const {
    const size_t p = size();
    std::fill(out, out + p + 1, 0.0);
    std::vector<double> margin(k_);
    std::vector<double> resid(k_);
    std::vector<double> z(d_);
    const double* zr = z.data();
    const size_t end = std::min(data_.n_rows, (c + 1) * chunk_);
    for (size_t r = c * chunk_; r < end; ++r) {
      for (size_t j = 0; j < d_; ++j) {
        const double v = data_.At(r, j);
        z[j] = ((std::isnan(v) ? 0.0 : v) - mean_[j]) / scale_[j];
      }
      for (uint32_t k = 0; k < k_; ++k) {
        const double* w = theta.data() + k * (d_ + 1);
        double m = w[d_];
        for (size_t j = 0; j < d_; ++j) m += w[j] * zr[j];
        margin[k] = m;
      }
      const uint32_t y = data_.label[r];
      if (k_ == 1) {
        const double m = margin[0];
        const double softplus = m > 0 ? m + std::log1p(std::exp(-m)) : std::log1p(std::exp(m));
        const double t = y == 1 ? 1.0 : 0.0;
        out[p] += softplus - t * m;
        resid[0] = 1.0 / (1.0 + std::exp(-m)) - t;
      } else {
        const double mx = *std::max_element(margin.begin(), margin.end());
        double sum = 0;
        for (uint32_t k = 0; k < k_; ++k) sum += std::exp(margin[k] - mx);
        const double lse = mx + std::log(sum);
        out[p] += lse - margin[y];
        for (uint32_t k = 0; k < k_; ++k) resid[k] = std::exp(margin[k] - lse) - (k == y ? 1.0 : 0.0);
      }
      for (uint32_t k = 0; k < k_; ++k) {
        double* g = out + k * (d_ + 1);
        const double e = resid[k];
        for (size_t j = 0; j < d_; ++j) g[j] += e * zr[j];
        g[d_] += e;
      }
    }
  }

  const Dataset& data_;
  const std::vector<double>& mean_;
  const std::vector<double>& scale_;
  const size_t d_;
  const uint32_t k_;
  const double l2_;
  ThreadPool& pool_;
  size_t chunk_ = 0;
  size_t chunks_ = 0;
  std::vector<double> partial_;  // per chunk: gradient, then loss
};

// Minimizes `obj` from theta in place. Reports progress once per iteration
// and finishes at (max_iter, max_iter) when it converges early.
void Lbfgs(Objective& obj, std::vector<double>& theta, const Context& ctx) {
  const uint32_t max_iter = static_cast<uint32_t>(ctx.params.max_iter);
  const size_t p = theta.size();
  std::vector<double> grad;
  double f = obj.Eval(theta, grad);
  std::deque<std::vector<double>> s_hist;
  std::deque<std::vector<double>> y_hist;
  std::vector<double> dir(p);
  std::vector<double> next(p);
  std::vector<double> next_grad;
  std::vector<double> alpha(kHistory);
  uint32_t iter = 0;
  while (iter < max_iter) {
    ctx.CheckCancel();
    if (MaxAbs(grad) <= kGradTol) break;
    // Two-loop recursion: dir = -H * grad.
    for (size_t i = 0; i < p; ++i) dir[i] = -grad[i];
    const size_t m = s_hist.size();
    for (size_t i = m; i-- > 0;) {
      alpha[i] = Dot(s_hist[i], dir) / Dot(y_hist[i], s_hist[i]);
      for (size_t j = 0; j < p; ++j) dir[j] -= alpha[i] * y_hist[i][j];
    }
    if (m > 0) {
      const double gamma = Dot(s_hist[m - 1], y_hist[m - 1]) / Dot(y_hist[m - 1], y_hist[m - 1]);
      for (double& v : dir) v *= gamma;
    }
    for (size_t i = 0; i < m; ++i) {
      const double beta = Dot(y_hist[i], dir) / Dot(y_hist[i], s_hist[i]);
      for (size_t j = 0; j < p; ++j) dir[j] += s_hist[i][j] * (alpha[i] - beta);
    }
    double slope = Dot(grad, dir);
    if (!(slope < 0)) {  // not a descent direction: forget the curvature pairs
      s_hist.clear();
      y_hist.clear();
      for (size_t i = 0; i < p; ++i) dir[i] = -grad[i];
      slope = Dot(grad, dir);
    }
    double step = m == 0 ? std::min(1.0, 1.0 / std::sqrt(Dot(grad, grad))) : 1.0;
    double next_f = f;
    bool accepted = false;
    for (int t = 0; t < kMaxBacktracks; ++t) {
      for (size_t i = 0; i < p; ++i) next[i] = theta[i] + step * dir[i];
      next_f = obj.Eval(next, next_grad);
      if (std::isfinite(next_f) && next_f <= f + kArmijo * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    ++iter;
    if (!accepted) break;  // no progress possible in double precision
    std::vector<double> s(p);
    std::vector<double> y(p);
    for (size_t i = 0; i < p; ++i) {
      s[i] = next[i] - theta[i];
      y[i] = next_grad[i] - grad[i];
    }
    if (Dot(s, y) > 1e-12 * Dot(y, y)) {
      if (s_hist.size() == kHistory) {
        s_hist.pop_front();
        y_hist.pop_front();
      }
      s_hist.push_back(std::move(s));
      y_hist.push_back(std::move(y));
    }
    const double decrease = f - next_f;
    theta.swap(next);
    grad.swap(next_grad);
    f = next_f;
    ctx.Progress(iter, max_iter);
    if (decrease <= kRelFuncTol * std::max(1.0, std::fabs(f))) break;
  }
  if (iter < max_iter) ctx.Progress(max_iter, max_iter);
}

}  // namespace

Model TrainLogistic(const Dataset& data, const Context& ctx) {
  const TrainParams& params = ctx.params;
  const size_t n = data.n_rows;
  const size_t d = data.n_features;
  const uint32_t n_classes = data.n_classes;
  const uint32_t n_outputs = n_classes == 2 ? 1 : n_classes;

  // Standardize (NaN as 0). A constant feature keeps scale 1; its
  // standardized column is all zeros, so its coefficient stays 0.
  std::vector<double> mean(d, 0.0);
  std::vector<double> scale(d, 1.0);
  auto raw = [&](size_t r, size_t j) {
    const double v = data.At(r, j);
    return std::isnan(v) ? 0.0 : v;
  };
  for (size_t j = 0; j < d; ++j) {
    double sum = 0;
    for (size_t r = 0; r < n; ++r) sum += raw(r, j);
    mean[j] = sum / static_cast<double>(n);
    double ss = 0;
    for (size_t r = 0; r < n; ++r) {
      const double c = raw(r, j) - mean[j];
      ss += c * c;
    }
    const double sd = std::sqrt(ss / static_cast<double>(n));
    if (sd > 1e-12 * std::max(1.0, std::fabs(mean[j])) && std::isfinite(sd)) scale[j] = sd;
  }

  // Start at the class priors.
  std::vector<double> theta(n_outputs * (d + 1), 0.0);
  if (n_outputs == 1) {
    const double prior = static_cast<double>(data.class_count[1]) / static_cast<double>(n);
    theta[d] = std::log(prior / (1.0 - prior));
  } else {
    double mean_log = 0;
    for (uint32_t k = 0; k < n_classes; ++k) mean_log += std::log(static_cast<double>(data.class_count[k]));
    mean_log /= n_classes;
    for (uint32_t k = 0; k < n_classes; ++k) {
      theta[k * (d + 1) + d] = std::log(static_cast<double>(data.class_count[k])) - mean_log;
    }
  }
  ctx.CheckCancel();
  Objective objective(data, mean, scale, n_outputs, params.l2, ctx.pool);
  Lbfgs(objective, theta, ctx);

  Model model;
  FillCommon(data, params, Family::kLogistic, model);
  model.n_outputs = n_outputs;
  model.post_transform = n_outputs == 1 ? PostTransform::kSigmoid : PostTransform::kSoftmax;
  model.coef.assign(static_cast<size_t>(n_outputs) * d, 0.0);
  model.intercept.assign(n_outputs, 0.0);
  // b + sum_j w_j (x_j - mean_j) / scale_j  =  (b - sum_j w_j mean_j / scale_j) + sum_j (w_j / scale_j) x_j
  for (uint32_t k = 0; k < n_outputs; ++k) {
    const double* w = theta.data() + k * (d + 1);
    double b = w[d];
    for (size_t j = 0; j < d; ++j) {
      const double c = w[j] / scale[j];
      model.coef[k * d + j] = c;
      b -= c * mean[j];
    }
    model.intercept[k] = b;
  }
  return model;
}

}  // namespace mlops::train_detail
