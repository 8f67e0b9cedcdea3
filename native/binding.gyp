{
  "targets": [
    {
      "target_name": "glasslab_native",
      "sources": ["<!@(ls -1 src/*.cc)", "generated/shaders.cc"],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include\")",
        "src",
        "generated"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": [
        "<!@(pkg-config --libs vulkan libavformat libavcodec libavutil openh264)",
        "-lyuv",
        "-lpthread"
      ]
    }
  ]
}
