-- archive-base: an app image whose base is a docker-archive, the way a
-- vendor's `docker save` or `podman save` of its image comes. Here the
-- archive is made by the vendor's own project in vendor/ (an imagegen
-- build of its own: `ninja out/base.tar` there); see README.md.
-- The archive must be there when this definition is generated, and a new
-- archive rebuilds the image (it is an input of the image's edges).
image {
  name = "app",
  tag = "archive-app:1",
  base = docker_archive "vendor/out/base.tar",
  files = { { "/usr/local/bin/hello", "hello.sh", mode = "0755" } },
  -- PATH and the labels come from the base's config; an entrypoint drops
  -- the base's cmd (/bin/sh), as a Dockerfile's ENTRYPOINT does
  entrypoint = { "/usr/local/bin/hello" },
}
