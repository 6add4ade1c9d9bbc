local x = 1
local c = comand {
  outputs = "x",
  run = "true",
}
