#!/usr/bin/python3
"""tokenserver.py PORT KEY CERT USER PASSWORD: the token service of the
distribution spec's token authentication, for the registry tests. It answers
GET /token?service=S&scope=repository:NAME:ACTIONS, with Basic credentials,
by a JWT signed with KEY whose x5c header carries CERT (the registry trusts
CERT through its rootcertbundle). Wrong or missing credentials get 401.
PORT 0 lets the kernel pick the port; tests/listenport.py tells which."""
import base64, http.server, json, sys, time, urllib.parse, uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

port, keyfile, certfile, user, password = sys.argv[1:6]
key = serialization.load_pem_private_key(open(keyfile, "rb").read(), password=None)
cert = x509.load_pem_x509_certificate(open(certfile, "rb").read())
x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Token(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path != "/token" or self.headers.get("Authorization") != want:
            self.send_response(401)
            self.end_headers()
            return
        access = []
        for scope in q.get("scope", []):
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {"iss": "imagegen-test", "sub": user, "aud": q.get("service", [""])[0],
                  "iat": now, "nbf": now - 10, "exp": now + 300, "jti": str(uuid.uuid4()),
                  "access": access}
        token = jwt.encode(claims, key, algorithm="RS256", headers={"x5c": [x5c]})
        body = json.dumps({"token": token}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(port)), Token).serve_forever()
