{
  "targets": [
    {
      "target_name": "sbc_udp",
      "sources": ["sbc_udp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
