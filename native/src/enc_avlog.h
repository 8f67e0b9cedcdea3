// libavcodec log capture: while a LogCapture lives on a thread, libav* messages of level
// error or worse logged on that thread are collected, so that failures can name the reason
// the library logged (e.g. "Cannot load libcuda.so.1") instead of only the AVERROR text.
#pragma once
#include <string>

namespace glasslab::avlog {

// Installs the process-wide log callback once (idempotent, thread-safe). Messages logged
// outside a capture are printed to stderr when they are errors or worse, dropped otherwise.
void Install();

class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  // Collected messages joined with "; ", trailing newlines removed.
  const std::string& Text() const { return text_; }
  void Append(const std::string& line);

 private:
  std::string text_;
  LogCapture* previous_;
};

// "call: averror text [logged messages]".
std::string Describe(const char* call, int averror, const LogCapture& capture);

}  // namespace glasslab::avlog
