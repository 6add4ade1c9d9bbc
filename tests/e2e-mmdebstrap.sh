# imagegen's image of the Essential set beside mmdebstrap's --variant=essential
# of the same release, file by file (tests/mmdebcompare.py, from the
# machine's apt sources): the same packages at the same versions, and no
# difference in the package files, the dpkg database's info/ or the accounts.
# What is left (docs/debian.md, "Beside mmdebstrap") is printed in
# compare.log. Skipped where mmdebstrap is not installed. The .debs of both
# sides are kept in $IMAGEGEN_TEST_CACHE (default ~/.cache/imagegen-tests).
. "$TOP/tests/lib.sh"

workdir mmdebstrap
export IMAGEGEN_CACHE="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"
if ! have mmdebstrap; then
	skip "mmdebstrap: not installed here (apt-get install mmdebstrap)"
	exit 0
fi
cd "$W" || exit 1
python3 "$TOP/tests/mmdebcompare.py" --work "$W/cmp" --essential-only \
	--strict /etc/passwd --strict /etc/group --strict /var/lib/dpkg/info --strict /usr/sbin \
	--strict /usr/share/doc --strict /etc/alternatives/awk > compare.log 2> compare.err
rc=$?
check "mmdebstrap: both sides built" sh -c "! grep -q '^mmdebcompare:' compare.err"
check "mmdebstrap: the same packages at the same versions ($(grep '^# packages' compare.log))" \
	grep -q '^# packages: the same' compare.log
check "mmdebstrap: no difference in the accounts, dpkg's info/, /usr/sbin, /usr/share/doc ($(tail -n 1 compare.log))" \
	test "$rc" -eq 0
check "mmdebstrap: some differences are left out, by design, with why" grep -q '^#   [0-9]*: ' compare.log
rm -f "$W/cmp/mm.tar"
