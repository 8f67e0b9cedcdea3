// Per-object job queue for the encoder and decoder: jobs run one at a time, in call order, on
// the libuv thread pool (never two on one codec context), each resolving its own promise.
#pragma once
#include <napi.h>

#include <deque>
#include <string>

namespace glasslab::enc {

// Stable `code` values on the errors the encoder and decoder raise:
//   ERR_CODEC_OPTIONS     bad constructor/setBitrate arguments
//   ERR_CODEC_UNAVAILABLE the codec could not be opened here (reason in the message)
//   ERR_CODEC_CLOSED      call after close(), or a queued job dropped by close()
//   ERR_INPUT_INVALID     a frame / access unit that does not fit the call
//   ERR_ENCODE_FAILED / ERR_DECODE_FAILED  the library failed on this input
inline Napi::Error Coded(Napi::Error error, const char* code) {
  error.Value().Set("code", Napi::String::New(error.Env(), code));
  return error;
}

class SerialQueue;

// A promise-returning AsyncWorker that tells its queue when it has finished.
class QueuedJob : public Napi::AsyncWorker {
 public:
  QueuedJob(Napi::Env env, const char* resourceName, SerialQueue* queue, const char* failureCode)
      : Napi::AsyncWorker(env, resourceName),
        deferred_(Napi::Promise::Deferred::New(env)),
        queue_(queue),
        failureCode_(failureCode) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }
  // Rejects a job that never ran (queue closed); the caller then deletes it.
  void RejectUnrun(const std::string& message) {
    deferred_.Reject(Coded(Napi::Error::New(Env(), message), "ERR_CODEC_CLOSED").Value());
  }

 protected:
  // Builds the resolved value on the JS thread after Execute() succeeded.
  virtual Napi::Value Result(Napi::Env env) = 0;
  void OnOK() final;
  void OnError(const Napi::Error& error) final;

 private:
  Napi::Promise::Deferred deferred_;
  SerialQueue* queue_;
  const char* failureCode_;
};

class SerialQueue {
 public:
  // Takes ownership of a job that has not been queued; starts it when nothing runs.
  void Push(QueuedJob* job) {
    waiting_.push_back(job);
    if (!running_) StartNext();
  }
  // Rejects and deletes every job that has not started.
  void RejectWaiting(const std::string& message) {
    while (!waiting_.empty()) {
      QueuedJob* job = waiting_.front();
      waiting_.pop_front();
      job->RejectUnrun(message);
      delete job;
    }
  }
  bool Busy() const { return running_ || !waiting_.empty(); }
  void Finished() {
    running_ = false;
    StartNext();
  }

 private:
  void StartNext() {
    if (waiting_.empty()) return;
    QueuedJob* job = waiting_.front();
    waiting_.pop_front();
    running_ = true;
    job->Queue();
  }
  std::deque<QueuedJob*> waiting_;
  bool running_ = false;
};

inline void QueuedJob::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  try {
    deferred_.Resolve(Result(env));
  } catch (const Napi::Error& error) {
    deferred_.Reject(error.Value());
  }
  queue_->Finished();
}

inline void QueuedJob::OnError(const Napi::Error& error) {
  error.Value().Set("code", Napi::String::New(Env(), failureCode_));
  deferred_.Reject(error.Value());
  queue_->Finished();
}

}  // namespace glasslab::enc
