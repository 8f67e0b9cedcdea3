#include "link_dataplane.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace glasslab::link {

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

bool SetRealtime(int priority) {
  if (priority <= 0) return true;
  sched_param sp{};
  sp.sched_priority = priority;
  return pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
}

namespace {

// The CPU kCpuAuto picks for a lane from the thread's allowed set, -1 when the set is unreadable.
int AutoCpu(int lane) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  if (cpus.empty()) return -1;
  // with 4+ CPUs each direction gets its own; with fewer, both share the last (the rest keep the others)
  size_t fromTop = cpus.size() >= 4 ? static_cast<size_t>(lane) : 0;
  return cpus[cpus.size() - 1 - fromTop];
}

}  // namespace

ThreadScheduling ApplyScheduling(int priority, int cpu, int lane) {
  ThreadScheduling got;
  if (cpu != kCpuNone) {
    int target = cpu == kCpuAuto ? AutoCpu(lane) : cpu;
    if (target < 0 || target >= CPU_SETSIZE) {
      got.affinityErrno = EINVAL;
    } else {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(target, &one);
      int rc = pthread_setaffinity_np(pthread_self(), sizeof one, &one);
      if (rc == 0) got.cpu = target;
      else got.affinityErrno = rc;
    }
  }
  if (priority > 0) {
    sched_param sp{};
    sp.sched_priority = priority;
    int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    if (rc != 0) got.realtimeErrno = rc;
  }
  sched_param now{};
  int policy = SCHED_OTHER;
  if (pthread_getschedparam(pthread_self(), &policy, &now) == 0) {
    got.policy = policy;
    got.priority = now.sched_priority;
  }
  return got;
}

namespace {

int OpenTun(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) throw std::runtime_error("TUN name must be 1..15 characters: " + name);
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw std::runtime_error(std::string("open /dev/net/tun: ") + strerror(errno));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    throw std::runtime_error("TUNSETIFF " + name + ": " + strerror(e));
  }
  return fd;
}

// A TUN device vanishes when its last fd closes, and the kernel then waits for RCU grace periods
// (10-100 ms per device measured here): too long for stop(). So the fds are closed on a detached
// thread, and a new data plane first waits until those devices are gone (it may reuse the names).
struct DeviceReaper {
  std::mutex mu;
  std::condition_variable idle;
  int pending = 0;
};

DeviceReaper& Reaper() {
  static auto* reaper = new DeviceReaper;  // never destroyed: a detached closer may outlive static destructors
  return *reaper;
}

void CloseInBackground(std::vector<int> fds) {
  DeviceReaper& r = Reaper();
  {
    std::lock_guard<std::mutex> lock(r.mu);
    ++r.pending;
  }
  auto closeAll = [](const std::vector<int>& list) {
    for (int fd : list) close(fd);
    DeviceReaper& reaper = Reaper();
    std::lock_guard<std::mutex> lock(reaper.mu);
    if (--reaper.pending == 0) reaper.idle.notify_all();
  };
  try {
    std::thread(closeAll, std::move(fds)).detach();
  } catch (const std::system_error&) {
    closeAll(fds);  // no thread to be had: close them here
  }
}

void WaitForReleasedDevices() {
  DeviceReaper& r = Reaper();
  std::unique_lock<std::mutex> lock(r.mu);
  r.idle.wait(lock, [&] { return r.pending == 0; });
}

}  // namespace

bool LogSinks::Open(const std::string& fatePath, const std::string& pcapPath, std::string& error) {
  if (!fatePath.empty()) {
    fate_ = fopen(fatePath.c_str(), "w");
    if (!fate_) { error = "open " + fatePath + ": " + strerror(errno); return false; }
    setvbuf(fate_, nullptr, _IOFBF, 1 << 20);
  }
  if (!pcapPath.empty()) {
    pcap_ = fopen(pcapPath.c_str(), "wb");
    if (!pcap_) { error = "open " + pcapPath + ": " + strerror(errno); return false; }
    setvbuf(pcap_, nullptr, _IOFBF, 1 << 20);
    // nanosecond pcap, LINKTYPE_RAW (101): raw IPv4/IPv6 packets as they left the link
    uint32_t header[6] = {0xa1b23c4d, 0x00040002, 0, 0, 262144, 101};
    fwrite(header, sizeof header, 1, pcap_);
  }
  return true;
}

void LogSinks::Fate(const std::string& lines) {
  if (!fate_ || lines.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  fwrite(lines.data(), 1, lines.size(), fate_);
}

void LogSinks::Pcap(const uint8_t* data, size_t size, int64_t timeNs) {
  if (!pcap_) return;
  uint32_t rec[4] = {static_cast<uint32_t>(timeNs / 1000000000LL), static_cast<uint32_t>(timeNs % 1000000000LL),
                     static_cast<uint32_t>(size), static_cast<uint32_t>(size)};
  std::lock_guard<std::mutex> lock(mu_);
  fwrite(rec, sizeof rec, 1, pcap_);
  fwrite(data, 1, size, pcap_);
}

void LogSinks::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fate_) fclose(fate_);
  if (pcap_) fclose(pcap_);
  fate_ = pcap_ = nullptr;
}

DataPlane::DataPlane(DataPlaneOptions options) : options_(std::move(options)) {
  auto closeAll = [this] {
    for (int* fd : {&fds_[0], &fds_[1], &wakeFd_}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  };
  WaitForReleasedDevices();
  try {
    fds_[0] = OpenTun(options_.tunNames[0]);
    fds_[1] = OpenTun(options_.tunNames[1]);
    wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeFd_ < 0) throw std::runtime_error(std::string("eventfd: ") + strerror(errno));
    std::string error;
    if (!sinks_.Open(options_.fateLogPath, options_.pcapPath, error)) throw std::runtime_error(error);
  } catch (...) {
    closeAll();
    throw;
  }
}

DataPlane::~DataPlane() {
  Stop();
  if (wakeFd_ >= 0) close(wakeFd_);
  std::vector<int> tuns;
  for (int fd : fds_)
    if (fd >= 0) tuns.push_back(fd);
  if (!tuns.empty()) CloseInBackground(std::move(tuns));
}

void DataPlane::Start() {
  if (running_.exchange(true)) return;
  uint64_t pending;
  while (read(wakeFd_, &pending, sizeof pending) > 0) {}  // a wake-up left by an earlier Stop()
  {
    std::lock_guard<std::mutex> lock(startMu_);
    threadsScheduled_ = 0;
  }
  for (int dir = 0; dir < 2; ++dir) threads_[dir] = std::thread([this, dir] { Run(dir); });
  // stats() reports what the threads got from their first moment
  std::unique_lock<std::mutex> lock(startMu_);
  started_.wait(lock, [&] { return threadsScheduled_ == 2; });
}

void DataPlane::SetParams(int dir, LinkParams params) {
  std::lock_guard<std::mutex> lock(paramMu_);
  pending_[dir] = std::make_unique<LinkParams>(std::move(params));
  hasPending_[dir].store(true, std::memory_order_release);
}

void DataPlane::Stop() {
  if (!running_.exchange(false)) return;
  uint64_t one = 1;
  if (write(wakeFd_, &one, sizeof one) < 0) {}  // only fails when the counter is full: then it is readable anyway
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  sinks_.Close();
}

void DataPlane::Run(int dir) {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // ppoll wakes within µs instead of 50 µs slack
  {
    ThreadScheduling got = ApplyScheduling(options_.realtimePriority, options_.cpu, dir);
    std::lock_guard<std::mutex> lock(startMu_);
    scheduling_[dir] = got;
    ++threadsScheduled_;
    started_.notify_all();
  }
  const char* dirName = dir == 0 ? "up" : "down";
  int in = fds_[dir], out = fds_[1 - dir];
  LinkModel model(options_.seeds[dir], options_.params[dir], static_cast<uint8_t>(dir));
  DirectionStats& st = stats_[dir];
  std::vector<uint8_t> buf(65536);
  std::string lines;
  Released rel;
  Fate fate;
  auto flushFates = [&] {
    while (model.PollFate(fate)) {
      if (fate.drop != DropReason::None) st.dropped.fetch_add(1, std::memory_order_relaxed);
      if (sinks_.WantsFates()) AppendFateJson(lines, fate, dirName);
    }
    if (lines.size() > 32768) {
      sinks_.Fate(lines);
      lines.clear();
    }
  };
  uint32_t iteration = 0;
  int64_t spinWindowStart = MonotonicNs(), spunNs = 0, spinSince = -1;
  auto sampleCpu = [&] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    st.cpuNs.store(static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec, std::memory_order_relaxed);
  };
  while (running_.load(std::memory_order_relaxed)) {
    if ((++iteration & 255) == 0) sampleCpu();
    if (hasPending_[dir].load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(paramMu_);
      model.SetParams(std::move(*pending_[dir]));
      pending_[dir].reset();
      hasPending_[dir].store(false, std::memory_order_relaxed);
    }
    // take in what arrived (bounded so releases are not starved)
    for (int i = 0; i < 64; ++i) {
      ssize_t n = read(in, buf.data(), buf.size());
      if (n <= 0) break;
      int64_t readNs = MonotonicNs();
      st.offered.fetch_add(1, std::memory_order_relaxed);
      model.Offer(buf.data(), static_cast<size_t>(n), MonotonicNs(), readNs);
    }
    int64_t now = MonotonicNs();
    Fate* f = nullptr;
    while (model.PollRelease(now, rel, &f)) {
      int64_t wire = MonotonicNs();
      ssize_t w = write(out, rel.data.data(), rel.data.size());
      if (w < 0) {
        // not delivered (e.g. EIO: the far device is down): the fate says so, the pcap skips it
        st.writeErrors.fetch_add(1, std::memory_order_relaxed);
        f->drop = DropReason::WriteError;
        f->releaseNs = -1;
      } else {
        st.delivered.fetch_add(1, std::memory_order_relaxed);
        f->wireNs = wire;
        sinks_.Pcap(rel.data.data(), rel.data.size(), wire);
      }
      int64_t late = wire - rel.releaseNs;
      if (late > st.maxLatenessNs.load(std::memory_order_relaxed)) st.maxLatenessNs.store(late, std::memory_order_relaxed);
      now = MonotonicNs();
    }
    flushFates();
    // wait: sleep (ppoll on the input) until spinNs before the next release, then spin
    int64_t due = model.PollTimeout();
    now = MonotonicNs();
    // Spin budget: spinning at most a third of each 100 ms window, so that a busy direction never
    // holds its CPU so long that the kernel throttles real-time threads (95 % rule) for ~50 ms.
    if (now - spinWindowStart >= 100000000) {
      spinWindowStart = now;
      spunNs = 0;
    }
    bool mayspin = spunNs < 33000000;
    int64_t waitNs = due < 0 ? 20000000 : due - now - (mayspin ? options_.spinNs : 0);
    bool spinning = waitNs <= 0 && due > now;
    if (spinning && spinSince < 0) spinSince = now;
    if (!spinning && spinSince >= 0) {
      spunNs += now - spinSince;
      spinSince = -1;
    }
    if (waitNs > 0) {
      if (!lines.empty()) {
        sinks_.Fate(lines);
        lines.clear();
      }
      pollfd pfds[2] = {{in, POLLIN, 0}, {wakeFd_, POLLIN, 0}};
      timespec ts{static_cast<time_t>(waitNs / 1000000000LL), static_cast<long>(waitNs % 1000000000LL)};
      sampleCpu();
      ppoll(pfds, 2, &ts, nullptr);
    }
  }
  sampleCpu();
  model.DropHeld();
  flushFates();
  sinks_.Fate(lines);
}

}  // namespace glasslab::link
