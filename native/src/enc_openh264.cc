// openh264 (Cisco, libopenh264 2.3.1) through its own API: real-time camera usage, bitrate
// rate control without frame skipping (every input frame yields an access unit; a starved rate
// costs quality, never frames, so every frame keeps its marker), scene-change IDRs off (IDRs
// only at the GOP period and on request), constant SPS/PPS ids. openh264 writes SPS and PPS in
// front of every IDR and emits Annex-B (4-byte start codes) itself.
#include <wels/codec_api.h>

#include <cstring>

#include "enc_encoder.h"

namespace glasslab::enc {
namespace {

std::string StatusText(int status) {
  switch (status) {
    case cmResultSuccess: return "success";
    case cmInitParaError: return "invalid parameters (cmInitParaError)";
    case cmUnknownReason: return "unknown reason (cmUnknownReason)";
    case cmMallocMemeError: return "out of memory (cmMallocMemeError)";
    case cmInitExpected: return "not initialised (cmInitExpected)";
    case cmUnsupportedData: return "unsupported data (cmUnsupportedData)";
    default: return "status " + std::to_string(status);
  }
}

class OpenH264Encoder final : public VideoEncoder {
 public:
  explicit OpenH264Encoder(const Config& config) : config_(config) {
    int rc = WelsCreateSVCEncoder(&encoder_);
    if (rc != 0 || !encoder_) throw EncoderError("WelsCreateSVCEncoder: failed (" + std::to_string(rc) + ")");
    int level = WELS_LOG_ERROR;
    encoder_->SetOption(ENCODER_OPTION_TRACE_LEVEL, &level);

    SEncParamExt p;
    std::memset(&p, 0, sizeof p);
    encoder_->GetDefaultParams(&p);
    p.iUsageType = CAMERA_VIDEO_REAL_TIME;
    p.iPicWidth = config.width;
    p.iPicHeight = config.height;
    p.iTargetBitrate = static_cast<int>(config.bitrateBps);
    p.iMaxBitrate = static_cast<int>(config.bitrateBps);
    p.iRCMode = RC_BITRATE_MODE;
    p.fMaxFrameRate = static_cast<float>(config.fps);
    p.bEnableFrameSkip = false;
    p.uiIntraPeriod = config.gop > 0 ? static_cast<unsigned>(config.gop) : 0;
    p.eSpsPpsIdStrategy = CONSTANT_ID;
    p.bPrefixNalAddingCtrl = false;
    p.bEnableSceneChangeDetect = false;
    p.bEnableLongTermReference = false;
    p.iComplexityMode = LOW_COMPLEXITY;
    p.iMultipleThreadIdc = static_cast<unsigned short>(config.threads);
    p.iTemporalLayerNum = 1;
    p.iSpatialLayerNum = 1;
    p.iEntropyCodingModeFlag = 0;
    p.iMaxQp = config.qpMax >= 0 ? config.qpMax : 51;
    p.iMinQp = 0;
    SSpatialLayerConfig& layer = p.sSpatialLayers[0];
    layer.iVideoWidth = config.width;
    layer.iVideoHeight = config.height;
    layer.fFrameRate = static_cast<float>(config.fps);
    layer.iSpatialBitrate = static_cast<int>(config.bitrateBps);
    layer.iMaxSpatialBitrate = static_cast<int>(config.bitrateBps);
    layer.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
    rc = encoder_->InitializeExt(&p);
    if (rc != cmResultSuccess) {
      WelsDestroySVCEncoder(encoder_);
      throw EncoderError("openh264 InitializeExt: " + StatusText(rc));
    }
    int format = videoFormatI420;
    encoder_->SetOption(ENCODER_OPTION_DATAFORMAT, &format);
    OpenH264Version v = WelsGetCodecVersion();
    implementation_ = "libopenh264 " + std::to_string(v.uMajor) + "." + std::to_string(v.uMinor) + "." +
                      std::to_string(v.uRevision);
  }

  ~OpenH264Encoder() override {
    encoder_->Uninitialize();
    WelsDestroySVCEncoder(encoder_);
  }

  std::string Implementation() const override { return implementation_; }

  void SetBitrate(int64_t bitrateBps) override {
    // Raise the ceiling before the target and lower the target before the ceiling, so the
    // target never exceeds the maximum in between.
    SBitrateInfo target{SPATIAL_LAYER_ALL, static_cast<int>(bitrateBps)};
    SBitrateInfo maximum{SPATIAL_LAYER_ALL, static_cast<int>(bitrateBps)};
    int first = bitrateBps > config_.bitrateBps ? ENCODER_OPTION_MAX_BITRATE : ENCODER_OPTION_BITRATE;
    int second = first == ENCODER_OPTION_MAX_BITRATE ? ENCODER_OPTION_BITRATE : ENCODER_OPTION_MAX_BITRATE;
    for (int option : {first, second}) {
      SBitrateInfo* info = option == ENCODER_OPTION_BITRATE ? &target : &maximum;
      int rc = encoder_->SetOption(static_cast<ENCODER_OPTION>(option), info);
      if (rc != cmResultSuccess) throw EncoderError("openh264 SetOption(bitrate): " + StatusText(rc));
    }
    config_.bitrateBps = bitrateBps;
  }

  void Encode(const Planes& planes, int64_t frameIndex, bool forceIdr, Output* out) override {
    if (forceIdr) {
      int rc = encoder_->ForceIntraFrame(true);
      if (rc != cmResultSuccess) throw EncoderError("openh264 ForceIntraFrame: " + StatusText(rc));
    }
    SSourcePicture pic;
    std::memset(&pic, 0, sizeof pic);
    pic.iColorFormat = videoFormatI420;
    pic.iPicWidth = config_.width;
    pic.iPicHeight = config_.height;
    pic.iStride[0] = planes.strideY;
    pic.iStride[1] = planes.strideU;
    pic.iStride[2] = planes.strideV;
    pic.pData[0] = const_cast<unsigned char*>(planes.y);
    pic.pData[1] = const_cast<unsigned char*>(planes.u);
    pic.pData[2] = const_cast<unsigned char*>(planes.v);
    pic.uiTimeStamp = static_cast<long long>(static_cast<double>(frameIndex) * 1000.0 / config_.fps);
    SFrameBSInfo info;
    std::memset(&info, 0, sizeof info);
    int rc = encoder_->EncodeFrame(&pic, &info);
    if (rc != cmResultSuccess) throw EncoderError("openh264 EncodeFrame: " + StatusText(rc));
    if (info.eFrameType == videoFrameTypeSkip || info.eFrameType == videoFrameTypeInvalid) return;
    for (int l = 0; l < info.iLayerNum; ++l) {
      const SLayerBSInfo& layer = info.sLayerInfo[l];
      size_t bytes = 0;
      for (int n = 0; n < layer.iNalCount; ++n) bytes += static_cast<size_t>(layer.pNalLengthInByte[n]);
      out->data.insert(out->data.end(), layer.pBsBuf, layer.pBsBuf + bytes);
    }
    out->keyframe = info.eFrameType == videoFrameTypeIDR;
    out->produced = !out->data.empty();
  }

 private:
  Config config_;
  ISVCEncoder* encoder_ = nullptr;
  std::string implementation_;
};

}  // namespace

std::unique_ptr<VideoEncoder> OpenOpenH264(const Config& config) { return std::make_unique<OpenH264Encoder>(config); }

}  // namespace glasslab::enc
