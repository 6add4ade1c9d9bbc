#!/usr/bin/python3
"""mirror.py DIR LOG: a Debian mirror on 127.0.0.1 (port 0; the tests
find it with listenport.py) serving DIR over HTTP/1.1 with keep-alive and
range requests, as apt's mirrors do, for the tests of fetches. LOG gets a
line "CONNECTION" for each connection it accepts and "GET PATH RANGE" for
each request (RANGE "-" without one). A missing file is a 404.

While the file LOG.cut exists, the first GET of each .deb without a range
gets its headers and half its body, then the connection is closed: a
mirror that drops a connection mid-body (the client must resume with a
range request).
"""
import http.server, os, socketserver, sys, threading

root, log = sys.argv[1], sys.argv[2]
lock = threading.Lock()
cutdone = set()


def record(line):
    with lock, open(log, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        record("CONNECTION")

    def do_GET(self):
        rng = self.headers.get("Range")
        record("GET %s %s" % (self.path, rng or "-"))
        path = os.path.join(root, self.path.split("?")[0].lstrip("/"))
        if ".." in self.path or not os.path.isfile(path):
            body = b"not here\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        with open(path, "rb") as f:
            data = f.read()
        start = 0
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
        if start >= len(data) and start > 0:
            self.send_response(416)
            self.send_header("Content-Range", "bytes */%d" % len(data))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if os.path.exists(log + ".cut") and not rng and path.endswith(".deb") and path not in cutdone:
            with lock:
                cutdone.add(path)
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data[start:])


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


Server(("127.0.0.1", 0), Handler).serve_forever()
