#include "link_params_js.h"

#include <sched.h>

#include <cstring>

#include "link_dataplane.h"

#include <cmath>

#include "js_args.h"

namespace glasslab::link {
namespace {

constexpr double kMaxDelayUs = 3.6e9;      // one hour
constexpr double kMaxCount = 1e9;          // packets (queue, slot)
constexpr double kMaxBytes = 1e12;         // bytes (queue, slot)
constexpr double kMaxRateBps = 1e12;
constexpr double kMaxTraceMs = 1e10;       // ~116 days
constexpr double kMaxTraceLength = 1e7;    // entries of a rate or loss trace

/** Field reader of one params object: `prefix` is e.g. "LinkModel: params.queue". */
struct Fields {
  Napi::Env env;
  Napi::Object object;
  std::string prefix;
  double Get(const char* key, double fallback, double min, double max, bool integer = false) const {
    return js::Number(env, object.Get(key), prefix + "." + key, fallback, min, max, integer, kLinkArgs);
  }
  double Chance(const char* key, double fallback = 0) const { return Get(key, fallback, 0, 1); }
  /** A nested object, or nothing (undefined/null); anything else is a TypeError. */
  bool Child(const char* key, Fields& out) const {
    Napi::Value v = object.Get(key);
    if (v.IsUndefined() || v.IsNull()) return false;
    if (!v.IsObject() || v.IsArray()) throw js::TypeError(env, kLinkArgs, prefix + "." + key + " must be an object");
    out = Fields{env, v.As<Napi::Object>(), prefix + "." + key};
    return true;
  }
  /** A bounded array of numbers in [min, max]. */
  template <typename T>
  void List(const char* key, double min, double max, bool integer, std::vector<T>& out) const {
    Napi::Value v = object.Get(key);
    if (v.IsUndefined() || v.IsNull()) return;
    std::string what = prefix + "." + key;
    if (!v.IsArray()) throw js::TypeError(env, kLinkArgs, what + " must be an array of numbers");
    Napi::Array a = v.As<Napi::Array>();
    if (a.Length() > kMaxTraceLength) {
      throw js::RangeError(env, kLinkArgs, what + " has " + std::to_string(a.Length()) + " entries (at most 10000000)");
    }
    out.reserve(a.Length());
    for (uint32_t i = 0; i < a.Length(); ++i) {
      out.push_back(static_cast<T>(js::RequiredNumber(env, a.Get(i), what + "[" + std::to_string(i) + "]", min, max, integer, kLinkArgs)));
    }
  }
};

void ParseLoss(const Fields& l, LinkParams& p) {
  std::string model = js::String(l.env, l.object.Get("model"), l.prefix + ".model", "", kLinkArgs);
  if (model == "random") {
    p.lossModel = LossModel::Random;
    p.lossP = l.Chance("p");
    p.lossCorrelation = l.Chance("correlation");
  } else if (model == "gemodel") {
    p.lossModel = LossModel::GilbertElliott;
    p.geP = l.Chance("p");
    p.geR = l.Chance("r", 1 - p.geP);
    p.geOneMinusH = l.Chance("oneMinusH", 1);
    p.geOneMinusK = l.Chance("oneMinusK", 0);
  } else if (model == "4state") {
    p.lossModel = LossModel::FourState;
    p.p13 = l.Chance("p13");
    p.p31 = l.Chance("p31", 1 - p.p13);
    p.p32 = l.Chance("p32");
    p.p23 = l.Chance("p23", 1);
    p.p14 = l.Chance("p14");
  } else if (model == "trace") {
    p.lossModel = LossModel::Trace;
    l.List("pattern", 0, 1, true, p.lossTrace);
  } else if (model != "none") {
    throw js::TypeError(l.env, kLinkArgs, l.prefix + ".model: unknown '" + model + "' (none, random, gemodel, 4state, trace)");
  }
}

}  // namespace

int64_t UsToNs(double us) { return static_cast<int64_t>(std::llround(us * 1000.0)); }

LinkParams ParseParams(Napi::Env env, Napi::Value value, const std::string& what) {
  LinkParams p;
  if (value.IsUndefined() || value.IsNull()) return p;
  if (!value.IsObject() || value.IsArray()) throw js::TypeError(env, kLinkArgs, what + " must be an object");
  Fields o{env, value.As<Napi::Object>(), what};
  p.delayNs = UsToNs(o.Get("delayUs", 0, 0, kMaxDelayUs));
  p.jitterNs = UsToNs(o.Get("jitterUs", 0, 0, kMaxDelayUs));
  p.delayCorrelation = o.Chance("delayCorrelation");
  p.keepOrder = o.object.Get("keepOrder").ToBoolean();
  std::string d = js::String(env, o.object.Get("distribution"), what + ".distribution", "uniform", kLinkArgs);
  if (d == "uniform") p.distribution = Distribution::Uniform;
  else if (d == "normal") p.distribution = Distribution::Normal;
  else if (d == "pareto") p.distribution = Distribution::Pareto;
  else if (d == "paretonormal") p.distribution = Distribution::ParetoNormal;
  else throw js::TypeError(env, kLinkArgs, what + ".distribution: unknown '" + d + "' (uniform, normal, pareto, paretonormal)");
  Fields c{env, o.object, what};
  if (o.Child("loss", c)) ParseLoss(c, p);
  if (o.Child("duplicate", c)) {
    p.duplicateP = c.Chance("p");
    p.duplicateCorrelation = c.Chance("correlation");
  }
  if (o.Child("corrupt", c)) {
    p.corruptP = c.Chance("p");
    p.corruptCorrelation = c.Chance("correlation");
  }
  if (o.Child("reorder", c)) {
    p.reorderP = c.Chance("p");
    p.reorderCorrelation = c.Chance("correlation");
    p.reorderGap = static_cast<uint32_t>(std::max(1.0, c.Get("gap", 1, 0, kMaxCount, true)));
  }
  if (o.Child("slot", c)) {
    double minUs = c.Get("minUs", 0, 0, kMaxDelayUs);
    p.slotMinNs = UsToNs(minUs);
    p.slotMaxNs = UsToNs(c.Get("maxUs", minUs, minUs, kMaxDelayUs));
    p.slotPackets = static_cast<uint32_t>(c.Get("packets", 0, 0, kMaxCount, true));
    p.slotBytes = static_cast<uint64_t>(c.Get("bytes", 0, 0, kMaxBytes, true));
  }
  p.rateBps = o.Get("rateBps", 0, 0, kMaxRateBps);
  p.overheadBytes = static_cast<int32_t>(o.Get("overheadBytes", 0, 0, kMaxPacketBytes, true));
  o.List("rateTraceMs", 0, kMaxTraceMs, false, p.rateTraceMs);
  if (o.Child("queue", c)) {
    p.queuePackets = static_cast<uint32_t>(c.Get("packets", 0, 0, kMaxCount, true));
    p.queueBytes = static_cast<uint64_t>(c.Get("bytes", 0, 0, kMaxBytes, true));
    p.queueDelayNs = UsToNs(c.Get("delayUs", 0, 0, kMaxDelayUs));
  }
  p.mtu = static_cast<uint32_t>(o.Get("mtu", 0, 0, kMaxPacketBytes, true));
  return p;
}

uint64_t ParseSeed(Napi::Env env, Napi::Value v, const std::string& what) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t seed = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw js::RangeError(env, kLinkArgs, what + " must be a bigint in 0..2^64-1");
    return seed;
  }
  return static_cast<uint64_t>(js::Number(env, v, what, 1, 0, 9007199254740991.0, true, kLinkArgs));
}


int ParseCpu(Napi::Env env, Napi::Value value, const std::string& what) {
  if (value.IsUndefined()) return kCpuNone;
  if (value.IsString()) {
    std::string s = value.As<Napi::String>().Utf8Value();
    if (s == "none") return kCpuNone;
    if (s == "auto") return kCpuAuto;
    throw js::TypeError(env, kLinkArgs, what + " must be 'auto', 'none' or a CPU number (got '" + s + "')");
  }
  return static_cast<int>(js::Number(env, value, what, 0, 0, CPU_SETSIZE - 1, true, kLinkArgs));
}

Napi::Object SchedulingToJs(Napi::Env env, const ThreadScheduling& got) {
  Napi::Object o = Napi::Object::New(env);
  if (got.policy == SCHED_FIFO) o.Set("policy", "fifo");
  else if (got.policy == SCHED_OTHER) o.Set("policy", "other");
  else o.Set("policy", static_cast<double>(got.policy));
  o.Set("priority", static_cast<double>(got.priority));
  o.Set("cpu", got.cpu >= 0 ? Napi::Value(Napi::Number::New(env, got.cpu)) : env.Null());
  if (got.realtimeErrno != 0) o.Set("realtimeError", std::string(strerrorname_np(got.realtimeErrno) ? strerrorname_np(got.realtimeErrno) : "E?") + ": " + strerror(got.realtimeErrno));
  if (got.affinityErrno != 0) o.Set("affinityError", std::string(strerrorname_np(got.affinityErrno) ? strerrorname_np(got.affinityErrno) : "E?") + ": " + strerror(got.affinityErrno));
  return o;
}

}  // namespace glasslab::link
