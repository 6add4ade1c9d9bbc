-- node: an express service, built as a multi-stage Dockerfile builds one.
-- A builder image holds the toolchain (Debian's nodejs and npm, pinned by
-- imagegen.lock); `npm ci` runs in it, in the graph, and writes
-- node_modules; the runtime image has Debian's nodejs alone, the
-- dependencies and the app, and runs as a user without privileges.
--   imagegen build.lua && ninja        out/node, out/node.tar
local builder = image {
  name = "node-builder",
  packages = { "nodejs", "npm", "ca-certificates" },
  -- Debian's essential packages too (sh, env, coreutils: what npm and its
  -- scripts call), as a Dockerfile's FROM debian has them
  essential = true,
  -- npm as a user without privileges: as root it would give the files
  -- the owners of the tarballs, which a step's user namespace has not
  users = { { name = "build", uid = 1000, gid = 1000, home = "/home/build" } },
  groups = { { name = "build", gid = 1000 } },
  user = "build",
  workdir = "/app",
  sbom = false,
}

-- runs in node-builder (bubblewrap over its root file system), in /app
-- with package.json and the lock read-only; the registry needs the network
local deps = command {
  image = builder,
  network = true,
  inputs = { "package.json", "package-lock.json" },
  outputs = { dir "node_modules" },
  run = "npm ci --omit=dev --no-audit --no-fund --no-update-notifier",
  description = "NPM ci",
}

image {
  name = "node",
  tag = "node-express:1",
  packages = { "nodejs" },
  users = { { name = "app", uid = 1000, gid = 1000, home = "/app" } },
  groups = { { name = "app", gid = 1000 } },
  user = "app",
  workdir = "/app",
  layers = {
    -- its own layer: an edit of the app leaves it as it was
    { name = "deps", files = { { "/app/node_modules", deps } } },
    { name = "app", files = {
      { "/app/package.json", "package.json" },
      { "/app/server.js", "server.js" },
    } },
  },
  env = { NODE_ENV = "production", PORT = "8080" },
  entrypoint = { "/usr/bin/node", "/app/server.js" },
  expose = 8080,
}
