{
  "targets": [
    {
      "target_name": "cache_v8",
      "sources": ["native/cache_v8.cc"],
      "cflags_cc": ["-std=c++20", "-Wno-cast-function-type"],
      "conditions": [
        ["OS=='linux'", { "libraries": ["-ldl"] }]
      ]
    }
  ]
}
