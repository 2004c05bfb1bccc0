// train(x, y, nRows, nFeatures, options, onProgress?) -> { promise, cancel }
//
// Trains off the JS thread in an AsyncProgressQueueWorker and resolves with
// the serialized artifact (Uint8Array). Errors reject with an Error whose
// `code` is ERR_TRAIN_INVALID or ERR_TRAIN_CANCELLED (plus `reason`, a finer
// stable code); argument type errors throw synchronously with the same code.
#include <napi.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "addon/napi-args.h"
#include "core/artifact.h"
#include "core/model.h"
#include "core/train.h"

namespace mlops::addon {
namespace {

// reason: "bad_argument" for x, y, nRows, nFeatures and onProgress;
// "bad_param" for options, as Train reports out-of-range values.
constexpr ArgError kBadArgument{TrainError::kInvalid, "bad_argument"};
constexpr ArgError kBadParam{TrainError::kInvalid, "bad_param"};

struct Progress {
  uint32_t done;
  uint32_t total;
};

[[noreturn]] void ThrowBadParam(Napi::Env env, const std::string& message) {
  ThrowInvalid(env, message, kBadParam);
}

// Reads options into params; absent (undefined) fields keep their default.
class OptionReader {
 public:
  OptionReader(Napi::Env env, Napi::Object options) : env_(env), options_(options) {}

  bool Has(const char* key) const { return !options_.Get(key).IsUndefined(); }

  double Number(const char* key, double fallback) const {
    Napi::Value v = options_.Get(key);
    if (v.IsUndefined()) return fallback;
    if (!v.IsNumber()) ThrowBadParam(env_, std::string(key) + " must be a number");
    return v.As<Napi::Number>().DoubleValue();
  }

  // Integers are range-checked by Train; here only integrality and size.
  int64_t Integer(const char* key, int64_t fallback) const {
    Napi::Value v = options_.Get(key);
    if (v.IsUndefined()) return fallback;
    const double d = Number(key, 0);
    if (!(std::fabs(d) <= kMaxSafeInteger && d == std::floor(d))) {
      ThrowBadParam(env_, std::string(key) + " must be an integer");
    }
    return static_cast<int64_t>(d);
  }

  std::string String(const char* key, const std::string& fallback) const {
    Napi::Value v = options_.Get(key);
    if (v.IsUndefined()) return fallback;
    if (!v.IsString()) ThrowBadParam(env_, std::string(key) + " must be a string");
    return v.As<Napi::String>().Utf8Value();
  }

  Napi::Value Raw(const char* key) const { return options_.Get(key); }

 private:
  Napi::Env env_;
  Napi::Object options_;
};

TrainParams ReadParams(Napi::Env env, const Napi::Value& value) {
  if (!value.IsObject()) ThrowBadParam(env, "options must be an object");
  const OptionReader r(env, value.As<Napi::Object>());
  const std::string model = r.String("model", "gbdt");
  Family family;
  if (model == "gbdt") {
    family = Family::kGbdt;
  } else if (model == "rf") {
    family = Family::kRandomForest;
  } else if (model == "logreg") {
    family = Family::kLogistic;
  } else {
    ThrowBadParam(env, "model must be \"gbdt\", \"rf\" or \"logreg\"");
  }
  TrainParams p = DefaultTrainParams(family);
  p.n_estimators = r.Integer("nEstimators", p.n_estimators);
  p.max_depth = r.Integer("maxDepth", p.max_depth);
  p.learning_rate = r.Number("learningRate", p.learning_rate);
  p.min_samples_leaf = r.Integer("minSamplesLeaf", p.min_samples_leaf);
  p.min_child_weight = r.Number("minChildWeight", p.min_child_weight);
  p.l2 = r.Number("l2", p.l2);
  p.subsample = r.Number("subsample", p.subsample);
  p.colsample = r.Number("colsample", p.colsample);
  p.max_bins = r.Integer("maxBins", p.max_bins);
  p.max_iter = r.Integer("maxIter", p.max_iter);
  p.threads = r.Integer("threads", p.threads);
  const int64_t seed = r.Integer("seed", 0);
  if (seed < 0) ThrowBadParam(env, "seed must be a non-negative integer");
  p.seed = static_cast<uint64_t>(seed);

  Napi::Value mf = r.Raw("maxFeatures");
  if (mf.IsString()) {
    const std::string s = mf.As<Napi::String>().Utf8Value();
    if (s == "sqrt") {
      p.max_features.kind = MaxFeatures::Kind::kSqrt;
    } else if (s == "log2") {
      p.max_features.kind = MaxFeatures::Kind::kLog2;
    } else if (s == "all") {
      p.max_features.kind = MaxFeatures::Kind::kAll;
    } else {
      ThrowBadParam(env, "maxFeatures must be \"sqrt\", \"log2\", \"all\" or a number");
    }
  } else if (mf.IsNumber()) {
    // An integer >= 1 is a count; anything else is a fraction (checked by Train).
    const double d = mf.As<Napi::Number>().DoubleValue();
    const bool count = d >= 1 && d == std::floor(d);
    p.max_features.kind = count ? MaxFeatures::Kind::kCount : MaxFeatures::Kind::kFraction;
    p.max_features.value = d;
  } else if (!mf.IsUndefined()) {
    ThrowBadParam(env, "maxFeatures must be \"sqrt\", \"log2\", \"all\" or a number");
  }

  Napi::Value names = r.Raw("featureNames");
  if (!names.IsUndefined()) {
    if (!names.IsArray()) ThrowBadParam(env, "featureNames must be an array of strings");
    Napi::Array a = names.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value n = a.Get(i);
      if (!n.IsString()) ThrowBadParam(env, "featureNames must be an array of strings");
      p.feature_names.push_back(n.As<Napi::String>().Utf8Value());
    }
  }
  p.params_json = r.String("paramsJson", "");

  // classLabels: {kind: "int64" | "float64" | "string", values: [...]}, one per class id.
  Napi::Value labels = r.Raw("classLabels");
  if (!labels.IsUndefined()) {
    const char* shape = "classLabels must be {kind: \"int64\" | \"float64\" | \"string\", values: [...]}";
    if (!labels.IsObject()) ThrowBadParam(env, shape);
    Napi::Object o = labels.As<Napi::Object>();
    Napi::Value kind = o.Get("kind");
    Napi::Value values = o.Get("values");
    if (!kind.IsString() || !values.IsArray()) ThrowBadParam(env, shape);
    const std::string k = kind.As<Napi::String>().Utf8Value();
    Napi::Array a = values.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value v = a.Get(i);
      if (k == "string") {
        if (!v.IsString()) ThrowBadParam(env, "classLabels.values must be strings");
        p.labels.strings.push_back(v.As<Napi::String>().Utf8Value());
      } else if (k == "int64" || k == "float64") {
        if (!v.IsNumber()) ThrowBadParam(env, "classLabels.values must be numbers");
        const double d = v.As<Napi::Number>().DoubleValue();
        if (k == "float64") {
          p.labels.floats.push_back(d);
        } else {
          if (!(d == std::floor(d) && std::fabs(d) <= 9007199254740992.0)) {
            ThrowBadParam(env, "int64 classLabels.values must be integers within +-2^53");
          }
          p.labels.ints.push_back(static_cast<int64_t>(d));
        }
      } else {
        ThrowBadParam(env, shape);
      }
    }
    p.labels.kind = k == "string" ? LabelKind::kString : k == "int64" ? LabelKind::kInt64 : LabelKind::kFloat64;
  }
  return p;
}

class TrainWorker : public Napi::AsyncProgressQueueWorker<Progress> {
 public:
  TrainWorker(Napi::Env env, std::vector<double> x, std::vector<double> y, size_t n_rows, size_t n_features,
              TrainParams params, Napi::Value on_progress, std::shared_ptr<std::atomic<bool>> cancel)
      : Napi::AsyncProgressQueueWorker<Progress>(env, "mlops.train"),
        deferred_(Napi::Promise::Deferred::New(env)),
        x_(std::move(x)),
        y_(std::move(y)),
        n_rows_(n_rows),
        n_features_(n_features),
        params_(std::move(params)),
        cancel_(std::move(cancel)) {
    if (on_progress.IsFunction()) on_progress_ = Napi::Persistent(on_progress.As<Napi::Function>());
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  // Runs on a libuv worker thread: no JS values here.
  void Execute(const ExecutionProgress& progress) override {
    try {
      TrainHooks hooks;
      hooks.cancel = cancel_.get();
      if (!on_progress_.IsEmpty()) {
        hooks.on_progress = [&progress](uint32_t done, uint32_t total) {
          const Progress p{done, total};
          progress.Send(&p, 1);
        };
      }
      const TrainInput input{x_.data(), x_.size(), y_.data(), y_.size(), n_rows_, n_features_};
      const Model model = Train(input, params_, hooks);
      bytes_ = SerializeModel(model);
    } catch (const TrainError& e) {
      Fail(e.code(), e.reason(), e.what());
    } catch (const FormatError& e) {
      Fail("ERR_TRAIN_INTERNAL", e.code(), std::string("trained model failed validation: ") + e.what());
    } catch (const std::bad_alloc&) {
      Fail("ERR_TRAIN_INTERNAL", "out_of_memory", "out of memory while training");
    } catch (const std::exception& e) {
      Fail("ERR_TRAIN_INTERNAL", "internal", e.what());
    }
    // The inputs are not needed any more; free them before the JS thread
    // gets around to completing the promise.
    x_ = {};
    y_ = {};
  }

  void OnProgress(const Progress* data, size_t count) override {
    if (on_progress_.IsEmpty() || !callback_error_.IsEmpty()) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (size_t i = 0; i < count; ++i) {
      try {
        on_progress_.Call({Napi::Number::New(env, data[i].done), Napi::Number::New(env, data[i].total)});
      } catch (const Napi::Error& e) {
        // A throwing callback stops training; its error is what rejects.
        callback_error_ = Napi::Persistent(e.Value());
        cancel_->store(true);
        return;
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!callback_error_.IsEmpty()) {
      deferred_.Reject(callback_error_.Value());
      return;
    }
    deferred_.Resolve(CopyOut(env, bytes_));
  }

  void OnError(const Napi::Error& error) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!callback_error_.IsEmpty()) {
      deferred_.Reject(callback_error_.Value());
      return;
    }
    deferred_.Reject(WithCode(Napi::Error::New(env, error.Message()), code_.c_str(), reason_.c_str()).Value());
  }

 private:
  void Fail(const std::string& code, const std::string& reason, const std::string& message) {
    code_ = code;
    reason_ = reason;
    SetError(message);
  }

  Napi::Promise::Deferred deferred_;
  std::vector<double> x_;  // owned copies of the JS inputs
  std::vector<double> y_;
  size_t n_rows_;
  size_t n_features_;
  TrainParams params_;
  std::shared_ptr<std::atomic<bool>> cancel_;  // shared with the JS cancel() closure
  Napi::FunctionReference on_progress_;
  Napi::ObjectReference callback_error_;  // Value() of a Persistent Napi::Error
  std::vector<uint8_t> bytes_;
  std::string code_;
  std::string reason_;
};

Napi::Value TrainJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Copied so that JS may reuse or detach its buffers while training runs.
  std::vector<double> x = CopyFloat64Array(env, info[0], "x", kBadArgument);
  std::vector<double> y = CopyFloat64Array(env, info[1], "y", kBadArgument);
  const size_t n_rows = ReadCount(env, info[2], "nRows", kBadArgument);
  const size_t n_features = ReadCount(env, info[3], "nFeatures", kBadArgument);
  TrainParams params = ReadParams(env, info[4]);
  Napi::Value on_progress = info[5];
  if (!on_progress.IsUndefined() && !on_progress.IsNull() && !on_progress.IsFunction()) {
    ThrowInvalid(env, "onProgress must be a function", kBadArgument);
  }
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  // The worker deletes itself after settling the promise.
  auto* worker = new TrainWorker(env, std::move(x), std::move(y), n_rows, n_features, std::move(params), on_progress,
                                 cancel);
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", worker->Promise());
  handle.Set("cancel", Napi::Function::New(
                           env, [cancel](const Napi::CallbackInfo&) { cancel->store(true); }, "cancel"));
  worker->Queue();
  return handle;
}

}  // namespace

Napi::Object InitTrain(Napi::Env env, Napi::Object exports) {
  exports.Set("train", Napi::Function::New(env, TrainJs, "train"));
  return exports;
}

}  // namespace mlops::addon
