// The report page's script (put into report.html by imagegen report).
// It reads the image's data from the #data element:
//   { name, ref, ctx, platforms: [ { platform, digest, config, created, size, usize,
//       layers: [ { digest, diffid, size, usize, files, wasted, id, source, where,
//                   entries: [ { path, ctx } ], shared: [ names ],
//                   changes: { added, changed, removed: { count, bytes, paths (the first 1000) } } } ],
//       tree: a node; a file is [name, bytes, layer, package, type],
//             a folder [name, bytes below, layer, -1, [children]],
//       packages: [ { name, version, architecture, bytes (installed), files,
//                     licence (the SBOM's SPDX expression, "" for none), why: [names] } ],
//       waste: { total, files: [ { path, size, layer, by, deleted } ] },
//       special: [ { path, mode, what, layer, package } ]: the files setuid, setgid
//                or world-writable ("setuid, world-writable"), package -1 for none } ] }
// Names are spelt as docs/names.md says (a byte that is not UTF-8 as \xHH, a
// backslash as \\, controls as \n, \t, \r, \xHH), and shown as they come.
// It draws it: no request leaves the page.
"use strict";

const data = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
let P = null;          // the platform shown
let here = null;       // the folder the size map shows
let colourby = "layer";
let layershown = 0;    // the layer whose changes are shown

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
}

function human(n) {
  const units = ["kB", "MB", "GB", "TB"];
  if (n < 1000) return n + " B";
  let v = n, i = -1;
  while (v >= 999.95 && i < units.length - 1) { v /= 1000; i++; }
  return v.toFixed(1) + " " + units[i];
}

// a colour for key number i: hues a golden angle apart
function colour(i) {
  if (i < 0) return "#c9ced6";
  return "hsl(" + ((i * 137.508) % 360).toFixed(1) + ", 58%, " + (i % 2 ? 66 : 58) + "%)";
}

const isdir = (n) => Array.isArray(n[4]);

// parents, whole paths, and per folder the bytes below it by layer and by package
function prepare(tree) {
  function walk(n, parent, path) {
    n.parent = parent;
    n.path = path;
    if (!isdir(n)) return;
    n.bylayer = new Map();
    n.bypkg = new Map();
    for (const c of n[4]) {
      walk(c, n, (path === "/" ? "" : path) + "/" + c[0]);
      if (isdir(c)) {
        for (const [k, v] of c.bylayer) n.bylayer.set(k, (n.bylayer.get(k) || 0) + v);
        for (const [k, v] of c.bypkg) n.bypkg.set(k, (n.bypkg.get(k) || 0) + v);
      } else if (c[1] > 0) {
        n.bylayer.set(c[2], (n.bylayer.get(c[2]) || 0) + c[1]);
        n.bypkg.set(c[3], (n.bypkg.get(c[3]) || 0) + c[1]);
      }
    }
  }
  walk(tree, null, "/");
}

// squarified treemap (Bruls, Huizing, van Wijk): items [{weight}] sorted by
// weight, largest first, laid out in the rectangle; each gets x, y, w, h
function squarify(items, x, y, w, h) {
  const total = items.reduce((s, it) => s + it.weight, 0);
  if (total <= 0) return;
  const scale = (w * h) / total;
  let row = [];
  let i = 0;
  function worst(r, side) {
    let s = 0, max = 0, min = Infinity;
    for (const it of r) { const a = it.weight * scale; s += a; max = Math.max(max, a); min = Math.min(min, a); }
    return Math.max((side * side * max) / (s * s), (s * s) / (side * side * min));
  }
  function place(r) {
    const area = r.reduce((s, it) => s + it.weight * scale, 0);
    if (w >= h) {
      const cw = h > 0 ? area / h : 0;
      let cy = y;
      for (const it of r) { const ih = cw > 0 ? (it.weight * scale) / cw : 0; Object.assign(it, { x, y: cy, w: cw, h: ih }); cy += ih; }
      x += cw; w -= cw;
    } else {
      const ch = w > 0 ? area / w : 0;
      let cx = x;
      for (const it of r) { const iw = ch > 0 ? (it.weight * scale) / ch : 0; Object.assign(it, { x: cx, y, w: iw, h: ch }); cx += iw; }
      y += ch; h -= ch;
    }
  }
  while (i < items.length) {
    const side = Math.min(w, h);
    if (row.length === 0 || worst(row.concat([items[i]]), side) <= worst(row, side)) {
      row.push(items[i++]);
    } else {
      place(row);
      row = [];
    }
  }
  if (row.length) place(row);
}

// the colour key of a file, and the bytes by key of an entry
function keyof(n) {
  return colourby === "layer" ? n[2] : n[3];
}

function bykey(n) {
  if (isdir(n)) return colourby === "layer" ? n.bylayer : n.bypkg;
  return new Map([[keyof(n), n[1]]]);
}

function keyname(k) {
  if (colourby === "layer") {
    const l = P.layers[k];
    return l ? "layer " + (k + 1) + ": " + l.source : "no layer";
  }
  return k >= 0 ? "package " + P.packages[k].name : "no package";
}

// The size map of folder d: each rectangle's area is its own bytes (unpacked)
// and its colour its own layer (or package). Folders open into their entries
// down to MAXDEPTH levels while there is room; a folder too small to open,
// and the entries too small to see, are drawn as slices, one a colour, each
// as large as that layer's (package's) bytes in it. Nothing of zero bytes
// gets a rectangle.
const MAXDEPTH = 3;

function rect(x, y, w, h, fill, attrs, title) {
  return "<rect x=\"" + x.toFixed(2) + "\" y=\"" + y.toFixed(2) + "\" width=\"" + Math.max(w, 0).toFixed(2) +
    "\" height=\"" + Math.max(h, 0).toFixed(2) + "\" fill=\"" + fill + "\"" + attrs + "><title>" + esc(title) +
    "</title></rect>";
}

function label(x, y, w, h, name, bytes) {
  if (!(w > 40 && h > 16)) return "";
  const chars = Math.floor((w - 8) / 6.5);
  const text = name.length > chars ? name.slice(0, Math.max(chars - 1, 1)) + "\u2026" : name;
  let out = "<text x=\"" + (x + 4).toFixed(2) + "\" y=\"" + (y + 13).toFixed(2) + "\">" + esc(text) + "</text>";
  if (h > 30 && bytes !== null) out += "<text x=\"" + (x + 4).toFixed(2) + "\" y=\"" + (y + 26).toFixed(2) + "\">" + human(bytes) + "</text>";
  return out;
}

// a rectangle cut into slices, one a key of m, each as large as its bytes
function slices(m, x, y, w, h, parent, out) {
  const parts = [...m.entries()].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const total = parts.reduce((s, [, v]) => s + v, 0);
  let at = 0;
  for (const [k, v] of parts) {
    const f = v / total;
    const attrs = " class=\"part\" data-parent=\"" + esc(parent) + "\" data-key=\"" + k + "\" data-bytes=\"" + v + "\"";
    const title = keyname(k) + "  " + human(v);
    out.push(w >= h ? rect(x + at * w, y, f * w, h, colour(k), attrs, title) : rect(x, y + at * h, w, f * h, colour(k), attrs, title));
    at += f;
  }
}

function drawnode(d, x, y, w, h, depth, out) {
  const kids = d[4].filter((n) => n[1] > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const total = kids.reduce((s, n) => s + n[1], 0);
  if (total <= 0 || w <= 0 || h <= 0) return;
  const scale = (w * h) / total;
  // what is too small to see goes together
  const shown = [], rest = [];
  for (const n of kids) (shown.length < 300 && n[1] * scale >= 12 ? shown : rest).push(n);
  const items = shown.map((n) => ({ n, weight: n[1] }));
  if (rest.length) items.push({ n: null, rest, weight: rest.reduce((s, n) => s + n[1], 0) });
  squarify(items, x, y, w, h);
  for (const it of items) {
    if (!(it.w > 0 && it.h > 0)) continue;
    const n = it.n;
    if (!n) {
      const m = new Map();
      for (const r of it.rest) for (const [k, v] of bykey(r)) m.set(k, (m.get(k) || 0) + v);
      slices(m, it.x, it.y, it.w, it.h, d.path, out);
      out.push(rect(it.x, it.y, it.w, it.h, "transparent", " class=\"more\"", it.rest.length + " more  " + human(it.weight)));
      continue;
    }
    const attrs = " data-path=\"" + esc(n.path) + "\" data-parent=\"" + esc(d.path) + "\" data-size=\"" + n[1] +
      "\" data-depth=\"" + depth + "\" data-kind=\"" + (isdir(n) ? "dir" : "file") + "\"";
    const title = n.path + "  " + human(n[1]);
    if (!isdir(n)) {
      out.push(rect(it.x, it.y, it.w, it.h, colour(keyof(n)), attrs + " data-key=\"" + keyof(n) + "\"", title));
      out.push(label(it.x, it.y, it.w, it.h, n[0], n[1]));
    } else if (depth < MAXDEPTH && it.w > 60 && it.h > 44) {
      out.push(rect(it.x, it.y, it.w, it.h, "#eceff3", " class=\"folder\"" + attrs, title));
      out.push(label(it.x, it.y, it.w, 18, n[0] + "/  " + human(n[1]), null));
      drawnode(n, it.x + 2, it.y + 17, it.w - 4, it.h - 19, depth + 1, out);
    } else {
      slices(bykey(n), it.x, it.y, it.w, it.h, n.path, out);
      out.push(rect(it.x, it.y, it.w, it.h, "transparent", " class=\"folder closed\"" + attrs, title));
      out.push(label(it.x, it.y, it.w, it.h, n[0] + "/", n[1]));
    }
  }
}

function drawmap(d) {
  here = d;
  const svg = $("map");
  const w = svg.clientWidth || 800, h = svg.clientHeight || 460;
  const out = [];
  drawnode(d, 0, 0, w, h, 1, out);
  svg.innerHTML = out.join("");
  for (const r of svg.querySelectorAll("rect[data-path]")) {
    r.addEventListener("click", (ev) => { ev.stopPropagation(); open(r.dataset.path); });
  }
  drawcrumbs(d);
  drawlegend(d);
}

function find(path) {
  let n = P.tree;
  for (const part of path.split("/").filter((p) => p)) {
    if (!isdir(n)) return null;
    n = n[4].find((c) => c[0] === part);
    if (!n) return null;
  }
  return n;
}

// a click on the map: into a folder, or a file's details
function open(path) {
  const n = find(path);
  if (!n) return;
  if (isdir(n)) drawmap(n);
  details(n);
}

function drawcrumbs(d) {
  const parts = [];
  for (let n = d; n; n = n.parent) parts.unshift(n);
  $("crumbs").innerHTML = parts.map((n) => "<a data-path=\"" + esc(n.path) + "\">" +
    esc(n.parent ? n[0] : data.name) + "</a>").join(" / ") + " <span class=\"muted\">" + human(d[1]) + "</span>";
  for (const a of $("crumbs").querySelectorAll("a")) a.addEventListener("click", () => open(a.dataset.path));
}

// the colours of the folder shown: each layer's (package's) bytes in it, unpacked
function drawlegend(d) {
  const keys = [...bykey(d).entries()].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const rows = keys.slice(0, 14).map(([k, v]) => "<div data-key=\"" + k + "\" data-bytes=\"" + v + "\"><span class=\"swatch\" style=\"background:" +
    colour(k) + "\"></span>" + esc(keyname(k)) + " <span class=\"muted\">" + human(v) + "</span></div>");
  if (keys.length > 14) rows.push("<div class=\"muted\">and " + (keys.length - 14) + " more</div>");
  $("legendtitle").textContent = "Colours: unpacked bytes in " + (d.parent ? d.path : "the image");
  $("legend").innerHTML = rows.join("");
}

// the declaration that put path in layer l: the entry whose path is it or holds it
function declaration(l, path) {
  let best = null;
  for (const e of l.entries || []) {
    if ((path === e.path || path.startsWith(e.path + "/")) && (!best || e.path.length > best.path.length)) best = e;
  }
  return best;
}

function details(n) {
  const l = P.layers[n[2]];
  const rows = [["path", n.path], ["size", human(n[1]) + (isdir(n) ? " below" : "")]];
  if (l) {
    rows.push(["layer", (n[2] + 1) + ": " + l.source + (l.where ? " (" + l.where + ")" : "")]);
    const e = declaration(l, n.path);
    if (e) rows.push(["declared", e.ctx]);
  }
  if (!isdir(n) && n[3] >= 0) rows.push(["package", P.packages[n[3]].name + " " + P.packages[n[3]].version]);
  const s = P.special.find((f) => f.path === n.path);
  if (s) rows.push(["mode", s.mode + " " + s.what]);
  $("details").className = "";
  $("details").innerHTML = rows.map(([k, v]) => "<div><span class=\"muted\">" + k + "</span> " + esc(v) + "</div>").join("");
}

// a table from rows of cells; sortable by a click on a header
function table(el, columns, rows) {
  let by = -1, down = false;
  function draw() {
    const sorted = rows.slice();
    if (by >= 0) {
      const c = columns[by];
      sorted.sort((a, b) => {
        const x = c.sort ? c.sort(a) : c.text(a), y = c.sort ? c.sort(b) : c.text(b);
        return (x < y ? -1 : x > y ? 1 : 0) * (down ? -1 : 1);
      });
    }
    el.innerHTML = "<thead><tr>" + columns.map((c, i) => "<th class=\"" + (c.num ? "num" : "") + "\" data-i=\"" + i + "\">" +
      esc(c.title) + (i === by ? (down ? " \u25bc" : " \u25b2") : "") + "</th>").join("") + "</tr></thead><tbody>" +
      sorted.map((r) => "<tr" + (r.attrs || "") + ">" + columns.map((c) => "<td class=\"" + (c.num ? "num" : "") +
        (c.mono ? " mono" : "") + "\">" + (c.html ? c.html(r) : esc(c.text(r))) + "</td>").join("") + "</tr>").join("") +
      "</tbody>";
    for (const th of el.querySelectorAll("th")) {
      th.addEventListener("click", () => {
        const i = Number(th.dataset.i);
        down = by === i ? !down : !!columns[i].num;
        by = i;
        draw();
      });
    }
  }
  draw();
}

function drawlayers() {
  table($("layertable"), [
    { title: "#", num: true, text: (l) => l.n, sort: (l) => l.n },
    { title: "compressed", num: true, text: (l) => human(l.size), sort: (l) => l.size },
    { title: "unpacked", num: true, text: (l) => human(l.usize), sort: (l) => l.usize },
    { title: "files", num: true, text: (l) => l.files, sort: (l) => l.files },
    { title: "wasted", num: true, text: (l) => (l.wasted ? human(l.wasted) : ""), sort: (l) => l.wasted },
    { title: "source", text: (l) => l.source + (l.where ? " \u2014 " + l.where : "") },
    { title: "shared with", text: (l) => (l.shared || []).join(", ") },
    { title: "digest", mono: true, text: (l) => l.digest.slice(7, 19) },
  ], P.layers.map((l, i) => Object.assign({ n: i + 1, attrs: " data-layer=\"" + (i + 1) + "\"" + (i === layershown ? " class=\"sel\"" : "") }, l)));
  for (const tr of $("layertable").querySelectorAll("tr[data-layer]")) {
    tr.addEventListener("click", () => { layershown = Number(tr.dataset.layer) - 1; drawlayers(); });
  }
  drawchanges();
}

// what the layer chosen in the table adds, changes and removes, as dive shows it
function drawchanges() {
  const l = P.layers[layershown];
  // an image of no layers (a config over scratch) has no changes to show
  if (!l) {
    $("changestitle").textContent = "No layers";
    $("changes").innerHTML = "";
    return;
  }
  const c = l.changes;
  $("changestitle").textContent = "Layer " + (layershown + 1) + ": " + l.source;
  const kinds = [["added", "added"], ["changed", "changed (a lower layer has the path)"], ["removed", "removed"]];
  $("changes").innerHTML = kinds.map(([k, what]) => {
    const v = c[k], paths = v.paths.slice().sort();
    return "<div data-change=\"" + k + "\" data-count=\"" + v.count + "\" data-bytes=\"" + v.bytes + "\"><b>" + v.count + " " + what +
      "</b> <span class=\"muted\">" + human(v.bytes) + "</span>" + (paths.length ? "<ul class=\"mono\">" +
      paths.map((p) => "<li>" + esc(p) + "</li>").join("") + (v.count > paths.length ? "<li class=\"muted\">and " +
      (v.count - paths.length) + " more</li>" : "") + "</ul>" : "") + "</div>";
  }).join("");
}

function drawpackages() {
  const filter = $("pkgfilter").value.trim().toLowerCase();
  const rows = P.packages.filter((p) => !filter || p.name.includes(filter)).map((p) =>
    Object.assign({ attrs: " data-package=\"" + esc(p.name) + "\"" }, p));
  table($("packagetable"), [
    { title: "package", text: (p) => p.name },
    { title: "version", mono: true, text: (p) => p.version },
    { title: "installed size", num: true, text: (p) => human(p.bytes), sort: (p) => p.bytes },
    { title: "files", num: true, text: (p) => p.files, sort: (p) => p.files },
    { title: "licence (SPDX)", text: (p) => p.licence || "NOASSERTION (not machine-readable)" },
    { title: "why", html: (p) => "<span class=\"why\">" + (p.why.length ? p.why.map((w) => "<span>" + esc(w) + "</span>").join("") :
      "<span class=\"muted\">in the base</span>") + "</span>", sort: (p) => p.why.join(" ") },
  ], rows);
}

function drawwaste() {
  const w = P.waste;
  $("wastesummary").textContent = w.files.length === 0 ? "No file of a layer is hidden by a later one." :
    human(w.total) + " in " + w.files.length + " file(s) that a later layer replaces or deletes: the image carries them, nothing can read them.";
  table($("wastetable"), [
    { title: "path", mono: true, text: (f) => f.path },
    { title: "size", num: true, text: (f) => human(f.size), sort: (f) => f.size },
    { title: "in layer", num: true, text: (f) => f.layer + 1, sort: (f) => f.layer },
    { title: "hidden by layer", num: true, text: (f) => f.by + 1, sort: (f) => f.by },
    { title: "how", text: (f) => (f.deleted ? "deleted" : "replaced") },
  ], w.files.map((f) => Object.assign({ attrs: " data-waste=\"" + esc(f.path) + "\"" }, f)));
}

function drawspecial() {
  const list = P.special;
  $("specialsummary").textContent = list.length === 0 ? "No file is setuid, setgid or world-writable." :
    list.length + " file(s) that run with their owner's or group's rights, or that anyone may write, " +
    "each with the package (or else the layer) that brought it.";
  table($("specialtable"), [
    { title: "path", mono: true, text: (f) => f.path },
    { title: "mode", mono: true, text: (f) => f.mode },
    { title: "what", text: (f) => f.what },
    { title: "package", text: (f) => (f.package >= 0 ? P.packages[f.package].name + " " + P.packages[f.package].version : "\u2014") },
    { title: "layer", text: (f) => (f.layer + 1) + ": " + P.layers[f.layer].source, sort: (f) => f.layer },
  ], list.map((f) => Object.assign({ attrs: " data-special=\"" + esc(f.path) + "\"" }, f)));
}

// the build arguments the definitions asked for (arg "NAME"), the same for every platform
function drawarguments() {
  const list = data.arguments || [];
  $("arguments").hidden = list.length === 0;
  table($("argumenttable"), [
    { title: "argument", mono: true, text: (a) => a.name },
    { title: "value", mono: true, text: (a) => a.value },
    { title: "from", text: (a) => a.source },
    { title: "asked for at", text: (a) => a.where },
  ], list.map((a) => Object.assign({ attrs: " data-argument=\"" + esc(a.name) + "\"" }, a)));
}

function show(i) {
  P = data.platforms[i];
  if (!P.tree.path) prepare(P.tree);
  layershown = P.layers.length - 1;
  const cfg = P.config || {};
  $("cards").innerHTML = [
    ["compressed", human(P.size)], ["unpacked", human(P.tree[1])], ["layers", P.layers.length],
    ["packages", P.packages.length], ["wasted", human(P.waste.total)], ["special files", P.special.length],
    ["entrypoint", (cfg.Entrypoint || []).join(" ") || "\u2014"], ["user", cfg.User || "root"],
  ].map(([k, v]) => "<div class=\"card\"><span class=\"muted\">" + k + "</span><b>" + esc(v) + "</b></div>").join("");
  $("subtitle").textContent = [data.ref, P.platform, P.digest, data.ctx].filter((s) => s).join("  \u00b7  ");
  drawmap(P.tree);
  drawlayers();
  drawpackages();
  drawwaste();
  drawspecial();
}

function main() {
  document.title = data.name + " \u2014 imagegen report";
  $("title").textContent = data.name;
  const sel = $("platform");
  sel.innerHTML = data.platforms.map((p, i) => "<option value=\"" + i + "\">" + esc(p.platform) + "</option>").join("");
  $("platformbar").hidden = data.platforms.length < 2;
  sel.addEventListener("change", () => show(Number(sel.value)));
  for (const r of document.querySelectorAll("input[name=colour]")) {
    r.addEventListener("change", () => { colourby = r.value; drawmap(here); });
  }
  $("pkgfilter").addEventListener("input", drawpackages);
  drawarguments();
  window.addEventListener("resize", () => drawmap(here));
  show(0);
}

main();
