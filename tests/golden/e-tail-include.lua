image { name = "root", files = { { "/etc/motd", "motd" } } }
include "tail"
