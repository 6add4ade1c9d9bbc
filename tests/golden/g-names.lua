-- file names that build.ninja spells with escapes ('$', ' '), and those it
-- names by alias (a newline, '|'); a name that is not UTF-8 in the spec
local page = external "pages/[id].js"
local gen = command {
  outputs = { "out put$1.txt", "new\nline", "a|b" },
  inputs = { page, external "données/é.txt" },
  run = "for o in $out; do cat $in > \"$$o\"; done",
}
image {
  name = "names",
  files = {
    { "/srv/pages/[id].js", page },
    { "/srv/Main$1.class", external "Main$1.class" },
    { "/srv/new\nline", gen[2] },
    { "/srv/a|b", gen["a|b"] },
    { "/srv/out put$1.txt", gen[1] },
    { "/srv/caf\xe9", text "latin-1\n" },
    { "/srv/it's", symlink "caf\xe9" },
  },
}
