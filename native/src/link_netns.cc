// Network namespaces held by file descriptor (rootless mode: inside a user namespace `ip netns add`
// cannot bind-mount under /run/netns). A short-lived thread unshares its network namespace and
// opens /proc/thread-self/ns/net; the namespace lives as long as that fd (or a process in it).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <napi.h>

#include "registry.h"

namespace glasslab::link {
namespace {

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
  if (fd < 0) throw Napi::Error::New(info.Env(), "holdNewNetns: " + error);
  return Napi::Number::New(info.Env(), fd);
}

// releaseNetns(fd)
Napi::Value ReleaseNetns(const Napi::CallbackInfo& info) {
  close(info[0].ToNumber().Int32Value());
  return info.Env().Undefined();
}

Registrar registrar("link-netns", [](Napi::Env env, Napi::Object exports) {
  exports.Set("holdNewNetns", Napi::Function::New(env, HoldNewNetns, "holdNewNetns"));
  exports.Set("releaseNetns", Napi::Function::New(env, ReleaseNetns, "releaseNetns"));
});

}  // namespace
}  // namespace glasslab::link
