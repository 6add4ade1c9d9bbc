local r = repository {
  url = "file:///srv/repo",
  suite = "stable",
  keyring = "keys/missing.gpg",
}
