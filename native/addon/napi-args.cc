// Argument readers and coded throws shared by the addon's entry points.
#include "addon/napi-args.h"

#include <cmath>
#include <utility>

namespace mlops::addon {

Napi::Error WithCode(Napi::Error err, const char* code, const char* reason) {
  err.Set("code", Napi::String::New(err.Env(), code));
  if (reason != nullptr) err.Set("reason", Napi::String::New(err.Env(), reason));
  return err;
}

void Throw(Napi::Error err, const char* code, const char* reason) { throw WithCode(std::move(err), code, reason); }

void ThrowInvalid(Napi::Env env, const std::string& message, const ArgError& as) {
  Throw(Napi::TypeError::New(env, message), as.code, as.reason);
}

size_t ReadCount(Napi::Env env, const Napi::Value& value, const char* name, const ArgError& as) {
  // One call: napi_get_value_double refuses anything but a number (the hot
  // path reads counts on every predict).
  double d = 0;
  if (napi_get_value_double(env, value, &d) != napi_ok) ThrowInvalid(env, std::string(name) + " must be a number", as);
  if (!(d >= 0 && d <= kMaxSafeInteger && std::floor(d) == d)) {
    ThrowInvalid(env, std::string(name) + " must be a non-negative integer", as);
  }
  return static_cast<size_t>(d);
}

Float64View ReadFloat64Array(Napi::Env env, const Napi::Value& value, const char* name, const ArgError& as) {
  Float64View a;
  a.value = value;
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  // napi_get_typedarray_info refuses anything but a typed array itself.
  if (napi_get_typedarray_info(env, a.value, &type, &a.length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float64_array) {
    ThrowInvalid(env, std::string(name) + " must be a Float64Array", as);
  }
  a.data = static_cast<double*>(data);
  return a;
}

std::vector<double> CopyFloat64Array(Napi::Env env, const Napi::Value& value, const char* name,
                                     const ArgError& as) {
  const Float64View a = ReadFloat64Array(env, value, name, as);
  if (a.length == 0) return {};
  return std::vector<double>(a.data, a.data + a.length);
}

}  // namespace mlops::addon
