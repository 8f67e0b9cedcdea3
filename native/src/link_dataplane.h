// Native real-time data plane of the userspace link: two TUN devices (one per namespace), one
// thread per direction reading from one device, passing packets through a LinkModel and writing
// them to the other device at their release time (CLOCK_MONOTONIC, sleep then spin). Writes the
// fate log (NDJSON) and a nanosecond pcap of delivered packets (both directions).
#pragma once
#include <atomic>
#include <condition_variable>
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
};

/** What scheduling a thread asked for and got (set by the thread itself when it starts). */
struct ThreadScheduling {
  int policy = 0;           // SCHED_OTHER / SCHED_FIFO as the kernel reports it after the request
  int priority = 0;         // its real-time priority (0 under SCHED_OTHER)
  int cpu = -1;             // the one CPU it is pinned to, -1 when not pinned
  int realtimeErrno = 0;    // errno of the refused SCHED_FIFO request, 0 when granted or not asked
  int affinityErrno = 0;    // errno of the refused pinning, 0 when granted or not asked
};

/** CPU request values besides a CPU number. */
constexpr int kCpuNone = -1;
constexpr int kCpuAuto = -2;  // the highest allowed CPU (up) and the one below it (down) when 4+ are allowed, else both on the highest

/**
 * Applies a real-time priority (0: leaves the policy) and a CPU (kCpuNone, kCpuAuto or a number)
 * to the calling thread; `lane` 0/1 picks the CPU under kCpuAuto. Never throws: refusals are in the result.
 */
ThreadScheduling ApplyScheduling(int priority, int cpu, int lane);

struct DataPlaneOptions {
  std::string tunNames[2];  // [0] sender side, [1] receiver side
  uint64_t seeds[2] = {1, 2};
  LinkParams params[2];     // [0] up (snd -> rcv), [1] down
  std::string fateLogPath, pcapPath;  // empty = not written
  int64_t spinNs = 50000;   // sleep until this long before a release, then spin
  int realtimePriority = 0; // SCHED_FIFO priority of the threads (1..99), 0 = normal scheduling
  int cpu = kCpuNone;       // CPU the threads are pinned to: kCpuNone, kCpuAuto or a CPU number
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
  /** What each direction's thread got; Start() returns only after both threads have set theirs. */
  ThreadScheduling Scheduling(int dir) const { return scheduling_[dir]; }
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
  ThreadScheduling scheduling_[2];
  std::mutex startMu_;
  std::condition_variable started_;
  int threadsScheduled_ = 0;
};

int64_t MonotonicNs();

/** Puts the calling thread under SCHED_FIFO at `priority` (0: leaves it); false when refused. */
bool SetRealtime(int priority);

}  // namespace glasslab::link
