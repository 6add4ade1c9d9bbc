local c = command {
  inputs = "main.c",
  outputs = { "ok", "/usr/bin/app" },
  run = "cc -o $out $in",
}
