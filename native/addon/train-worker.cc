// Placeholder so the addon links while training is being written; replaced by
// the training AsyncProgressWorker.
#include <napi.h>

namespace mlops::addon {
Napi::Object InitTrain(Napi::Env env, Napi::Object exports) { return exports; }
}  // namespace mlops::addon
