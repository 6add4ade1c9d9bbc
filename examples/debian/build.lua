-- nginx-light and its dependencies from the machine's own Debian repositories
-- (the ones apt uses), locked in imagegen.lock: run `imagegen lock build.lua`
-- to resolve them again. No package scripts run; accounts are declared.
image {
  name = "nginx",
  tag = "debian-nginx:1",
  packages = { "nginx-light" },
  users = { { name = "www-data", uid = 33, gid = 33, home = "/var/www", shell = "/usr/sbin/nologin" } },
  groups = { { name = "www-data", gid = 33 } },
  layers = {
    { name = "site", files = {
      { "/etc/nginx/nginx.conf", "nginx.conf" },
      { "/var/www/html/index.html", "index.html" },
      { "/var/lib/nginx", dir() },
      { "/var/log/nginx", dir() },
      { "/run", dir() },
    } },
  },
  entrypoint = { "/usr/sbin/nginx" },
  expose = { 8080 },
}
