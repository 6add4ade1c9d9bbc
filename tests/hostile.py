#!/usr/bin/python3
"""hostile.py MODE LOG [OTHER]: an HTTP server on 127.0.0.1 (port 0; the
tests find it with listenport.py) that plays a hostile registry or mirror,
for the security tests. Every request's method, path and Authorization
header go to LOG, one line each. OTHER is host:port of a second server
(an "elsewhere" that must never see credentials).

Modes:
  upload-elsewhere  a registry asking for Basic auth whose upload Location
                    points at OTHER
  realm-elsewhere   a registry whose Bearer realm is http://OTHER/token
  crlf-token        a registry whose token service (on itself) returns a
                    token with CR LF and a header after it
  collect           answers 200 to everything ("elsewhere": logs only)
  endless           a 200 whose body never ends
  trickle           a 200 that sends 2 bytes a second
  silent            accepts and never answers
  noconfig          a manifest (its digest is LOG's first line) with no config
  badsize           a manifest whose layer has size -5
  downgrade         over TLS (CERT and KEY in the environment), a redirect
                    of every GET to http://OTHER
"""
import base64, hashlib, http.server, json, socketserver, sys, time

mode, log = sys.argv[1], sys.argv[2]
other = sys.argv[3] if len(sys.argv) > 3 else ""
BASIC = "Basic " + base64.b64encode(b"user:secret").decode()


def manifest():
    digest = "sha256:" + "0" * 64
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest,
                     "size": -5 if mode == "badsize" else 1}]}
    if mode != "noconfig":
        m["config"] = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest, "size": 2}
    return json.dumps(m).encode()


MANIFEST = manifest()
if mode in ("noconfig", "badsize"):
    with open(log, "a") as f:
        f.write("DIGEST sha256:%s\n" % hashlib.sha256(MANIFEST).hexdigest())


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self):
        with open(log, "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path, self.headers.get("Authorization", "-")))
            for k in self.headers.keys():
                if k.lower() == "x-injected":
                    f.write("INJECTED %s\n" % self.headers[k])

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)

    def handle_one(self):
        self.record()
        self.body()
        path = self.path
        if mode == "downgrade":
            return self.reply(302, b"", [("Location", "http://%s%s" % (other, path))])
        if mode == "collect":
            return self.reply(200 if self.command != "PUT" else 201)
        if mode == "silent":
            time.sleep(3600)
        if mode in ("endless", "trickle"):
            self.send_response(200)
            self.end_headers()
            chunk = b"x" * 65536 if mode == "endless" else b"xx"
            try:
                while True:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    if mode == "trickle":
                        time.sleep(1)
            except OSError:
                return
        if mode in ("noconfig", "badsize"):
            if "/manifests/" in path:
                return self.reply(200, MANIFEST, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")])
            return self.reply(404)
        if mode == "crlf-token" and path.startswith("/token"):
            token = "abc\r\nX-Injected: 1"
            return self.reply(200, json.dumps({"token": token}).encode())
        auth = self.headers.get("Authorization")
        if mode == "upload-elsewhere" and auth != BASIC:
            return self.reply(401, b"", [("WWW-Authenticate", 'Basic realm="r"')])
        if mode == "realm-elsewhere" and not (auth or "").startswith("Bearer"):
            return self.reply(401, b"", [("WWW-Authenticate",
                                          'Bearer realm="http://%s/token",service="s"' % other)])
        if mode == "crlf-token" and not (auth or "").startswith("Bearer"):
            host = self.headers.get("Host")
            return self.reply(401, b"", [("WWW-Authenticate", 'Bearer realm="http://%s/token",service="s"' % host)])
        if self.command == "HEAD" and "/blobs/" in path:
            return self.reply(404)
        if self.command == "POST" and "/blobs/uploads/" in path:
            return self.reply(202, b"", [("Location", "http://%s/upload/x" % other)])
        if self.command == "PUT" and "/manifests/" in path:
            return self.reply(201)
        return self.reply(404)

    do_GET = do_HEAD = do_POST = do_PUT = handle_one


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server((sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1", 0), Handler)
if mode == "downgrade":
    import os, ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["CERT"], os.environ["KEY"])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
