-- values every tool accepts: sh, whole numbers as text, ports, references
image {
  name = "Web", tag = "web:v1",                       -- the name is a file name; the repository is tag's
  cmd = sh "exec /app/server --port $PORT",
  env = { PORT = 3000, MODE = "prod" },
  labels = { ["org.opencontainers.image.version"] = 2 },
  annotations = { ["com.example.build"] = 17 },
  expose = { 8080, "53/udp", "9/sctp" },
}
image { name = "api", tag = "localhost:5000/team/my-api__x.y:1.0_rc-1", entrypoint = sh "exec api", expose = 80 }
image { name = "db", tag = "v1", user = "1000:1000", entrypoint = { "/db" }, cmd = {} }
