-- The design document's image: FROM alpine:3.12 + apk add nginx~=1.18,
-- declared. The packages come from an Alpine mirror given as a build
-- argument (imagegen -D alpine_mirror=URL: the folder of main/ and
-- community/, such as .../alpine/v3.12), verified with Alpine's public
-- keys in keys/ (see README.md), and locked in imagegen.lock. No package
-- script runs: nginx's account (adduser -S nginx) is made as busybox
-- would make it, and what else the scripts would do is listed in
-- out/nginx.maintscripts.
local mirror = arg("alpine_mirror")
local keys = glob "keys/*.rsa.pub"

local main = repository { kind = "apk", url = mirror .. "/main", keys = keys }

image {
  name = "nginx",
  tag = "alpine-nginx:1.18",
  platforms = { "linux/amd64" },
  repositories = { main },
  packages = { "alpine-baselayout", "busybox", "nginx~=1.18" },
  layers = {
    { name = "run", files = { { "/run/nginx", dir() } } },
  },
  entrypoint = { "nginx", "-g", "daemon off;" },
  expose = { 80 },
}
