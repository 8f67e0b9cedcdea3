// JS bindings of the encoders: class Encoder (open, encode, setBitrate, requestKeyframe, close)
// and probeEncoders(). Open runs on the calling thread (measured 0.3-26 ms, see native/CODECS.md);
// encode runs on the libuv pool, one frame at a time per encoder.
#include <libyuv.h>

#include <memory>

#include "enc_encoder.h"
#include "enc_input.h"
#include "js_args.h"
#include "enc_queue.h"
#include "marker.h"
#include "registry.h"

namespace glasslab::enc {
namespace {

std::unique_ptr<VideoEncoder> OpenByName(const std::string& codec, const Config& config) {
  if (codec == "x264") return OpenX264(config);
  if (codec == "openh264") return OpenOpenH264(config);
  if (codec == "h264_nvenc") return OpenNvenc(config, false);
  if (codec == "hevc_nvenc") return OpenNvenc(config, true);
  throw EncoderError("unknown codec '" + codec + "' (allowed: " + kAllowedCodecs + ")");
}

// The open codec plus what the worker thread needs to know about it.
struct Session {
  std::unique_ptr<VideoEncoder> encoder;
  int64_t appliedBitrate = 0;
  std::vector<uint8_t> scratch;  // I420 copy of an NV12 input
};

class EncodeJob final : public QueuedJob {
 public:
  EncodeJob(Napi::Env env, SerialQueue* queue, Napi::Object owner, std::shared_ptr<Session> session, FrameView frame,
            const Config& config, int64_t frameIndex, bool forceIdr, int64_t bitrate)
      : QueuedJob(env, "glasslab.encode", queue, "ERR_ENCODE_FAILED"),
        owner_(Napi::Persistent(owner)),
        buffer_(Napi::Persistent(frame.data)),
        session_(std::move(session)),
        frame_(frame),
        config_(config),
        frameIndex_(frameIndex),
        forceIdr_(forceIdr),
        bitrate_(bitrate) {}

 protected:
  void Execute() override {
    try {
      startNs_ = marker::MonotonicNowNs();
      Session& s = *session_;
      if (bitrate_ != s.appliedBitrate) {
        s.encoder->SetBitrate(bitrate_);
        s.appliedBitrate = bitrate_;
      }
      if (frame_.gpu) {
        s.encoder->EncodeGpu(frame_.surface, frameIndex_, forceIdr_, &out_);
        doneNs_ = marker::MonotonicNowNs();
        return;
      }
      uint8_t* base = frame_.base;
      Planes p;
      const bool takesNv12 = s.encoder->TakesNv12();
      if (frame_.nv12 && takesNv12) {
        p = {base + frame_.offsets[0], base + frame_.offsets[1], nullptr, frame_.strides[0], frame_.strides[1], 0, true};
      } else if (!frame_.nv12 && takesNv12) {
        // I420 into an encoder opened for NV12: one libyuv pass interleaving U and V.
        int w = config_.width, h = config_.height, cw = w / 2, ch = h / 2;
        s.scratch.resize(static_cast<size_t>(w) * ch);
        libyuv::MergeUVPlane(base + frame_.offsets[1], frame_.strides[1], base + frame_.offsets[2], frame_.strides[2],
                             s.scratch.data(), w, cw, ch);
        p = {base + frame_.offsets[0], s.scratch.data(), nullptr, frame_.strides[0], w, 0, true};
      } else if (!frame_.nv12) {
        p = {base + frame_.offsets[0], base + frame_.offsets[1], base + frame_.offsets[2],
             frame_.strides[0], frame_.strides[1], frame_.strides[2]};
      } else {
        // NV12 input: one libyuv pass to I420 (the encoders here are opened for I420).
        int w = config_.width, h = config_.height, cw = w / 2, ch = h / 2;
        s.scratch.resize(static_cast<size_t>(cw) * ch * 2);
        uint8_t* u = s.scratch.data();
        uint8_t* v = u + static_cast<size_t>(cw) * ch;
        libyuv::SplitUVPlane(base + frame_.offsets[1], frame_.strides[1], u, cw, v, cw, cw, ch);
        p = {base + frame_.offsets[0], u, v, frame_.strides[0], cw, cw};
      }
      s.encoder->Encode(p, frameIndex_, forceIdr_, &out_);
      doneNs_ = marker::MonotonicNowNs();
    } catch (const std::exception& e) {
      SetError(std::string("Encoder.encode: ") + e.what());
    }
  }

  Napi::Value Result(Napi::Env env) override {
    if (!out_.produced) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("frameId", Napi::Number::New(env, frame_.id));
    o.Set("data", Napi::Buffer<uint8_t>::Copy(env, out_.data.data(), out_.data.size()));
    o.Set("keyframe", Napi::Boolean::New(env, out_.keyframe));
    o.Set("captureTimeNs", Napi::BigInt::New(env, frame_.captureTimeNs));
    o.Set("encodeStartNs", Napi::BigInt::New(env, startNs_));
    o.Set("encodeDoneNs", Napi::BigInt::New(env, doneNs_));
    if (out_.importDoneNs) o.Set("importDoneNs", Napi::BigInt::New(env, out_.importDoneNs));
    return o;
  }

 private:
  Napi::ObjectReference owner_;
  Napi::Reference<Napi::Buffer<uint8_t>> buffer_;
  std::shared_ptr<Session> session_;
  FrameView frame_;
  Config config_;
  int64_t frameIndex_;
  bool forceIdr_;
  int64_t bitrate_;
  Output out_;
  uint64_t startNs_ = 0, doneNs_ = 0;
};

class EncoderWrap final : public Napi::ObjectWrap<EncoderWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Encoder",
                       {InstanceMethod<&EncoderWrap::Encode>("encode"),
                        InstanceMethod<&EncoderWrap::SetBitrate>("setBitrate"),
                        InstanceMethod<&EncoderWrap::RequestKeyframe>("requestKeyframe"),
                        InstanceMethod<&EncoderWrap::Close>("close")});
  }

  explicit EncoderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EncoderWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Coded(Napi::TypeError::New(env, "Encoder: expected an options object"), "ERR_CODEC_OPTIONS");
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value codec = o.Get("codec");
    std::string name = codec.IsString() ? codec.As<Napi::String>().Utf8Value() : "";
    if (name != "x264" && name != "openh264" && name != "h264_nvenc" && name != "hevc_nvenc") {
      throw Coded(Napi::TypeError::New(env, "Encoder: unknown codec " + js::Describe(codec) +
                                          " (allowed: " + kAllowedCodecs + ")"), "ERR_CODEC_OPTIONS");
    }
    config_ = ParseConfig(env, o);
    if (config_.cudaDevice >= 0 && name != "h264_nvenc" && name != "hevc_nvenc") {
      throw Coded(Napi::RangeError::New(env, "Encoder: cudaDevice (zero-copy input) is for h264_nvenc and hevc_nvenc only (codec " + name + ")"),
                  "ERR_CODEC_OPTIONS");
    }
    session_ = std::make_shared<Session>();
    try {
      session_->encoder = OpenByName(name, config_);
    } catch (const std::exception& e) {
      throw Coded(Napi::Error::New(env, std::string("Encoder(") + name + "): " + e.what()), "ERR_CODEC_UNAVAILABLE");
    }
    session_->appliedBitrate = config_.bitrateBps;
    bitrate_ = config_.bitrateBps;
    Napi::Object self = info.This().As<Napi::Object>();
    self.DefineProperties({Napi::PropertyDescriptor::Value("codec", Napi::String::New(env, name), napi_enumerable),
                           Napi::PropertyDescriptor::Value(
                               "implementation", Napi::String::New(env, session_->encoder->Implementation()), napi_enumerable)});
  }

 private:
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!session_) {
      auto d = Napi::Promise::Deferred::New(env);
      d.Reject(Coded(Napi::Error::New(env, "Encoder.encode: the encoder is closed"), "ERR_CODEC_CLOSED").Value());
      return d.Promise();
    }
    FrameView frame = ParseFrame(env, info.Length() > 0 ? info[0] : env.Undefined(), config_);
    auto* job = new EncodeJob(env, &queue_, info.This().As<Napi::Object>(), session_, frame, config_, frameIndex_++,
                              keyframeRequested_, bitrate_);
    keyframeRequested_ = false;
    Napi::Promise promise = job->Promise();
    queue_.Push(job);
    return promise;
  }

  void SetBitrate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!session_) throw Coded(Napi::Error::New(env, "Encoder.setBitrate: the encoder is closed"), "ERR_CODEC_CLOSED");
    double bps = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
    if (!(bps >= kMinBitrateBps && bps <= kMaxBitrateBps)) {
      throw Coded(Napi::RangeError::New(env, "Encoder.setBitrate: bitrateBps must be in 10000..500000000 bits/s (got " +
                                           (info.Length() > 0 ? js::Describe(info[0]) : "nothing") + ")"), "ERR_CODEC_OPTIONS");
    }
    bitrate_ = static_cast<int64_t>(bps);
  }

  void RequestKeyframe(const Napi::CallbackInfo& info) {
    if (!session_) throw Coded(Napi::Error::New(info.Env(), "Encoder.requestKeyframe: the encoder is closed"), "ERR_CODEC_CLOSED");
    keyframeRequested_ = true;
  }

  // Idempotent. A frame being encoded finishes (its promise resolves); frames still waiting are
  // rejected; the codec is freed when the last job holding it ends.
  void Close(const Napi::CallbackInfo&) {
    if (!session_) return;
    session_.reset();
    queue_.RejectWaiting("Encoder.encode: the encoder was closed before this frame was encoded");
  }

  Config config_;
  std::shared_ptr<Session> session_;
  SerialQueue queue_;
  int64_t frameIndex_ = 0;
  int64_t bitrate_ = 0;
  bool keyframeRequested_ = false;
};

// probeEncoders(): opens each codec at 320x240 on a pool thread and reports what happened.
class ProbeWorker final : public Napi::AsyncWorker {
 public:
  explicit ProbeWorker(Napi::Env env) : Napi::AsyncWorker(env, "glasslab.probeEncoders"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  struct Probe {
    std::string codec, implementation, reason;
    bool available = false;
  };
  void Execute() override {
    Config c;
    c.width = 320;
    c.height = 240;
    c.fps = 30;
    c.bitrateBps = 500'000;
    c.gop = 30;
    for (const char* codec : {"x264", "openh264", "h264_nvenc", "hevc_nvenc"}) {
      Probe p;
      p.codec = codec;
      try {
        auto encoder = OpenByName(codec, c);
        p.implementation = encoder->Implementation();
        p.available = true;
      } catch (const std::exception& e) {
        p.reason = e.what();
      }
      probes_.push_back(p);
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array out = Napi::Array::New(env, probes_.size());
    for (uint32_t i = 0; i < probes_.size(); ++i) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("codec", probes_[i].codec);
      o.Set("available", probes_[i].available);
      if (probes_[i].available) o.Set("implementation", probes_[i].implementation);
      else o.Set("reason", probes_[i].reason);
      out.Set(i, o);
    }
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<Probe> probes_;
};

Napi::Value ProbeEncoders(const Napi::CallbackInfo& info) {
  auto* worker = new ProbeWorker(info.Env());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

const Registrar kRegistrar("encoder", [](Napi::Env env, Napi::Object exports) {
  exports.Set("Encoder", EncoderWrap::Define(env));
  exports.Set("probeEncoders", Napi::Function::New(env, ProbeEncoders, "probeEncoders"));
});

}  // namespace
}  // namespace glasslab::enc
