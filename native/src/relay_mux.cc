// RelayMuxer: see relay_mux.h for threads, queue/drop policy and timestamps.
#include "relay_mux.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "enc_avlog.h"
#include "marker.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>
}

namespace glasslab::relay {
namespace {

constexpr size_t kDelayRing = 256;
constexpr AVRational kMicros = {1, 1000000};

int64_t NowNs() { return static_cast<int64_t>(marker::MonotonicNowNs()); }

// Annex-B NAL units of `data` as (offset, size) pairs, trailing zero bytes excluded.
std::vector<std::pair<size_t, size_t>> SplitNals(const uint8_t* data, size_t size) {
  std::vector<std::pair<size_t, size_t>> nals;
  size_t i = 0, start = SIZE_MAX;
  auto close = [&](size_t end) {
    if (start == SIZE_MAX) return;
    while (end > start && data[end - 1] == 0) --end;
    if (end > start) nals.emplace_back(start, end - start);
  };
  while (i + 2 < size) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      close(i);
      i += 3;
      start = i;
    } else {
      ++i;
    }
  }
  close(size);
  return nals;
}

}  // namespace

MuxCore::MuxCore(MuxConfig config) : config_(std::move(config)) { delaysMs_.reserve(kDelayRing); }

MuxCore::~MuxCore() {
  for (Item& item : queue_) av_packet_free(&item.packet);
  FreeContext();
}

void MuxCore::Start(const std::shared_ptr<MuxCore>& core) {
  core->thread_ = std::thread([core] { core->Run(); });
}

bool MuxCore::Push(AVPacket* packet, int64_t ptsUs, bool keyframe) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto drop = [&](AVPacket* p) {
    av_packet_free(&p);
    ++stats_.dropped;
    return false;
  };
  if (closing_ || stats_.state == MuxState::kFailed) return drop(packet);
  if (!keyframe && waitKey_) return drop(packet);
  const int64_t nowNs = NowNs();
  // a target that cannot keep up falls behind in time before it fills a long queue
  auto tooOld = [&] { return config_.maxQueueAgeMs > 0 && !queue_.empty() && nowNs - queue_.front().enqueuedNs > config_.maxQueueAgeMs * 1'000'000; };
  if (queue_.size() >= static_cast<size_t>(config_.queueFrames) || tooOld()) {
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->keyframe) {
        ++it;
        continue;
      }
      av_packet_free(&it->packet);
      ++stats_.dropped;
      it = queue_.erase(it);
    }
    while (!queue_.empty() && (queue_.size() >= static_cast<size_t>(config_.queueFrames) || tooOld())) {
      av_packet_free(&queue_.front().packet);
      ++stats_.dropped;
      queue_.pop_front();
    }
    waitKey_ = true;
    if (!keyframe) return drop(packet);
  }
  if (keyframe) waitKey_ = false;
  queue_.push_back({packet, ptsUs, keyframe, nowNs});
  wake_.notify_one();
  return true;
}

MuxStats MuxCore::Stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  MuxStats out = stats_;
  if (!delaysMs_.empty()) {
    std::vector<double> sorted = delaysMs_;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    out.queueDelayMsP50 = sorted[sorted.size() / 2];
  }
  return out;
}

void MuxCore::RequestClose(int64_t graceMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  closing_ = true;
  closeDeadlineNs_ = NowNs() + graceMs * 1'000'000;
  // Nothing has reached the target yet: stop connecting right away.
  if (!headerWritten_) abort_ = true;
  wake_.notify_one();
}

void MuxCore::Join() {
  if (thread_.joinable()) thread_.join();
}

void MuxCore::Detach() {
  if (thread_.joinable()) thread_.detach();
}

int MuxCore::Interrupt(void* opaque) {
  auto* self = static_cast<MuxCore*>(opaque);
  return self->abort_.load() || NowNs() > self->deadlineNs_.load() ? 1 : 0;
}

void MuxCore::Arm(int64_t timeoutMs) {
  int64_t deadline = NowNs() + timeoutMs * 1'000'000;
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_) deadline = std::min(deadline, closeDeadlineNs_);
  deadlineNs_ = deadline;
}

std::string MuxCore::Why(const std::string& call, int ret, const avlog::LogCapture& capture, int64_t timeoutMs, const char* limit) {
  std::string text = avlog::Describe(call.c_str(), ret, capture);
  if (ret == AVERROR_EXIT && !abort_) text += " (" + std::string(limit) + " = " + std::to_string(timeoutMs) + " ms passed)";
  return text;
}

void MuxCore::Fail(const std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stats_.state == MuxState::kFailed) return;
  stats_.state = MuxState::kFailed;
  stats_.error = error;
  for (Item& item : queue_) {
    av_packet_free(&item.packet);
    ++stats_.dropped;
  }
  queue_.clear();
}

void MuxCore::FreeContext() {
  if (!ctx_) return;
  if (ctx_->pb && !(ctx_->oformat->flags & AVFMT_NOFILE)) avio_closep(&ctx_->pb);
  avformat_free_context(ctx_);
  ctx_ = nullptr;
  av_dict_free(&pending_);
}

bool MuxCore::Connect() {
  avlog::LogCapture capture;
  const std::string what = "RelayMuxer(" + config_.format + ")";
  int ret = avformat_alloc_output_context2(&ctx_, nullptr, config_.format.c_str(), config_.url.c_str());
  if (ret < 0 || !ctx_) {
    Fail(avlog::Describe((what + ": avformat_alloc_output_context2").c_str(), ret < 0 ? ret : AVERROR(ENOMEM), capture));
    return false;
  }
  ctx_->interrupt_callback = {&MuxCore::Interrupt, this};
  ctx_->flush_packets = 1;  // hand every packet to the protocol at once (no 32 KiB avio batching)
  AVStream* st = avformat_new_stream(ctx_, nullptr);
  if (!st) {
    Fail(what + ": avformat_new_stream: out of memory");
    return false;
  }
  st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
  st->codecpar->codec_id = AV_CODEC_ID_H264;
  st->codecpar->width = config_.width;
  st->codecpar->height = config_.height;
  st->avg_frame_rate = av_d2q(config_.fps, 1000000);
  st->time_base = {1, 90000};
  for (const auto& [key, value] : config_.options) av_dict_set(&pending_, key.c_str(), value.c_str(), 0);
  if (!(ctx_->oformat->flags & AVFMT_NOFILE)) {
    Arm(config_.openTimeoutMs);
    ret = avio_open2(&ctx_->pb, config_.url.c_str(), AVIO_FLAG_WRITE, &ctx_->interrupt_callback, &pending_);
    if (ret < 0) {
      Fail(Why(what + ": avio_open2(" + config_.url + ")", ret, capture, config_.openTimeoutMs, "openTimeoutMs"));
      return false;
    }
  }
  return true;
}

bool MuxCore::WriteHeader(const Item& first) {
  avlog::LogCapture capture;
  const std::string what = "RelayMuxer(" + config_.format + ")";
  std::vector<uint8_t> extradata;
  const uint8_t* data = first.packet->data;
  for (auto [offset, size] : SplitNals(data, static_cast<size_t>(first.packet->size))) {
    int type = data[offset] & 0x1f;
    if (type != 7 && type != 8) continue;
    static const uint8_t kStart[] = {0, 0, 0, 1};
    extradata.insert(extradata.end(), kStart, kStart + 4);
    extradata.insert(extradata.end(), data + offset, data + offset + size);
  }
  if (extradata.empty()) {
    Fail(what + ": the first keyframe carries no SPS/PPS NAL units (in-band parameter sets are required)");
    return false;
  }
  AVCodecParameters* par = ctx_->streams[0]->codecpar;
  par->extradata = static_cast<uint8_t*>(av_mallocz(extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (!par->extradata) {
    Fail(what + ": out of memory for extradata");
    return false;
  }
  std::memcpy(par->extradata, extradata.data(), extradata.size());
  par->extradata_size = static_cast<int>(extradata.size());
  Arm(config_.openTimeoutMs);
  int ret = avformat_write_header(ctx_, &pending_);
  if (ret < 0) {
    Fail(Why(what + ": avformat_write_header(" + config_.url + ")", ret, capture, config_.openTimeoutMs, "openTimeoutMs"));
    return false;
  }
  std::string unused;
  for (AVDictionaryEntry* e = nullptr; (e = av_dict_get(pending_, "", e, AV_DICT_IGNORE_SUFFIX));) {
    unused += std::string(unused.empty() ? "" : ", ") + e->key;
  }
  if (!unused.empty()) {
    Fail(what + ": options not recognised by the " + config_.format + " muxer or its protocol: " + unused);
    return false;
  }
  firstPtsUs_ = first.ptsUs;
  std::lock_guard<std::mutex> lock(mutex_);
  headerWritten_ = true;
  stats_.state = MuxState::kOpen;
  return true;
}

bool MuxCore::WriteOne(Item& item) {
  avlog::LogCapture capture;
  AVStream* st = ctx_->streams[0];
  AVPacket* pkt = item.packet;
  pkt->stream_index = 0;
  int64_t pts = av_rescale_q(item.ptsUs - firstPtsUs_, kMicros, st->time_base);
  if (lastPts_ != AV_NOPTS_VALUE && pts <= lastPts_) pts = lastPts_ + 1;  // two writes within one tick
  pkt->pts = pkt->dts = pts;
  pkt->duration = av_rescale_q(static_cast<int64_t>(1e6 / config_.fps + 0.5), kMicros, st->time_base);
  if (item.keyframe) pkt->flags |= AV_PKT_FLAG_KEY;
  const int size = pkt->size;
  Arm(config_.writeTimeoutMs);
  int ret = av_write_frame(ctx_, pkt);
  av_packet_free(&item.packet);
  if (ret < 0) {
    Fail(Why("RelayMuxer(" + config_.format + "): av_write_frame", ret, capture, config_.writeTimeoutMs, "writeTimeoutMs"));
    return false;
  }
  lastPts_ = pts;
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.bytes += static_cast<uint64_t>(size);
  ++stats_.frames;
  double delayMs = static_cast<double>(NowNs() - item.enqueuedNs) / 1e6;
  if (delaysMs_.size() < kDelayRing) {
    delaysMs_.push_back(delayMs);
  } else {
    delaysMs_[delayNext_] = delayMs;
    delayNext_ = (delayNext_ + 1) % kDelayRing;
  }
  return true;
}

void MuxCore::Run() {
  avlog::Install();
  // RTSP connects in avformat_write_header; the others can open their connection right away.
  bool ok = Connect();
  while (ok) {
    Item item{};
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) break;  // closing, everything sent
      item = queue_.front();
      queue_.pop_front();
    }
    if (!headerWritten_ && !WriteHeader(item)) {
      av_packet_free(&item.packet);
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.dropped;
      break;
    }
    ok = WriteOne(item);
  }
  if (headerWritten_) {
    // after a failure too: the trailer is what frees the rtsp muxer's RTP contexts and sockets
    avlog::LogCapture capture;
    Arm(ok ? config_.writeTimeoutMs : 200);
    int ret = av_write_trailer(ctx_);
    if (ok && ret < 0) Fail(avlog::Describe(("RelayMuxer(" + config_.format + "): av_write_trailer").c_str(), ret, capture));
  }
  FreeContext();
  std::lock_guard<std::mutex> lock(mutex_);
  for (Item& item : queue_) {
    av_packet_free(&item.packet);
    ++stats_.dropped;
  }
  queue_.clear();
  if (closing_) stats_.state = MuxState::kClosed;
}

}  // namespace glasslab::relay
