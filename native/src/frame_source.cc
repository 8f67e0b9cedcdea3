// FrameSource (NativeFrameSource in src/native/types.ts): a Vulkan scene rendered and captured
// on native threads. start() runs a render thread paced by CLOCK_MONOTONIC absolute deadlines
// (start + n/fps) that hands frames to JS through a thread-safe function with a bounded queue;
// captureOne() produces one frame on a libuv worker. One mutex serialises every use of the
// Vulkan pipeline, so close() (also from the destructor) waits for a frame in flight.
#include <napi.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "js_args.h"
#include "marker.h"
#include "registry.h"
#include "vk_devices_js.h"
#include "vk_frame_js.h"
#include "vk_frame_pipeline.h"
#include "vk_source_options.h"

namespace glasslab {
namespace {

constexpr uint64_t kSleepSliceNs = 20'000'000;  // stop() is noticed within this while sleeping

// What the render thread sends to the JS thread: a frame or an error.
struct JsMessage {
  bool isError = false;
  vk::ProducedFrame frame;
  std::string error;
};

class FrameSource;
void CallJs(Napi::Env env, Napi::Function onFrame, FrameSource* source, JsMessage* message);
using FrameTsfn = Napi::TypedThreadSafeFunction<FrameSource, JsMessage, CallJs>;

void SleepUntil(uint64_t deadlineNs, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    const uint64_t now = marker::MonotonicNowNs();
    if (now >= deadlineNs) return;
    const uint64_t wake = std::min(deadlineNs, now + kSleepSliceNs);
    timespec ts{static_cast<time_t>(wake / 1000000000ull), static_cast<long>(wake % 1000000000ull)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
  }
}

class FrameSource : public Napi::ObjectWrap<FrameSource> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FrameSource",
                       {InstanceAccessor<&FrameSource::GetDevice>("device"),
                        InstanceAccessor<&FrameSource::GetDeviceChoice>("deviceChoice"),
                        InstanceAccessor<&FrameSource::GetCapturePath>("capturePath"),
                        InstanceAccessor<&FrameSource::GetCudaDevice>("cudaDevice"),
                        InstanceMethod<&FrameSource::Start>("start"), InstanceMethod<&FrameSource::Stop>("stop"),
                        InstanceMethod<&FrameSource::CaptureOne>("captureOne"),
                        InstanceMethod<&FrameSource::Stats>("stats"), InstanceMethod<&FrameSource::Close>("close")});
  }

  explicit FrameSource(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FrameSource>(info) {
    Napi::Env env = info.Env();
    options_ = vk::ParseSourceOptions(env, info[0], "FrameSource");
    try {
      auto instance = vk::Instance::Get();
      const auto devices = instance->Devices();
      vk::DeviceChoice choice;
      try {
        choice = vk::ChooseDevice(devices, options_.device);
      } catch (const std::invalid_argument& e) {
        throw js::WithCode(Napi::RangeError::New(env, std::string("FrameSource: ") + e.what()), "ERR_SOURCE_OPTIONS");
      }
      device_ = devices[choice.index];
      deviceChoice_ = choice.reason;
      if (auto why = capture::Unavailable(options_.capturePath, device_, options_.width, options_.format)) {
        throw js::WithCode(Napi::Error::New(env, "FrameSource: capture path '" + options_.capturePath + "' is not available: " + *why), "ERR_SOURCE_UNAVAILABLE");
      }
      vk::PipelineOptions p{options_.width, options_.height, options_.capturePath, options_.format, device_, options_.testCaptureTime};
      pipeline_ = std::make_unique<vk::FramePipeline>(instance, p);
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw js::WithCode(Napi::Error::New(env, std::string("FrameSource: ") + e.what()), "ERR_SOURCE_FAILED");
    }
  }

  ~FrameSource() override { Shutdown(); }

  // Called on the JS thread for each message from the render thread. An exception thrown by
  // onFrame is not caught here: Node reports it as uncaught, as for any event listener.
  void Deliver(Napi::Env env, Napi::Function onFrame, JsMessage* message) {
    std::unique_ptr<JsMessage> owned(message);
    if (!message->isError) inFlight_--;
    if (env == nullptr) return;  // the environment is going away
    if (message->isError) {
      ReportError(env, js::WithCode(Napi::Error::New(env, "FrameSource: " + message->error), "ERR_SOURCE_FAILED"));
      return;
    }
    Napi::Object frame = vk::FrameToJs(env, message->frame, options_.width, options_.height, options_.format);
    delivered_++;
    onFrame.Call({frame});
  }

  // The render thread has released the thread-safe function (or the environment is closing).
  void Finished(Napi::Env env) {
    {
      std::lock_guard<std::mutex> lock(tsfnMutex_);
      tsfnFinalized_ = true;
    }
    stopRequested_ = true;
    if (thread_.joinable()) thread_.join();
    running_ = false;
    onError_.Reset();
    auto waiters = std::move(stopWaiters_);
    stopWaiters_.clear();
    for (auto& deferred : waiters) {
      if (!pendingError_.IsEmpty()) {
        deferred.Reject(pendingError_.Value());
      } else {
        deferred.Resolve(env.Undefined());
      }
    }
    if (!waiters.empty()) pendingError_.Reset();  // else the next stop() reports it
    Unref();
  }

  // Runs on the libuv worker of captureOne(): renders and captures one frame.
  vk::ProducedFrame ProduceOne() {
    std::lock_guard<std::mutex> lock(pipelineMutex_);
    if (!pipeline_) throw std::runtime_error("the source was closed");
    vk::ProducedFrame f = pipeline_->Produce(nextId_++);
    rendered_++;
    return f;
  }
  void CountDelivered() { delivered_++; }
  int width() const { return options_.width; }
  int height() const { return options_.height; }
  capture::PixelFormat format() const { return options_.format; }

 private:
  Napi::Value GetDevice(const Napi::CallbackInfo& info) { return vk::DeviceInfoToJs(info.Env(), device_); }
  Napi::Value GetDeviceChoice(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), deviceChoice_); }
  Napi::Value GetCapturePath(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), options_.capturePath);
  }
  Napi::Value GetCudaDevice(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(pipelineMutex_);
    const int ordinal = pipeline_ ? pipeline_->CudaOrdinal() : -1;
    return ordinal < 0 ? info.Env().Null() : Napi::Number::New(info.Env(), ordinal);
  }

  void Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) throw js::WithCode(Napi::Error::New(env, "FrameSource.start: the source is closed"), "ERR_SOURCE_CLOSED");
    if (running_) throw js::WithCode(Napi::Error::New(env, "FrameSource.start: already started (call stop() first)"), "ERR_SOURCE_STATE");
    if (info.Length() < 1 || !info[0].IsFunction()) {
      throw js::WithCode(Napi::TypeError::New(env, "FrameSource.start: onFrame must be a function"), "ERR_SOURCE_ARGS");
    }
    if (info.Length() >= 2 && !info[1].IsUndefined() && !info[1].IsFunction()) {
      throw js::WithCode(Napi::TypeError::New(env, "FrameSource.start: onError must be a function when given"), "ERR_SOURCE_ARGS");
    }
    onError_ = info.Length() >= 2 && info[1].IsFunction() ? Napi::Persistent(info[1].As<Napi::Function>())
                                                          : Napi::FunctionReference();
    tsfn_ = FrameTsfn::New(env, info[0].As<Napi::Function>(), "glasslab.FrameSource", 0, 1, this,
                           [](Napi::Env env, void*, FrameSource* self) { self->Finished(env); });
    stopRequested_ = false;
    tsfnFinalized_ = false;
    pendingError_.Reset();
    running_ = true;
    Ref();  // keep the JS object alive while the thread runs; Finished() drops it
    thread_ = std::thread([this] { RunPaced(); });
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto deferred = Napi::Promise::Deferred::New(env);
    if (!running_) {
      if (!pendingError_.IsEmpty()) {
        deferred.Reject(pendingError_.Value());
        pendingError_.Reset();
      } else {
        deferred.Resolve(env.Undefined());
      }
      return deferred.Promise();
    }
    stopRequested_ = true;
    stopWaiters_.push_back(deferred);
    return deferred.Promise();
  }

  Napi::Value CaptureOne(const Napi::CallbackInfo& info);

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("rendered", Napi::Number::New(env, static_cast<double>(rendered_.load())));
    o.Set("delivered", Napi::Number::New(env, static_cast<double>(delivered_.load())));
    o.Set("droppedQueueFull", Napi::Number::New(env, static_cast<double>(droppedQueueFull_.load())));
    o.Set("missedTicks", Napi::Number::New(env, static_cast<double>(missedTicks_.load())));
    return o;
  }

  void Close(const Napi::CallbackInfo& info) { Shutdown(); }

  // Stops the render thread (it never waits on the JS thread, so joining here is safe) and
  // frees every Vulkan object. Idempotent.
  void Shutdown() {
    stopRequested_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(pipelineMutex_);
    pipeline_.reset();
    closed_ = true;
  }

  // A render-thread error goes to onError, or, without one, rejects the next stop().
  void ReportError(Napi::Env env, const Napi::Error& error) {
    if (!onError_.IsEmpty()) {
      onError_.Call({error.Value()});
    } else if (pendingError_.IsEmpty()) {
      pendingError_ = Napi::Persistent(error.Value());
    }
  }

  void RunPaced() {
    const double periodNs = 1e9 / options_.fps;
    const uint64_t startNs = marker::MonotonicNowNs();
    uint64_t tick = 0;
    while (!stopRequested_) {
      // A tiny fps puts the deadline beyond any clock value: then wait for stop().
      const double deadline = tick == 0 ? static_cast<double>(startNs)
                                        : static_cast<double>(startNs) + static_cast<double>(tick) * periodNs;
      SleepUntil(deadline < 1.8e19 ? static_cast<uint64_t>(deadline) : UINT64_MAX, stopRequested_);
      if (stopRequested_) break;
      auto message = std::make_unique<JsMessage>();
      try {
        std::lock_guard<std::mutex> lock(pipelineMutex_);
        if (!pipeline_) break;
        message->frame = pipeline_->Produce(nextId_++);
        rendered_++;
      } catch (const std::exception& e) {
        message->isError = true;
        message->error = e.what();
        tsfn_.NonBlockingCall(message.release());
        break;
      }
      if (inFlight_.load() >= options_.queueDepth) {
        droppedQueueFull_++;
      } else {
        inFlight_++;
        if (tsfn_.NonBlockingCall(message.get()) == napi_ok) {
          message.release();
        } else {
          inFlight_--;
          break;  // the environment is closing
        }
      }
      // Next tick: the following one, or, when rendering fell behind, the tick whose interval
      // we are in now (rendered late within its interval); the ticks in between are missed.
      // Ticks after stop() are not counted.
      if (stopRequested_) break;
      const uint64_t now = marker::MonotonicNowNs();
      const uint64_t current = static_cast<uint64_t>(std::floor((now - startNs) / periodNs));
      uint64_t next = tick + 1;
      if (current > next) {
        missedTicks_ += current - next;
        next = current;
      }
      tick = next;
    }
    std::lock_guard<std::mutex> lock(tsfnMutex_);
    if (!tsfnFinalized_) tsfn_.Release();
  }

  vk::SourceOptions options_;
  vk::DeviceInfo device_;
  std::string deviceChoice_;

  std::mutex pipelineMutex_;
  std::unique_ptr<vk::FramePipeline> pipeline_;
  std::atomic<uint32_t> nextId_{0};
  std::atomic<uint64_t> rendered_{0}, delivered_{0}, droppedQueueFull_{0}, missedTicks_{0};
  std::atomic<uint32_t> inFlight_{0};

  // JS-thread state of the paced mode.
  bool closed_ = false;
  bool running_ = false;
  std::thread thread_;
  std::atomic<bool> stopRequested_{false};
  FrameTsfn tsfn_;
  std::mutex tsfnMutex_;
  bool tsfnFinalized_ = false;
  Napi::FunctionReference onError_;
  Napi::ObjectReference pendingError_;
  std::vector<Napi::Promise::Deferred> stopWaiters_;

  friend class CaptureOneWorker;
};

void CallJs(Napi::Env env, Napi::Function onFrame, FrameSource* source, JsMessage* message) {
  source->Deliver(env, onFrame, message);
}

// captureOne(): one frame on a libuv worker thread; the JS object is kept alive meanwhile.
class CaptureOneWorker : public Napi::AsyncWorker {
 public:
  CaptureOneWorker(Napi::Env env, FrameSource* source, Napi::Object self)
      : Napi::AsyncWorker(env, "glasslab.FrameSource.captureOne"),
        deferred_(Napi::Promise::Deferred::New(env)),
        source_(source),
        self_(Napi::Persistent(self)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      frame_ = source_->ProduceOne();
    } catch (const std::exception& e) {
      SetError(std::string("FrameSource.captureOne: ") + e.what());
    }
  }
  void OnOK() override {
    source_->CountDelivered();
    deferred_.Resolve(vk::FrameToJs(Env(), frame_, source_->width(), source_->height(), source_->format()));
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(js::WithCode(error, "ERR_SOURCE_FAILED").Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  FrameSource* source_;
  Napi::ObjectReference self_;
  vk::ProducedFrame frame_;
};

Napi::Value FrameSource::CaptureOne(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* refusal = closed_ ? "FrameSource.captureOne: the source is closed"
                        : running_ ? "FrameSource.captureOne: the source is started (stop() it first)"
                                   : nullptr;
  if (refusal) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(js::WithCode(Napi::Error::New(env, refusal), closed_ ? "ERR_SOURCE_CLOSED" : "ERR_SOURCE_STATE").Value());
    return deferred.Promise();
  }
  auto* worker = new CaptureOneWorker(env, this, Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

const Registrar kRegistrar("frame-source", [](Napi::Env env, Napi::Object exports) {
  exports.Set("FrameSource", FrameSource::Define(env));
});

}  // namespace
}  // namespace glasslab
