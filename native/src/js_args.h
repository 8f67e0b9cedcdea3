// Argument checks shared by the link bindings: JS errors carrying a stable `code`, numbers read
// with their allowed range stated in the message. A wrong type is a TypeError, a value outside
// its range a RangeError; neither ever reaches C++ code that could crash on it.
#pragma once
#include <napi.h>

#include <cmath>
#include <string>

namespace glasslab::js {

/** Sets `code` on a JS error (e.g. "ERR_LINK_ARGS") and returns it for `throw`. */
inline Napi::Error WithCode(Napi::Error error, const char* code) {
  error.Value().Set("code", Napi::String::New(error.Env(), code));
  return error;
}

inline Napi::Error TypeError(Napi::Env env, const char* code, const std::string& message) {
  return WithCode(Napi::TypeError::New(env, message), code);
}

inline Napi::Error RangeError(Napi::Env env, const char* code, const std::string& message) {
  return WithCode(Napi::RangeError::New(env, message), code);
}

/** Shortest decimal form of a number for messages ("5", "0.25", "1e+21"). */
inline std::string Show(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/** A short description of any value for messages, without running JS (no toString() calls). */
inline std::string Describe(Napi::Value v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsNumber()) return Show(v.As<Napi::Number>().DoubleValue());
  if (v.IsString()) {
    std::string text = v.As<Napi::String>().Utf8Value();
    return "'" + (text.size() > 40 ? text.substr(0, 40) + "..." : text) + "'";
  }
  if (v.IsBigInt()) return "a bigint";
  if (v.IsSymbol()) return "a symbol";
  if (v.IsArray()) return "an array";
  if (v.IsFunction()) return "a function";
  return "an object";
}

/**
 * A finite number in [min, max] (integer when `integer`); `fallback` when the value is undefined
 * or null. `what` names the argument in the message, e.g. "LinkModel.offer: nowUs".
 */
inline double Number(Napi::Env env, Napi::Value v, const std::string& what, double fallback, double min, double max,
                     bool integer, const char* code) {
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw TypeError(env, code, what + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < min || d > max || (integer && std::floor(d) != d)) {
    throw RangeError(env, code, what + " must be " + (integer ? "an integer" : "a number") + " in " + Show(min) + ".." +
                                    Show(max) + " (got " + Show(d) + ")");
  }
  return d;
}

/** Like Number, but the value must be present. */
inline double RequiredNumber(Napi::Env env, Napi::Value v, const std::string& what, double min, double max, bool integer,
                             const char* code) {
  if (v.IsUndefined()) throw TypeError(env, code, what + " is required (a number in " + Show(min) + ".." + Show(max) + ")");
  return Number(env, v, what, 0, min, max, integer, code);
}

/** A string, or `fallback` when undefined; anything else is a TypeError. */
inline std::string String(Napi::Env env, Napi::Value v, const std::string& what, const std::string& fallback,
                          const char* code) {
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throw TypeError(env, code, what + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

/** The options object of a call: info[0] must be a plain object. */
inline Napi::Object Options(const Napi::CallbackInfo& info, const std::string& what, const char* code) {
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray() || info[0].IsFunction()) {
    throw TypeError(info.Env(), code, what + ": an options object is required");
  }
  return info[0].As<Napi::Object>();
}

}  // namespace glasslab::js
