-- A monorepo: each folder keeps its own definition, paths relative to itself.
-- "base" is built here too and shared by api and web; tool stands alone.
local base = include "base"
include "services/api"
include "services/web"
include "tools/hello-tool"
return base
