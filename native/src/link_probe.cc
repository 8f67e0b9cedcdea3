// UDP probe between two network namespaces (tests and bench/link.ts): a sender thread joins the
// sender's namespace, a receiver thread the receiver's (setns acts on the calling thread only),
// packets carry their CLOCK_MONOTONIC send time; the result is the one-way delay per packet.
// ratePps = 0 sends as fast as possible for durationMs (throughput).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>
#include <napi.h>

#include "js_args.h"
#include "link_dataplane.h"
#include "registry.h"

namespace glasslab::link {
namespace {

struct ProbeOptions {
  std::string senderNetns, receiverNetns, dst;
  int port = 47000;
  uint32_t count = 1000, size = 200;
  double ratePps = 1000;
  double durationMs = 1000;
  int realtimePriority = 0;
};

struct ProbeResult {
  std::vector<double> delayUs;  // per received packet, in receive order
  std::vector<double> seq;      // the sender's sequence number of each received packet, same order
  uint64_t sent = 0, received = 0, receivedBytes = 0, duplicates = 0;
  int64_t firstRecvNs = 0, lastRecvNs = 0, sendStartNs = 0, sendEndNs = 0;
  double cpuSenderMs = 0, cpuReceiverMs = 0;
  std::string error;
};

bool JoinNetns(const std::string& path, std::string& error) {
  if (path.empty()) return true;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) { error = "open " + path + ": " + strerror(errno); return false; }
  int rc = setns(fd, CLONE_NEWNET);
  close(fd);
  if (rc < 0) { error = "setns " + path + ": " + strerror(errno); return false; }
  return true;
}

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void RunProbe(const ProbeOptions& o, ProbeResult& r) {
  std::atomic<bool> ready{false}, senderDone{false};
  std::string recvError;
  std::vector<uint8_t> seen;
  std::thread receiver([&] {
    if (!JoinNetns(o.receiverNetns, recvError)) { ready = true; return; }
    SetRealtime(o.realtimePriority);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int buf = 8 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(o.port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(s, (sockaddr*)&a, sizeof a) < 0) { recvError = std::string("bind: ") + strerror(errno); ready = true; close(s); return; }
    timeval tv{0, 20000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ready = true;
    double cpu0 = ThreadCpuMs();
    std::vector<uint8_t> b(65536);
    int64_t quietSince = -1;
    for (;;) {
      ssize_t n = recv(s, b.data(), b.size(), 0);
      int64_t now = MonotonicNs();
      if (n >= 16) {
        uint64_t seq;
        int64_t sentNs;
        memcpy(&seq, b.data(), 8);
        memcpy(&sentNs, b.data() + 8, 8);
        if (seq < seen.size() && seen[seq]) { ++r.duplicates; continue; }
        if (seq >= seen.size()) seen.resize(seq + 1024, 0);
        seen[seq] = 1;
        if (!r.received) r.firstRecvNs = now;
        r.lastRecvNs = now;
        ++r.received;
        r.receivedBytes += n;
        r.delayUs.push_back((now - sentNs) / 1000.0);
        r.seq.push_back(static_cast<double>(seq));
        quietSince = -1;
      } else if (senderDone) {
        if (quietSince < 0) quietSince = now;
        if (now - quietSince > 300000000) break;  // 300 ms without packets after the sender stopped
      }
    }
    r.cpuReceiverMs = ThreadCpuMs() - cpu0;
    close(s);
  });
  while (!ready) std::this_thread::sleep_for(std::chrono::microseconds(100));
  std::string sendError;
  if (recvError.empty()) {
    std::thread sender([&] {
      if (!JoinNetns(o.senderNetns, sendError)) return;
      SetRealtime(o.realtimePriority);
      prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
      int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      int buf = 8 << 20;
      setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(o.port);
      inet_pton(AF_INET, o.dst.c_str(), &a.sin_addr);
      if (connect(s, (sockaddr*)&a, sizeof a) < 0) { sendError = std::string("connect: ") + strerror(errno); close(s); return; }
      std::vector<uint8_t> p(std::max<uint32_t>(o.size, 16), 0xab);
      double cpu0 = ThreadCpuMs();
      int64_t start = MonotonicNs() + 1000000;
      r.sendStartNs = start;
      int64_t end = start + static_cast<int64_t>(o.durationMs * 1e6);
      for (uint64_t i = 0;; ++i) {
        int64_t now;
        if (o.ratePps > 0) {
          if (i >= o.count) break;
          int64_t target = start + static_cast<int64_t>(i * 1e9 / o.ratePps);
          // sleep to the send time (no spinning: the measured delay starts at the timestamp
          // taken after waking, so pacing jitter does not enter it)
          timespec ts{static_cast<time_t>(target / 1000000000LL), static_cast<long>(target % 1000000000LL)};
          clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
          now = MonotonicNs();
        } else {
          now = MonotonicNs();
          if (now >= end) break;
        }
        memcpy(p.data(), &i, 8);
        memcpy(p.data() + 8, &now, 8);
        if (send(s, p.data(), p.size(), 0) < 0 && errno == ENOBUFS) {
          std::this_thread::yield();
        }
        ++r.sent;
      }
      r.sendEndNs = MonotonicNs();
      r.cpuSenderMs = ThreadCpuMs() - cpu0;
      close(s);
    });
    sender.join();
  }
  senderDone = true;
  receiver.join();
  r.error = !recvError.empty() ? recvError : sendError;
}

class ProbeWorker : public Napi::AsyncWorker {
 public:
  ProbeWorker(Napi::Env env, ProbeOptions o) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), o_(std::move(o)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { RunProbe(o_, r_); }
  void OnError(const Napi::Error& error) override {
    deferred_.Reject(js::WithCode(Napi::Error::New(Env(), "udpProbe: " + error.Message()), "ERR_LINK_PROBE").Value());
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (!r_.error.empty()) {
      deferred_.Reject(js::WithCode(Napi::Error::New(env, "udpProbe: " + r_.error), "ERR_LINK_PROBE").Value());
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    auto arr = Napi::Float64Array::New(env, r_.delayUs.size());
    for (size_t i = 0; i < r_.delayUs.size(); ++i) arr[i] = r_.delayUs[i];
    o.Set("delayUs", arr);
    auto seqs = Napi::Float64Array::New(env, r_.seq.size());
    for (size_t i = 0; i < r_.seq.size(); ++i) seqs[i] = r_.seq[i];
    o.Set("seq", seqs);
    o.Set("sent", static_cast<double>(r_.sent));
    o.Set("received", static_cast<double>(r_.received));
    o.Set("receivedBytes", static_cast<double>(r_.receivedBytes));
    o.Set("duplicates", static_cast<double>(r_.duplicates));
    o.Set("sendDurationMs", (r_.sendEndNs - r_.sendStartNs) / 1e6);
    o.Set("receiveSpanMs", (r_.lastRecvNs - r_.firstRecvNs) / 1e6);
    o.Set("cpuSenderMs", r_.cpuSenderMs);
    o.Set("cpuReceiverMs", r_.cpuReceiverMs);
    deferred_.Resolve(o);
  }
 private:
  Napi::Promise::Deferred deferred_;
  ProbeOptions o_;
  ProbeResult r_;
};

// Every option is checked here, on the JS thread: the probe threads allocate from `size` and
// run for `count` / `durationMs`, and an exception there could not reach JS.
Napi::Value UdpProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* code = "ERR_LINK_ARGS";
  Napi::Object a = js::Options(info, "udpProbe", code);
  ProbeOptions o;
  auto num = [&](const char* k, double fallback, double min, double max, bool integer) {
    return js::Number(env, a.Get(k), std::string("udpProbe: ") + k, fallback, min, max, integer, code);
  };
  o.senderNetns = js::String(env, a.Get("senderNetns"), "udpProbe: senderNetns", "", code);
  o.receiverNetns = js::String(env, a.Get("receiverNetns"), "udpProbe: receiverNetns", "", code);
  o.dst = js::String(env, a.Get("dst"), "udpProbe: dst", "", code);
  in_addr probeAddr{};
  if (inet_pton(AF_INET, o.dst.c_str(), &probeAddr) != 1) throw js::TypeError(env, code, "udpProbe: dst must be an IPv4 address (got '" + o.dst + "')");
  o.port = static_cast<int>(num("port", 47000, 1, 65535, true));
  o.count = static_cast<uint32_t>(num("count", 1000, 0, 1e7, true));
  o.size = static_cast<uint32_t>(num("size", 200, 16, 65507, true));
  o.ratePps = num("ratePps", 1000, 0, 1e7, false);
  o.durationMs = num("durationMs", 1000, 0, 600000, false);
  o.realtimePriority = static_cast<int>(num("realtimePriority", 0, 0, 99, true));
  if (o.ratePps > 0 && o.count / o.ratePps > 600) {
    throw js::RangeError(env, code, "udpProbe: count / ratePps must be at most 600 s (got " + js::Show(o.count / o.ratePps) + " s)");
  }
  auto* w = new ProbeWorker(info.Env(), o);
  auto p = w->Promise();
  w->Queue();
  return p;
}

Registrar registrar("link-probe", [](Napi::Env env, Napi::Object exports) {
  exports.Set("udpProbe", Napi::Function::New(env, UdpProbe, "udpProbe"));
});

}  // namespace
}  // namespace glasslab::link
