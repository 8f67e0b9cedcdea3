// Native real-time data plane of the userspace link: two TUN devices (one per namespace), one
// thread per direction reading from one device, passing packets through a LinkModel and writing
// them to the other device at their release time (CLOCK_MONOTONIC, sleep then spin). Writes the
// fate log (NDJSON) and a nanosecond pcap of delivered packets (both directions).
#pragma once
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "link_model.h"

namespace glasslab::link {

/** Shared append-only sinks for the fate log and the pcap, both directions. */
class LogSinks {
 public:
  bool Open(const std::string& fatePath, const std::string& pcapPath, std::string& error);
  void Fate(const std::string& lines);
  void Pcap(const uint8_t* data, size_t size, int64_t timeNs);
  void Close();
  bool WantsFates() const { return fate_ != nullptr; }
  ~LogSinks() { Close(); }
 private:
  std::mutex mu_;
  FILE* fate_ = nullptr;
  FILE* pcap_ = nullptr;
};

struct DirectionStats {
  // dropped counts every drop reason, write errors included; writeErrors counts those alone
  std::atomic<uint64_t> offered{0}, delivered{0}, dropped{0}, writeErrors{0};
  std::atomic<int64_t> maxLatenessNs{0};  // actual write time minus scheduled release
  std::atomic<int64_t> cpuNs{0};          // CPU time of the direction's thread so far
  // scheduling the thread got: kSchedulingPending until it has started, 0 normal (none asked),
  // > 0 the SCHED_FIFO priority granted, -1 refused by the kernel (no CAP_SYS_NICE or RT budget)
  std::atomic<int> scheduling{kSchedulingPending};
  static constexpr int kSchedulingPending = -1000;
};

struct DataPlaneOptions {
  std::string tunNames[2];  // [0] sender side, [1] receiver side
  uint64_t seeds[2] = {1, 2};
  LinkParams params[2];     // [0] up (snd -> rcv), [1] down
  std::string fateLogPath, pcapPath;  // empty = not written
  int64_t spinNs = 50000;   // sleep until this long before a release, then spin
  int realtimePriority = 0; // SCHED_FIFO priority of the threads (1..99), 0 = normal scheduling
};

class DataPlane {
 public:
  /** Creates both TUN devices (in the caller's network namespace), after those of earlier data planes are gone;
   *  throws std::runtime_error. The destructor stops and closes the devices' fds on a background thread. */
  explicit DataPlane(DataPlaneOptions options);
  ~DataPlane();
  void Start();
  /** Queues new parameters for one direction; applied between two packets. */
  void SetParams(int dir, LinkParams params);
  /** Wakes the threads through the eventfd and joins them; held packets get fate "shutdown". */
  void Stop();
  const DirectionStats& Stats(int dir) const { return stats_[dir]; }
 private:
  void Run(int dir);
  DataPlaneOptions options_;
  int fds_[2] = {-1, -1};
  int wakeFd_ = -1;  // eventfd in both threads' poll sets: Stop() makes it readable so no ppoll outsleeps it
  LogSinks sinks_;
  std::atomic<bool> running_{false};
  std::thread threads_[2];
  std::mutex paramMu_;
  std::unique_ptr<LinkParams> pending_[2];
  std::atomic<bool> hasPending_[2] = {false, false};
  DirectionStats stats_[2];
};

int64_t MonotonicNs();

/** Puts the calling thread under SCHED_FIFO at `priority` (0: leaves it); false when refused. */
bool SetRealtime(int priority);

}  // namespace glasslab::link
