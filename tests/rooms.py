#!/usr/bin/env python3
"""rooms.py [TOP]: check the C sources against the rooms of docs/architecture.md.

The table under "## Rooms" names each folder of plugin/ and the rooms it may
include ("| `layer` | `base`, `net`, ... |"). Every #include "ROOM/NAME.h" (or
.c) of a file in plugin/ROOM2/ must name ROOM2 itself or a room ROOM2 may
include, and the include graph of the modules (a file's name without .c/.h)
must have no cycle. Prints one line a fault, "FILE:LINE: ...", and exits 1
when there is one.
"""
import os
import re
import sys

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
doc = os.path.join(top, "docs", "architecture.md")
plugin = os.path.join(top, "plugin")
faults = []

allowed, inrooms = {}, False
for n, line in enumerate(open(doc, encoding="utf-8"), 1):
    if line.startswith("## "):
        inrooms = line.strip() == "## Rooms"
        continue
    m = re.match(r"\|\s*`([a-z]+)`\s*\|([^|]*)\|", line) if inrooms else None
    if m:
        allowed[m.group(1)] = set(re.findall(r"`([a-z]+)`", m.group(2)))
if not allowed:
    sys.exit(f"{doc}: no table of rooms under '## Rooms'")
for room, may in allowed.items():
    for r in may - set(allowed):
        faults.append(f"{doc}: room {room} may include '{r}', which is no room")

graph, where = {}, {}
for room in sorted(os.listdir(plugin)):
    d = os.path.join(plugin, room)
    if not os.path.isdir(d):
        continue
    if room not in allowed:
        faults.append(f"plugin/{room}: a folder that docs/architecture.md names as no room")
        continue
    for f in sorted(os.listdir(d)):
        if not f.endswith((".c", ".h")):
            continue
        path = f"plugin/{room}/{f}"
        mod = f[:-2]
        for n, line in enumerate(open(os.path.join(d, f), encoding="utf-8", errors="replace"), 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            inc = m.group(1)
            parts = inc.split("/")
            if len(parts) != 2 or parts[0] not in allowed:
                faults.append(f"{path}:{n}: #include \"{inc}\" names no room (write \"ROOM/NAME.h\")")
                continue
            if not os.path.exists(os.path.join(plugin, inc)):
                faults.append(f"{path}:{n}: #include \"{inc}\": no such file")
                continue
            if parts[0] != room and parts[0] not in allowed[room]:
                faults.append(f"{path}:{n}: #include \"{inc}\": room {room} may not include room {parts[0]}"
                              " (docs/architecture.md)")
            target = parts[1][:-2]
            if room != "fuzz" and target != mod:
                graph.setdefault(mod, {}).setdefault(target, f"{path}:{n}")

# cycles among modules: strongly connected components of more than one
index, low, stack, on, count = {}, {}, [], set(), [0]
sys.setrecursionlimit(10000)
def visit(v):
    index[v] = low[v] = count[0]
    count[0] += 1
    stack.append(v)
    on.add(v)
    for w in graph.get(v, {}):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            comp.sort()
            ties = [graph[a][b] + f" ({a} -> {b})" for a in comp for b in comp if b in graph.get(a, {})]
            faults.append("include cycle of " + ", ".join(comp) + ": " + "; ".join(ties))
for v in sorted(graph):
    if v not in index:
        visit(v)

for f in faults:
    print(f)
sys.exit(1 if faults else 0)
