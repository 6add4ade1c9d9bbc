# The resolver on a synthetic index (tests/synthrepo.py: 600 packages, the
# closure of one 500): what it chooses for several requests, and the
# conflicts it finds, compared with tests/resolve.expected, written by the
# resolver before it indexed the chosen packages by name and by what they
# provide. Any change in what is chosen, in which order a choice is made or
# in what a conflict names shows here.
. "$TOP/tests/lib.sh"

for tool in gpg gpgv; do
	if ! have $tool; then
		fail "resolve: $tool is not installed (apt-get install gnupg gpgv)"
		exit 0
	fi
done

workdir resolve
export GNUPGHOME="$W/gnupg" IMAGEGEN_CACHE="$W/cache"
ARCH=$(dpkg --print-architecture)
mkdir -m 700 "$GNUPGHOME" && mkdir -p "$W/src/keys"
atexit 'gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null'
REPO=$W/repo
. "$TOP/tests/debrepo.sh"
mkkey "imagegen tests" tests@example.invalid "$W/src/keys/test.gpg"
python3 "$TOP/tests/synthrepo.py" "$REPO/dists/synthetic" "$ARCH" 600 500
gpg --batch --quiet --yes --pinentry-mode loopback --passphrase '' --default-key tests@example.invalid \
	--clearsign -o "$REPO/dists/synthetic/InRelease" "$REPO/dists/synthetic/Release"

# resolved NAME PACKAGES...: the lock of an image of these packages (and
# essential = true when NAME starts with "essential"), one line a package,
# or the one-line error
resolved() {
	n=$1
	shift
	list=
	for p; do list="$list\"$p\", "; done
	{
		echo "local r = repository { url = \"file:$REPO\", suite = \"synthetic\", keyring = \"keys/test.gpg\" }"
		echo "image { name = \"base\", repositories = { r }, packages = { \"p00250\" } }"
		case $n in
		essential*) echo "image { name = \"$n\", repositories = { r }, essential = true, packages = { $list} }" ;;
		over*) echo "image { name = \"$n\", base = \"base\", repositories = { r }, packages = { $list} }" ;;
		*) echo "image { name = \"$n\", repositories = { r }, packages = { $list} }" ;;
		esac
	} > "$W/src/build.lua"
	rm -f "$W/src/imagegen.lock"
	echo "== $n: $*"
	if (cd "$W/src" && "$IMAGEGEN" lock build.lua > "$W/lock.out" 2>&1); then
		python3 - "$W/src/imagegen.lock" "$n" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1]))["images"][sys.argv[2]]["packages"]:
    print(p["name"], p["version"], p["architecture"], p.get("via") or "-", ",".join(p["depends"]))
PY
	else
		sed "s|$W|W|g" "$W/lock.out"
	fi
}

{
	resolved one p00000
	resolved two p00007 p00100=1.2 p00042 needsnothing
	resolved overbase p00000 p00450
	resolved essential p00300
	resolved virtual virt012 virtu004 p00599
	resolved conflictmany p00000 conflictmany
	resolved breaker p00000 breaker
	resolved missing p00000 nosuchpackage
	resolved noversion p00003=5.0
} > "$W/resolve.out"
if diff -u "$TOP/tests/resolve.expected" "$W/resolve.out" > "$W/resolve.diff"; then
	ok "resolve: what is chosen for 9 requests, and the conflicts found, as before"
else
	fail "resolve: the resolver's choices differ from tests/resolve.expected"
	head -n 40 "$W/resolve.diff" | sed 's/^/    /'
fi
same "resolve: the closure of p00000 is the 500 packages" 500 "$(sed -n '/^== one:/,/^==/p' "$W/resolve.out" | grep -c '^p')"
