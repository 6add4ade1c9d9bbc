-- nginx-light and its dependencies from the machine's own Debian repositories
-- (the ones apt uses), locked in imagegen.lock: run `imagegen lock build.lua`
-- to resolve them again. No package scripts run: what they would make
-- (accounts from base-passwd, such as www-data; alternatives; the dpkg
-- database) is made by imagegen, and what it does not make is listed in
-- out/nginx.maintscripts.
image {
  name = "nginx",
  tag = "debian-nginx:1",
  packages = { "nginx-light", "base-passwd" },
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
