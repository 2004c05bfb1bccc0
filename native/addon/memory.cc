// Process memory housekeeping exported to JS:
//
//   trimNativeHeap(): boolean
//
// glibc's malloc keeps freed memory resident until the top of an arena is free, so what V8's
// compilers, the module loader and a model load freed at startup stays in the process's PSS. A
// `--workers` process pays that in every worker (2-5 MiB measured, docs/decisions/0030).
// malloc_trim(0) gives the free pages of every arena back to the kernel. It touches no live
// allocation, so it is safe while other threads allocate (it takes each arena's lock in turn).
// Returns true where glibc did it, false where there is no such call (musl, macOS): nothing to do.
#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mlops::addon {
namespace {

Napi::Value TrimNativeHeap(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  malloc_trim(0);
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

Napi::Object InitMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("trimNativeHeap", Napi::Function::New(env, TrimNativeHeap, "trimNativeHeap"));
  return exports;
}

}  // namespace mlops::addon
