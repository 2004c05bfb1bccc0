// The `Model` class exported to JS: a loaded, validated, compiled model.
//
//   Model.load(bytes: Uint8Array): Model
//   model.serialize(): Uint8Array
//   model.predict(rows: Float64Array, nRows: number, out?: Float64Array, threads?: number): Float64Array
//   model.predictAsync(rows: Float64Array, nRows: number, threads?: number): Promise<Float64Array>
//   model.info(): {family, familyId, nFeatures, nClasses, nOutputs, nTrees, nNodes, featureNames, paramsJson,
//                  classLabels, engine, rowEngine, engineIsa, engineBytes}
//   model.exportTrees(): flat typed arrays of every tree (undefined for linear models)
//   model.dispose(): void
//
// Errors carry a stable `.code`: ERR_INVALID_ARG, ERR_SHAPE, ERR_MODEL_FORMAT
// (with `.reason`, the FormatError code), ERR_MODEL_DISPOSED, ERR_INTERNAL.
//
// Ownership: each JS Model holds a shared_ptr<const Loaded>. dispose() drops
// the JS object's share; an in-flight predictAsync holds its own share, so the
// model outlives the call that uses it. Loaded is immutable after
// construction, so any number of threads may score with it at once.
#include <napi.h>

#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "addon/napi-args.h"
#include "core/artifact.h"
#include "core/model.h"
#include "core/scorer.h"

namespace mlops::addon {
namespace {

constexpr uint32_t kMaxThreads = 256;
constexpr ArgError kInvalidArg{"ERR_INVALID_ARG"};

struct Loaded {
  Model model;
  Scorer scorer;  // built from `model`, declared after it
  int64_t native_bytes;
  size_t n_nodes = 0;

  explicit Loaded(Model m) : model(std::move(m)), scorer(model), native_bytes(0) {
    // The canonical arrays plus the engine's own layout.
    uint64_t bytes = sizeof(Loaded) + 8 * (model.coef.size() + model.intercept.size()) + scorer.engine_bytes();
    for (const Tree& t : model.trees) {
      n_nodes += t.size();
      bytes += t.size() * (4 + 4 + 4 + 8 + 1) + 8 * t.value.size();
    }
    native_bytes = static_cast<int64_t>(bytes);
  }
};

[[noreturn]] void ThrowShape(Napi::Env env, const std::string& message) {
  Throw(Napi::RangeError::New(env, message), "ERR_SHAPE");
}

// Converts whatever the core threw. FormatError becomes ERR_MODEL_FORMAT;
// anything else (allocation failure) is ERR_INTERNAL.
[[noreturn]] void ThrowCore(Napi::Env env) {
  try {
    throw;
  } catch (const Napi::Error&) {
    throw;
  } catch (const FormatError& e) {
    Throw(Napi::Error::New(env, e.what()), "ERR_MODEL_FORMAT", e.code().c_str());
  } catch (const std::bad_alloc&) {
    Throw(Napi::Error::New(env, "out of memory"), "ERR_INTERNAL");
  } catch (const std::exception& e) {
    Throw(Napi::Error::New(env, e.what()), "ERR_INTERNAL");
  }
}

// Checks rows.length == nRows * nFeatures; returns nRows * nClasses.
size_t CheckShape(Napi::Env env, const Loaded& l, const Float64View& rows, size_t n_rows) {
  const size_t nf = l.model.n_features, nc = l.model.n_classes;
  // n_rows < 2^53 and nf <= 1e6, but size_t products can still overflow.
  if (n_rows != 0 && (n_rows > SIZE_MAX / nf || n_rows > SIZE_MAX / nc)) {
    ThrowShape(env, "nRows is too large");
  }
  const size_t expected = n_rows * nf;
  if (rows.length != expected) {
    ThrowShape(env, "rows has " + std::to_string(rows.length) + " values, expected nRows × nFeatures = " +
                        std::to_string(n_rows) + " × " + std::to_string(nf) + " = " + std::to_string(expected));
  }
  return n_rows * nc;
}

bool Overlap(const void* a, size_t a_bytes, const void* b, size_t b_bytes) {
  const auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return a_bytes != 0 && b_bytes != 0 && pa < pb + b_bytes && pb < pa + a_bytes;
}

const char* FamilyName(Family f) {
  switch (f) {
    case Family::kGbdt:
      return "gbdt";
    case Family::kRandomForest:
      return "random_forest";
    case Family::kLogistic:
      return "logistic";
  }
  return "unknown";
}

const char* AggregationName(Aggregation a) { return a == Aggregation::kSum ? "sum" : "mean"; }

const char* PostTransformName(PostTransform t) {
  switch (t) {
    case PostTransform::kIdentity:
      return "identity";
    case PostTransform::kSigmoid:
      return "sigmoid";
    case PostTransform::kSoftmax:
      return "softmax";
    case PostTransform::kSoftmaxZero:
      return "softmax_zero";
    case PostTransform::kSigmoidEach:
      return "sigmoid_each";
    case PostTransform::kComplement:
      return "complement";
  }
  return "unknown";
}

// {kind: "none" | "int64" | "float64" | "string", values: [...]}; int64
// labels are within +-2^53 (validated), so numbers hold them exactly.
Napi::Object LabelsObject(Napi::Env env, const ClassLabels& l) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array values = Napi::Array::New(env);
  switch (l.kind) {
    case LabelKind::kNone:
      o.Set("kind", "none");
      break;
    case LabelKind::kInt64:
      o.Set("kind", "int64");
      for (uint32_t i = 0; i < l.ints.size(); ++i) values.Set(i, static_cast<double>(l.ints[i]));
      break;
    case LabelKind::kFloat64:
      o.Set("kind", "float64");
      for (uint32_t i = 0; i < l.floats.size(); ++i) values.Set(i, l.floats[i]);
      break;
    case LabelKind::kString:
      o.Set("kind", "string");
      for (uint32_t i = 0; i < l.strings.size(); ++i) values.Set(i, l.strings[i]);
      break;
  }
  o.Set("values", values);
  return o;
}

const char* DecisionName(Decision d) { return d == Decision::kLess ? "less" : "less_equal"; }

// predictAsync's worker. It owns a copy of the input rows, so the caller may
// reuse, modify, transfer or detach its buffer while the call is in flight,
// and the output array is created here and not visible to JS until resolve.
class PredictWorker : public Napi::AsyncWorker {
 public:
  PredictWorker(Napi::Env env, std::shared_ptr<const Loaded> loaded, std::vector<double> rows, size_t n_rows,
                unsigned threads, Napi::Float64Array out)
      : Napi::AsyncWorker(env, "mlops:predictAsync"),
        deferred_(Napi::Promise::Deferred::New(env)),
        loaded_(std::move(loaded)),
        rows_(std::move(rows)),
        n_rows_(n_rows),
        threads_(threads),
        out_ref_(Napi::Persistent(out)),
        out_(out.Data()) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      PredictParallel(loaded_->scorer, rows_.data(), n_rows_, out_, threads_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

  void OnOK() override { deferred_.Resolve(out_ref_.Value()); }

  // When the env is being torn down (a worker thread terminated while this
  // call was in flight) JS can no longer run: node-addon-api's handle scope or
  // promise resolution then throws from inside libuv's completion callback,
  // which would abort the process. The promise can never settle anyway, so
  // drop the result and free the worker.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    try {
      Napi::AsyncWorker::OnWorkComplete(env, status);
    } catch (...) {
      Destroy();
    }
  }

  void OnError(const Napi::Error& e) override {
    deferred_.Reject(WithCode(Napi::Error::New(Env(), e.Message()), "ERR_INTERNAL").Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<const Loaded> loaded_;
  std::vector<double> rows_;
  size_t n_rows_;
  unsigned threads_;
  Napi::Reference<Napi::Float64Array> out_ref_;  // keeps the output buffer alive
  double* out_;
};

// Per-env class data: the constructor, and the model being handed to it by
// Model.load (the constructor refuses to run without one, so `new Model()`
// from JS fails cleanly). Freed by an env cleanup hook.
struct ClassData {
  Napi::FunctionReference ctor;
  std::shared_ptr<const Loaded> pending;
};

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env, ClassData* cls) {
    return DefineClass(env, "Model",
                       {
                           StaticMethod("load", &ModelWrap::Load, napi_default, cls),
                           InstanceMethod("serialize", &ModelWrap::Serialize),
                           InstanceMethod("predict", &ModelWrap::Predict),
                           InstanceMethod("predictAsync", &ModelWrap::PredictAsync),
                           InstanceMethod("info", &ModelWrap::Info),
                           InstanceMethod("exportTrees", &ModelWrap::ExportTrees),
                           InstanceMethod("dispose", &ModelWrap::Dispose),
                       },
                       cls);
  }

  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
    auto* cls = static_cast<ClassData*>(info.Data());
    if (cls == nullptr || !cls->pending) {
      ThrowInvalid(info.Env(), "use Model.load(bytes) to create a Model", kInvalidArg);
    }
    loaded_ = std::move(cls->pending);
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), loaded_->native_bytes);
  }

  void Finalize(Napi::Env env) override { Release(env); }

 private:
  static Napi::Value Load(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] { return LoadImpl(info); });
  }

  static Napi::Value LoadImpl(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto* cls = static_cast<ClassData*>(info.Data());
    const Napi::Value v = info[0];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      ThrowInvalid(env, "bytes must be a Uint8Array", kInvalidArg);
    }
    const auto bytes = v.As<Napi::Uint8Array>();
    std::shared_ptr<const Loaded> loaded;
    try {
      // Parsing reads the JS buffer in place; nothing else runs meanwhile.
      loaded = std::make_shared<const Loaded>(ParseModel(bytes.Data(), bytes.ElementLength()));
    } catch (...) {
      ThrowCore(env);
    }
    cls->pending = std::move(loaded);
    Napi::Object obj;
    try {
      obj = cls->ctor.New({});
    } catch (...) {
      cls->pending.reset();
      throw;
    }
    return obj;
  }

  const Loaded& Live(Napi::Env env) const {
    if (!loaded_) Throw(Napi::Error::New(env, "model has been disposed"), "ERR_MODEL_DISPOSED");
    return *loaded_;
  }

  Napi::Value Serialize(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] { return SerializeImpl(info); });
  }

  Napi::Value SerializeImpl(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Loaded& l = Live(env);
    std::vector<uint8_t> bytes;
    try {
      bytes = SerializeModel(l.model);
    } catch (...) {
      ThrowCore(env);
    }
    return CopyOut(env, bytes);
  }

  // The optional thread count at info[at]: 1 when absent.
  static unsigned ReadThreads(Napi::Env env, const Napi::CallbackInfo& info, size_t at) {
    if (info.Length() <= at || info[at].IsUndefined()) return 1;
    const size_t t = ReadCount(env, info[at], "threads", kInvalidArg);
    if (t < 1 || t > kMaxThreads) ThrowInvalid(env, "threads must be an integer in [1, 256]", kInvalidArg);
    return static_cast<unsigned>(t);
  }

  Napi::Value Predict(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] { return PredictImpl(info); });
  }

  Napi::Value PredictImpl(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Loaded& l = Live(env);
    const Float64View rows = ReadFloat64Array(env, info[0], "rows", kInvalidArg);
    const size_t n_rows = ReadCount(env, info[1], "nRows", kInvalidArg);
    const size_t n_out = CheckShape(env, l, rows, n_rows);
    // threads > 1: the JS thread scores a share and the core's pool the rest
    // (PredictParallel); it blocks only for chunks a worker is already on.
    const unsigned threads = ReadThreads(env, info, 3);
    Napi::Value result;
    double* out = nullptr;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      const Float64View given = ReadFloat64Array(env, info[2], "out", kInvalidArg);
      if (given.length != n_out) {
        ThrowShape(env, "out has " + std::to_string(given.length) + " values, expected nRows × nClasses = " +
                            std::to_string(n_out));
      }
      if (Overlap(rows.data, rows.length * sizeof(double), given.data, given.length * sizeof(double))) {
        ThrowInvalid(env, "out must not share memory with rows", kInvalidArg);
      }
      result = Napi::Value(env, given.value);
      out = given.data;
    } else {
      auto fresh = Napi::Float64Array::New(env, n_out);
      result = fresh;
      out = fresh.Data();
    }
    if (n_rows != 0) {
      try {
        if (threads > 1) {
          PredictParallel(l.scorer, rows.data, n_rows, out, threads);
        } else {
          l.scorer.Predict(rows.data, n_rows, out);
        }
      } catch (...) {
        ThrowCore(env);
      }
    }
    return result;
  }

  Napi::Value PredictAsync(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] { return PredictAsyncImpl(info); });
  }

  Napi::Value PredictAsyncImpl(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    const Float64View rows = ReadFloat64Array(env, info[0], "rows", kInvalidArg);
    const size_t n_rows = ReadCount(env, info[1], "nRows", kInvalidArg);
    const unsigned threads = ReadThreads(env, info, 2);
    const size_t n_out = CheckShape(env, *loaded_, rows, n_rows);
    std::vector<double> copy;
    try {
      copy.assign(rows.data, rows.data + rows.length);
    } catch (...) {
      ThrowCore(env);
    }
    auto* worker = new PredictWorker(env, loaded_, std::move(copy), n_rows, threads, Napi::Float64Array::New(env, n_out));
    Napi::Promise promise = worker->Promise();
    try {
      worker->Queue();  // from here the worker deletes itself when complete
    } catch (...) {
      delete worker;
      throw;
    }
    return promise;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] { return InfoImpl(info); });
  }

  Napi::Value InfoImpl(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Model& m = Live(env).model;
    Napi::Object o = Napi::Object::New(env);
    o.Set("family", FamilyName(m.family));
    o.Set("familyId", static_cast<uint32_t>(m.family));
    o.Set("nFeatures", m.n_features);
    o.Set("nClasses", m.n_classes);
    o.Set("nOutputs", m.n_outputs);
    o.Set("nTrees", static_cast<double>(m.trees.size()));
    o.Set("nNodes", static_cast<double>(loaded_->n_nodes));
    Napi::Array names = Napi::Array::New(env, m.feature_names.size());
    for (uint32_t i = 0; i < m.feature_names.size(); ++i) names.Set(i, m.feature_names[i]);
    o.Set("featureNames", names);
    o.Set("paramsJson", m.params_json);
    o.Set("classLabels", LabelsObject(env, m.labels));
    o.Set("engine", loaded_->scorer.engine_name());
    o.Set("rowEngine", loaded_->scorer.row_engine_name());
    o.Set("engineIsa", loaded_->scorer.engine_isa());
    o.Set("engineBytes", static_cast<double>(loaded_->scorer.engine_bytes()));
    return o;
  }

  Napi::Value ExportTrees(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] { return ExportTreesImpl(info); });
  }

  // The canonical trees as flat arrays (tree t owns nodes
  // [treeNodeOffsets[t], treeNodeOffsets[t + 1]); child ids stay local to
  // their tree), for exporters such as the ONNX comparison.
  Napi::Value ExportTreesImpl(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Model& m = Live(env).model;
    if (m.family == Family::kLogistic) return env.Undefined();
    const size_t n_trees = m.trees.size(), n_nodes = loaded_->n_nodes;
    auto offsets = Napi::Uint32Array::New(env, n_trees + 1);
    auto output_index = Napi::Uint32Array::New(env, n_trees);
    auto left = Napi::Int32Array::New(env, n_nodes);
    auto right = Napi::Int32Array::New(env, n_nodes);
    auto feature = Napi::Int32Array::New(env, n_nodes);
    auto threshold = Napi::Float64Array::New(env, n_nodes);
    auto default_left = Napi::Uint8Array::New(env, n_nodes);
    auto value = Napi::Float64Array::New(env, n_nodes * m.leaf_width);
    auto kind = Napi::Uint8Array::New(env, n_nodes);
    auto cat_offset = Napi::Uint32Array::New(env, n_nodes);
    auto cat_count = Napi::Uint32Array::New(env, n_nodes);
    size_t n_words = 0;
    for (const Tree& tree : m.trees) n_words += tree.cat_words.size();
    auto cat_words = Napi::Uint32Array::New(env, n_words);
    size_t at = 0, word_at = 0;
    for (size_t t = 0; t < n_trees; ++t) {
      const Tree& tree = m.trees[t];
      const size_t n = tree.size();
      offsets[t] = static_cast<uint32_t>(at);
      output_index[t] = tree.output_index;
      std::memcpy(left.Data() + at, tree.left.data(), n * sizeof(int32_t));
      std::memcpy(right.Data() + at, tree.right.data(), n * sizeof(int32_t));
      std::memcpy(feature.Data() + at, tree.feature.data(), n * sizeof(int32_t));
      std::memcpy(threshold.Data() + at, tree.threshold.data(), n * sizeof(double));
      std::memcpy(default_left.Data() + at, tree.default_left.data(), n);
      std::memcpy(value.Data() + at * m.leaf_width, tree.value.data(), tree.value.size() * sizeof(double));
      // Categorical sets: offsets into the flat word array (the file's are per tree).
      if (!tree.cat_words.empty()) {
        std::memcpy(cat_words.Data() + word_at, tree.cat_words.data(), tree.cat_words.size() * sizeof(uint32_t));
      }
      size_t range = 0;
      for (size_t i = 0; i < n; ++i) {
        const NodeKind k = tree.kind_of(i);
        kind[at + i] = static_cast<uint8_t>(k);
        cat_offset[at + i] = 0;
        cat_count[at + i] = 0;
        if (IsCategorical(k)) {
          const CategoryRange& c = tree.cat_ranges[range++];
          cat_offset[at + i] = static_cast<uint32_t>(word_at + c.offset);
          cat_count[at + i] = c.count;
        }
      }
      word_at += tree.cat_words.size();
      at += n;
    }
    offsets[n_trees] = static_cast<uint32_t>(at);
    Napi::Object o = Napi::Object::New(env);
    o.Set("family", FamilyName(m.family));
    o.Set("nClasses", m.n_classes);
    o.Set("nOutputs", m.n_outputs);
    o.Set("leafWidth", m.leaf_width);
    o.Set("aggregation", AggregationName(m.aggregation));
    o.Set("postTransform", PostTransformName(m.post_transform));
    o.Set("decision", DecisionName(m.decision));
    o.Set("baseScore", CopyOut<Napi::Float64Array>(env, m.base_score.data(), m.base_score.size()));
    o.Set("treeNodeOffsets", offsets);
    o.Set("outputIndex", output_index);
    o.Set("left", left);
    o.Set("right", right);
    o.Set("feature", feature);
    o.Set("threshold", threshold);
    o.Set("defaultLeft", default_left);
    o.Set("value", value);
    o.Set("kind", kind);
    o.Set("catOffset", cat_offset);
    o.Set("catCount", cat_count);
    o.Set("catWords", cat_words);
    return o;
  }

  // Idempotent: a second dispose() is a no-op.
  void Dispose(const Napi::CallbackInfo& info) { Release(info.Env()); }

  void Release(Napi::Env env) {
    if (!loaded_) return;
    // Raw call: this also runs in finalizers, where nothing may throw.
    int64_t ignored = 0;
    napi_adjust_external_memory(env, -loaded_->native_bytes, &ignored);
    loaded_.reset();
  }

  std::shared_ptr<const Loaded> loaded_;
};

}  // namespace

Napi::Object InitModel(Napi::Env env, Napi::Object exports) {
  auto* cls = new ClassData();
  env.AddCleanupHook([cls] { delete cls; });
  Napi::Function ctor = ModelWrap::Define(env, cls);
  cls->ctor = Napi::Persistent(ctor);
  exports.Set("Model", ctor);
  return exports;
}

}  // namespace mlops::addon
