{
  "targets": [
    {
      "target_name": "mmsg",
      "sources": ["mmsg.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
