// Network namespaces held by file descriptor (rootless mode: inside a user namespace `ip netns add`
// cannot bind-mount under /run/netns). A short-lived thread unshares its network namespace and
// opens /proc/thread-self/ns/net; the namespace lives as long as that fd (or a process in it).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <napi.h>

#include "js_args.h"
#include "registry.h"

namespace glasslab::link {
namespace {

// The fds holdNewNetns handed out and releaseNetns has not closed yet: releaseNetns closes only
// these, never an fd number some other part of the process owns.
std::mutex heldMu;
std::set<int> heldFds;

// holdNewNetns() -> fd (number); throws with the errno text
Napi::Value HoldNewNetns(const Napi::CallbackInfo& info) {
  int fd = -1;
  std::string error;
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) < 0) {
      error = std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
      return;
    }
    fd = open("/proc/thread-self/ns/net", O_RDONLY);  // not O_CLOEXEC: nsenter children may use it
    if (fd < 0) error = std::string("open /proc/thread-self/ns/net: ") + strerror(errno);
  });
  t.join();
  if (fd < 0) throw js::WithCode(Napi::Error::New(info.Env(), "holdNewNetns: " + error), "ERR_LINK_NETNS");
  std::lock_guard<std::mutex> lock(heldMu);
  heldFds.insert(fd);
  return Napi::Number::New(info.Env(), fd);
}

// releaseNetns(fd): fd must come from holdNewNetns and not be released yet
Napi::Value ReleaseNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = static_cast<int>(js::RequiredNumber(env, info[0], "releaseNetns: fd", 0, 2147483647, true, "ERR_LINK_ARGS"));
  std::lock_guard<std::mutex> lock(heldMu);
  if (heldFds.erase(fd) == 0) {
    throw js::WithCode(Napi::Error::New(env, "releaseNetns: fd " + std::to_string(fd) +
                                                 " is not a namespace fd held by holdNewNetns (never handed out, or already released)"),
                       "ERR_LINK_NETNS_FD");
  }
  close(fd);
  return env.Undefined();
}

Registrar registrar("link-netns", [](Napi::Env env, Napi::Object exports) {
  exports.Set("holdNewNetns", Napi::Function::New(env, HoldNewNetns, "holdNewNetns"));
  exports.Set("releaseNetns", Napi::Function::New(env, ReleaseNetns, "releaseNetns"));
});

}  // namespace
}  // namespace glasslab::link
