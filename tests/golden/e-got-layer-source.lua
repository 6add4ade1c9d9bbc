local certs = layer { name = "certs", files = { { "/etc/conf.txt", "conf.txt" } } }
image {
  name = "a",
  files = {
    { "/etc/certs", certs },
  },
}
