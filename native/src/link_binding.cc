// JS bindings of the link: `LinkModel` (sans-I/O, virtual time, µs) and `LinkDataPlane`
// (TUN devices + real-time threads). Parameters arrive as the canonical object built by
// src/link/params.ts (times µs, probabilities 0..1, rate bits/s).
#include <napi.h>

#include <time.h>

#include <cmath>
#include <memory>

#include "link_dataplane.h"
#include "link_model.h"
#include "registry.h"

namespace glasslab::link {
namespace {

double Num(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

int64_t UsToNs(double us) { return static_cast<int64_t>(std::llround(us * 1000.0)); }

LinkParams ParseParams(Napi::Env env, Napi::Value value) {
  LinkParams p;
  if (!value.IsObject()) return p;
  Napi::Object o = value.As<Napi::Object>();
  p.delayNs = UsToNs(Num(o, "delayUs", 0));
  p.jitterNs = UsToNs(Num(o, "jitterUs", 0));
  p.delayCorrelation = Num(o, "delayCorrelation", 0);
  p.keepOrder = o.Get("keepOrder").ToBoolean();
  if (o.Get("distribution").IsString()) {
    std::string d = o.Get("distribution").As<Napi::String>();
    if (d == "uniform") p.distribution = Distribution::Uniform;
    else if (d == "normal") p.distribution = Distribution::Normal;
    else if (d == "pareto") p.distribution = Distribution::Pareto;
    else if (d == "paretonormal") p.distribution = Distribution::ParetoNormal;
    else throw Napi::TypeError::New(env, "distribution: unknown '" + d + "'");
  }
  if (o.Get("loss").IsObject()) {
    Napi::Object l = o.Get("loss").As<Napi::Object>();
    std::string model = l.Get("model").ToString();
    if (model == "random") {
      p.lossModel = LossModel::Random;
      p.lossP = Num(l, "p", 0);
      p.lossCorrelation = Num(l, "correlation", 0);
    } else if (model == "gemodel") {
      p.lossModel = LossModel::GilbertElliott;
      p.geP = Num(l, "p", 0);
      p.geR = Num(l, "r", 1 - p.geP);
      p.geOneMinusH = Num(l, "oneMinusH", 1);
      p.geOneMinusK = Num(l, "oneMinusK", 0);
    } else if (model == "4state") {
      p.lossModel = LossModel::FourState;
      p.p13 = Num(l, "p13", 0);
      p.p31 = Num(l, "p31", 1 - p.p13);
      p.p32 = Num(l, "p32", 0);
      p.p23 = Num(l, "p23", 1);
      p.p14 = Num(l, "p14", 0);
    } else if (model == "trace") {
      p.lossModel = LossModel::Trace;
      Napi::Array a = l.Get("pattern").As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i) p.lossTrace.push_back(a.Get(i).ToNumber().Int32Value() ? 1 : 0);
    } else if (model != "none") {
      throw Napi::TypeError::New(env, "loss.model: unknown '" + model + "'");
    }
  }
  if (o.Get("duplicate").IsObject()) {
    Napi::Object d = o.Get("duplicate").As<Napi::Object>();
    p.duplicateP = Num(d, "p", 0);
    p.duplicateCorrelation = Num(d, "correlation", 0);
  }
  if (o.Get("corrupt").IsObject()) {
    Napi::Object d = o.Get("corrupt").As<Napi::Object>();
    p.corruptP = Num(d, "p", 0);
    p.corruptCorrelation = Num(d, "correlation", 0);
  }
  if (o.Get("reorder").IsObject()) {
    Napi::Object d = o.Get("reorder").As<Napi::Object>();
    p.reorderP = Num(d, "p", 0);
    p.reorderCorrelation = Num(d, "correlation", 0);
    p.reorderGap = static_cast<uint32_t>(std::max(1.0, Num(d, "gap", 1)));
  }
  if (o.Get("slot").IsObject()) {
    Napi::Object s = o.Get("slot").As<Napi::Object>();
    p.slotMinNs = UsToNs(Num(s, "minUs", 0));
    p.slotMaxNs = UsToNs(Num(s, "maxUs", Num(s, "minUs", 0)));
    p.slotPackets = static_cast<uint32_t>(Num(s, "packets", 0));
    p.slotBytes = static_cast<uint64_t>(Num(s, "bytes", 0));
  }
  p.rateBps = Num(o, "rateBps", 0);
  p.overheadBytes = static_cast<int32_t>(Num(o, "overheadBytes", 0));
  if (o.Get("rateTraceMs").IsArray()) {
    Napi::Array a = o.Get("rateTraceMs").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) p.rateTraceMs.push_back(a.Get(i).ToNumber().Int64Value());
  }
  if (o.Get("queue").IsObject()) {
    Napi::Object q = o.Get("queue").As<Napi::Object>();
    p.queuePackets = static_cast<uint32_t>(Num(q, "packets", 0));
    p.queueBytes = static_cast<uint64_t>(Num(q, "bytes", 0));
    p.queueDelayNs = UsToNs(Num(q, "delayUs", 0));
  }
  p.mtu = static_cast<uint32_t>(Num(o, "mtu", 0));
  return p;
}

uint64_t ParseSeed(Napi::Value v) {
  if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return v.IsNumber() ? static_cast<uint64_t>(v.As<Napi::Number>().Int64Value()) : 1;
}

const char* DropName(DropReason r) {
  switch (r) {
    case DropReason::Loss: return "loss";
    case DropReason::Queue: return "queue";
    case DropReason::Mtu: return "mtu";
    case DropReason::Shutdown: return "shutdown";
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
    Napi::Object o = info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(info.Env());
    dir_ = o.Get("dir").IsString() ? std::string(o.Get("dir").As<Napi::String>()) : "up";
    model_ = std::make_unique<LinkModel>(ParseSeed(o.Get("seed")), ParseParams(info.Env(), o.Get("params")), dir_ == "down" ? 1 : 0);
  }

 private:
  // offer(packet: Buffer | sizeBytes, nowUs) -> 'held' | 'loss' | 'queue' | 'mtu'
  Napi::Value Offer(const Napi::CallbackInfo& info) {
    int64_t now = UsToNs(info[1].ToNumber().DoubleValue());
    DropReason r;
    if (info[0].IsBuffer()) {
      auto b = info[0].As<Napi::Buffer<uint8_t>>();
      r = model_->Offer(b.Data(), b.Length(), now);
    } else {
      std::vector<uint8_t> zeros(info[0].ToNumber().Uint32Value(), 0);
      r = model_->Offer(zeros.data(), zeros.size(), now);
    }
    return Napi::String::New(info.Env(), DropName(r));
  }
  // pollRelease(nowUs) -> { data: Buffer, releaseUs } | null
  Napi::Value PollRelease(const Napi::CallbackInfo& info) {
    Released rel;
    if (!model_->PollRelease(UsToNs(info[0].ToNumber().DoubleValue()), rel)) return info.Env().Null();
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
    model_->SetParams(ParseParams(info.Env(), info[0]));
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
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "LinkDataPlane: options object required");
    Napi::Object o = info[0].As<Napi::Object>();
    DataPlaneOptions opt;
    Napi::Array names = o.Get("tunNames").As<Napi::Array>();
    opt.tunNames[0] = names.Get(0u).ToString();
    opt.tunNames[1] = names.Get(1u).ToString();
    if (o.Get("seeds").IsArray()) {
      Napi::Array s = o.Get("seeds").As<Napi::Array>();
      opt.seeds[0] = ParseSeed(s.Get(0u));
      opt.seeds[1] = ParseSeed(s.Get(1u));
    }
    opt.params[0] = ParseParams(env, o.Get("up"));
    opt.params[1] = ParseParams(env, o.Get("down"));
    if (o.Get("fateLogPath").IsString()) opt.fateLogPath = o.Get("fateLogPath").ToString();
    if (o.Get("pcapPath").IsString()) opt.pcapPath = o.Get("pcapPath").ToString();
    opt.spinNs = UsToNs(Num(o, "spinUs", 50));
    opt.realtimePriority = static_cast<int>(Num(o, "realtimePriority", 0));
    try {
      plane_ = std::make_unique<DataPlane>(std::move(opt));
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    plane_->Start();
    return info.Env().Undefined();
  }
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    plane_.reset();  // joins the threads, flushes the logs, closes the TUN fds (devices vanish)
    return info.Env().Undefined();
  }
  // setParams('up' | 'down', params)
  Napi::Value SetParams(const Napi::CallbackInfo& info) {
    if (!plane_) throw Napi::Error::New(info.Env(), "LinkDataPlane: stopped");
    std::string dir = info[0].ToString();
    plane_->SetParams(dir == "down" ? 1 : 0, ParseParams(info.Env(), info[1]));
    return info.Env().Undefined();
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
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "linkModelCost: options object required");
  Napi::Object o = info[0].As<Napi::Object>();
  LinkParams params = ParseParams(env, o.Get("params"));
  uint64_t seed = ParseSeed(o.Get("seed"));
  std::vector<std::vector<uint8_t>> packets;
  Napi::Array a = o.Get("packets").As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    auto b = a.Get(i).As<Napi::Buffer<uint8_t>>();
    packets.emplace_back(b.Data(), b.Data() + b.Length());
  }
  int64_t interval = UsToNs(Num(o, "intervalUs", 10));
  int repeat = std::max(1, static_cast<int>(Num(o, "repeat", 3)));
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
