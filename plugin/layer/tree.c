/*
 * tree: a folder of this machine as entries of a layer (a tree source),
 * and the listing of a folder a step wrote, its manifest.
 *
 * A tree keeps symlinks as they are (or follows them, refusing loops),
 * stores files that are hard links of each other once, and refuses
 * whiteout names, sockets, FIFOs and devices; modes are the declared ones,
 * else 0755 for a file with an execute bit, 0644 for one without, 0755 for
 * a folder.
 *
 * The manifest of a folder is what a tree of it puts in a layer, less what
 * the entry adds (owners, the epoch): one line an entry, in the layer's
 * order (the bytes of the paths), after the line "imagegen folder 1":
 *   d MODE PATH                 a folder
 *   f MODE SIZE SHA256 PATH     a file
 *   h MODE PATH FIRST           a hard link to FIRST, a file listed before
 *   l PATH TARGET               a symlink
 * A byte of a path or target that is a space or below, DEL, a backslash or
 * not part of UTF-8 is written \xHH. The step helper writes it only when
 * it changes, so that a build tool restats it: the layers of the folder
 * depend on the manifest, not on its files, and a step that rewrote the
 * same bytes reruns nothing after it.
 *
 * A tree leaves out what its patterns exclude (see pattern.c): first the
 * lines of the .imagegenignore in its root folder, then its exclude list,
 * the last pattern that matches a path deciding. The .imagegenignore itself
 * is never an entry, and is in the depfile whether it excludes anything or
 * not. An excluded folder is not read; the folder that holds an excluded
 * name is in the depfile, as every folder read, so adding a name reruns the
 * layer edge, which writes the same bytes. A folder's listing (its
 * manifest) takes no pattern: it is all the step wrote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/digest.h"
#include "base/file.h"
#include "base/pattern.h"
#include "layer/nodes.h"
#include "layer/tree.h"

/* the file of a tree's root whose lines exclude more of it */
#define IGNOREFILE ".imagegenignore"

/* ancestors of the directory being walked, to find symlink loops */
struct visit {
	dev_t dev;
	ino_t ino;
	const struct visit *up;
};

/* the patterns of a tree: its .imagegenignore's, then its exclude list */
struct excludes {
	const struct patterns *ignore, *exclude;
};

static int
excluded(const struct excludes *x, const char *rel, int isdir)
{
	int v = -1;

	if (!x)
		return 0;
	if (x->exclude)
		v = patterns_verdict(x->exclude, rel, isdir);
	if (v < 0 && x->ignore)
		v = patterns_verdict(x->ignore, rel, isdir);
	return v == 1;
}

/* src, a folder of the tree at rel below its root ("" the root), to l under dst */
static void
walk(struct layer *l, const struct treeopts *o, const struct excludes *x, const char *src, const char *dst,
     const char *rel, const struct visit *up)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	struct visit here;
	const struct visit *v;
	struct node *n;
	char *csrc, *cdst, *crel, target[4096];
	ssize_t tlen;

	if (stat(src, &st) < 0)
		fatal("%s: tree '%s': %s:", o->ctx, o->srcname, showname(src));
	for (v = up; v; v = v->up) {
		if (v->dev == st.st_dev && v->ino == st.st_ino)
			fatal("%s: tree '%s': symlink loop at %s", o->ctx, o->srcname, showname(src));
	}
	here.dev = st.st_dev;
	here.ino = st.st_ino;
	here.up = up;
	if (!o->nodeps)
		nodes_dep(l, o->ctx, src);
	d = opendir(src);
	if (!d)
		fatal("%s: tree '%s': open %s:", o->ctx, o->srcname, showname(src));
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (x && !o->noignore && !*rel && strcmp(de->d_name, IGNOREFILE) == 0)
			continue;
		csrc = xasprintf("%s/%s", src, de->d_name);
		if (lstat(csrc, &st) < 0)
			fatal("%s: tree '%s': %s:", o->ctx, o->srcname, showname(csrc));
		if (S_ISLNK(st.st_mode) && o->follow) {
			if (stat(csrc, &st) < 0) {
				if (errno == ELOOP)
					fatal("%s: tree '%s': symlink loop at %s", o->ctx, o->srcname, showname(csrc));
				fatal("%s: tree '%s': %s:", o->ctx, o->srcname, showname(csrc));
			}
		}
		crel = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (excluded(x, crel, S_ISDIR(st.st_mode))) {
			free(crel);
			free(csrc);
			continue;
		}
		if (nodes_iswhiteout(de->d_name))
			fatal("%s: tree '%s': %s: names starting with .wh. are whiteouts and cannot be sources",
			      o->ctx, o->srcname, showname(csrc));
		cdst = *dst ? xasprintf("%s/%s", dst, de->d_name) : xstrdup(de->d_name);
		if (S_ISDIR(st.st_mode)) {
			n = nodes_add(l);
			n->path = cdst;
			n->kind = KDIR;
			n->mode = o->dirmode >= 0 ? (unsigned)o->dirmode : 0755;
			n->uid = o->uid;
			n->gid = o->gid;
			n->ctx = o->ctx;
			walk(l, o, x, csrc, cdst, crel, &here);
			free(crel);
			free(csrc);
			continue;
		}
		free(crel);
		n = nodes_add(l);
		n->path = cdst;
		n->uid = o->uid;
		n->gid = o->gid;
		n->ctx = o->ctx;
		if (S_ISLNK(st.st_mode)) {
			tlen = readlink(csrc, target, sizeof(target) - 1);
			if (tlen < 0)
				fatal("%s: readlink %s:", o->ctx, showname(csrc));
			target[tlen] = '\0';
			n->kind = KLINK;
			n->mode = 0777;
			n->src = xstrdup(target);
			free(csrc);
		} else if (S_ISREG(st.st_mode)) {
			if (!o->nodeps)
				nodes_dep(l, o->ctx, csrc);
			n->kind = KFILE;
			n->mode = o->filemode >= 0 ? (unsigned)o->filemode : nodes_filemode(st.st_mode);
			n->src = csrc;
			n->dev = st.st_dev;
			n->ino = st.st_ino;
			n->multilink = st.st_nlink > 1;
		} else {
			fatal("%s: tree '%s': %s: not a file, directory or symlink", o->ctx, o->srcname, showname(csrc));
		}
	}
	if (errno)
		fatal("%s: readdir %s:", o->ctx, showname(src));
	closedir(d);
}


void
tree_walk(struct layer *l, const struct treeopts *o, const char *src, const char *dst)
{
	struct patterns ignore = {0};
	struct excludes x;
	struct buf b = {0};
	struct stat st;
	const char *err;
	char *path;
	size_t line;

	/* the root's .imagegenignore, when there is one */
	path = xasprintf("%s/%s", src, IGNOREFILE);
	if (!o->noignore && (stat(path, &st) == 0 || errno != ENOENT)) {
		if (readall(path, &b) < 0)
			fatal("%s: tree '%s': read %s:", o->ctx, o->srcname, showname(path));
		if ((line = patterns_text(&ignore, b.data ? b.data : "", b.len, &err)))
			fatal("%s: tree '%s': %s:%zu: the pattern %s", o->ctx, o->srcname, IGNOREFILE, line, err);
		if (!o->nodeps)
			nodes_dep(l, o->ctx, path);
	}
	free(path);
	free(b.data);
	x.ignore = &ignore;
	x.exclude = o->exclude;
	walk(l, o, &x, src, dst, "", NULL);
	patterns_free(&ignore);
}

/* a path or link target in a listing: the bytes that would split or hide it as \xHH */
static void
listname(struct buf *out, const char *s)
{
	size_t n;

	while (*s) {
		n = utf8seq(s);
		if (n == 0 || (unsigned char)*s <= ' ' || *s == 0x7f || *s == '\\') {
			bufprintf(out, "\\x%02x", (unsigned char)*s);
			s++;
			continue;
		}
		bufadd(out, s, n);
		s += n;
	}
}

size_t
tree_list(const char *ctx, const char *name, const char *dir, struct buf *out)
{
	struct layer l = {0};
	struct treeopts o = {0};
	struct node *n;
	struct stat st;
	char hex[65];
	size_t i, count;

	o.ctx = ctx;
	o.srcname = name;
	o.filemode = o.dirmode = -1;
	o.nodeps = 1;
	l.spool = -1;
	l.name = ctx;
	walk(&l, &o, NULL, dir, "", "", NULL);
	if (l.len > 1)
		qsort(l.nodes, l.len, sizeof(*l.nodes), nodes_bypath);
	nodes_linkgroups(&l);
	bufstr(out, "imagegen folder 1\n");
	for (i = 0; i < l.len; i++) {
		n = &l.nodes[i];
		switch (n->kind) {
		case KDIR:
			bufprintf(out, "d %04o ", n->mode);
			listname(out, n->path);
			break;
		case KFILE:
			if (stat(n->src, &st) < 0 || sha256file(n->src, hex) < 0)
				fatal("%s: %s: read %s:", ctx, name, showname(n->src));
			bufprintf(out, "f %04o %lld %s ", n->mode, (long long)st.st_size, hex);
			listname(out, n->path);
			break;
		case KHARD:
			bufprintf(out, "h %04o ", n->mode);
			listname(out, n->path);
			bufstr(out, " ");
			listname(out, n->src);
			break;
		default:
			bufstr(out, "l ");
			listname(out, n->path);
			bufstr(out, " ");
			listname(out, n->src);
			break;
		}
		bufstr(out, "\n");
	}
	count = l.len;
	for (i = 0; i < l.len; i++) {
		free(l.nodes[i].path);
		free(l.nodes[i].src);
	}
	free(l.nodes);
	return count;
}
