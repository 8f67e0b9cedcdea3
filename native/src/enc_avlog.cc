#include "enc_avlog.h"

#include <cstdio>
#include <mutex>
#include <string>

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

namespace glasslab::avlog {
namespace {

thread_local LogCapture* t_capture = nullptr;

void Callback(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > AV_LOG_ERROR) return;
  char line[1024];
  int printPrefix = 0;  // no "[name @ 0xADDRESS]" prefix: name the component ourselves
  av_log_format_line2(nullptr, level, fmt, vl, line, sizeof line, &printPrefix);
  AVClass* cls = avcl ? *static_cast<AVClass**>(avcl) : nullptr;
  std::string text = cls && cls->item_name ? std::string(cls->item_name(avcl)) + ": " + line : line;
  if (t_capture) {
    t_capture->Append(text);
  } else {
    std::fputs(text.c_str(), stderr);
  }
}

}  // namespace

void Install() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(Callback); });
}

LogCapture::LogCapture() : previous_(t_capture) { t_capture = this; }
LogCapture::~LogCapture() { t_capture = previous_; }

void LogCapture::Append(const std::string& line) {
  std::string trimmed = line;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r' || trimmed.back() == ' ')) {
    trimmed.pop_back();
  }
  if (trimmed.empty()) return;
  if (text_.size() > 2000) return;  // enough to explain; keep errors bounded
  if (!text_.empty()) text_ += "; ";
  text_ += trimmed;
}

std::string Describe(const char* call, int averror, const LogCapture& capture) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(averror, buf, sizeof buf);
  std::string out = std::string(call) + ": " + buf;
  if (!capture.Text().empty()) out += " [" + capture.Text() + "]";
  return out;
}

}  // namespace glasslab::avlog
