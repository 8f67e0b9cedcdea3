// JS class Decoder: libavcodec's h264 decoder at low delay (AV_CODEC_FLAG_LOW_DELAY, one thread,
// no frame threading), one access unit at a time on the libuv pool; the Y plane of each picture
// is copied out and, when asked, the frame marker is read on the decoder thread.
#include <cstring>
#include <memory>

#include "enc_avlog.h"
#include "js_args.h"
#include "enc_queue.h"
#include "marker.h"
#include "registry.h"

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace glasslab::dec {
namespace {

using enc::Coded;
using enc::QueuedJob;
using enc::SerialQueue;

// True when the Annex-B unit holds an IDR slice (NAL type 5).
bool ContainsIdr(const uint8_t* data, size_t size) {
  for (size_t i = 0; i + 3 < size; ++i) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      if ((data[i + 3] & 0x1f) == 5) return true;
      i += 2;
    }
  }
  return false;
}

class H264Context {
 public:
  H264Context() {
    avlog::Install();
    const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_H264);
    if (!codec) throw std::runtime_error("avcodec_find_decoder(h264): not built into libavcodec");
    ctx_ = avcodec_alloc_context3(codec);
    packet_ = av_packet_alloc();
    frame_ = av_frame_alloc();
    if (!ctx_ || !packet_ || !frame_) {
      Release();
      throw std::runtime_error("libavcodec: out of memory allocating the decoder");
    }
    ctx_->flags |= AV_CODEC_FLAG_LOW_DELAY;
    ctx_->thread_count = 1;
    ctx_->thread_type = 0;
    avlog::LogCapture capture;
    int ret = avcodec_open2(ctx_, codec, nullptr);
    if (ret < 0) {
      std::string why = avlog::Describe("avcodec_open2(h264)", ret, capture);
      Release();
      throw std::runtime_error(why);
    }
  }
  ~H264Context() { Release(); }
  AVCodecContext* ctx() { return ctx_; }
  AVPacket* packet() { return packet_; }
  AVFrame* frame() { return frame_; }

 private:
  void Release() {
    if (ctx_) avcodec_free_context(&ctx_);
    if (packet_) av_packet_free(&packet_);
    if (frame_) av_frame_free(&frame_);
  }
  AVCodecContext* ctx_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVFrame* frame_ = nullptr;
};

struct Picture {
  int width = 0, height = 0;
  std::vector<uint8_t>* y = nullptr;  // handed to the JS Buffer, which frees it
  uint64_t doneNs = 0, markerReadNs = 0;
  marker::ReadResult marker{marker::ReadStatus::kCheckFailed, 0, 0};
};

class DecodeJob final : public QueuedJob {
 public:
  DecodeJob(Napi::Env env, SerialQueue* queue, Napi::Object owner, std::shared_ptr<H264Context> context,
            Napi::Buffer<uint8_t> unit, bool readMarker)
      : QueuedJob(env, "glasslab.decode", queue, "ERR_DECODE_FAILED"),
        owner_(Napi::Persistent(owner)),
        unitRef_(Napi::Persistent(unit)),
        unit_(unit.Data()),
        size_(unit.Length()),
        context_(std::move(context)),
        readMarker_(readMarker) {}

  ~DecodeJob() override {
    for (Picture& p : pictures_) delete p.y;
  }

 protected:
  void Execute() override {
    startNs_ = marker::MonotonicNowNs();
    AVCodecContext* ctx = context_->ctx();
    AVPacket* pkt = context_->packet();
    AVFrame* frame = context_->frame();
    avlog::LogCapture capture;
    int ret = av_new_packet(pkt, static_cast<int>(size_));
    if (ret < 0) return SetError(avlog::Describe("Decoder.decode: av_new_packet", ret, capture));
    std::memcpy(pkt->data, unit_, size_);
    // Our streams never reorder (bf 0): each picture leaves with its own access unit. A damaged
    // unit can make the h264 decoder raise its reorder delay ("Increasing reorder buffer") and
    // keep a picture queued, which would hold every later picture back by one unit, across IDRs.
    // So the delay is pinned to 0, and an IDR unit (which needs no earlier state) or a failed
    // unit drops whatever the decoder still holds.
    ctx->has_b_frames = 0;
    if (ContainsIdr(unit_, size_)) avcodec_flush_buffers(ctx);
    ret = avcodec_send_packet(ctx, pkt);
    av_packet_unref(pkt);
    if (ret < 0) {
      avcodec_flush_buffers(ctx);
      return SetError(avlog::Describe("Decoder.decode: avcodec_send_packet", ret, capture));
    }
    for (;;) {
      ret = avcodec_receive_frame(ctx, frame);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
      if (ret < 0) {
        avcodec_flush_buffers(ctx);
        return SetError(avlog::Describe("Decoder.decode: avcodec_receive_frame", ret, capture));
      }
      Picture p;
      p.width = frame->width;
      p.height = frame->height;
      p.y = new std::vector<uint8_t>(static_cast<size_t>(p.width) * p.height);
      for (int row = 0; row < p.height; ++row) {
        std::memcpy(p.y->data() + static_cast<size_t>(row) * p.width, frame->data[0] + static_cast<ptrdiff_t>(row) * frame->linesize[0],
                    p.width);
      }
      p.doneNs = marker::MonotonicNowNs();
      if (readMarker_) {
        p.marker = marker::Read(p.y->data(), p.width, p.height, p.width);
        p.markerReadNs = marker::MonotonicNowNs();
      }
      av_frame_unref(frame);
      pictures_.push_back(p);
    }
    // The h264 decoder skips damaged data with a logged error instead of failing the call;
    // a unit that produced nothing and logged errors is reported as corrupt.
    if (pictures_.empty() && !capture.Text().empty()) {
      avcodec_flush_buffers(ctx);
      SetError("Decoder.decode: libavcodec could not decode the access unit [" + capture.Text() + "]");
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Array out = Napi::Array::New(env, pictures_.size());
    for (uint32_t i = 0; i < pictures_.size(); ++i) {
      Picture& p = pictures_[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("width", p.width);
      o.Set("height", p.height);
      size_t bytes = p.y->size();
      std::vector<uint8_t>* plane = p.y;
      p.y = nullptr;
      Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(bytes));
      o.Set("y", Napi::Buffer<uint8_t>::New(env, plane->data(), bytes, [](Napi::Env finalizeEnv, uint8_t*, std::vector<uint8_t>* v) {
        Napi::MemoryManagement::AdjustExternalMemory(finalizeEnv, -static_cast<int64_t>(v->size()));
        delete v;
      }, plane));
      o.Set("yStride", p.width);
      o.Set("decodeStartNs", Napi::BigInt::New(env, startNs_));
      o.Set("decodeDoneNs", Napi::BigInt::New(env, p.doneNs));
      if (readMarker_) {
        Napi::Object m = Napi::Object::New(env);
        bool ok = p.marker.status == marker::ReadStatus::kOk;
        m.Set("ok", ok);
        if (ok) {
          m.Set("frameId", Napi::Number::New(env, p.marker.frameId));
          m.Set("captureTimeNs", Napi::BigInt::New(env, p.marker.captureTimeNs));
        } else {
          m.Set("reason", p.marker.status == marker::ReadStatus::kTooSmall ? "too-small" : "check-failed");
        }
        o.Set("marker", m);
        o.Set("markerReadNs", Napi::BigInt::New(env, p.markerReadNs));
      }
      out.Set(i, o);
    }
    return out;
  }

 private:
  Napi::ObjectReference owner_;
  Napi::Reference<Napi::Buffer<uint8_t>> unitRef_;
  const uint8_t* unit_;
  size_t size_;
  std::shared_ptr<H264Context> context_;
  bool readMarker_;
  uint64_t startNs_ = 0;
  std::vector<Picture> pictures_;
};

class DecoderWrap final : public Napi::ObjectWrap<DecoderWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Decoder",
                       {InstanceMethod<&DecoderWrap::Decode>("decode"), InstanceMethod<&DecoderWrap::Close>("close")});
  }

  explicit DecoderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DecoderWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Coded(Napi::TypeError::New(env, "Decoder: expected an options object"), "ERR_CODEC_OPTIONS");
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value codec = o.Get("codec");
    if (!codec.IsString() || codec.As<Napi::String>().Utf8Value() != "h264") {
      throw Coded(Napi::TypeError::New(env, "Decoder: unknown codec " + js::Describe(codec) + " (allowed: h264)"), "ERR_CODEC_OPTIONS");
    }
    Napi::Value read = o.Get("readMarker");
    if (!read.IsUndefined() && !read.IsBoolean()) throw Coded(Napi::TypeError::New(env, "Decoder: readMarker must be a boolean"), "ERR_CODEC_OPTIONS");
    readMarker_ = read.IsUndefined() ? true : read.As<Napi::Boolean>().Value();
    try {
      context_ = std::make_shared<H264Context>();
    } catch (const std::exception& e) {
      throw Coded(Napi::Error::New(env, std::string("Decoder: ") + e.what()), "ERR_CODEC_UNAVAILABLE");
    }
  }

 private:
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!context_) {
      auto d = Napi::Promise::Deferred::New(env);
      d.Reject(Coded(Napi::Error::New(env, "Decoder.decode: the decoder is closed"), "ERR_CODEC_CLOSED").Value());
      return d.Promise();
    }
    if (info.Length() < 1 || !info[0].IsBuffer()) throw Coded(Napi::TypeError::New(env, "Decoder.decode: expected an access unit Buffer"), "ERR_INPUT_INVALID");
    Napi::Buffer<uint8_t> unit = info[0].As<Napi::Buffer<uint8_t>>();
    if (unit.Length() == 0 || unit.Length() > (1u << 30)) {
      throw Coded(Napi::RangeError::New(env, "Decoder.decode: access unit must be 1 byte..1 GiB (got " + std::to_string(unit.Length()) + ")"), "ERR_INPUT_INVALID");
    }
    auto* job = new DecodeJob(env, &queue_, info.This().As<Napi::Object>(), context_, unit, readMarker_);
    Napi::Promise promise = job->Promise();
    queue_.Push(job);
    return promise;
  }

  // Idempotent; a decode in progress finishes, waiting ones are rejected.
  void Close(const Napi::CallbackInfo&) {
    if (!context_) return;
    context_.reset();
    queue_.RejectWaiting("Decoder.decode: the decoder was closed before this access unit was decoded");
  }

  std::shared_ptr<H264Context> context_;
  SerialQueue queue_;
  bool readMarker_ = true;
};

const Registrar kRegistrar("decoder", [](Napi::Env env, Napi::Object exports) {
  exports.Set("Decoder", DecoderWrap::Define(env));
});

}  // namespace
}  // namespace glasslab::dec
