image { name = "b", files = { { "/etc/passwd", text "root:x:0:0::/:/bin/sh\ndaemon:x:1:1::/:/bin/sh\n" } } }
image { name = "a", base = "b", user = "daemon", files = { { "/etc/passwd", remove() } } }
