// The addon's single entry point. Each concern registers its own exports.
#include <napi.h>

namespace mlops::addon {
Napi::Object InitModel(Napi::Env env, Napi::Object exports);  // model-wrap.cc
Napi::Object InitTrain(Napi::Env env, Napi::Object exports);  // train-worker.cc
Napi::Object InitMemory(Napi::Env env, Napi::Object exports);  // memory.cc
}  // namespace mlops::addon

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  mlops::addon::InitModel(env, exports);
  mlops::addon::InitTrain(env, exports);
  mlops::addon::InitMemory(env, exports);
  return exports;
}

NODE_API_MODULE(mlops_core, Init)
