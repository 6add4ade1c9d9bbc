-- flask: a Flask app from Debian packages. python3-flask and gunicorn come
-- from the machine's apt sources (the ones apt uses), resolved and pinned
-- in imagegen.lock on the first build; the app is plain files in a layer of
-- its own; gunicorn runs it as a user without privileges on port 8000.
-- No package script runs: base-passwd's accounts, Python's byte-code and
-- the rest are made by imagegen or left out (listed in out/flask.maintscripts).
image {
  name = "flask",
  tag = "flask-app:1",
  packages = { "python3-flask", "gunicorn", "base-passwd" },
  -- the packages in one layer: this image shares them with no other (the
  -- default, "each", a layer a package, shares them between the images of
  -- a build, and a container store with one folder a layer copies more)
  packagelayers = "one",
  users = { { name = "app", uid = 1000, gid = 1000, home = "/app" } },
  groups = { { name = "app", gid = 1000 } },
  layers = {
    -- gunicorn's workers need a /tmp: base-files makes it, and only an
    -- image with essential = true (or base-files asked for) has it
    { name = "tmp", files = { { "/tmp", dir(), mode = "1777" } } },
    -- an edit of the app rebuilds this layer alone
    { name = "app", files = { { "/app", tree "app" } } },
  },
  user = "app",
  workdir = "/app",
  -- an image of packages has no PATH of its own (podman adds one, runc
  -- does not); no .pyc beside the app; output unbuffered, for the log
  env = { PATH = "/usr/local/bin:/usr/bin:/bin", PYTHONDONTWRITEBYTECODE = "1", PYTHONUNBUFFERED = "1" },
  cmd = { "gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "app:app" },
  expose = { 8000 },
}
