// libx264 and h264_nvenc / hevc_nvenc through libavcodec (Debian FFmpeg 5.1).
// Input planes are wrapped in an AVBufferRef that does not own them, so libavcodec takes the
// frame by reference (no copy in avcodec_send_frame); libx264 and NVENC copy the picture into
// their own surfaces during the call, and we check that no reference survives it.
#include <link.h>

#include <climits>
#include <cstring>

#include "enc_avlog.h"
#include "enc_encoder.h"
#include "marker.h"
#include "zero_copy_handoff.h"  // before hwcontext_cuda.h: ffnvcodec's CUDA types, no <cuda.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_cuda.h>
#include <libavutil/opt.h>
}

namespace glasslab::enc {
namespace {

void NoFree(void*, uint8_t*) {}

// Soname of a loaded library matching `prefix` (e.g. "libx264.so." -> "164"), or "".
std::string LoadedSoVersion(const char* prefix) {
  struct Search {
    const char* prefix;
    std::string found;
  } search{prefix, {}};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        const char* name = info->dlpi_name ? std::strstr(info->dlpi_name, s->prefix) : nullptr;
        if (name) {
          s->found = name + std::strlen(s->prefix);
          return 1;
        }
        return 0;
      },
      &search);
  return search.found;
}

std::string LavcVersion() {
  unsigned v = avcodec_version();
  return "libavcodec " + std::to_string(v >> 16) + "." + std::to_string((v >> 8) & 0xff) + "." +
         std::to_string(v & 0xff);
}

enum class Kind { kX264, kNvencH264, kNvencHevc };

class LavcEncoder final : public VideoEncoder {
 public:
  LavcEncoder(Kind kind, const Config& config) : kind_(kind), config_(config) {
    avlog::Install();
    const char* name = kind == Kind::kX264 ? "libx264" : kind == Kind::kNvencH264 ? "h264_nvenc" : "hevc_nvenc";
    const AVCodec* codec = avcodec_find_encoder_by_name(name);
    if (!codec) throw EncoderError(std::string("avcodec_find_encoder_by_name(") + name + "): not built into " + LavcVersion());
    ctx_ = avcodec_alloc_context3(codec);
    frame_ = av_frame_alloc();
    packet_ = av_packet_alloc();
    if (!ctx_ || !frame_ || !packet_) {
      Release();
      throw EncoderError("libavcodec: out of memory allocating the encoder");
    }
    AVRational rate = av_d2q(config.fps, 1000000);
    ctx_->width = config.width;
    ctx_->height = config.height;
    // NV12 frames (gpu-convert) go in as they are: libx264 and NVENC both take NV12
    ctx_->pix_fmt = config.nv12Input ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUV420P;
    if (config.cudaDevice >= 0) OpenCudaFrames(name, config);
    ctx_->time_base = av_inv_q(rate);
    ctx_->framerate = rate;
    ctx_->max_b_frames = 0;
    ctx_->thread_count = config.threads;
    // Off (-1) leaves x264 its default (QP_MAX 69: past 51 its VBV emergency mode zeroes more
    // coefficients); libx264 and NVENC take avctx->qmax as the highest QP the rate control uses.
    if (config.qpMax >= 0) ctx_->qmax = config.qpMax;
    // gop 0: no periodic IDR (x264's "infinite" keyint is 1 << 30; NVENC takes INT_MAX).
    ctx_->gop_size = config.gop > 0 ? config.gop : (kind == Kind::kX264 ? (1 << 30) : INT_MAX);
    ApplyRate(config.bitrateBps);

    AVDictionary* options = nullptr;
    if (kind == Kind::kX264) {
      av_dict_set(&options, "preset", "ultrafast", 0);
      av_dict_set(&options, "tune", "zerolatency", 0);
      av_dict_set(&options, "forced-idr", "1", 0);
      std::string params = "repeat-headers=1:annexb=1:scenecut=0:rc-lookahead=0:bframes=0:sliced-threads=";
      params += config.threads > 1 ? "1" : "0";
      av_dict_set(&options, "x264-params", params.c_str(), 0);
    } else {
      // The seed's low-latency NVENC settings; SPS/PPS (and VPS) go in-band on every IDR
      // because AV_CODEC_FLAG_GLOBAL_HEADER is not set (FFmpeg 5.1 has no repeat-headers option).
      av_dict_set(&options, "preset", "p1", 0);
      av_dict_set(&options, "tune", "ull", 0);
      av_dict_set(&options, "rc", "cbr", 0);
      av_dict_set(&options, "zerolatency", "1", 0);
      av_dict_set(&options, "delay", "0", 0);
      av_dict_set(&options, "forced-idr", "1", 0);
      av_dict_set(&options, "bf", "0", 0);
      av_dict_set(&options, "rc-lookahead", "0", 0);
    }
    avlog::LogCapture capture;
    int ret = avcodec_open2(ctx_, codec, &options);
    std::string unused;
    for (AVDictionaryEntry* e = nullptr; (e = av_dict_get(options, "", e, AV_DICT_IGNORE_SUFFIX));) {
      unused += std::string(unused.empty() ? "" : ", ") + e->key;
    }
    av_dict_free(&options);
    if (ret < 0) {
      std::string why = avlog::Describe((std::string("avcodec_open2(") + name + ")").c_str(), ret, capture);
      Release();
      throw EncoderError(why);
    }
    if (!unused.empty()) {
      Release();
      throw EncoderError(std::string("avcodec_open2(") + name + "): options not recognised: " + unused);
    }
    implementation_ = LavcVersion() + " " + name;
    if (kind == Kind::kX264) {
      std::string core = LoadedSoVersion("libx264.so.");
      implementation_ += core.empty() ? "" : " (x264 core " + core + ")";
    } else {
      implementation_ += config.cudaDevice >= 0 ? " (NVENC, CUDA input on device " + std::to_string(config.cudaDevice) + ")" : " (NVENC)";
    }
  }

  ~LavcEncoder() override { Release(); }

  std::string Implementation() const override { return implementation_; }

  bool TakesNv12() const override { return config_.nv12Input && !framesRef_; }

  void SetBitrate(int64_t bitrateBps) override {
    // libx264 (reconfig_encoder) and NVENC (dynamic bitrate) pick these up on the next frame.
    ApplyRate(bitrateBps);
  }

  // The zero-copy input: a CUDA surface from libavcodec's pool (on the primary context the
  // import shares) filled on the GPU from the frame source's exported surface, then encoded.
  void EncodeGpu(const GpuInput& in, int64_t frameIndex, bool forceIdr, Output* out) override {
    if (!framesRef_) throw EncoderError(implementation_ + " was not opened with cudaDevice");
    auto surfaces = zerocopy::SharedSurfaces::Find(in.ring);
    if (!surfaces) throw EncoderError("zero-copy: the frame source that produced this frame was closed");
    if (surfaces->cudaOrdinal() != config_.cudaDevice) {
      throw EncoderError("zero-copy: the frame is on CUDA device " + std::to_string(surfaces->cudaOrdinal()) +
                         ", the encoder on " + std::to_string(config_.cudaDevice));
    }
    avlog::LogCapture capture;
    AVFrame* frame = av_frame_alloc();
    if (!frame) throw EncoderError("av_frame_alloc: out of memory");
    int ret = av_hwframe_get_buffer(framesRef_, frame, 0);
    if (ret < 0) {
      av_frame_free(&frame);
      throw EncoderError(avlog::Describe("av_hwframe_get_buffer", ret, capture));
    }
    try {
      surfaces->CopyInto(in.slot, in.value, reinterpret_cast<CUdeviceptr>(frame->data[0]), static_cast<size_t>(frame->linesize[0]),
                         reinterpret_cast<CUdeviceptr>(frame->data[1]), static_cast<size_t>(frame->linesize[1]));
    } catch (const std::exception& e) {
      av_frame_free(&frame);
      throw EncoderError(e.what());
    }
    out->importDoneNs = marker::MonotonicNowNs();
    frame->pts = frameIndex;
    frame->pict_type = forceIdr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    frame->key_frame = forceIdr ? 1 : 0;
    ret = avcodec_send_frame(ctx_, frame);
    av_frame_free(&frame);  // NVENC keeps its own reference to the pool surface until encoded
    std::string error;
    if (ret < 0) error = avlog::Describe("avcodec_send_frame", ret, capture);
    if (error.empty()) error = Drain(out, capture);
    if (!error.empty()) throw EncoderError(error);
  }

  void Encode(const Planes& p, int64_t frameIndex, bool forceIdr, Output* out) override {
    if (framesRef_) throw EncoderError(implementation_ + " takes zero-copy GPU surfaces only");
    avlog::LogCapture capture;
    AVBufferRef* holder = av_buffer_create(const_cast<uint8_t*>(p.y), 1, NoFree, nullptr, AV_BUFFER_FLAG_READONLY);
    if (!holder) throw EncoderError("av_buffer_create: out of memory");
    if (p.nv12 != config_.nv12Input) {
      av_buffer_unref(&holder);
      throw EncoderError(std::string("the encoder was opened for ") + (config_.nv12Input ? "NV12" : "I420") + " input, the frame is " + (p.nv12 ? "NV12" : "I420"));
    }
    frame_->buf[0] = av_buffer_ref(holder);
    frame_->format = p.nv12 ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUV420P;
    frame_->width = config_.width;
    frame_->height = config_.height;
    frame_->data[0] = const_cast<uint8_t*>(p.y);
    frame_->data[1] = const_cast<uint8_t*>(p.u);
    frame_->data[2] = p.nv12 ? nullptr : const_cast<uint8_t*>(p.v);
    frame_->linesize[0] = p.strideY;
    frame_->linesize[1] = p.strideU;
    frame_->linesize[2] = p.nv12 ? 0 : p.strideV;
    frame_->pts = frameIndex;
    frame_->pict_type = forceIdr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    frame_->key_frame = forceIdr ? 1 : 0;
    int ret = avcodec_send_frame(ctx_, frame_);
    av_frame_unref(frame_);
    std::string error;
    if (ret < 0) error = avlog::Describe("avcodec_send_frame", ret, capture);
    if (error.empty()) error = Drain(out, capture);
    int refs = av_buffer_get_ref_count(holder);
    av_buffer_unref(&holder);
    if (refs != 1) {
      // Never observed with libx264/NVENC; if a library starts holding input, fail loudly
      // rather than let it read a Buffer JS may free.
      throw EncoderError("libavcodec kept a reference to the input frame after encoding; zero-copy input is unsafe");
    }
    if (!error.empty()) throw EncoderError(error);
  }

 private:
  // Takes every packet the encoder has ready; returns an error text or "".
  std::string Drain(Output* out, avlog::LogCapture& capture) {
    while (true) {
      const int ret = avcodec_receive_packet(ctx_, packet_);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return "";
      if (ret < 0) return avlog::Describe("avcodec_receive_packet", ret, capture);
      out->data.insert(out->data.end(), packet_->data, packet_->data + packet_->size);
      out->keyframe = out->keyframe || (packet_->flags & AV_PKT_FLAG_KEY);
      out->produced = true;
      av_packet_unref(packet_);
    }
  }

  // NVENC on CUDA frames: a CUDA device context on the primary context of `cudaDevice` (the one
  // the zero-copy import uses) and a pool of NV12 CUDA surfaces as the encoder's input.
  void OpenCudaFrames(const char* name, const Config& config) {
    avlog::LogCapture capture;
    AVBufferRef* device = nullptr;
    int ret = av_hwdevice_ctx_create(&device, AV_HWDEVICE_TYPE_CUDA, std::to_string(config.cudaDevice).c_str(), nullptr,
                                     AV_CUDA_USE_PRIMARY_CONTEXT);
    if (ret < 0) {
      Release();
      throw EncoderError(avlog::Describe((std::string("av_hwdevice_ctx_create(cuda:") + std::to_string(config.cudaDevice) + ")").c_str(), ret, capture));
    }
    framesRef_ = av_hwframe_ctx_alloc(device);
    av_buffer_unref(&device);
    if (!framesRef_) {
      Release();
      throw EncoderError("av_hwframe_ctx_alloc: out of memory");
    }
    auto* frames = reinterpret_cast<AVHWFramesContext*>(framesRef_->data);
    frames->format = AV_PIX_FMT_CUDA;
    frames->sw_format = AV_PIX_FMT_NV12;
    frames->width = config.width;
    frames->height = config.height;
    frames->initial_pool_size = 0;  // grows as NVENC holds surfaces
    ret = av_hwframe_ctx_init(framesRef_);
    if (ret < 0) {
      Release();
      throw EncoderError(avlog::Describe((std::string(name) + ": av_hwframe_ctx_init (CUDA NV12)").c_str(), ret, capture));
    }
    ctx_->pix_fmt = AV_PIX_FMT_CUDA;
    ctx_->hw_frames_ctx = av_buffer_ref(framesRef_);
  }

  void ApplyRate(int64_t bps) {
    ctx_->bit_rate = bps;
    ctx_->rc_max_rate = bps;
    ctx_->rc_min_rate = kind_ == Kind::kX264 ? 0 : bps;
    ctx_->rc_buffer_size = static_cast<int>(static_cast<double>(bps) * config_.vbvFrames / config_.fps);
  }

  void Release() {
    if (ctx_) avcodec_free_context(&ctx_);
    if (framesRef_) av_buffer_unref(&framesRef_);
    if (frame_) av_frame_free(&frame_);
    if (packet_) av_packet_free(&packet_);
  }

  Kind kind_;
  Config config_;
  AVCodecContext* ctx_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVBufferRef* framesRef_ = nullptr;  // zero-copy input (cudaDevice): the CUDA surface pool
  std::string implementation_;
};

}  // namespace

std::unique_ptr<VideoEncoder> OpenX264(const Config& config) { return std::make_unique<LavcEncoder>(Kind::kX264, config); }

std::unique_ptr<VideoEncoder> OpenNvenc(const Config& config, bool hevc) {
  return std::make_unique<LavcEncoder>(hevc ? Kind::kNvencHevc : Kind::kNvencH264, config);
}

}  // namespace glasslab::enc
