/*
 * step: the edge of a command that runs in an image of the graph, or that
 * writes folders (imagegen step SPEC STORE).
 *
 * The spec (the generator's, lua/imagegen/plan.lua):
 *   argv      what to run: ["/bin/sh", "-c", LINE], or the run's words
 *   outputs   [{path, name, manifest?}]: files, and folders with their
 *             manifest (the listing of tree.c), which the build file
 *             names instead of the folder
 *   aliases   the paths of outputs a build file names by alias (names.c)
 *   image     the image file of the image it runs in; none: this machine
 *   mounts    in an image, [{src, name}]: each input, and its path in the
 *             step's folder
 *   epoch, network, platform
 * and beside it, SPEC with ".where" for ".json", what messages name: ctx
 * ("build.lua:12: command") and the image's name. It is no input of the
 * edge, so that moving a declaration reruns no step.
 *
 * On this machine, the command runs in the build folder after each
 * folder output is made anew, empty (so that a folder holds what this run
 * wrote and nothing a former one did), and the folders of every output
 * are made. In an image (rootfs.c, sandbox.c), it runs in a new work
 * folder, .imagegen/step/ID, where the folder outputs are there empty;
 * once it succeeded, each output is moved from there to its path.
 *
 * Then each folder must be there and hold something, and its manifest is
 * written, only when it changed (touched in make mode): the layers that
 * hold the folder depend on the manifest, not its files, so a step that
 * wrote the same bytes again reruns nothing after it. While the step runs
 * its manifests are set aside (MANIFEST.prev) and put back, their times
 * kept, when they did not change: a step that failed, was interrupted, or
 * whose folder is missing or empty leaves none, so nothing after it takes
 * a folder it half wrote, and the next build runs it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "base/json.h"
#include "base/spec.h"
#include "base/names.h"
#include "base/digest.h"
#include "layer/tree.h"
#include "cache/cache.h"
#include "step/sandbox.h"
#include "step/rootfs.h"
#include "step/step.h"

/* a step, as its spec says */
struct step {
	json_t *spec, *where;
	const char *ctx, *image;
	json_t *outputs;
	char **argv;
};

/* a string member, or exit naming the spec */
static const char *
member(json_t *o, const char *key, const char *specpath)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		fatal("%s: malformed spec (no '%s')", specpath, key);
	return s;
}

/* a folder's manifest while its step runs: set aside, so that a step
   interrupted leaves none and runs again, and put back, its time kept, when
   the folder's contents are the same (free it) */
static char *
aside(const char *manifest)
{
	return xasprintf("%s.prev", manifest);
}

/* set the manifests of the step's folders aside (back: put them back) */
static void
setaside(const struct step *s)
{
	const char *m;
	char *prev;
	json_t *o;
	size_t i;

	json_array_foreach(s->outputs, i, o) {
		if (!(m = json_string_value(json_object_get(o, "manifest"))))
			continue;
		prev = aside(m);
		if (rename(m, prev) < 0 && errno != ENOENT)
			fatal("%s: rename %s:", s->ctx, m);
		free(prev);
	}
}

/* remove the manifests of the step's folders, and those set aside */
static void
dropmanifests(const struct step *s)
{
	const char *m;
	char *prev;
	json_t *o;
	size_t i;

	json_array_foreach(s->outputs, i, o) {
		if (!(m = json_string_value(json_object_get(o, "manifest"))))
			continue;
		prev = aside(m);
		unlink(m);
		unlink(prev);
		free(prev);
	}
}

/* run argv in the build folder, and wait: its exit status (128 + the signal that ended it) */
static int
run(char *const argv[])
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		fatal("fork:");
	if (pid == 0) {
		execvp(argv[0], argv);
		warn("run %s:", argv[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			fatal("wait:");
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* on this machine: its folders made anew, the folders of its files made */
static int
onhost(const struct step *s, const char *specpath)
{
	const char *path;
	json_t *o;
	size_t i;

	json_array_foreach(s->outputs, i, o) {
		path = member(o, "path", specpath);
		if (json_object_get(o, "manifest")) {
			if (removetree(path) < 0 || mkdirs(path) < 0)
				fatal("%s: make the folder %s anew:", s->ctx, showname(path));
		} else if (mkparent(path) < 0) {
			fatal("%s: mkdir for %s:", s->ctx, showname(path));
		}
	}
	return run(s->argv);
}

/* move what the step wrote at from to its output path to */
static void
moveout(const struct step *s, const char *from, const char *to, const char *name, int folder)
{
	struct stat st;

	if (lstat(from, &st) < 0 || (folder && !S_ISDIR(st.st_mode))) {
		dropmanifests(s);
		fatal("%s: the step wrote no %s '%s'", s->ctx, folder ? "folder" : "file", showname(name));
	}
	if (folder || (lstat(to, &st) == 0 && S_ISDIR(st.st_mode))) {
		if (removetree(to) < 0)
			fatal("%s: remove %s:", s->ctx, showname(to));
	}
	if (mkparent(to) < 0 || rename(from, to) < 0)
		fatal("%s: move %s to %s:", s->ctx, showname(from), showname(to));
}

/* in an image: in its work folder, in bubblewrap, then its outputs moved out */
static int
inimage(const struct step *s, const char *specpath, const char *store)
{
	struct sandbox box = {0};
	const char *slash = strrchr(store, '/'), *base = strrchr(specpath, '/'), *name;
	char *work, *from;
	json_t *image, *m, *o;
	size_t i, n;
	int status;

	base = base ? base + 1 : specpath;
	n = strcspn(base, ".");
	work = slash ? xasprintf("%.*s/step/%.*s", (int)(slash - store), store, (int)n, base)
	             : xasprintf("step/%.*s", (int)n, base);
	box.ctx = s->ctx;
	box.image = s->image;
	box.root = rootfs_open(member(s->spec, "image", specpath), store, s->ctx, &image);
	box.config = json_object_get(json_object_get(image, "config"), "config");
	box.shell = strcmp(s->argv[0], "/bin/sh") == 0 && s->argv[1] && strcmp(s->argv[1], "-c") == 0;
	sandbox_check(&box);
	sandbox_user(box.root, box.config, s->ctx, &box.user);
	if (removetree(work) < 0 || mkdirs(work) < 0)
		fatal("%s: make the work folder %s:", s->ctx, work);
	json_array_foreach(s->outputs, i, o) {
		from = xasprintf("%s/%s", work, member(o, "name", specpath));
		if (json_object_get(o, "manifest") ? mkdirs(from) < 0 : mkparent(from) < 0)
			fatal("%s: mkdir %s:", s->ctx, showname(from));
		free(from);
	}
	box.nmounts = json_array_size(json_object_get(s->spec, "mounts"));
	box.mounts = xcalloc(box.nmounts + 1, sizeof(*box.mounts));
	json_array_foreach(json_object_get(s->spec, "mounts"), i, m) {
		box.mounts[i].src = member(m, "src", specpath);
		box.mounts[i].dst = xasprintf("%s/%s", box.user.dir, member(m, "name", specpath));
	}
	box.work = work;
	box.epoch = specint(s->spec, "epoch", 0);
	box.network = json_is_true(json_object_get(s->spec, "network"));
	box.argv = s->argv;
	status = sandbox_run(&box);
	if (status == 0) {
		json_array_foreach(s->outputs, i, o) {
			name = member(o, "name", specpath);
			from = xasprintf("%s/%s", work, name);
			moveout(s, from, member(o, "path", specpath), name, json_object_get(o, "manifest") != NULL);
			free(from);
		}
	}
	removetree(work);
	if (status == SANDBOX_NOUSERNS)
		fatal("%s: the kernel refuses this user the user namespaces bubblewrap runs steps in: build as root, or "
		      "allow them (sysctl kernel.unprivileged_userns_clone=1)", s->ctx);
	if (status == SANDBOX_FAILED)
		fatal("%s: bubblewrap could not start the step in image '%s' (it says why above)", s->ctx, s->image);
	for (i = 0; i < box.nmounts; i++)
		free(box.mounts[i].dst);
	free(box.mounts);
	sandbox_freeuser(&box.user);
	free((char *)box.root);
	json_decref(image);
	free(work);
	return status;
}

/* each folder there and not empty, and its manifest written */
static void
manifests(const struct step *s, const char *specpath)
{
	struct buf list = {0}, old = {0};
	struct stat st;
	const char *path, *name, *manifest;
	char *prev;
	json_t *o;
	size_t i;

	json_array_foreach(s->outputs, i, o) {
		if (!json_object_get(o, "manifest"))
			continue;
		path = member(o, "path", specpath);
		name = member(o, "name", specpath);
		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			dropmanifests(s);
			fatal("%s: the folder '%s' is missing after the command ran (outputs: dir \"%s\")", s->ctx,
			      showname(name), showname(name));
		}
		list.len = 0;
		if (tree_list(s->ctx, name, path, &list) == 0) {
			dropmanifests(s);
			fatal("%s: the folder '%s' is empty after the command ran (outputs: dir \"%s\")", s->ctx,
			      showname(name), showname(name));
		}
		manifest = member(o, "manifest", specpath);
		prev = aside(manifest);
		old.len = 0;
		if (readall(prev, &old) == 0 && old.len == list.len && memcmp(old.data, list.data, list.len) == 0 &&
		    rename(prev, manifest) == 0) {
			if (makemode && utimensat(AT_FDCWD, manifest, NULL, 0) < 0)
				fatal("touch %s:", manifest);
		} else {
			updatefile(manifest, list.data, list.len);
			unlink(prev);
		}
		free(prev);
	}
	free(list.data);
	free(old.data);
}

/* what decides a step's outputs, for the build cache, in what: the
   generator's key, the image's manifest digest, each input's sha256; -1
   when the step has no key (not cache = true, an input unreadable) */
static int
stepwhat(const struct step *s, struct buf *what)
{
	json_t *c = json_object_get(s->spec, "cache"), *in, *image;
	const char *key = json_string_value(json_object_get(c, "key")), *digest;
	char hex[65];
	size_t i;

	if (!key)
		return -1;
	bufprintf(what, "%s\n", key);
	if (json_object_get(s->spec, "image")) {
		image = readjson(json_string_value(json_object_get(s->spec, "image")));
		digest = json_string_value(json_object_get(json_object_get(image, "manifest"), "digest"));
		bufprintf(what, "image %s\n", digest ? digest : "");
		json_decref(image);
	}
	json_array_foreach(json_object_get(c, "inputs"), i, in) {
		if (!json_is_string(in) || sha256file(json_string_value(in), hex) < 0)
			return -1;
		bufprintf(what, "in %s\n", hex);
	}
	return 0;
}

int
step_run(const char *specpath, const char *store)
{
	struct step s = {0};
	struct buf what = {0};
	char alias[ALIASLEN], *wherepath;
	json_t *a, *v;
	size_t i, n;
	int status, keyed, hit = 0;

	s.spec = readspec(specpath);
	n = strlen(specpath);
	wherepath = n > 5 && strcmp(specpath + n - 5, ".json") == 0 ? xasprintf("%.*s.where", (int)(n - 5), specpath)
	                                                             : xasprintf("%s.where", specpath);
	s.where = access(wherepath, F_OK) == 0 ? readspec(wherepath) : json_object();
	s.ctx = json_string_value(json_object_get(s.where, "ctx"));
	s.ctx = s.ctx ? s.ctx : specpath;
	s.image = json_string_value(json_object_get(s.where, "image"));
	s.image = s.image ? s.image : "?";
	s.outputs = json_object_get(s.spec, "outputs");
	a = json_object_get(s.spec, "argv");
	if (!json_is_array(s.outputs) || json_array_size(a) == 0)
		fatal("%s: malformed spec (no outputs or argv)", specpath);
	s.argv = xcalloc(json_array_size(a) + 1, sizeof(*s.argv));
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			fatal("%s: malformed spec (argv)", specpath);
		s.argv[i] = (char *)json_string_value(v);
	}
	setaside(&s);
	keyed = stepwhat(&s, &what) == 0;
	if (keyed && (hit = cache_stepget(store, what.data, s.outputs, s.ctx)))
		status = 0;
	else if (json_object_get(s.spec, "image"))
		status = inimage(&s, specpath, store);
	else
		status = onhost(&s, specpath);
	if (status != 0) {
		dropmanifests(&s);
	} else {
		manifests(&s, specpath);
		if (keyed && !hit)
			cache_stepput(store, what.data, s.outputs, s.ctx);
		json_array_foreach(json_object_get(s.spec, "aliases"), i, v) {
			if (json_is_string(v) && names_alias(json_string_value(v), alias) < 0)
				fatal("%s: the alias of %s:", s.ctx, showname(json_string_value(v)));
		}
	}
	free(what.data);
	free(s.argv);
	free(wherepath);
	json_decref(s.where);
	json_decref(s.spec);
	return status;
}
