{
  "targets": [
    {
      "target_name": "recur_native",
      "sources": ["src/addon.c", "src/pool.c", "src/threads.c", "src/kernels_base.c", "src/kernels_avx2.c"],
      "cflags_c": ["-std=gnu11", "-O3", "-fno-math-errno", "-Wall", "-Wno-psabi", "-Wno-unused-parameter"],
      "cflags!": ["-O2", "-O0"],
      "libraries": ["-lopenblas"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-fno-math-errno"] },
          "include_dirs": ["/opt/homebrew/opt/openblas/include", "/usr/local/opt/openblas/include"],
          "libraries": ["-L/opt/homebrew/opt/openblas/lib", "-L/usr/local/opt/openblas/lib"]
        }]
      ]
    }
  ]
}
