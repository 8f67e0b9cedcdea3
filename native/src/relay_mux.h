// RelayMuxer: H.264 access units (Annex-B, already encoded) relayed without re-encoding to one
// network target through libavformat: the `rtsp` muxer (ANNOUNCE/SETUP/RECORD, RTP over UDP or
// interleaved TCP), `mpegts` over the `srt` protocol, or `flv` over the `rtmp` protocol.
//
// Threads: the JS thread only validates and enqueues. One worker thread per muxer opens the
// connection (avio_open2 / avformat_write_header) and writes every packet (av_write_frame), so a
// slow or dead target never blocks the caller. Every blocking libav call runs under an interrupt
// callback with a deadline (openTimeoutMs for the open, writeTimeoutMs per packet) that close()
// also trips.
//
// Queue and drop policy (bounded, `queueFrames` access units, and `maxQueueAgeMs` when > 0):
//   - nothing is queued before the first keyframe (each such write is dropped and counted);
//   - when a write finds the queue full, or its oldest frame queued longer than maxQueueAgeMs,
//     every queued non-key frame is dropped (counted); if the queue is still full (all
//     keyframes) or its oldest still too old, the oldest is dropped too;
//   - after any drop, non-key frames are dropped until the next keyframe (a P frame whose
//     reference was dropped is never sent); the keyframe is queued and sending resumes.
// write() returns false when the access unit it was given was dropped.
//
// Extradata (SPS/PPS, Annex-B) is taken from the first keyframe, which must carry them in-band.
// Timestamps: pts = dts = ptsUs − ptsUs(first keyframe sent), rescaled with av_rescale_q from µs
// to the stream's time base (no B-frames): intervals are preserved exactly to the time base,
// every (re)open starts at 0 (FLV's 32-bit ms would overflow on CLOCK_MONOTONIC µs).
//
// A libav failure moves the muxer to state 'failed' for good, with the library's text (the
// AVERROR text plus what it logged, enc_avlog.h) in `error`; a deadline that interrupted the
// call is named (e.g. "openTimeoutMs = 800 ms passed"). Reconnecting is the caller's
// (src/relay/targets.ts). close() sends what is queued within a 1 s grace (aborts at once while
// still connecting), writes the trailer and ends the thread; state is then 'closed' and stats()
// still answers. Error codes: ERR_RELAY_OPTIONS (constructor, the message names the field),
// ERR_RELAY_ARGS (write arguments), ERR_RELAY_CLOSED (write after close).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace glasslab::avlog {
class LogCapture;
}
struct AVPacket;
struct AVFormatContext;
struct AVDictionary;

namespace glasslab::relay {

struct MuxConfig {
  std::string url;
  std::string format;  // "rtsp" | "mpegts" | "flv"
  int width = 0, height = 0;
  double fps = 0;
  std::map<std::string, std::string> options;  // AVDictionary for avio_open2 + write_header
  int queueFrames = 30;
  int64_t maxQueueAgeMs = 0;  // 0: bounded by frames only
  int64_t openTimeoutMs = 5000;
  int64_t writeTimeoutMs = 2000;
};

enum class MuxState { kConnecting, kOpen, kFailed, kClosed };

struct MuxStats {
  uint64_t bytes = 0, frames = 0, dropped = 0;
  double queueDelayMsP50 = -1;  // write() -> av_write_frame returned, median of the last 256, ms; < 0: none yet
  MuxState state = MuxState::kConnecting;
  std::string error;
};

// The queue and the worker; shared between the JS object and the thread (which may outlive it).
class MuxCore {
 public:
  explicit MuxCore(MuxConfig config);
  ~MuxCore();
  // Starts the worker thread, which holds `core` until it ends.
  static void Start(const std::shared_ptr<MuxCore>& core);
  // Takes ownership of `packet` (data already copied). Returns false when dropped.
  bool Push(AVPacket* packet, int64_t ptsUs, bool keyframe);
  MuxStats Stats();
  // Asks the worker to send what is queued (within a grace time), write the trailer and end.
  void RequestClose(int64_t graceMs);
  void Join();
  void Detach();

 private:
  struct Item {
    AVPacket* packet;
    int64_t ptsUs;
    bool keyframe;
    int64_t enqueuedNs;
  };
  void Run();
  bool Connect();                      // output context, stream, avio_open2 (not RTSP)
  bool WriteHeader(const Item& first); // extradata from the first keyframe, avformat_write_header
  bool WriteOne(Item& item);           // av_write_frame; frees the packet
  void Arm(int64_t timeoutMs);         // deadline of the next blocking call (capped while closing)
  void Fail(const std::string& error);
  // Describe() of a failed call; an interrupt by the deadline (not by close) names the limit.
  std::string Why(const std::string& call, int ret, const avlog::LogCapture& capture, int64_t timeoutMs, const char* limit);
  void FreeContext();
  static int Interrupt(void* opaque);

  MuxConfig config_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool waitKey_ = true;
  bool closing_ = false;
  MuxStats stats_;
  std::vector<double> delaysMs_;  // last written frames' queue delay, ring
  size_t delayNext_ = 0;
  std::atomic<int64_t> deadlineNs_{0};  // CLOCK_MONOTONIC ns: the blocking libav call in progress gives up after it
  std::atomic<bool> abort_{false};
  int64_t closeDeadlineNs_ = 0;
  int64_t firstPtsUs_ = 0;
  int64_t lastPts_ = INT64_MIN;  // AV_NOPTS_VALUE
  AVFormatContext* ctx_ = nullptr;
  AVDictionary* pending_ = nullptr;  // options not yet taken by avio_open2 / write_header
  bool headerWritten_ = false;       // written on the worker under mutex_
  std::thread thread_;
};

}  // namespace glasslab::relay
