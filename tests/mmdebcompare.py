#!/usr/bin/env python3
"""mmdebcompare.py: an image of Debian packages as imagegen builds it, beside
mmdebstrap's --variant=essential --include=... of the same packages, file by
file.

    mmdebcompare.py [--work DIR] [--cache DIR] [--strict PREFIX]... PACKAGE...
    mmdebcompare.py ... --essential-only        (the Essential set alone)

Both sides use the machine's own apt sources (its sources.list and the files
of sources.list.d, as imagegen reads them by default; no host is named here).
imagegen builds `image { packages = {...}, essential = true }` (its lock, ninja,
umoci unpack as root, so owners are real); mmdebstrap writes a tarball that is
unpacked as root. The .debs mmdebstrap fetches are kept in --cache (the
sync-in/sync-out hooks of mmdebstrap(1)), so a second run downloads nothing; the folder is its own (default
$IMAGEGEN_TEST_CACHE/mmdebcompare): a sync-in while another test writes the same folder fails.
mmdebstrap's tarball is kept in the folder beside it (--cache with "-root"),
named by the request and by what decides its bytes (mmdebstrap's version and
the InRelease digests imagegen's lock records), so a run whose indexes did
not change runs no mmdebstrap.

It prints, file by file, the paths only one side has and, for those both
have, the differences of type, mode, owner, link target and content; the
paths in KNOWN (below) are left out, each with why. Then the counts. It exits
1 when the two have other packages (name, architecture, version in dpkg's
status), when a difference is left under a --strict PREFIX, or when a side
fails to build; else 0.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys

# what differs by design: (pattern of the path, which difference, why):
# "any" difference, "ig" a path only imagegen has, "mm" only mmdebstrap,
# "files" any difference but a folder's (a folder of logs keeps its owner).
# Kept short: a difference imagegen should fix is not listed here but in
# docs/debian.md, with the work that fixes it.
KNOWN = [
    (r"/dev(/.*)?", "any", "device nodes: the container runtime makes /dev"),
    (r"/proc/.*|/sys/.*", "any", "mount points' contents: the runtime's"),
    (r"/var/cache/apt(/.*)?|/var/lib/apt(/lists(/.*)?)?", "mm",
     "apt's caches and downloaded indexes: mmdebstrap runs apt (and makes its folders) in every variant; "
     "imagegen never runs it, and the image's apt reads its sources at its first apt-get update"),
    (r"/var/cache/apt/.*|/var/lib/apt/lists/.*", "any", "apt's caches and downloaded indexes, as above"),
    (r"/var/lib/apt/extended_states", "mm", "apt's marks: mmdebstrap installs --include with apt, whether or not "
     "apt is in the image; imagegen writes them when it is"),
    (r"/etc/apt/sources\.list(\.d/.*)?|/etc/apt/keyrings/.*|/etc/apt/trusted\.gpg\.d/.*", "any",
     "apt's sources: mmdebstrap pastes the mirror given into sources.list; imagegen writes the "
     "repositories resolved, deb822, with the keyring each was verified with (only when apt is in the image)"),
    (r"/etc/apt/apt\.conf\.d/99mmdebstrap|/etc/apt/preferences\.d(/.*)?", "mm", "mmdebstrap's own apt settings"),
    (r"/var/log/.*", "files", "logs of the install run (dpkg.log, apt's term.log, alternatives.log, bootstrap.log)"),
    (r"/var/log/apt", "mm", "apt's log folder, made when apt ran"),
    (r"/var/cache/debconf/.*", "any", "debconf's databases: written by running the maintainer scripts' debconf "
     "questions"),
    (r"/var/cache/ldconfig/aux-cache", "mm", "ldconfig's own cache, written when ldconfig ran"),
    (r"/var/lib/dpkg/(status-old|diversions-old|statoverride-old|available|lock.*|triggers(/.*)?|cmethopt|"
     r"alternatives/.*-old)", "any", "dpkg's run state: backups, locks and the trigger queue of a run"),
    (r"/var/lib/dpkg/status\.d(/.*)?", "ig", "imagegen's status.d, the packages for scanners (docs/debian.md)"),
    (r"/var/lib/dpkg/info/[^/]*\.md5sums", "ig",
     "md5sums imagegen makes for a package that ships none (dpkg -V needs them)"),
    (r"/etc/machine-id|/var/lib/dbus/machine-id", "any", "the machine's identity: made at first boot"),
    (r"/etc/hostname|/etc/hosts|/etc/resolv\.conf|/etc/mtab", "any", "the container runtime's"),
    (r"/tmp/.*|/run/.*|/var/tmp/.*", "any", "temporary files of the install run"),
    (r"/var/cache/man/.*|/var/cache/fontconfig/.*", "mm", "caches made by triggers (man-db, fc-cache): no program "
     "of the image runs"),
]
KNOWNRE = [(re.compile(p + r"\Z"), side, why) for p, side, why in KNOWN]


def known(path, side, isdir):
    for rx, s, why in KNOWNRE:
        if (s == "any" or s == side or s == "files" and not isdir) and rx.match(path):
            return why
    return None


def run(cmd, log, **kw):
    print("+ " + " ".join(cmd), file=sys.stderr)
    with open(log, "ab") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, **kw)
    if r.returncode != 0:
        sys.exit("mmdebcompare: %s failed (see %s)" % (cmd[0], log))


def sources():
    """the machine's apt sources, as imagegen reads them by default"""
    out = []
    if os.path.isfile("/etc/apt/sources.list") and os.path.getsize("/etc/apt/sources.list") > 0:
        out.append("/etc/apt/sources.list")
    d = "/etc/apt/sources.list.d"
    for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if n.endswith(".sources") or n.endswith(".list"):
            out.append(os.path.join(d, n))
    return out


def codename():
    for line in open("/etc/os-release"):
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip().strip('"')
    sys.exit("mmdebcompare: no VERSION_CODENAME in /etc/os-release")


def imagegen(args, pkgs, work):
    src, build = os.path.join(work, "ig-src"), os.path.join(work, "ig-build")
    for d in (src, build):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    with open(os.path.join(src, "build.lua"), "w") as f:
        f.write('image { name = "cmp", packages = { %s }, essential = true }\n' %
                ", ".join('"%s"' % p for p in pkgs))
    log = os.path.join(work, "imagegen.log")
    run([args.imagegen, "../ig-src/build.lua"], log, cwd=build)
    run(["ninja"], log, cwd=build)
    root = os.path.join(work, "ig")
    shutil.rmtree(root, ignore_errors=True)
    run(["umoci", "unpack", "--image", os.path.join(build, "out/cmp:latest"), root], log)
    return os.path.join(root, "rootfs")


def keptroot(args, pkgs, work):
    """where mmdebstrap's tarball is kept, named by what decides it: the
    request, mmdebstrap's version and the indexes (the InRelease digests of
    imagegen's lock of the same sources); None without a lock. Beside
    --cache, not in it: sync-in copies that folder whole"""
    try:
        lock = json.load(open(os.path.join(work, "ig-src", "imagegen.lock")))
        indexes = sorted(r["inrelease_sha256"] for r in lock["repositories"].values())
        version = subprocess.run(["mmdebstrap", "--version"], capture_output=True, text=True).stdout
    except (OSError, ValueError, KeyError):
        return None
    if not indexes:
        return None
    request = hashlib.sha256(" ".join(pkgs).encode()).hexdigest()[:16]
    key = hashlib.sha256("\n".join([version] + indexes).encode()).hexdigest()[:16]
    return os.path.join(os.path.abspath(args.cache) + "-root", "%s-%s.tar" % (request, key))


def mmdebstrap(args, pkgs, work):
    """mmdebstrap's root of pkgs unpacked in work/mm, from its kept tarball
    when there is one"""
    cache = os.path.abspath(args.cache)
    os.makedirs(cache, exist_ok=True)
    kept = keptroot(args, pkgs, work)
    tar = os.path.join(work, "mm.tar")
    log = os.path.join(work, "mmdebstrap.log")
    if kept and os.path.isfile(kept) and os.path.getsize(kept) > 0:
        print("+ mmdebstrap's tarball kept: " + kept, file=sys.stderr)
        tar = kept
    else:
        mmdebstrapto(pkgs, cache, tar, log)
        if kept:
            os.makedirs(os.path.dirname(kept), exist_ok=True)
            # the former tarball of the same request goes
            for old in os.listdir(os.path.dirname(kept)):
                if old.split("-")[0] == os.path.basename(kept).split("-")[0]:
                    os.unlink(os.path.join(os.path.dirname(kept), old))
            shutil.copyfile(tar, kept + ".part")
            os.rename(kept + ".part", kept)
    root = os.path.join(work, "mm")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    run(["tar", "-C", root, "-xpf", tar, "--numeric-owner", "--same-owner", "--exclude=./dev/*"], log)
    return root


def mmdebstrapto(pkgs, cache, tar, log):
    cmd = ["mmdebstrap", "--variant=essential", "--mode=root", "--format=tar",
           "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives/",
           "--setup-hook=sync-in %s /var/cache/apt/archives/" % cache,
           "--customize-hook=sync-out /var/cache/apt/archives %s" % cache,
           "--customize-hook=rm -f \"$1\"/var/cache/apt/archives/*.deb"]
    if pkgs:
        cmd.append("--include=" + ",".join(pkgs))
    cmd += [codename(), tar] + sources()
    run(cmd, log)


def walk(root):
    """path -> (type, mode, uid, gid, target or sha256 or None)"""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            full = os.path.join(d, n)
            st = os.lstat(full)
            p = "/" + os.path.relpath(full, root)
            if stat.S_ISLNK(st.st_mode):
                what = ("link", os.readlink(full))
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                what = ("file", h.hexdigest())
            elif stat.S_ISDIR(st.st_mode):
                what = ("dir", None)
            else:
                what = ("other", None)
            out[p] = (what[0], stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, what[1])
    return out


def samelines(x, y):
    """whether two files have the same lines in another order (dpkg's status, its fields reordered)"""
    try:
        lines = [sorted(l for l in open(f, "rb").read().split(b"\n") if l) for f in (x, y)]
        return lines[0] == lines[1]
    except OSError:
        return False


def compare(a, b, ra, rb):
    """the differences, as (path, text), and the known ones by why"""
    diffs, skipped = [], {}
    for p in sorted(set(a) | set(b)):
        x, y = a.get(p), b.get(p)
        side = "mm" if x is None else "ig" if y is None else "any"
        if x is None:
            text = "only in mmdebstrap (%s)" % y[0]
        elif y is None:
            text = "only in imagegen (%s)" % x[0]
        else:
            what = []
            if x[0] != y[0]:
                what.append("type %s vs %s" % (x[0], y[0]))
            else:
                if x[0] != "link" and x[1] != y[1]:
                    what.append("mode %04o vs %04o" % (x[1], y[1]))
                if (x[2], x[3]) != (y[2], y[3]):
                    what.append("owner %d:%d vs %d:%d" % (x[2], x[3], y[2], y[3]))
                if x[0] == "link" and x[4] != y[4]:
                    what.append("target %s vs %s" % (x[4], y[4]))
                elif x[0] == "file" and x[4] != y[4]:
                    same = samelines(ra + p, rb + p)
                    what.append("content (the same lines in another order)" if same else "content")
            if not what:
                continue
            text = "differ (imagegen vs mmdebstrap): " + ", ".join(what)
        why = known(p, side, "dir" in (x and x[0], y and y[0]))
        if why:
            skipped[why] = skipped.get(why, 0) + 1
        else:
            diffs.append((p, text))
    return diffs, skipped


def installed(root):
    """the packages of a root's dpkg status, as NAME:ARCH=VERSION"""
    out, pkg = set(), {}
    text = open(os.path.join(root, "var/lib/dpkg/status"), encoding="utf-8", errors="replace").read()
    for para in text.split("\n\n"):
        for line in para.split("\n"):
            if ":" in line and not line.startswith(" "):
                k, v = line.split(":", 1)
                pkg[k] = v.strip()
        if "Package" in pkg:
            out.add("%s:%s=%s" % (pkg["Package"], pkg.get("Architecture", "?"), pkg.get("Version", "?")))
        pkg = {}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packages", nargs="*")
    ap.add_argument("--essential-only", action="store_true", help="the Essential set alone")
    ap.add_argument("--work", default="mmdebcompare.work")
    ap.add_argument("--cache", default=os.path.join(os.environ.get("IMAGEGEN_TEST_CACHE",
                    os.path.expanduser("~/.cache/imagegen-tests")), "mmdebcompare"))
    ap.add_argument("--imagegen", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "imagegen"))
    ap.add_argument("--strict", action="append", default=[], metavar="PREFIX",
                    help="exit 1 when a difference is left under PREFIX")
    args = ap.parse_args()
    if not args.packages and not args.essential_only:
        ap.error("name packages, or --essential-only")
    if shutil.which("mmdebstrap") is None:
        sys.exit("mmdebcompare: mmdebstrap is not installed (apt-get install mmdebstrap)")
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    for log in ("imagegen.log", "mmdebstrap.log"):
        open(os.path.join(work, log), "w").close()
    # the Essential set alone: base-files is one of it, so the set is the same
    pkgs = args.packages or ["base-files"]
    ig = imagegen(args, pkgs, work)
    mm = mmdebstrap(args, args.packages, work)
    a, b = installed(ig), installed(mm)
    status = 0
    if a == b:
        print("# packages: the same %d" % len(a))
    else:
        status = 1
        for p in sorted(a - b):
            print("# package only in imagegen: " + p)
        for p in sorted(b - a):
            print("# package only in mmdebstrap: " + p)
    diffs, skipped = compare(walk(ig), walk(mm), ig, mm)
    for p, text in diffs:
        print("%s\t%s" % (p, text))
    print("# left out, by design:")
    for why in sorted(skipped):
        print("#   %d: %s" % (skipped[why], why))
    only_ig = sum(1 for _, t in diffs if t.startswith("only in imagegen"))
    only_mm = sum(1 for _, t in diffs if t.startswith("only in mmdebstrap"))
    print("%d differences: %d paths only in mmdebstrap, %d only in imagegen, %d differ" %
          (len(diffs), only_mm, only_ig, len(diffs) - only_ig - only_mm))
    bad = [p for p, _ in diffs for s in args.strict if p == s.rstrip("/") or p.startswith(s.rstrip("/") + "/")]
    if bad:
        print("differences under %s: %d (the first: %s)" % (", ".join(args.strict), len(bad), bad[0]))
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
