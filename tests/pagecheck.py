# pagecheck.py PAGE SEEN CHECK [ARG...]: one check of a report page against
# what tests/chromium.py saw of it (SEEN, its JSON); exits 0 when it holds,
# else 1 with why. The page's own data (its #data script) is the reference.
#   toplevel          a rectangle of nonzero size for every top-level folder
#   usr               after the click on /usr, the rectangles are /usr's children
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


def main():
    page, seen, check, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    d = pagedata(page)
    s = json.load(open(seen)) if seen != "-" else {}
    tree = d["platforms"][0]["tree"]
    dirs = lambda n: [c[0] for c in n[4] if isinstance(c[4], list)]
    if check == "toplevel":
        want = {"/" + n for n in dirs(tree)}
        have = {r["path"] for r in s["rects"] if r["w"] > 0 and r["h"] > 0}
        if not want or want - have:
            sys.exit("top-level folders %s, rectangles %s" % (sorted(want), sorted(have)))
    elif check == "usr":
        usr = [c for c in tree[4] if c[0] == "usr"][0]
        want = {"/usr/" + c[0] for c in usr[4]}
        have = {r["path"] for r in s["usr"]}
        if not want or want != have or "usr" not in s["crumbs"]:
            sys.exit("children of /usr %s, rectangles after the click %s, crumbs %r" % (sorted(want), sorted(have), s["crumbs"]))
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
