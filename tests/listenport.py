#!/usr/bin/python3
"""listenport.py PID [SECONDS]: wait until process PID listens on a TCP port,
then print the port. For servers started on port 0, which pick a free port
but do not say which (docker-registry, busybox httpd, http.server, nginx in
a network namespace of its own). Reads the socket inodes in /proc/PID/fd and
finds the one in LISTEN state in /proc/PID/net/tcp and tcp6 (the process's
own network namespace). Exit 1 if PID exits or SECONDS (default 10) pass."""
import os, sys, time

pid = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
deadline = time.monotonic() + seconds


def port():
    with open(f"/proc/{pid}/stat") as f:
        # the state after the command's name in parentheses: Z is a zombie, exited
        if f.read().rsplit(")", 1)[1].split()[0] == "Z":
            raise ProcessLookupError
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            next(f)
            for row in f:
                cols = row.split()
                # local address (hex ip:port), state (0A is LISTEN), inode
                if cols[3] == "0A" and cols[9] in inodes:
                    return int(cols[1].rsplit(":", 1)[1], 16)
    return None


while time.monotonic() < deadline:
    try:
        p = port()
    except (FileNotFoundError, ProcessLookupError):
        sys.exit(f"listenport: process {pid} is gone")
    if p:
        print(p)
        sys.exit(0)
    time.sleep(0.01)
sys.exit(f"listenport: process {pid} listens on no TCP port after {seconds:g} s")
