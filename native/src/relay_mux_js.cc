// JS binding of the relay muxer: class RelayMuxer (RelayMuxerOptions, RelayMuxerStats in
// src/native/types.ts); the muxing itself, its thread and queue are in relay_mux.cc.
#include <napi.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "js_args.h"
#include "registry.h"
#include "relay_mux.h"

extern "C" {
#include <libavcodec/packet.h>
}

namespace glasslab::relay {
namespace {

constexpr const char* kOptions = "ERR_RELAY_OPTIONS";
constexpr const char* kArgs = "ERR_RELAY_ARGS";
constexpr const char* kClosed = "ERR_RELAY_CLOSED";
constexpr size_t kMaxAccessUnit = 64u << 20;

const char* StateName(MuxState s) {
  switch (s) {
    case MuxState::kConnecting: return "connecting";
    case MuxState::kOpen: return "open";
    case MuxState::kFailed: return "failed";
    case MuxState::kClosed: return "closed";
  }
  return "failed";
}

// The scheme a format needs ("flv" -> "rtmp://").
const char* SchemeFor(const std::string& format) {
  return format == "rtsp" ? "rtsp://" : format == "mpegts" ? "srt://" : "rtmp://";
}

MuxConfig ParseConfig(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = js::Options(info, "RelayMuxer", kOptions);
  MuxConfig c;
  Napi::Value url = o.Get("url");
  if (!url.IsString()) throw js::TypeError(env, kOptions, "RelayMuxer: url must be a string (got " + js::Describe(url) + ")");
  c.url = url.As<Napi::String>().Utf8Value();
  auto starts = [&](const char* p) { return c.url.rfind(p, 0) == 0 && c.url.size() > std::strlen(p); };
  if (!starts("rtsp://") && !starts("srt://") && !starts("rtmp://")) {
    throw js::TypeError(env, kOptions, "RelayMuxer: url must be rtsp://, srt:// or rtmp:// (got " + js::Describe(url) + ")");
  }
  Napi::Value format = o.Get("format");
  c.format = format.IsString() ? format.As<Napi::String>().Utf8Value() : "";
  if (c.format != "rtsp" && c.format != "mpegts" && c.format != "flv") {
    throw js::TypeError(env, kOptions, "RelayMuxer: format must be 'rtsp', 'mpegts' or 'flv' (got " + js::Describe(format) + ")");
  }
  if (!starts(SchemeFor(c.format))) {
    throw js::TypeError(env, kOptions, "RelayMuxer: format '" + c.format + "' needs an " + SchemeFor(c.format) +
                                           " url (got " + js::Describe(url) + ")");
  }
  c.width = static_cast<int>(js::RequiredNumber(env, o.Get("width"), "RelayMuxer: width", 16, 16384, true, kOptions));
  c.height = static_cast<int>(js::RequiredNumber(env, o.Get("height"), "RelayMuxer: height", 16, 16384, true, kOptions));
  c.fps = js::RequiredNumber(env, o.Get("fps"), "RelayMuxer: fps", 0.001, 1000, false, kOptions);
  c.queueFrames = static_cast<int>(js::Number(env, o.Get("queueFrames"), "RelayMuxer: queueFrames", 30, 1, 10000, true, kOptions));
  c.maxQueueAgeMs = static_cast<int64_t>(js::Number(env, o.Get("maxQueueAgeMs"), "RelayMuxer: maxQueueAgeMs", 0, 0, 600000, true, kOptions));
  c.openTimeoutMs = static_cast<int64_t>(js::Number(env, o.Get("openTimeoutMs"), "RelayMuxer: openTimeoutMs", 5000, 1, 600000, true, kOptions));
  c.writeTimeoutMs = static_cast<int64_t>(js::Number(env, o.Get("writeTimeoutMs"), "RelayMuxer: writeTimeoutMs", 2000, 1, 600000, true, kOptions));
  Napi::Value options = o.Get("options");
  if (!options.IsUndefined()) {
    if (!options.IsObject() || options.IsArray() || options.IsFunction()) {
      throw js::TypeError(env, kOptions, "RelayMuxer: options must be an object of strings (got " + js::Describe(options) + ")");
    }
    Napi::Object dict = options.As<Napi::Object>();
    Napi::Array keys = dict.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
      Napi::Value value = dict.Get(key);
      if (key.empty()) throw js::TypeError(env, kOptions, "RelayMuxer: options has an empty key");
      if (!value.IsString()) {
        throw js::TypeError(env, kOptions, "RelayMuxer: options." + key + " must be a string (got " + js::Describe(value) + ")");
      }
      c.options[key] = value.As<Napi::String>().Utf8Value();
    }
  }
  return c;
}

// Resolves close()'s promise once the worker thread has ended (joined on the libuv pool).
class JoinWorker final : public Napi::AsyncWorker {
 public:
  JoinWorker(Napi::Env env, std::shared_ptr<MuxCore> core)
      : Napi::AsyncWorker(env, "glasslab.relayClose"), deferred_(Napi::Promise::Deferred::New(env)), core_(std::move(core)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override { core_->Join(); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<MuxCore> core_;
};

class RelayMuxerWrap final : public Napi::ObjectWrap<RelayMuxerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RelayMuxer",
                       {InstanceMethod<&RelayMuxerWrap::Write>("write"), InstanceMethod<&RelayMuxerWrap::GetStats>("stats"),
                        InstanceMethod<&RelayMuxerWrap::Close>("close")});
  }

  explicit RelayMuxerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RelayMuxerWrap>(info) {
    config_ = ParseConfig(info);
    core_ = std::make_shared<MuxCore>(config_);
    MuxCore::Start(core_);
  }

  ~RelayMuxerWrap() override {
    if (!closed_ && core_) {
      // Garbage-collected without close(): stop at once, let the thread end on its own.
      core_->RequestClose(0);
      core_->Detach();
    }
  }

 private:
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) throw js::WithCode(Napi::Error::New(env, "RelayMuxer.write: the muxer is closed"), kClosed);
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      throw js::TypeError(env, kArgs, "RelayMuxer.write: accessUnit must be a Buffer (got " +
                                          (info.Length() > 0 ? js::Describe(info[0]) : std::string("nothing")) + ")");
    }
    auto unit = info[0].As<Napi::Buffer<uint8_t>>();
    const uint8_t* d = unit.Data();
    const size_t n = unit.Length();
    if (n < 4 || n > kMaxAccessUnit || !(d[0] == 0 && d[1] == 0 && (d[2] == 1 || (d[2] == 0 && d[3] == 1)))) {
      throw js::RangeError(env, kArgs, "RelayMuxer.write: accessUnit must be Annex-B H.264 of 4.." + std::to_string(kMaxAccessUnit) +
                                           " bytes starting with a 00 00 01 start code (got " + std::to_string(n) + " bytes)");
    }
    if (info.Length() < 2 || !info[1].IsBigInt()) {
      throw js::TypeError(env, kArgs, "RelayMuxer.write: ptsUs must be a bigint (got " +
                                          (info.Length() > 1 ? js::Describe(info[1]) : std::string("nothing")) + ")");
    }
    bool lossless = false;
    int64_t ptsUs = info[1].As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless || ptsUs < 0 || ptsUs > (int64_t{1} << 62)) {
      throw js::RangeError(env, kArgs, "RelayMuxer.write: ptsUs must be in 0..2^62 µs");
    }
    if (hasLast_ && ptsUs <= lastPtsUs_) {
      throw js::RangeError(env, kArgs, "RelayMuxer.write: ptsUs must increase (got " + std::to_string(ptsUs) + " after " +
                                           std::to_string(lastPtsUs_) + ")");
    }
    if (info.Length() < 3 || !info[2].IsBoolean()) {
      throw js::TypeError(env, kArgs, "RelayMuxer.write: keyframe must be a boolean (got " +
                                          (info.Length() > 2 ? js::Describe(info[2]) : std::string("nothing")) + ")");
    }
    bool keyframe = info[2].As<Napi::Boolean>().Value();
    AVPacket* packet = av_packet_alloc();
    if (!packet || av_new_packet(packet, static_cast<int>(n)) < 0) {
      av_packet_free(&packet);
      throw Napi::Error::New(env, "RelayMuxer.write: out of memory for the packet");
    }
    std::memcpy(packet->data, d, n);
    hasLast_ = true;
    lastPtsUs_ = ptsUs;
    return Napi::Boolean::New(env, core_->Push(packet, ptsUs, keyframe));
  }

  Napi::Value GetStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    MuxStats s = core_->Stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytes", Napi::Number::New(env, static_cast<double>(s.bytes)));
    o.Set("frames", Napi::Number::New(env, static_cast<double>(s.frames)));
    o.Set("dropped", Napi::Number::New(env, static_cast<double>(s.dropped)));
    if (s.queueDelayMsP50 >= 0) o.Set("queueDelayMsP50", Napi::Number::New(env, s.queueDelayMsP50));
    o.Set("state", Napi::String::New(env, StateName(s.state)));
    if (!s.error.empty()) o.Set("error", Napi::String::New(env, s.error));
    return o;
  }

  // Idempotent: sends what is queued (1 s grace), writes the trailer, resolves when the worker ended.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!closed_) {
      closed_ = true;
      core_->RequestClose(1000);
      auto* worker = new JoinWorker(env, core_);
      closing_ = Napi::Persistent(worker->Promise().As<Napi::Object>());
      worker->Queue();
    }
    return closing_.Value();
  }

  MuxConfig config_;
  std::shared_ptr<MuxCore> core_;
  bool closed_ = false;
  bool hasLast_ = false;
  int64_t lastPtsUs_ = 0;
  Napi::ObjectReference closing_;
};

const Registrar kRegistrar("relay", [](Napi::Env env, Napi::Object exports) {
  exports.Set("RelayMuxer", RelayMuxerWrap::Define(env));
});

}  // namespace
}  // namespace glasslab::relay
