// JS view of a produced frame: the RawFrame object of src/native/types.ts.
#pragma once
#include <napi.h>

#include "capture_path.h"
#include "vk_frame_pipeline.h"

namespace glasslab::vk {

// RawFrame for `frame`; its planes' malloc'd memory is adopted by an external Buffer (no copy;
// the finalizer frees it and V8 is told its size), so `frame.host.data` is left empty.
Napi::Object FrameToJs(Napi::Env env, ProducedFrame& frame, int width, int height, capture::PixelFormat format);

}  // namespace glasslab::vk
