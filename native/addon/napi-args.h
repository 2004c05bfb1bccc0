// N-API argument readers and coded throws, shared by the addon's entry points
// (model-wrap.cc, train-worker.cc). An error that reaches JS carries a stable
// `code` and, where there is more to say, a `reason`; src/core/errors.ts turns
// both into a CoreError. Internal to native/addon: like every symbol of the
// addon these are hidden (-fvisibility=hidden), only the module init is not.
//
// Everything here runs on the JS thread, inside a callback.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace mlops::addon {

// The largest integer a JS number holds exactly; larger counts are refused.
constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

// The code (and reason, when not null) an entry point gives argument errors:
// ERR_INVALID_ARG for Model, ERR_TRAIN_INVALID with a reason for train().
struct ArgError {
  const char* code;
  const char* reason = nullptr;
};

// `err` with `code` (and `reason`, when not null) set on it. For promise
// rejections, which are values rather than throws.
Napi::Error WithCode(Napi::Error err, const char* code, const char* reason = nullptr);

// Throws `err` with its code set, as a C++ exception that Guarded (or
// node-addon-api's callback wrapper) turns into a pending JS exception.
[[noreturn]] void Throw(Napi::Error err, const char* code, const char* reason = nullptr);

// A TypeError for a bad argument, coded as the entry point says.
[[noreturn]] void ThrowInvalid(Napi::Env env, const std::string& message, const ArgError& as);

// A number that is an integer in [0, 2^53).
size_t ReadCount(Napi::Env env, const Napi::Value& value, const char* name, const ArgError& as);

// A Float64Array argument, read with one napi_get_typedarray_info call (the
// node-addon-api wrappers would make several; scoring reads rows this way on
// the hot path). The view borrows the JS buffer: it is valid only until JS
// runs again, so copy it before going off-thread or calling into JS. `data` is
// null when the buffer is detached (`length` is then 0).
struct Float64View {
  napi_value value = nullptr;
  double* data = nullptr;
  size_t length = 0;
};

Float64View ReadFloat64Array(Napi::Env env, const Napi::Value& value, const char* name, const ArgError& as);

// A Float64Array argument copied out, for work that outlives the call (JS may
// then reuse or detach its buffer meanwhile).
std::vector<double> CopyFloat64Array(Napi::Env env, const Napi::Value& value, const char* name,
                                     const ArgError& as);

// A new typed array holding a copy of `values`; JS owns the result.
template <typename ArrayT, typename T>
ArrayT CopyOut(Napi::Env env, const T* values, size_t n) {
  ArrayT out = ArrayT::New(env, n);
  if (n != 0) std::memcpy(out.Data(), values, n * sizeof(T));
  return out;
}

inline Napi::Uint8Array CopyOut(Napi::Env env, const std::vector<uint8_t>& bytes) {
  return CopyOut<Napi::Uint8Array>(env, bytes.data(), bytes.size());
}

// Runs a method body and turns a Napi::Error into a pending JS exception
// here, instead of leaving that to node-addon-api's callback wrapper: while a
// worker thread is being terminated napi_throw fails, and the wrapper then
// throws again from inside V8's callback, which aborts the process. Here a
// failed throw is dropped (no JS will run in that env again anyway).
template <typename Body>
Napi::Value Guarded(Napi::Env env, Body&& body) {
  try {
    return body();
  } catch (const Napi::Error& e) {
    napi_throw(env, e.Value());
    return Napi::Value();
  }
}

}  // namespace mlops::addon
