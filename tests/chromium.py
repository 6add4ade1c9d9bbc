# chromium.py PAGE SHOT: open the report page PAGE in headless Chromium
# (Debian's chromium, driven over --remote-debugging-pipe with the DevTools
# protocol: no npm, no websocket), save a screenshot to SHOT, and print what
# the tests check as JSON:
#   rects      the size map's rectangles of entries: [{path, kind, depth, w, h}]
#   map        every rectangle of the size map, with what it says of itself: path and
#              parent folder, kind, class, key (layer or package), size or bytes, fill, w, h
#   legend     the colour legend's rows: [{key, bytes, text}]
#   changes    what the layer shown adds, changes and removes: [{kind, count, bytes, paths}]
#   packages   the package table's rows (names)
#   special    the rows of the table of files setuid, setgid or world-writable (paths)
#   arguments  the rows of the table of build arguments (name, then the row's text), and
#              argumentsshown whether its section shows
#   usr        the rectangles after a click on /usr, and crumbs the breadcrumb's text
#   requests   every URL the page asked for but its own
#   errors     script exceptions and console errors
# Chromium runs with a fresh profile and every host name unresolvable.
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, profile):
        self.r_ours, self.w_theirs = os.pipe()  # us -> chromium (its fd 3)
        self.r_theirs, self.w_ours = os.pipe()  # chromium -> us (its fd 4)
        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-pipe",
             "--user-data-dir=" + profile, "about:blank"],
            pass_fds=(3, 4), preexec_fn=self._fds, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(self.r_ours)
        os.close(self.w_ours)
        self.out = os.fdopen(self.w_theirs, "wb")
        self.inp = os.fdopen(self.r_theirs, "rb")
        self.buf = b""
        self.next = 0
        self.events = []
        self.session = None

    def _fds(self):
        # in the child: the pipe ends as fds 3 and 4
        os.dup2(self.r_ours, 3)
        os.dup2(self.w_ours, 4)

    def _read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.inp.fileno(), 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, browser=False):
        self.next += 1
        msg = {"id": self.next, "method": method, "params": params or {}}
        if self.session and not browser:
            msg["sessionId"] = self.session
        self.out.write(json.dumps(msg).encode() + b"\0")
        self.out.flush()
        while True:
            m = self._read()
            if m.get("id") == self.next:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait(self, method, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read())
        raise RuntimeError("no " + method)

    def js(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("script: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def close(self):
        try:
            self.call("Browser.close", browser=True)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


RECTS = """[...document.querySelectorAll('#map rect[data-path]')].map(r => ({path: r.dataset.path,
  kind: r.dataset.kind, depth: Number(r.dataset.depth), w: r.width.baseVal.value, h: r.height.baseVal.value}))"""
MAP = """[...document.querySelectorAll('#map rect')].map(r => ({path: r.dataset.path || null,
  parent: r.dataset.parent || null, kind: r.dataset.kind || r.getAttribute('class'), cls: r.getAttribute('class') || '',
  key: r.dataset.key === undefined ? null : Number(r.dataset.key), size: r.dataset.size === undefined ? null : Number(r.dataset.size),
  bytes: r.dataset.bytes === undefined ? null : Number(r.dataset.bytes), fill: r.getAttribute('fill'),
  w: r.width.baseVal.value, h: r.height.baseVal.value}))"""
LEGEND = """[...document.querySelectorAll('#legend div[data-key]')].map(d => ({key: Number(d.dataset.key),
  bytes: Number(d.dataset.bytes), text: d.textContent}))"""


def main():
    page, shot = os.path.abspath(sys.argv[1]), sys.argv[2]
    url = "file://" + page
    with tempfile.TemporaryDirectory() as profile:
        b = Browser(profile)
        try:
            target = b.call("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
            b.session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                               browser=True)["sessionId"]
            for domain in ("Page", "Network", "Runtime", "Log"):
                b.call(domain + ".enable")
            b.call("Emulation.setDeviceMetricsOverride",
                   {"width": 1280, "height": 1500, "deviceScaleFactor": 1, "mobile": False})
            b.call("Page.navigate", {"url": url})
            b.wait("Page.loadEventFired")
            out = {"rects": b.js(RECTS), "map": b.js(MAP), "legend": b.js(LEGEND),
                   "changes": b.js("[...document.querySelectorAll('#changes div[data-change]')].map(d => ({kind: d.dataset.change, "
                                   "count: Number(d.dataset.count), bytes: Number(d.dataset.bytes), "
                                   "paths: [...d.querySelectorAll('li:not(.muted)')].map(l => l.textContent)}))"),
                   "packages": b.js("[...document.querySelectorAll('#packagetable tr[data-package]')]"
                                    ".map(r => r.dataset.package)"),
                   "special": b.js("[...document.querySelectorAll('#specialtable tr[data-special]')]"
                                   ".map(r => r.dataset.special + ' ' + r.textContent)"),
                   "arguments": b.js("[...document.querySelectorAll('#argumenttable tr[data-argument]')]"
                                     ".map(r => r.dataset.argument + ' ' + r.textContent)"),
                   "argumentsshown": b.js("!document.getElementById('arguments').hidden"),
                   "title": b.js("document.title")}
            png = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
            with open(shot, "wb") as f:
                f.write(base64.b64decode(png["data"]))
            b.js("document.querySelector('#map rect[data-path=\"/usr\"]')"
                 "?.dispatchEvent(new MouseEvent('click', {bubbles: true}))")
            out["usr"] = b.js(RECTS)
            out["crumbs"] = b.js("document.getElementById('crumbs').textContent")
            time.sleep(0.2)
            b.call("Runtime.evaluate", {"expression": "0"})
            out["requests"] = sorted({m["params"]["request"]["url"] for m in b.events
                                      if m.get("method") == "Network.requestWillBeSent"} - {url})
            out["errors"] = [m["params"] for m in b.events if m.get("method") == "Runtime.exceptionThrown" or
                             (m.get("method") == "Log.entryAdded" and m["params"]["entry"]["level"] == "error")]
        finally:
            b.close()
    json.dump(out, sys.stdout)


main()
