// Reading the link's JS arguments: LinkModelParams objects (src/link/params.ts: times µs,
// probabilities 0..1, rate bits/s) and seeds, checked for type and range (code ERR_LINK_ARGS).
#pragma once
#include <napi.h>

#include <string>

#include "link_model.h"

namespace glasslab::link {

constexpr const char* kLinkArgs = "ERR_LINK_ARGS";

/** Largest packet offer() takes: an IPv4/IPv6 packet without jumbogram is at most 65535 bytes. */
constexpr double kMaxPacketBytes = 65535;

/** Time arguments (µs) are within ±kMaxTimeUs, so that their ns value fits int64 with room. */
constexpr double kMaxTimeUs = 9e15;

/** Parameters of one direction; undefined = all defaults. `what` prefixes the error messages. */
LinkParams ParseParams(Napi::Env env, Napi::Value value, const std::string& what);

/** A seed: a number (integer, 0..2^53) or a bigint (0..2^64-1); undefined = 1. */
uint64_t ParseSeed(Napi::Env env, Napi::Value value, const std::string& what);

/** A thread CPU request: undefined or 'none' = kCpuNone, 'auto' = kCpuAuto, or a CPU number 0..1023. */
int ParseCpu(Napi::Env env, Napi::Value value, const std::string& what);

/** A ThreadScheduling as JS: { policy: 'fifo' | 'other' | <number>, priority, cpu: number | null, realtimeError?, affinityError? }. */
Napi::Object SchedulingToJs(Napi::Env env, const struct ThreadScheduling& got);

/** µs (already range-checked) to ns. */
int64_t UsToNs(double us);

}  // namespace glasslab::link
