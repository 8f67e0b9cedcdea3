// JS bindings of the encoders: class Encoder (open, encode, setBitrate, requestKeyframe, close)
// and probeEncoders(). Open runs on the calling thread (measured: a few ms, see
// test/native/codec.test.ts); encode runs on the libuv pool, one frame at a time per encoder.
#include <libyuv.h>

#include <cmath>
#include <memory>

#include "enc_encoder.h"
#include "enc_queue.h"
#include "marker.h"
#include "registry.h"

namespace glasslab::enc {
namespace {

constexpr const char* kAllowed = "x264, openh264, h264_nvenc, hevc_nvenc";
constexpr int64_t kMinBitrate = 10'000;
constexpr int64_t kMaxBitrate = 500'000'000;

std::unique_ptr<VideoEncoder> OpenByName(const std::string& codec, const Config& config) {
  if (codec == "x264") return OpenX264(config);
  if (codec == "openh264") return OpenOpenH264(config);
  if (codec == "h264_nvenc") return OpenNvenc(config, false);
  if (codec == "hevc_nvenc") return OpenNvenc(config, true);
  throw EncoderError("unknown codec '" + codec + "' (allowed: " + kAllowed + ")");
}

// The open codec plus what the worker thread needs to know about it.
struct Session {
  std::unique_ptr<VideoEncoder> encoder;
  int64_t appliedBitrate = 0;
  std::vector<uint8_t> scratch;  // I420 copy of an NV12 input
};

double NumberOption(Napi::Object o, const char* key, double fallback, bool required) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) {
    if (required) throw Coded(Napi::TypeError::New(o.Env(), std::string("Encoder: option '") + key + "' is required"), "ERR_CODEC_OPTIONS");
    return fallback;
  }
  if (!v.IsNumber()) throw Coded(Napi::TypeError::New(o.Env(), std::string("Encoder: option '") + key + "' must be a number"), "ERR_CODEC_OPTIONS");
  return v.As<Napi::Number>().DoubleValue();
}

void Check(Napi::Env env, bool ok, const std::string& message) {
  if (!ok) throw Coded(Napi::RangeError::New(env, "Encoder: " + message), "ERR_CODEC_OPTIONS");
}

std::string Num(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Config ParseConfig(Napi::Env env, Napi::Object o) {
  Config c;
  double w = NumberOption(o, "width", 0, true), h = NumberOption(o, "height", 0, true);
  Check(env, w > 0 && w <= 8192 && std::fmod(w, 2) == 0, "width must be an even integer in 2..8192 (got " + Num(w) + ")");
  Check(env, h > 0 && h <= 8192 && std::fmod(h, 2) == 0, "height must be an even integer in 2..8192 (got " + Num(h) + ")");
  double fps = NumberOption(o, "fps", 0, true);
  Check(env, fps > 0 && fps <= 240, "fps must be > 0 and <= 240 (got " + Num(fps) + ")");
  double bitrate = NumberOption(o, "bitrateBps", 0, true);
  Check(env, bitrate >= kMinBitrate && bitrate <= kMaxBitrate,
        "bitrateBps must be in 10000..500000000 bits/s (got " + Num(bitrate) + ")");
  double gop = NumberOption(o, "gop", 0, true);
  Check(env, gop >= 0 && gop <= 1e9 && std::floor(gop) == gop, "gop must be an integer >= 0 (got " + Num(gop) + ")");
  double vbv = NumberOption(o, "vbvFrames", 1, false);
  Check(env, vbv >= 0.1 && vbv <= 1000, "vbvFrames must be in 0.1..1000 (got " + Num(vbv) + ")");
  double threads = NumberOption(o, "threads", 1, false);
  Check(env, threads >= 1 && threads <= 64 && std::floor(threads) == threads,
        "threads must be an integer in 1..64 (got " + Num(threads) + ")");
  c.width = static_cast<int>(w);
  c.height = static_cast<int>(h);
  c.fps = fps;
  c.bitrateBps = static_cast<int64_t>(bitrate);
  c.gop = static_cast<int>(gop);
  c.vbvFrames = vbv;
  c.threads = static_cast<int>(threads);
  return c;
}

// A RawFrame checked against the encoder's size, with plane pointers into its Buffer.
struct FrameView {
  Napi::Buffer<uint8_t> data;
  uint8_t* base = nullptr;  // data's bytes, read on the JS thread (the worker must not call N-API)
  bool nv12 = false;
  int strides[3] = {0, 0, 0};
  size_t offsets[3] = {0, 0, 0};
  uint32_t id = 0;
  uint64_t captureTimeNs = 0;
};

FrameView ParseFrame(Napi::Env env, Napi::Value value, const Config& c) {
  auto fail = [&](const std::string& m) { return Coded(Napi::TypeError::New(env, "Encoder.encode: " + m), "ERR_INPUT_INVALID"); };
  if (!value.IsObject()) throw fail("expected a RawFrame object");
  Napi::Object f = value.As<Napi::Object>();
  FrameView v;
  Napi::Value w = f.Get("width"), h = f.Get("height");
  if (!w.IsNumber() || !h.IsNumber()) throw fail("frame.width and frame.height must be numbers");
  int fw = w.As<Napi::Number>().Int32Value(), fh = h.As<Napi::Number>().Int32Value();
  if (fw != c.width || fh != c.height) {
    throw Coded(Napi::RangeError::New(env, "Encoder.encode: frame is " + std::to_string(fw) + "x" + std::to_string(fh) +
                                         ", the encoder was opened for " + std::to_string(c.width) + "x" +
                                         std::to_string(c.height)), "ERR_INPUT_INVALID");
  }
  std::string format = f.Get("format").IsString() ? f.Get("format").As<Napi::String>().Utf8Value() : "";
  if (format != "i420" && format != "nv12") throw fail("frame.format must be 'i420' or 'nv12' (got '" + format + "')");
  v.nv12 = format == "nv12";
  if (!f.Get("data").IsBuffer()) throw fail("frame.data must be a Buffer");
  v.data = f.Get("data").As<Napi::Buffer<uint8_t>>();
  v.base = v.data.Data();
  Napi::Value strides = f.Get("strides"), offsets = f.Get("planeOffsets");
  int planes = v.nv12 ? 2 : 3;
  if (!strides.IsArray() || !offsets.IsArray() || strides.As<Napi::Array>().Length() < static_cast<uint32_t>(planes) ||
      offsets.As<Napi::Array>().Length() < static_cast<uint32_t>(planes)) {
    throw fail("frame.strides and frame.planeOffsets must list " + std::to_string(planes) + " planes");
  }
  for (int i = 0; i < planes; ++i) {
    double s = strides.As<Napi::Array>().Get(i).ToNumber().DoubleValue();
    double o = offsets.As<Napi::Array>().Get(i).ToNumber().DoubleValue();
    int rowBytes = i == 0 || v.nv12 ? c.width : c.width / 2;
    int rows = i == 0 ? c.height : c.height / 2;
    if (!(s >= rowBytes && s < 1e6 && o >= 0)) throw Coded(Napi::RangeError::New(env, "Encoder.encode: plane " + std::to_string(i) + " stride/offset invalid"), "ERR_INPUT_INVALID");
    double end = o + s * (rows - 1) + rowBytes;
    if (end > static_cast<double>(v.data.Length())) {
      throw Coded(Napi::RangeError::New(env, "Encoder.encode: plane " + std::to_string(i) + " ends at byte " + Num(end) +
                                           " beyond the " + std::to_string(v.data.Length()) + "-byte buffer"), "ERR_INPUT_INVALID");
    }
    v.strides[i] = static_cast<int>(s);
    v.offsets[i] = static_cast<size_t>(o);
  }
  Napi::Value id = f.Get("id"), time = f.Get("captureTimeNs");
  if (!id.IsNumber() || !time.IsBigInt()) throw fail("frame.id must be a number and frame.captureTimeNs a bigint");
  v.id = id.As<Napi::Number>().Uint32Value();
  bool lossless = false;
  v.captureTimeNs = time.As<Napi::BigInt>().Uint64Value(&lossless);
  return v;
}

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
      uint8_t* base = frame_.base;
      Planes p;
      if (!frame_.nv12) {
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
      throw Coded(Napi::TypeError::New(env, "Encoder: unknown codec '" + (codec.IsString() ? name : codec.ToString().Utf8Value()) +
                                          "' (allowed: " + kAllowed + ")"), "ERR_CODEC_OPTIONS");
    }
    config_ = ParseConfig(env, o);
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
    if (!(bps >= kMinBitrate && bps <= kMaxBitrate)) {
      throw Coded(Napi::RangeError::New(env, "Encoder.setBitrate: bitrateBps must be in 10000..500000000 bits/s (got " +
                                           (info.Length() > 0 ? info[0].ToString().Utf8Value() : "nothing") + ")"), "ERR_CODEC_OPTIONS");
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
