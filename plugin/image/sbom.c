/*
 * sbom: an SPDX 2.3 document of what is in an image (one platform's
 * manifest), and the OCI artifact that attaches it to the manifest.
 *
 * imagegen pkginfo DEB OUT PACKAGE VERSION ARCH: what a document says of a
 * Debian package that the lock does not: its Maintainer (the supplier),
 * Homepage, and licence, from the copyright file in its usr/share/doc when
 * that is machine-readable (license.c), and its files setuid, setgid or
 * world-writable (text.c modeflags; "special", only when there are any).
 * One edge a package, shared by every image. The package's control must
 * name the PACKAGE, VERSION and ARCH of its lock line, which the document
 * gives.
 *
 * imagegen sbom SPEC IMAGE RECORD SPDX STORE: the document for the image
 * file IMAGE, from the spec the generator wrote (sbom_write below); its
 * bytes go to SPDX and into the store, with the artifact manifest
 * (artifactType application/spdx+json, an empty config, the document as
 * its one layer, the image manifest as its subject), which RECORD
 * describes for layout and push.
 *
 * Spec: {name, platform, epoch, tool, packages: [{name, version,
 *   architecture, sha256, url, origin, codename, depends, info, why, and for an
 *   Alpine package kind "apk" and license}], base:
 *   {kind, name, file}, layers: [{id, desc, entries: [{path, ctx, run}]}]}
 * where layers are the image's (and its graph bases') layers of project
 * files, entries their declarations (path relative, a tree's folder for
 * its files), run the build step that made a command's output.
 *
 * The document is deterministic: created is the epoch, the namespace is
 * derived from the rest of the document, and every list is sorted. It
 * lists the image (a CONTAINER package with its oci purl), the base from
 * outside the graph, every Debian package (deb purl, supplier, download
 * location, the .deb's sha256, licence), each project layer (a package
 * whose files, with their SHA1 and SHA256, are those of the layer), and
 * the relationships: the document DESCRIBES the image, which CONTAINS the
 * rest; a package DEPENDS_ON the packages that met its Depends. A package
 * (Debian's, or a layer's) that brings a file setuid, setgid or world-
 * writable has an annotation for each, "setuid (mode 4755): /usr/bin/su",
 * and so has the file where the document lists it. File names are spelt
 * as docs/names.md says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/spec.h"
#include "base/arc.h"
#include "base/store.h"
#include "base/oci.h"
#include "debian/deb.h"
#include "debian/license.h"
#include "layer/nodes.h"
#include "layer/facts.h"
#include "image/sbom.h"
#include <jansson.h>
#include <nettle/sha1.h>

enum {
	/* the most of a copyright file read */
	MAXCOPYRIGHT = 1 << 20,
};

/* a package being read for its copyright file and its special files */
struct pkgread {
	/* usr/share/doc/PACKAGE/copyright, once the control file names the package */
	char *want;
	struct buf copyright;
	int found;
	/* the files setuid, setgid or world-writable: [{path, mode, what}] */
	json_t *special;
};

/* the type modeflags takes of a tar member */
static char
entrytype(struct archive_entry *e)
{
	return archive_entry_filetype(e) == AE_IFDIR ? 'd' : archive_entry_filetype(e) == AE_IFLNK ? 'l' : 'f';
}

/* {path, mode, what} when a member of this type ('f', 'd', 'l') and mode is one people must
   see (modeflags), else NULL; path is the member's name from the root, spelt (docs/names.md) */
static json_t *
special(const char *name, char type, unsigned mode)
{
	char flags[40], modes[8];
	struct buf path = {0};
	size_t n;
	json_t *j;

	if (!name || !*modeflags(type, mode, flags))
		return NULL;
	if (name[0] == '.' && (name[1] == '/' || name[1] == '\0'))
		name++;
	while (*name == '/')
		name++;
	n = strlen(name);
	while (n > 0 && name[n - 1] == '/')
		n--;
	bufstr(&path, "/");
	nameadd(&path, name, n, 1);
	snprintf(modes, sizeof(modes), "%04o", mode);
	j = json_pack("{s:s, s:s, s:s}", "path", path.data, "mode", modes, "what", flags);
	free(path.data);
	if (!j)
		fatal("out of memory");
	return j;
}

/* special() of a member of a layer's tar */
static json_t *
specialentry(struct archive_entry *e)
{
	return special(archive_entry_pathname(e), entrytype(e), (unsigned)archive_entry_perm(e));
}

/* special() of a member of a layer's facts */
static json_t *
specialfact(const struct fact *f)
{
	return special(f->path, f->type == 'd' || f->type == 'l' ? f->type : 'f', f->mode);
}


static void
pkgcontrol(void *arg, const struct deb *d)
{
	struct pkgread *r = arg;
	char *pkg = deb_field(d->control.data, "Package");

	if (pkg && deb_validname(pkg, 0))
		r->want = xasprintf("usr/share/doc/%s/copyright", pkg);
	free(pkg);
}

static void
pkgentry(void *arg, struct archive *a, struct archive_entry *e)
{
	struct pkgread *r = arg;
	const char *name = archive_entry_pathname(e);
	json_t *special = specialentry(e);
	char chunk[8192];
	la_ssize_t n;

	if (special)
		jsonappend(r->special, special);
	if (!name || !r->want || r->found || archive_entry_filetype(e) != AE_IFREG)
		return;
	while (*name == '.' || *name == '/')
		name++;
	if (strcmp(name, r->want) != 0)
		return;
	r->found = 1;
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (r->copyright.len + (size_t)n > MAXCOPYRIGHT)
			return;
		bufadd(&r->copyright, chunk, (size_t)n);
	}
}

void
sbom_pkginfo(const char *debpath, const char *out, const char *package, const char *version, const char *arch)
{
	struct pkgread r = {0};
	struct debreader dr = {pkgcontrol, pkgentry, NULL};
	struct deb d;
	json_t *info, *refs;
	char *fieldv, *lic = NULL, *text, why[512] = "";
	static const char *const fields[][2] = {
		{"Package", "package"}, {"Version", "version"}, {"Architecture", "architecture"},
		{"Maintainer", "maintainer"}, {"Homepage", "homepage"},
	};
	size_t i;

	dr.arg = &r;
	r.special = json_array();
	if (!r.special)
		fatal("out of memory");
	if (deb_read(debpath, &d, &dr) < 0)
		snprintf(why, sizeof(why), "%s", d.err);
	else if (!r.want)
		snprintf(why, sizeof(why), "no valid Package field");
	else
		deb_matches(&d, package, version, arch, why, sizeof(why));
	if (why[0]) {
		/* the package refused: nothing of it kept */
		deb_free(&d);
		free(r.want);
		free(r.copyright.data);
		json_decref(r.special);
		fatal("package %s (%s): %s", package, debpath, why);
	}
	info = json_object();
	refs = json_object();
	if (!info || !refs)
		fatal("out of memory");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		fieldv = deb_field(d.control.data, fields[i][0]);
		if (fieldv)
			jsonset(info, fields[i][1], json_string(fieldv));
		free(fieldv);
	}
	if (r.found && r.copyright.data)
		lic = license_dep5(r.copyright.data, refs);
	if (lic)
		jsonset(info, "license", json_string(lic));
	jsonset(info, "licenserefs", refs);
	if (json_array_size(r.special) > 0)
		jsonset(info, "special", json_incref(r.special));
	json_decref(r.special);
	free(lic);
	text = dumpjson(info);
	updatefile(out, text, strlen(text));
	free(text);
	json_decref(info);
	free(r.copyright.data);
	free(r.want);
	deb_free(&d);
}

/* "SPDXRef-" and s with every character SPDX ids may not have as '-' (free it) */
static char *
spdxref(const char *kind, const char *s)
{
	char *id = xasprintf("SPDXRef-%s-%s", kind, s), *p;

	for (p = id + 8; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '-'))
			*p = '-';
	}
	return id;
}

/* s with the characters a purl's parts may not hold as %XX (free it) */
static char *
purlescape(const char *s)
{
	struct buf b = {0};

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(".-_~", c))
			bufadd(&b, s, 1);
		else
			bufprintf(&b, "%%%02X", c);
	}
	return b.data ? b.data : xstrdup("");
}

static json_t *
checksum(const char *alg, const char *hex)
{
	return json_pack("{s:s, s:s}", "algorithm", alg, "checksumValue", hex);
}

static json_t *
purlref(const char *purl)
{
	return json_pack("{s:s, s:s, s:s}", "referenceCategory", "PACKAGE-MANAGER", "referenceType", "purl",
	                 "referenceLocator", purl);
}

static json_t *
relation(const char *a, const char *type, const char *b)
{
	return json_pack("{s:s, s:s, s:s}", "spdxElementId", a, "relationshipType", type,
	                 "relatedSpdxElement", b);
}

/* "Name <mail>" as an SPDX agent: a team is an Organization, anyone else a Person */
static char *
supplier(const char *maintainer)
{
	const char *lt = strchr(maintainer, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	int n = lt ? (int)(lt - maintainer) : (int)strlen(maintainer);
	const char *kind = strstr(maintainer, "Maintainers") || strstr(maintainer, "Team") ||
	                   strstr(maintainer, "Project") ? "Organization" : "Person";

	while (n > 0 && maintainer[n - 1] == ' ')
		n--;
	if (lt && gt)
		return xasprintf("%s: %.*s (%.*s)", kind, n, maintainer, (int)(gt - lt - 1), lt + 1);
	return xasprintf("%s: %.*s", kind, n, maintainer);
}

/* one file of a layer as the document lists it */
struct file {
	/* its path and digests (borrowed from the layer's facts) */
	const struct fact *fact;
	/* the declaration it came from (declaration), or -1 */
	long decl;
	/* its specialfact, or NULL (borrowed from the layer's list) */
	json_t *special;
};

static int
bypath(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->fact->path, ((const struct file *)b)->fact->path);
}

/* a layer's declarations (its spec's entries): their paths, and the notes the files' comments are made of */
struct decls {
	size_t len;
	const char **path;
	size_t *pathlen;
	/* each entry's note ("declared at ..."), or NULL */
	const char **note;
	/* the note made valid UTF-8 (utf8show), when a file first needs it */
	char **shown;
};

static void
declsload(struct decls *d, json_t *entries)
{
	json_t *e;
	size_t i;

	d->len = json_array_size(entries);
	d->path = xcalloc(d->len ? d->len : 1, sizeof(*d->path));
	d->pathlen = xcalloc(d->len ? d->len : 1, sizeof(*d->pathlen));
	d->note = xcalloc(d->len ? d->len : 1, sizeof(*d->note));
	d->shown = xcalloc(d->len ? d->len : 1, sizeof(*d->shown));
	json_array_foreach(entries, i, e) {
		d->path[i] = json_string_value(json_object_get(e, "path"));
		d->pathlen[i] = d->path[i] ? strlen(d->path[i]) : 0;
		d->note[i] = json_string_value(json_object_get(e, "note"));
	}
}

static void
declsfree(struct decls *d)
{
	size_t i;

	for (i = 0; i < d->len; i++)
		free(d->shown[i]);
	free(d->path);
	free(d->pathlen);
	free(d->note);
	free(d->shown);
}

/* the declaration a path of the layer came from: the longest entry path that is it or holds it
   (the first of the longest), or -1 */
static long
declaration(const struct decls *d, const char *path)
{
	long best = -1;
	size_t i, n, bestn = 0;

	for (i = 0; i < d->len; i++) {
		if (!d->path[i])
			continue;
		n = d->pathlen[i];
		if ((n == 0 || (strncmp(path, d->path[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))) &&
		    (best < 0 || n > bestn)) {
			best = (long)i;
			bestn = n;
		}
	}
	return best;
}

/* the regular files of a layer, from the layer's facts lf (facts.c, never
   its blob), sorted by path; every member whose mode people must see goes
   to special (specialfact) */
static struct file *
layerfiles(const struct layerfacts *lf, const struct decls *decls, json_t *special, size_t *count)
{
	struct file *files = xcalloc(lf->len ? lf->len : 1, sizeof(*files));
	const struct fact *f;
	size_t i, n = 0;
	int ordered = 1;

	for (i = 0; i < lf->len; i++) {
		json_t *sp = specialfact(f = &lf->e[i]);
		if (sp)
			jsonappend(special, sp);
		if (f->type != 'f')
			continue;
		files[n].fact = f;
		files[n].special = sp;
		files[n].decl = declaration(decls, f->path);
		if (n > 0 && strcmp(files[n - 1].fact->path, f->path) > 0)
			ordered = 0;
		n++;
	}
	/* a canonical tar is mostly in this order already */
	if (!ordered)
		qsort(files, n, sizeof(*files), bypath);
	*count = n;
	return files;
}

static int
bystring(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SPDX's package verification code: the SHA1 of the files' SHA1s, sorted, one after the other */
static void
verification(const struct file *files, size_t n, char out[41])
{
	char **sums = xcalloc(n ? n : 1, sizeof(*sums));
	unsigned char md[SHA1_DIGEST_SIZE];
	struct sha1_ctx c;
	size_t i;

	sha1_init(&c);
	for (i = 0; i < n; i++)
		sums[i] = (char *)files[i].fact->sha1;
	qsort(sums, n, sizeof(*sums), bystring);
	for (i = 0; i < n; i++)
		sha1_update(&c, 40, (const uint8_t *)sums[i]);
	sha1_digest(&c, sizeof(md), md);
	hexstr(md, sizeof(md), out);
	free(sums);
}

static const char *
str(json_t *o, const char *key, const char *path)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (!v)
		fatal("%s: no '%s'", path, key);
	return v;
}

/* the annotations of a package or file for the members of special (specialentry):
   "setuid (mode 4755): /usr/bin/passwd", one each, by this tool at the document's time */
static json_t *
annotations(json_t *special, const char *created)
{
	json_t *out = json_array(), *s, *a;
	char *comment;
	size_t i;

	if (!out)
		fatal("out of memory");
	json_array_foreach(special, i, s) {
		comment = xasprintf("%s (mode %s): %s", json_string_value(json_object_get(s, "what")),
		                    json_string_value(json_object_get(s, "mode")), json_string_value(json_object_get(s, "path")));
		a = json_pack("{s:s, s:s, s:s, s:s}", "annotationDate", created, "annotationType", "OTHER",
		              "annotator", "Tool: imagegen-" VERSION, "comment", comment);
		free(comment);
		jsonappend(out, a);
	}
	return out;
}

/* the image itself: a CONTAINER package with its oci purl */
static json_t *
imagepackage(json_t *spec, json_t *img, const char *specpath)
{
	const char *repo = str(img, "repo", specpath), *ref = str(img, "ref", specpath);
	const char *mdigest = json_string_value(json_object_get(json_object_get(img, "manifest"), "digest"));
	const char *last = strrchr(repo, '/') ? strrchr(repo, '/') + 1 : repo;
	const char *arch = json_string_value(json_object_get(json_object_get(img, "platform"), "architecture"));
	char *pname = purlescape(last), *pdigest = purlescape(mdigest), *prepo = purlescape(repo), *purl;
	json_t *p;

	if (!mdigest || !store_validdigest(mdigest) || !arch)
		fatal("%s: malformed image file", specpath);
	purl = xasprintf("pkg:oci/%s@%s?arch=%s&repository_url=%s&tag=%s", pname, pdigest, arch, prepo, ref);
	p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:[o], s:[o], s:s, s:s, s:s}", "SPDXID", "SPDXRef-Image",
	              "name", str(spec, "name", specpath), "versionInfo", ref, "downloadLocation", "NOASSERTION",
	              "primaryPackagePurpose", "CONTAINER", "filesAnalyzed", 0,
	              "checksums", checksum("SHA256", mdigest + 7), "externalRefs", purlref(purl),
	              "licenseConcluded", "NOASSERTION", "licenseDeclared", "NOASSERTION", "copyrightText", "NOASSERTION");
	if (!p)
		fatal("out of memory");
	free(pname);
	free(pdigest);
	free(prepo);
	free(purl);
	return p;
}

/* a base from outside the graph: its manifest digest (or config's), its layers in a comment */
static json_t *
basepackage(json_t *base, const char *specpath)
{
	json_t *bf = readjson(str(base, "file", specpath)), *l, *p;
	const char *digest = json_string_value(json_object_get(bf, "digest")), *name = str(base, "name", specpath);
	char *pname, *pdigest, *purl, *at, *last;
	struct buf layers = {0};
	size_t i;

	if (!digest)
		digest = json_string_value(json_object_get(bf, "configdigest"));
	if (!digest || !store_validdigest(digest))
		fatal("%s: the base file names no digest", specpath);
	json_array_foreach(json_object_get(bf, "layers"), i, l)
		bufprintf(&layers, "%s%s", i ? " " : "", json_string_value(json_object_get(l, "digest")));
	/* pkg:oci/NAME: the repository's last part, without tag or digest */
	pname = xstrdup(name);
	if ((at = strchr(pname, '@')))
		*at = '\0';
	if ((at = strrchr(pname, ':')) && !strchr(at, '/'))
		*at = '\0';
	at = strrchr(pname, '/');
	last = purlescape(at ? at + 1 : pname);
	pdigest = purlescape(digest);
	purl = xasprintf("pkg:oci/%s@%s", last, pdigest);
	free(last);
	p = json_pack("{s:s, s:s, s:s, s:s, s:b, s:[o], s:[o], s:s, s:s, s:s, s:s+}", "SPDXID", "SPDXRef-Base",
	              "name", name, "versionInfo", digest, "downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
	              "checksums", checksum("SHA256", digest + 7), "externalRefs", purlref(purl),
	              "licenseConcluded", "NOASSERTION", "licenseDeclared", "NOASSERTION", "copyrightText", "NOASSERTION",
	              "comment", "the base image, from outside the build; the image holds its layers: ",
	              layers.data ? layers.data : "");
	if (!p)
		fatal("out of memory");
	free(layers.data);
	free(pname);
	free(pdigest);
	free(purl);
	json_decref(bf);
	return p;
}

char *
sbom_debpurl(const char *name, const char *version, const char *arch, const char *origin, const char *codename)
{
	char *ns, *pname, *pversion, *pdistro, *purl, *p, *dash;

	ns = xstrdup(origin ? origin : "debian");
	for (p = ns; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	/* the distribution: the Release's codename, without -security or -updates */
	pdistro = xstrdup(codename ? codename : "");
	if ((dash = strchr(pdistro, '-')))
		*dash = '\0';
	pname = purlescape(name);
	pversion = purlescape(version);
	purl = *pdistro ? xasprintf("pkg:deb/%s/%s@%s?arch=%s&distro=%s", ns, pname, pversion, arch, pdistro)
	                : xasprintf("pkg:deb/%s/%s@%s?arch=%s", ns, pname, pversion, arch);
	free(ns);
	free(pname);
	free(pversion);
	free(pdistro);
	return purl;
}

char *
sbom_purl(json_t *p, const char *specpath)
{
	const char *kind = json_string_value(json_object_get(p, "kind"));
	char *pname, *pversion, *parch, *purl;

	if (!kind || strcmp(kind, "apk") != 0)
		return sbom_debpurl(str(p, "name", specpath), str(p, "version", specpath), str(p, "architecture", specpath),
		                    json_string_value(json_object_get(p, "origin")),
		                    json_string_value(json_object_get(p, "codename")));
	pname = purlescape(str(p, "name", specpath));
	pversion = purlescape(str(p, "version", specpath));
	parch = purlescape(str(p, "architecture", specpath));
	purl = xasprintf("pkg:apk/alpine/%s@%s?arch=%s", pname, pversion, parch);
	free(pname);
	free(pversion);
	free(parch);
	return purl;
}

/* an apk package's licence (its index's L:, as .PKGINFO has it) when it is an
   SPDX expression of ids, AND, OR, WITH and parentheses, else NULL (Alpine's
   "custom" and free text say nothing SPDX can read) */
static const char *
spdxexpr(const char *s)
{
	const char *p = s;
	size_t n;
	int ids = 0;

	if (!s || !*s || strlen(s) > 1024)
		return NULL;
	while (*p) {
		if (*p == ' ' || *p == '(' || *p == ')') {
			p++;
			continue;
		}
		n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.+-:");
		if (n == 0)
			return NULL;
		if (!(n == 3 && strncmp(p, "AND", 3) == 0) && !(n == 2 && strncmp(p, "OR", 2) == 0) &&
		    !(n == 4 && strncmp(p, "WITH", 4) == 0)) {
			/* an id starts with a capital letter or a digit (SPDX's list); "custom" does not */
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
				return NULL;
			ids++;
		}
		p += n;
	}
	return ids ? s : NULL;
}

/* a Debian package of the image, with an annotation for each of its files
   setuid, setgid or world-writable; its licence refs go into refs */
static json_t *
debpackage(json_t *d, json_t *refs, const char *specpath, const char *created, char **id)
{
	const char *name = str(d, "name", specpath), *version = str(d, "version", specpath);
	const char *arch = str(d, "architecture", specpath), *info = json_string_value(json_object_get(d, "info"));
	char *purl, *who = NULL, *p;
	json_t *pi = info ? readjson(info) : NULL, *pkg, *ref;
	const char *key, *lic = json_string_value(json_object_get(pi, "license"));
	const char *kind = json_string_value(json_object_get(d, "kind"));
	int apk = kind && strcmp(kind, "apk") == 0;

	/* an apk package's licence is its lock line's */
	if (apk)
		lic = spdxexpr(json_string_value(json_object_get(d, "license")));
	purl = sbom_purl(d, specpath);
	p = xasprintf("%s-%s-%s", name, version, arch);
	*id = spdxref(apk ? "apk" : "deb", p);
	free(p);
	pkg = json_pack("{s:s, s:s, s:s, s:s, s:b, s:[o], s:[o], s:s, s:s, s:s}", "SPDXID", *id, "name", name,
	                "versionInfo", version, "downloadLocation", str(d, "url", specpath), "filesAnalyzed", 0,
	                "checksums", checksum("SHA256", str(d, "sha256", specpath)), "externalRefs", purlref(purl),
	                "licenseConcluded", "NOASSERTION", "licenseDeclared", lic ? lic : "NOASSERTION",
	                "copyrightText", "NOASSERTION");
	if (!pkg)
		fatal("out of memory");
	if (json_string_value(json_object_get(pi, "maintainer"))) {
		who = supplier(json_string_value(json_object_get(pi, "maintainer")));
		jsonset(pkg, "supplier", json_string(who));
	}
	if (json_string_value(json_object_get(pi, "homepage")))
		jsonset(pkg, "homepage", json_string(json_string_value(json_object_get(pi, "homepage"))));
	/* why the package is in the image: asked for, added by default, Essential, or a dependency */
	if (json_string_value(json_object_get(d, "why")))
		jsonset(pkg, "comment", json_string(json_string_value(json_object_get(d, "why"))));
	json_object_foreach(json_object_get(pi, "licenserefs"), key, ref)
		jsonset(refs, key, json_incref(ref));
	if (json_array_size(json_object_get(pi, "special")) > 0)
		jsonset(pkg, "annotations", annotations(json_object_get(pi, "special"), created));
	free(purl);
	free(who);
	json_decref(pi);
	return pkg;
}

/* the key sorted() orders by */
static const char *sortkey;

static int
byid(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, sortkey));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, sortkey));

	return strcmp(x ? x : "", y ? y : "");
}

/* a JSON array of objects sorted by their key (SPDXID, licenseId) */
static json_t *
sorted(json_t *a, const char *key)
{
	size_t i, n = json_array_size(a);
	json_t **items = xcalloc(n ? n : 1, sizeof(*items)), *out = json_array();

	if (!out)
		fatal("out of memory");
	for (i = 0; i < n; i++)
		items[i] = json_array_get(a, i);
	sortkey = key;
	qsort(items, n, sizeof(*items), byid);
	for (i = 0; i < n; i++)
		jsonappend(out, json_incref(items[i]));
	free(items);
	json_decref(a);
	return out;
}

/* a relationship with its canonical text, which orders them */
struct relation {
	char *text;
	json_t *rel;
};

static int
byrelation(const void *a, const void *b)
{
	return strcmp(((const struct relation *)a)->text, ((const struct relation *)b)->text);
}

void
sbom_attach(const char *store, json_t *img, const char *type, const char *text, json_t *annotations,
            json_t *layerannotations, const char *record, const char *platform)
{
	json_t *mdesc = json_object_get(img, "manifest"), *layer, *art, *d, *rec;
	char digest[72], empty[72], *out;

	store_put(store, text, strlen(text), digest);
	store_put(store, "{}", 2, empty);
	layer = json_pack("{s:s, s:s, s:I}", "mediaType", type, "digest", digest, "size", (json_int_t)strlen(text));
	art = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i}, s:[o], s:{s:O, s:O, s:O}}", "schemaVersion", 2,
	                "mediaType", MT_MANIFEST, "artifactType", type, "config", "mediaType", MT_EMPTY, "digest", empty,
	                "size", 2, "layers", layer, "subject", "mediaType", json_object_get(mdesc, "mediaType"), "digest",
	                json_object_get(mdesc, "digest"), "size", json_object_get(mdesc, "size"));
	if (!layer || !art)
		fatal("out of memory");
	if (layerannotations)
		jsonset(layer, "annotations", layerannotations);
	if (annotations)
		jsonset(art, "annotations", annotations);
	d = store_putjson(store, MT_MANIFEST, art);
	jsonset(d, "artifactType", json_string(type));
	rec = json_pack("{s:o, s:[s, s, O], s:O, s:s}", "artifact", d, "blobs", empty, digest,
	                json_object_get(d, "digest"), "subject", json_object_get(mdesc, "digest"), "platform", platform);
	if (!rec)
		fatal("out of memory");
	out = dumpjson(rec);
	updatefile(record, out, strlen(out));
	free(out);
	json_decref(rec);
	json_decref(art);
}

/* a package of the document as its text, and its SPDXID, which orders them */
struct pkgtext {
	char *id, *text;
};

static int
bypkgid(const void *a, const void *b)
{
	return strcmp(((const struct pkgtext *)a)->id, ((const struct pkgtext *)b)->id);
}

/* the text of j (dumpjson) onto b, and j released */
static void
dumpinto(struct buf *b, json_t *j)
{
	char *text = dumpjson(j);

	bufstr(b, text);
	free(text);
	json_decref(j);
}

/* the SPDXID of file j of layer i, "SPDXRef-File-I-J" quoted, onto b (by
   hand: snprintf, twice a file, was a fifth of the edge's instructions
   besides hashing) */
static void
fileid(struct buf *b, size_t i, size_t j)
{
	char id[64], *p = id + sizeof(id);

	*--p = '"';
	do
		*--p = (char)('0' + j % 10);
	while (j /= 10);
	*--p = '-';
	do
		*--p = (char)('0' + i % 10);
	while (i /= 10);
	p -= 14;
	memcpy(p, "\"SPDXRef-File-", 14);
	bufadd(b, p, (size_t)(id + sizeof(id) - p));
}

/* file j of layer i as the document lists it, onto b: an object as dumpjson
   would write it (keys sorted, compact); name is scratch space */
static void
filetext(struct buf *b, struct buf *name, const struct file *f, struct decls *decls, size_t i, size_t j,
         const char *created)
{
	bufstr(b, "{\"SPDXID\":");
	fileid(b, i, j);
	if (f->special) {
		json_t *one = json_pack("[O]", f->special);
		if (!one)
			fatal("out of memory");
		bufstr(b, ",\"annotations\":");
		dumpinto(b, annotations(one, created));
		json_decref(one);
	}
	bufstr(b, ",\"checksums\":[{\"algorithm\":\"SHA1\",\"checksumValue\":\"");
	bufadd(b, f->fact->sha1, 40);
	bufstr(b, "\"},{\"algorithm\":\"SHA256\",\"checksumValue\":\"");
	bufadd(b, f->fact->sha256, 64);
	bufstr(b, "\"}]");
	if (f->decl >= 0 && decls->note[f->decl]) {
		/* text about the file, its names already spelt: made valid UTF-8, not spelt again */
		if (!decls->shown[f->decl])
			decls->shown[f->decl] = utf8show(decls->note[f->decl], 0);
		bufstr(b, ",\"comment\":");
		jsonquote(b, decls->shown[f->decl]);
	}
	/* the file's name from the root, spelt (docs/names.md) */
	name->len = 0;
	bufstr(name, "./");
	nameadd(name, f->fact->path, strlen(f->fact->path), 0);
	bufstr(b, ",\"copyrightText\":\"NOASSERTION\",\"fileName\":");
	jsonquote(b, name->data);
	bufstr(b, ",\"licenseConcluded\":\"NOASSERTION\"}");
}

/* layer i of the spec (l): its files onto files (after a ',' when *nfiles,
   which counts them), and its package, a relationship and its SPDXID */
static void
layertext(json_t *l, size_t i, const char *store, const char *specpath, const char *created, struct buf *files,
          size_t *nfiles, struct pkgtext *pkg, json_t *rels)
{
	json_t *desc = readjson(str(l, "desc", specpath)), *special = json_array();
	const char *ldigest = json_string_value(json_object_get(desc, "digest"));
	const char *ldiffid = json_string_value(json_object_get(desc, "diffid"));
	const char *where = json_string_value(json_object_get(l, "where"));
	struct buf b = {0}, name = {0};
	struct layerfacts lf;
	struct decls decls;
	struct file *fl;
	char vcode[41], *comment;
	size_t j, n;

	if (!ldigest || !store_validdigest(ldigest) || !ldiffid || !store_validdigest(ldiffid))
		fatal("%s: malformed layer descriptor", str(l, "desc", specpath));
	if (!special)
		fatal("out of memory");
	pkg->id = spdxref("Layer", str(l, "id", specpath));
	declsload(&decls, json_object_get(l, "entries"));
	facts_load(store, ldiffid, ldigest, specpath, &lf);
	fl = layerfiles(&lf, &decls, special, &n);
	/* a file's record is 300 bytes and its name and note: the document grown once, not doubled
	   (and copied) ten times; what is not written is never touched */
	bufreserve(files, n * 512);
	for (j = 0; j < n; j++) {
		if ((*nfiles)++ > 0)
			bufadd(files, ",", 1);
		filetext(files, &name, &fl[j], &decls, i, j, created);
	}
	verification(fl, n, vcode);
	/* the package: its keys in dumpjson's order */
	bufstr(&b, "{\"SPDXID\":");
	jsonquote(&b, pkg->id);
	if (json_array_size(special) > 0) {
		bufstr(&b, ",\"annotations\":");
		dumpinto(&b, annotations(special, created));
	}
	bufstr(&b, ",\"checksums\":[{\"algorithm\":\"SHA256\",\"checksumValue\":");
	jsonquote(&b, ldigest + 7);
	comment = xasprintf("a layer of files from the project, declared at %s", where ? where : "?");
	bufstr(&b, "}],\"comment\":");
	jsonquote(&b, comment);
	bufstr(&b, ",\"copyrightText\":\"NOASSERTION\",\"downloadLocation\":\"NOASSERTION\",\"filesAnalyzed\":true,"
	           "\"hasFiles\":[");
	for (j = 0; j < n; j++) {
		if (j > 0)
			bufadd(&b, ",", 1);
		fileid(&b, i, j);
	}
	bufstr(&b, "],\"licenseConcluded\":\"NOASSERTION\",\"licenseDeclared\":\"NOASSERTION\",\"name\":");
	jsonquote(&b, str(l, "id", specpath));
	bufstr(&b, ",\"packageVerificationCode\":{\"packageVerificationCodeValue\":\"");
	bufstr(&b, vcode);
	bufstr(&b, "\"},\"versionInfo\":");
	jsonquote(&b, ldigest);
	bufstr(&b, "}");
	pkg->text = b.data;
	jsonappend(rels, relation("SPDXRef-Image", "CONTAINS", pkg->id));
	free(comment);
	free(name.data);
	free(fl);
	facts_free(&lf);
	declsfree(&decls);
	json_decref(special);
	json_decref(desc);
}

/*
 * The document is written as text, its members in the order dumpjson gives
 * them (keys sorted, compact), with the bytes dumpjson would write: the
 * packages from outside (the image, the base, Debian's and Alpine's) and the
 * relationships and licences as jansson values, each dumped once; the files
 * and the layers' packages, thousands of records, written directly
 * (jsonquote), in one buffer. The namespace, which falls between
 * "dataLicense" and "files", is the digest of the document without it: its
 * place is kept with zeros for the digest (whose length is known), the
 * bytes around it hashed, and the digest written over the zeros.
 */
void
sbom_write(const char *specpath, const char *imagepath, const char *record, const char *spdxout, const char *store)
{
	static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";
	json_t *spec, *img;
	json_t *packages = json_array(), *rels = json_array(), *refs = json_object();
	json_t *d, *l, *ids = json_object(), *extracted = json_array(), *ref;
	struct relation *relv;
	struct pkgtext *pkgv;
	struct buf doc = {0};
	struct sha256 *h;
	const char *key, *platform;
	char created[32], hex[65], *id, *ns, *name;
	size_t i, j, n, nlayers, npkgs, nfiles = 0, nsat, nsend;

	if (!packages || !rels || !refs || !ids || !extracted)
		fatal("out of memory");
	spec = readspec(specpath);
	img = readjson(imagepath);
	platform = str(spec, "platform", specpath);
	rfc3339(json_integer_value(json_object_get(spec, "epoch")), created);
	jsonappend(packages, imagepackage(spec, img, specpath));
	jsonappend(rels, relation("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"));
	if (json_object_get(spec, "base")) {
		jsonappend(packages, basepackage(json_object_get(spec, "base"), specpath));
		jsonappend(rels, relation("SPDXRef-Image", "CONTAINS", "SPDXRef-Base"));
	}
	json_array_foreach(json_object_get(spec, "packages"), i, d) {
		jsonappend(packages, debpackage(d, refs, specpath, created, &id));
		jsonappend(rels, relation("SPDXRef-Image", "CONTAINS", id));
		jsonset(ids, str(d, "name", specpath), json_string(id));
		free(id);
	}
	json_array_foreach(json_object_get(spec, "packages"), i, d) {
		const char *from = json_string_value(json_object_get(ids, str(d, "name", specpath)));
		json_array_foreach(json_object_get(d, "depends"), j, ref) {
			const char *to = json_string_value(json_object_get(ids, json_string_value(ref) ? json_string_value(ref) : ""));
			if (to)
				jsonappend(rels, relation(from, "DEPENDS_ON", to));
		}
	}

	/* the members before the files, the namespace's digest zeros for now */
	bufstr(&doc, "{\"SPDXID\":\"SPDXRef-DOCUMENT\",\"creationInfo\":{\"created\":");
	jsonquote(&doc, created);
	bufstr(&doc, ",\"creators\":[");
	jsonquote(&doc, "Tool: imagegen-" VERSION);
	bufstr(&doc, "]},\"dataLicense\":\"CC0-1.0\",");
	nsat = doc.len;
	ns = xasprintf("https://spdx.org/spdxdocs/imagegen/%s-%s", str(spec, "name", specpath), zeros);
	bufstr(&doc, "\"documentNamespace\":");
	jsonquote(&doc, ns);
	bufstr(&doc, ",");
	free(ns);
	nsend = doc.len;

	/* every package as text: those above dumped, the layers' written with their files */
	npkgs = json_array_size(packages);
	nlayers = json_array_size(json_object_get(spec, "layers"));
	pkgv = xcalloc(npkgs + nlayers ? npkgs + nlayers : 1, sizeof(*pkgv));
	json_array_foreach(packages, i, d) {
		pkgv[i].id = xstrdup(json_string_value(json_object_get(d, "SPDXID")));
		pkgv[i].text = dumpjson(d);
	}
	bufstr(&doc, "\"files\":[");
	json_array_foreach(json_object_get(spec, "layers"), i, l)
		layertext(l, i, store, specpath, created, &doc, &nfiles, &pkgv[npkgs + i], rels);
	bufstr(&doc, "]");
	npkgs += nlayers;
	qsort(pkgv, npkgs, sizeof(*pkgv), bypkgid);

	json_object_foreach(refs, key, ref)
		jsonappend(extracted, json_pack("{s:s, s:s, s:s}", "licenseId", key, "extractedText", json_string_value(ref),
		                            "name", key + 11));
	if (json_array_size(extracted) > 0) {
		bufstr(&doc, ",\"hasExtractedLicensingInfos\":");
		dumpinto(&doc, sorted(extracted, "licenseId"));
	} else {
		json_decref(extracted);
	}
	name = xasprintf("%s (%s)", str(spec, "name", specpath), platform);
	bufstr(&doc, ",\"name\":");
	jsonquote(&doc, name);
	free(name);
	bufstr(&doc, ",\"packages\":[");
	for (i = 0; i < npkgs; i++) {
		if (i > 0)
			bufadd(&doc, ",", 1);
		bufstr(&doc, pkgv[i].text);
		free(pkgv[i].id);
		free(pkgv[i].text);
	}
	free(pkgv);
	n = json_array_size(rels);
	relv = xcalloc(n ? n : 1, sizeof(*relv));
	for (i = 0; i < n; i++) {
		relv[i].rel = json_array_get(rels, i);
		relv[i].text = dumpjson(relv[i].rel);
	}
	qsort(relv, n, sizeof(*relv), byrelation);
	bufstr(&doc, "],\"relationships\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			bufadd(&doc, ",", 1);
		bufstr(&doc, relv[i].text);
		free(relv[i].text);
	}
	free(relv);
	bufstr(&doc, "],\"spdxVersion\":\"SPDX-2.3\"}");

	/* the namespace: the digest of the document without it, so the same contents name themselves the same;
	   the digest's zeros end its string, before the closing quote and the comma */
	h = sha256new();
	sha256add(h, doc.data, nsat);
	sha256add(h, doc.data + nsend, doc.len - nsend);
	sha256done(h, hex);
	memcpy(doc.data + nsend - 2 - 64, hex, 64);
	if (updatefile(spdxout, doc.data, doc.len) && makemode)
		printf("  SBOM    %s\n", spdxout);

	/* the artifact that attaches the document to the manifest (OCI image-spec 1.1) */
	sbom_attach(store, img, MT_SPDX, doc.data, json_pack("{s:s}", "org.opencontainers.image.created", created), NULL,
	            record, platform);
	free(doc.data);
	json_decref(packages);
	json_decref(rels);
	json_decref(ids);
	json_decref(refs);
	json_decref(spec);
	json_decref(img);
}
