# Accounts and owners from maintainer scripts, for real: an image of
# postgresql-15 (with the Essential set, as mmdebstrap --variant=essential
# --include=postgresql-15 makes it) from the machine's own apt sources has
# the postgres user and group, the ssl-cert group and the owners and modes
# its scripts give, the same accounts as that mmdebstrap root (uid 100, gids
# 101 and 102); run with runc, `id postgres` answers, dpkg --audit and
# --verify find nothing, and as user postgres pg_createcluster and
# pg_ctlcluster bring up a server that answers psql. Downloads are cached
# in $IMAGEGEN_TEST_CACHE (default ~/.cache/imagegen-tests).
. "$TOP/tests/lib.sh"

workdir debian-accounts-e2e
export IMAGEGEN_CACHE="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"
mkdir -p "$W/src" "$W/b" && cd "$W/b" || exit 1
cat > ../src/build.lua <<'EOF'
image {
  name = "pg",
  packages = { "postgresql-15" },
  essential = true,
}
EOF
check "pg: imagegen lock against the machine's apt sources" "$IMAGEGEN" lock ../src/build.lua
check "pg: the build fetches and lays out the packages" sh -c "'$IMAGEGEN' --locked ../src/build.lua && ninja > ninja.log 2>&1"
# unpacked once, where runin (tests/lib.sh) runs it from
B=$W/run/out_pg_latest
mkdir -p "$W/run"
check "pg: umoci unpacks it" umoci unpack --image out/pg:latest "$B"
R=$B/rootfs

# the accounts as a fresh install makes them: ssl-cert is configured before
# postgresql-common (which depends on it), so it takes gid 101 and postgres
# 100:102 (the first free of adduser's 100..999; users is 100)
contains "pg: /etc/passwd has postgres, as adduser --system --group makes it" "$R/etc/passwd" \
	"postgres:x:100:102:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash"
contains "pg: /etc/group has ssl-cert with postgres in it" "$R/etc/group" "ssl-cert:x:101:postgres"
contains "pg: and the postgres group" "$R/etc/group" "postgres:x:102:"
contains "pg: /etc/shadow: base-passwd's accounts from shadowconfig on" "$R/etc/shadow" "root:*::0:99999:7:::"
contains "pg: /etc/shadow: postgres locked, as useradd -r leaves it" "$R/etc/shadow" "postgres:!:::::::"
contains "pg: /etc/gshadow: ssl-cert" "$R/etc/gshadow" "ssl-cert:!::postgres"
same "pg: the stat override of ssl-cert" "root ssl-cert 710 /etc/ssl/private" "$(cat "$R/var/lib/dpkg/statoverride")"
same "pg: owners and modes the scripts give" \
"710 0:101 etc/ssl/private
755 100:102 etc/postgresql
755 100:102 var/lib/postgresql
1775 0:102 var/log/postgresql
2775 100:102 run/postgresql" \
	"$(cd "$R" && stat -c '%a %u:%g %n' etc/ssl/private etc/postgresql var/lib/postgresql var/log/postgresql run/postgresql)"
check "pg: the accounts' and owners' commands of passwd, ssl-cert and postgresql-common are not in the report" \
	sh -c "! grep -E -e 'adduser|addgroup|shadowconfig|dpkg-statoverride|install -d|su -s|chown [a-z]*:postgres|chmod 1775' out/pg.maintscripts"
check "pg: the cluster is a run-time step, listed (pg_createcluster in configure_version)" \
	grep -q "^postgresql-15	postinst	" out/pg.maintscripts

# /var/run is the link to /run that base-files' postinst makes on a fresh
# install (imagegen.sysconf), so the server's socket folder is where
# postgresql-common's install -d put it
same "pg: /var/run is base-files' link to /run" /run "$(readlink "$R/var/run")"

# runc: id, dpkg, then the server as user postgres. Given to the container:
# an /etc/hosts that names localhost (Docker and podman give each container
# one, runc does not), and the host's network with a port of its own for
# the server
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
runin out/pg:latest sh -c "
	echo '127.0.0.1 localhost' > /etc/hosts
	echo ID \$(id postgres)
	echo AUDIT \$(dpkg --audit 2>&1 | wc -l) VERIFY \$(dpkg --verify 2>&1 | wc -l)
	setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql sh -c '
		pg_createcluster -p $port 15 main > /dev/null &&
		pg_ctlcluster 15 main start &&
		echo SELECT \$(psql -p $port -Atc \"select 1\") &&
		pg_ctlcluster 15 main stop'
" > run.log 2>&1
same "pg: id postgres in the container" "ID uid=100(postgres) gid=102(postgres) groups=102(postgres),101(ssl-cert)" \
	"$(grep '^ID ' run.log)"
same "pg: dpkg --audit and dpkg --verify find nothing" "AUDIT 0 VERIFY 0" "$(grep '^AUDIT ' run.log)"
same "pg: as postgres, pg_createcluster and pg_ctlcluster start a server that answers psql" "SELECT 1" "$(grep '^SELECT ' run.log)"
grep -v -e '^ID ' -e '^AUDIT ' -e '^SELECT ' run.log | sed 's/^/    /' | head -n 20
