# pagecheck.py PAGE SEEN CHECK [ARG...]: one check of a report page against
# what tests/chromium.py saw of it (SEEN, its JSON); exits 0 when it holds,
# else 1 with why. The page's own data (its #data script) is the reference.
#   toplevel          a rectangle of nonzero size for every top-level folder of at least 1% of
#                     the image's bytes; none for anything else but top-level entries
#   usr               after the click on /usr, the outer rectangles are /usr's children (each
#                     of at least 1% of its bytes among them)
#   numbers           the size map's numbers: no rectangle of zero bytes; a file's rectangle
#                     has its layer's key and colour; areas in one folder in proportion to
#                     bytes; a folder's slices add up to its bytes by layer; the legend's
#                     bytes per layer are the data's
#   quiet             no request left the page, no script error
#   packages LOCK IMG the package table lists every package of image IMG in the lock
#   special           the table of files setuid, setgid or world-writable has a row for each
#                     the data lists, which names its mode and its package
#   arguments         the table of build arguments has a row for each the data lists (its name,
#                     value and source), and shows only when there is one
#   data EXPR         the Python expression EXPR on the page's data (d) is true
import json
import sys


def pagedata(path):
    text = open(path, encoding="utf-8").read()
    start = text.index('<script id="data" type="application/json">') + len('<script id="data" type="application/json">')
    return json.loads(text[start:text.index("</script>", start)])


def numbers(d, s):
    """the size map of the whole image, its rectangles and legend against the data"""
    nodes, bylayer = {}, {}

    def walk(n, path, into):
        nodes[path] = n
        if isinstance(n[4], list):
            here = {}
            for c in n[4]:
                walk(c, (path if path != "/" else "") + "/" + c[0], here)
            for k, v in here.items():
                into[k] = into.get(k, 0) + v
            n.append(here)
        elif n[1] > 0:
            into[n[2]] = into.get(n[2], 0) + n[1]
    walk(d["platforms"][0]["tree"], "/", bylayer)
    bad = []
    for r in s["map"]:
        if r["size"] == 0 or r["bytes"] == 0:
            bad.append("a rectangle of zero bytes: %s" % r)
        if r["kind"] == "file":
            n = nodes[r["path"]]
            if r["size"] != n[1] or r["key"] != n[2]:
                bad.append("%s: size %s key %s, the data %s layer %s" % (r["path"], r["size"], r["key"], n[1], n[2]))
    # areas in proportion to bytes, among the entries of one folder (drawn to
    # 1/100 px: rectangles of a few pixels are left out)
    byparent = {}
    for r in s["map"]:
        if r["path"] and r["size"] and r["w"] * r["h"] >= 20:
            byparent.setdefault(r["parent"], []).append(r["w"] * r["h"] / r["size"])
    for parent, ratios in byparent.items():
        if max(ratios) > min(ratios) * 1.03:
            bad.append("%s: areas per byte from %.4g to %.4g" % (parent, min(ratios), max(ratios)))
    # a closed folder's slices: its bytes by layer, in proportion
    for r in s["map"]:
        if "closed" in r["cls"]:
            parts = [p for p in s["map"] if p["cls"] == "part" and p["parent"] == r["path"]]
            got = {p["key"]: p["bytes"] for p in parts}
            if got != {k: v for k, v in nodes[r["path"]][5].items() if v > 0}:
                bad.append("%s: slices %s, the data %s" % (r["path"], got, nodes[r["path"]][5]))
            per = [p["w"] * p["h"] / p["bytes"] for p in parts if p["w"] * p["h"] >= 20]
            if per and max(per) > min(per) * 1.03:
                bad.append("%s: slice areas per byte from %.4g to %.4g" % (r["path"], min(per), max(per)))
    legend = {row["key"]: row["bytes"] for row in s["legend"]}
    want = dict(sorted(((k, v) for k, v in bylayer.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))[:14])
    if legend != want:
        bad.append("legend %s, the data %s" % (legend, want))
    if bad:
        sys.exit("\n".join(bad[:10]))


def main():
    page, seen, check, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    d = pagedata(page)
    s = json.load(open(seen)) if seen != "-" else {}
    tree = d["platforms"][0]["tree"]
    dirs = lambda n: [c[0] for c in n[4] if isinstance(c[4], list)]
    if check == "toplevel":
        want = {"/" + c[0] for c in tree[4] if isinstance(c[4], list) and c[1] * 100 >= tree[1]}
        have = {r["path"] for r in s["rects"] if r["w"] > 0 and r["h"] > 0 and r["depth"] == 1}
        top = {"/" + c[0] for c in tree[4]}
        if not want or want - have or have - top:
            sys.exit("top-level folders %s, rectangles %s" % (sorted(want), sorted(have)))
    elif check == "usr":
        usr = [c for c in tree[4] if c[0] == "usr"][0]
        every = {"/usr/" + c[0] for c in usr[4]}
        want = {"/usr/" + c[0] for c in usr[4] if c[1] * 100 >= usr[1]}
        have = {r["path"] for r in s["usr"] if r["depth"] == 1}
        if not want or want - have or have - every or "usr" not in s["crumbs"]:
            sys.exit("children of /usr %s, rectangles after the click %s, crumbs %r" % (sorted(want), sorted(have), s["crumbs"]))
    elif check == "numbers":
        numbers(d, s)
    elif check == "quiet":
        if s["requests"] or s["errors"]:
            sys.exit("requests %s, errors %s" % (s["requests"], s["errors"]))
    elif check == "packages":
        lock = json.load(open(args[0]))
        want = sorted(p["name"] for p in lock["images"][args[1]]["packages"])
        if not want or sorted(s["packages"]) != want:
            sys.exit("the lock has %s, the table %s" % (want, sorted(s["packages"])))
    elif check == "special":
        p = d["platforms"][0]
        want = [(f["path"], f["mode"], p["packages"][f["package"]]["name"] if f["package"] >= 0 else "")
                for f in p["special"]]
        rows = s["special"]
        if not want or len(rows) != len(want) or not all(
                r.startswith(path + " ") and mode in r and pkg in r for r, (path, mode, pkg) in zip(rows, want)):
            sys.exit("the data has %s, the table %s" % (want, rows))
    elif check == "arguments":
        want = d.get("arguments", [])
        rows = s["arguments"]
        if s["argumentsshown"] != bool(want) or len(rows) != len(want) or not all(
                r.startswith(a["name"] + " ") and a["value"] in r and a["source"] in r for r, a in zip(rows, want)):
            sys.exit("the data has %s, the table %s (shown: %s)" % (want, rows, s["argumentsshown"]))
    elif check == "data":
        if not eval(args[0], {"d": d}):
            sys.exit("not so: %s" % args[0])
    else:
        sys.exit("unknown check " + check)


main()
