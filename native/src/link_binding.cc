// JS bindings of the link: `LinkModel` (sans-I/O, virtual time, µs) and `LinkDataPlane`
// (TUN devices + real-time threads). Parameters arrive as the canonical object built by
// src/link/params.ts (times µs, probabilities 0..1, rate bits/s).
#include <napi.h>

#include <time.h>

#include <cmath>
#include <memory>

#include "js_args.h"
#include "link_dataplane.h"
#include "link_model.h"
#include "link_params_js.h"
#include "registry.h"

namespace glasslab::link {
namespace {

const char* DropName(DropReason r) {
  switch (r) {
    case DropReason::Loss: return "loss";
    case DropReason::Queue: return "queue";
    case DropReason::Mtu: return "mtu";
    case DropReason::Shutdown: return "shutdown";
    case DropReason::WriteError: return "write-error";
    default: return "held";
  }
}

/** new LinkModel({ seed, params, dir }) */
class JsLinkModel : public Napi::ObjectWrap<JsLinkModel> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LinkModel",
                       {InstanceMethod<&JsLinkModel::Offer>("offer"),
                        InstanceMethod<&JsLinkModel::PollRelease>("pollRelease"),
                        InstanceMethod<&JsLinkModel::PollTimeout>("pollTimeout"),
                        InstanceMethod<&JsLinkModel::DrainFates>("drainFates"),
                        InstanceMethod<&JsLinkModel::SetParams>("setParams"),
                        InstanceMethod<&JsLinkModel::Held>("held")});
  }
  explicit JsLinkModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsLinkModel>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = js::Options(info, "LinkModel", kLinkArgs);
    dir_ = js::String(env, o.Get("dir"), "LinkModel: dir", "up", kLinkArgs);
    if (dir_ != "up" && dir_ != "down") throw js::TypeError(env, kLinkArgs, "LinkModel: dir must be 'up' or 'down'");
    uint64_t seed = ParseSeed(env, o.Get("seed"), "LinkModel: seed");
    model_ = std::make_unique<LinkModel>(seed, ParseParams(env, o.Get("params"), "LinkModel: params"), dir_ == "down" ? 1 : 0);
  }

 private:
  // offer(packet: Buffer | sizeBytes, nowUs) -> 'held' | 'loss' | 'queue' | 'mtu'
  // A packet is 0..65535 bytes (kMaxPacketBytes): a larger size is a RangeError, not an allocation.
  Napi::Value Offer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int64_t now = UsToNs(js::RequiredNumber(env, info[1], "LinkModel.offer: nowUs", -kMaxTimeUs, kMaxTimeUs, false, kLinkArgs));
    DropReason r;
    if (info[0].IsBuffer()) {
      auto b = info[0].As<Napi::Buffer<uint8_t>>();
      if (b.Length() > kMaxPacketBytes) {
        throw js::RangeError(env, kLinkArgs, "LinkModel.offer: packet of " + std::to_string(b.Length()) + " bytes (at most 65535)");
      }
      r = model_->Offer(b.Data(), b.Length(), now);
    } else if (info[0].IsNumber()) {
      double size = js::Number(env, info[0], "LinkModel.offer: packet size", 0, 0, kMaxPacketBytes, true, kLinkArgs);
      std::vector<uint8_t> zeros(static_cast<size_t>(size), 0);
      r = model_->Offer(zeros.data(), zeros.size(), now);
    } else {
      throw js::TypeError(env, kLinkArgs, "LinkModel.offer: packet must be a Buffer or a size in bytes");
    }
    return Napi::String::New(info.Env(), DropName(r));
  }
  // pollRelease(nowUs) -> { data: Buffer, releaseUs } | null
  Napi::Value PollRelease(const Napi::CallbackInfo& info) {
    Released rel;
    double nowUs = js::RequiredNumber(info.Env(), info[0], "LinkModel.pollRelease: nowUs", -kMaxTimeUs, kMaxTimeUs, false, kLinkArgs);
    if (!model_->PollRelease(UsToNs(nowUs), rel)) return info.Env().Null();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("data", Napi::Buffer<uint8_t>::Copy(info.Env(), rel.data.data(), rel.data.size()));
    o.Set("releaseUs", static_cast<double>(rel.releaseNs) / 1000.0);
    return o;
  }
  // pollTimeout() -> µs | null
  Napi::Value PollTimeout(const Napi::CallbackInfo& info) {
    int64_t t = model_->PollTimeout();
    if (t < 0) return info.Env().Null();
    return Napi::Number::New(info.Env(), static_cast<double>(t) / 1000.0);
  }
  // drainFates() -> NDJSON text of the finished fate records, in order
  Napi::Value DrainFates(const Napi::CallbackInfo& info) {
    std::string out;
    Fate f;
    while (model_->PollFate(f)) AppendFateJson(out, f, dir_.c_str());
    return Napi::String::New(info.Env(), out);
  }
  Napi::Value SetParams(const Napi::CallbackInfo& info) {
    model_->SetParams(ParseParams(info.Env(), info[0], "LinkModel.setParams: params"));
    return info.Env().Undefined();
  }
  Napi::Value Held(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(model_->HeldCount()));
  }
  std::unique_ptr<LinkModel> model_;
  std::string dir_;
};

/** new LinkDataPlane({ tunNames: [snd, rcv], seeds: [up, down], up, down, fateLogPath, pcapPath, spinUs }) */
class JsDataPlane : public Napi::ObjectWrap<JsDataPlane> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LinkDataPlane",
                       {InstanceMethod<&JsDataPlane::Start>("start"), InstanceMethod<&JsDataPlane::Stop>("stop"),
                        InstanceMethod<&JsDataPlane::SetParams>("setParams"),
                        InstanceMethod<&JsDataPlane::Stats>("stats")});
  }
  explicit JsDataPlane(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsDataPlane>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = js::Options(info, "LinkDataPlane", kLinkArgs);
    DataPlaneOptions opt;
    Napi::Value names = o.Get("tunNames");
    if (!names.IsArray() || names.As<Napi::Array>().Length() != 2 || !names.As<Napi::Array>().Get(0u).IsString() ||
        !names.As<Napi::Array>().Get(1u).IsString()) {
      throw js::TypeError(env, kLinkArgs, "LinkDataPlane: tunNames must be [sender side, receiver side] device names");
    }
    opt.tunNames[0] = names.As<Napi::Array>().Get(0u).As<Napi::String>().Utf8Value();
    opt.tunNames[1] = names.As<Napi::Array>().Get(1u).As<Napi::String>().Utf8Value();
    Napi::Value seeds = o.Get("seeds");
    if (!seeds.IsUndefined()) {
      if (!seeds.IsArray() || seeds.As<Napi::Array>().Length() != 2) throw js::TypeError(env, kLinkArgs, "LinkDataPlane: seeds must be [up, down]");
      opt.seeds[0] = ParseSeed(env, seeds.As<Napi::Array>().Get(0u), "LinkDataPlane: seeds[0]");
      opt.seeds[1] = ParseSeed(env, seeds.As<Napi::Array>().Get(1u), "LinkDataPlane: seeds[1]");
    }
    opt.params[0] = ParseParams(env, o.Get("up"), "LinkDataPlane: up");
    opt.params[1] = ParseParams(env, o.Get("down"), "LinkDataPlane: down");
    opt.fateLogPath = js::String(env, o.Get("fateLogPath"), "LinkDataPlane: fateLogPath", "", kLinkArgs);
    opt.pcapPath = js::String(env, o.Get("pcapPath"), "LinkDataPlane: pcapPath", "", kLinkArgs);
    opt.spinNs = UsToNs(js::Number(env, o.Get("spinUs"), "LinkDataPlane: spinUs", 50, 0, 1e6, false, kLinkArgs));
    opt.realtimePriority = static_cast<int>(js::Number(env, o.Get("realtimePriority"), "LinkDataPlane: realtimePriority", 0, 0, 99, true, kLinkArgs));
    opt.cpu = ParseCpu(env, o.Get("cpu"), "LinkDataPlane: cpu");
    try {
      plane_ = std::make_unique<DataPlane>(std::move(opt));
    } catch (const std::exception& e) {
      throw js::WithCode(Napi::Error::New(env, std::string("LinkDataPlane: ") + e.what()), "ERR_LINK_DATAPLANE");
    }
  }

 private:
  // After stop() the TUN devices are gone: start() and setParams() refuse; stop() and stats() stay harmless.
  DataPlane& Live(Napi::Env env, const char* call) {
    if (!plane_) throw js::WithCode(Napi::Error::New(env, std::string("LinkDataPlane.") + call + ": the data plane is stopped"), "ERR_LINK_STOPPED");
    return *plane_;
  }
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Live(info.Env(), "start").Start();
    return info.Env().Undefined();
  }
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    plane_.reset();  // wakes and joins the threads, flushes the logs, closes the TUN fds (devices vanish)
    return info.Env().Undefined();
  }
  // setParams('up' | 'down', params)
  Napi::Value SetParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DataPlane& plane = Live(env, "setParams");
    std::string dir = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
    if (dir != "up" && dir != "down") throw js::TypeError(env, kLinkArgs, "LinkDataPlane.setParams: direction must be 'up' or 'down'");
    plane.SetParams(dir == "down" ? 1 : 0, ParseParams(env, info[1], "LinkDataPlane.setParams: params"));
    return env.Undefined();
  }
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    if (!plane_) return o;
    const char* names[2] = {"up", "down"};
    for (int d = 0; d < 2; ++d) {
      const DirectionStats& s = plane_->Stats(d);
      Napi::Object x = Napi::Object::New(info.Env());
      x.Set("offered", static_cast<double>(s.offered.load()));
      x.Set("delivered", static_cast<double>(s.delivered.load()));
      x.Set("dropped", static_cast<double>(s.dropped.load()));
      x.Set("writeErrors", static_cast<double>(s.writeErrors.load()));
      x.Set("maxLatenessUs", static_cast<double>(s.maxLatenessNs.load()) / 1000.0);
      x.Set("cpuMs", static_cast<double>(s.cpuNs.load()) / 1e6);
      x.Set("scheduling", SchedulingToJs(info.Env(), plane_->Scheduling(d)));
      o.Set(names[d], x);
    }
    return o;
  }
  std::unique_ptr<DataPlane> plane_;
};

/**
 * linkModelCost({ seed, params, packets: Buffer[], intervalUs, repeat }) -> { nsPerPacket, packets }
 * Benchmark of the model alone (no N-API crossing, no fate formatting): offers every packet at
 * i * intervalUs, releases what is due, drains the fate records; best of `repeat` runs, ns/packet
 * of the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID: time the thread was preempted by
 * other tenants of the machine does not count).
 */
Napi::Value LinkModelCost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = js::Options(info, "linkModelCost", kLinkArgs);
  LinkParams params = ParseParams(env, o.Get("params"), "linkModelCost: params");
  uint64_t seed = ParseSeed(env, o.Get("seed"), "linkModelCost: seed");
  std::vector<std::vector<uint8_t>> packets;
  if (!o.Get("packets").IsArray()) throw js::TypeError(env, kLinkArgs, "linkModelCost: packets must be an array of Buffers");
  Napi::Array a = o.Get("packets").As<Napi::Array>();
  if (a.Length() > 10000000) throw js::RangeError(env, kLinkArgs, "linkModelCost: at most 10000000 packets");
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value v = a.Get(i);
    if (!v.IsBuffer() || v.As<Napi::Buffer<uint8_t>>().Length() > kMaxPacketBytes) {
      throw js::TypeError(env, kLinkArgs, "linkModelCost: packets[" + std::to_string(i) + "] must be a Buffer of at most 65535 bytes");
    }
    auto b = v.As<Napi::Buffer<uint8_t>>();
    packets.emplace_back(b.Data(), b.Data() + b.Length());
  }
  int64_t interval = UsToNs(js::Number(env, o.Get("intervalUs"), "linkModelCost: intervalUs", 10, 0, 1e9, false, kLinkArgs));
  int repeat = static_cast<int>(js::Number(env, o.Get("repeat"), "linkModelCost: repeat", 3, 1, 1000, true, kLinkArgs));
  double best = 0;
  for (int r = 0; r < repeat; ++r) {
    LinkModel model(seed, params);
    Released rel;
    Fate fate;
    timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    int64_t now = 0;
    for (size_t i = 0; i < packets.size(); ++i, now += interval) {
      model.Offer(packets[i].data(), packets[i].size(), now);
      while (model.PollRelease(now, rel)) {}
      while (model.PollFate(fate)) {}
    }
    while (model.PollRelease(INT64_MAX, rel)) {}
    while (model.PollFate(fate)) {}
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    double perPacket = packets.empty() ? 0 : ns / packets.size();
    if (r == 0 || perPacket < best) best = perPacket;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("nsPerPacket", best);
  out.Set("packets", static_cast<double>(packets.size()));
  return out;
}

Registrar registrar("link", [](Napi::Env env, Napi::Object exports) {
  exports.Set("LinkModel", JsLinkModel::Define(env));
  exports.Set("LinkDataPlane", JsDataPlane::Define(env));
  exports.Set("linkModelCost", Napi::Function::New(env, LinkModelCost));
});

}  // namespace
}  // namespace glasslab::link
