{
  "targets": [
    {
      "target_name": "strongbox_native",
      "sources": ["native/checksums.c"],
      "cflags": ["-O3"]
    }
  ]
}
