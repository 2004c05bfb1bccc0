// What every tree engine shares (engine.h): margins' start, end and the post
// transform.
#include <cmath>

#include "core/engines/engine.h"

namespace mlops::engines {

Ensemble::Ensemble(const Model& m)
    : n_features(m.n_features),
      n_classes(m.n_classes),
      n_outputs(m.n_outputs),
      leaf_width(m.leaf_width),
      aggregation(m.aggregation),
      post(m.post_transform),
      base(m.base_score),
      divisor(m.n_outputs, 0.0) {
  for (const Tree& t : m.trees) {
    for (uint32_t k = 0; k < leaf_width; ++k) divisor[t.output_index + k] += 1.0;
  }
}

void Ensemble::Finish(double* acc, double* out) const {
  if (aggregation == Aggregation::kMean) {
    for (uint32_t k = 0; k < n_outputs; ++k) acc[k] = base[k] + acc[k] / divisor[k];
  }
  Transform(post, acc, n_outputs, out);
}

void Transform(PostTransform post, const double* m, uint32_t n_outputs, double* out) {
  switch (post) {
    case PostTransform::kSigmoid: {
      const double p1 = 1.0 / (1.0 + std::exp(-m[0]));
      out[0] = 1.0 - p1;
      out[1] = p1;
      return;
    }
    case PostTransform::kSoftmax: {
      double mx = m[0];
      for (uint32_t k = 1; k < n_outputs; ++k) mx = m[k] > mx ? m[k] : mx;
      double sum = 0.0;
      for (uint32_t k = 0; k < n_outputs; ++k) {
        out[k] = std::exp(m[k] - mx);
        sum += out[k];
      }
      for (uint32_t k = 0; k < n_outputs; ++k) out[k] /= sum;
      return;
    }
    case PostTransform::kSoftmaxZero: {
      // ONNX SOFTMAX_ZERO as onnxruntime computes it: margins within 1e-7f of
      // zero are scaled by exp(-max) and left out of the sum.
      constexpr double kNearZero = static_cast<double>(0.0000001f);
      double mx = m[0];
      for (uint32_t k = 1; k < n_outputs; ++k) mx = m[k] > mx ? m[k] : mx;
      const double exp_neg_max = std::exp(-mx);
      double sum = 0.0;
      for (uint32_t k = 0; k < n_outputs; ++k) {
        if (m[k] > kNearZero || m[k] < -kNearZero) {
          out[k] = std::exp(m[k] - mx);
          sum += out[k];
        } else {
          out[k] = m[k] * exp_neg_max;
        }
      }
      for (uint32_t k = 0; k < n_outputs; ++k) out[k] /= sum;
      return;
    }
    case PostTransform::kSigmoidEach:
      for (uint32_t k = 0; k < n_outputs; ++k) out[k] = 1.0 / (1.0 + std::exp(-m[k]));
      return;
    case PostTransform::kComplement:
      out[0] = 1.0 - m[0];
      out[1] = m[0];
      return;
    case PostTransform::kIdentity:
      for (uint32_t k = 0; k < n_outputs; ++k) out[k] = m[k];
      return;
  }
}

}  // namespace mlops::engines
