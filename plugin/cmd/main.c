/*
 * main: the imagegen command. Without a subcommand it reads a definition
 * and writes the build file (the Lua side, imagegen.main; "generate" may
 * name it); the subcommands are in one table: the user's (generate, lock,
 * push, copy, diff, inspect, help) and the helpers that the generated rules run. Each has its usage, the one text
 * that --help, help CMD, CMD --help and a wrong call print.
 *
 * Where a build has a build cache, a layer it took from there may not be in
 * the store yet: the commands that read layers' bytes or name their digests
 * (layout, archive, sbom, report) make them present and checked first
 * (cache_ready), and push mounts them from the cache or has them
 * downloaded as it goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/env.h"
#include "base/lib.h"
#include "base/json.h"
#include "base/spec.h"
#include "base/store.h"
#include "net/fetch.h"
#include "net/fetchall.h"
#include "net/registry.h"
#include "lua/host.h"
#include "lua/native.h"
#include "layer/layer.h"
#include "image/image.h"
#include "image/layout.h"
#include "image/base.h"
#include "image/sbom.h"
#include "image/provenance.h"
#include "image/sign.h"
#include "cmd/rebuild.h"
#include "image/push.h"
#include "image/copy.h"
#include "cache/cache.h"
#include "step/step.h"
#include "read/diff.h"
#include "read/inspect.h"
#include "read/report.h"
#include "read/accounts.h"

enum {
	/* run by the generated rules, not by people: --help lists it apart */
	HELPER = 1 << 0,
	/* takes -m first: make mode (see file.h) */
	MAKEMODE = 1 << 1,
	/* takes --part BUNDLE SUM before its spec (see spec.h) */
	PART = 1 << 2,
};

struct command {
	const char *name;
	/* its usage, the words after "usage: "; a line of its own for each form */
	const char *usage;
	/* what it does */
	const char *about;
	/* run it on its arguments, those after its name and its options: the
	   status to exit with (-1: the usage is wrong) */
	int (*run)(int argc, char *argv[]);
	int flags;
};

static int cmdhelp(int argc, char *argv[]);

static int
cmdlayer(int argc, char *argv[])
{
	if (argc != 4)
		return -1;
	cache_layer(argv[0], argv[1], argv[2], argv[3]);
	return 0;
}

static int
cmdimage(int argc, char *argv[])
{
	if (argc != 3)
		return -1;
	image_build(argv[0], argv[1], argv[2]);
	/* a user the runtime would look up by name: in the image's /etc/passwd */
	accounts_check(argv[0], argv[1], argv[2], cache_ready);
	return 0;
}

static int
cmdindex(int argc, char *argv[])
{
	if (argc < 3)
		return -1;
	image_index(argv[0], argv[1], argv + 2, argc - 2);
	return 0;
}

static int
cmdlayout(int argc, char *argv[])
{
	if (argc < 3)
		return -1;
	cache_ready(argv[0], argv[2]);
	layout_write(argv[0], argv[1], argv[2], argv + 3, argc - 3);
	return 0;
}

static int
cmdarchive(int argc, char *argv[])
{
	if (argc != 3)
		return -1;
	cache_ready(argv[0], argv[2]);
	layout_archive(argv[0], argv[1], argv[2]);
	return 0;
}

static int
cmdpkginfo(int argc, char *argv[])
{
	if (argc != 5)
		return -1;
	sbom_pkginfo(argv[0], argv[1], argv[2], argv[3], argv[4]);
	return 0;
}

static int
cmdsbom(int argc, char *argv[])
{
	if (argc != 5)
		return -1;
	/* the layers the build took the build cache's word for, checked (and so downloaded) before the
	   document names their digests and the manifest's: an entry that lied makes the image again */
	cache_ready(argv[1], argv[4]);
	sbom_write(argv[0], argv[1], argv[2], argv[3], argv[4]);
	return 0;
}

static int
cmdprovenance(int argc, char *argv[])
{
	if (argc != 5)
		return -1;
	/* the image's layers verified first, where this build took a cache entry's word for them:
	   a lying entry is caught there, and the image file made right before it is named */
	cache_ready(argv[1], argv[4]);
	provenance_write(argv[0], argv[1], argv[2], argv[3], argv[4]);
	return 0;
}

static int
cmdreport(int argc, char *argv[])
{
	if (argc != 3)
		return -1;
	report_build(argv[0], argv[1], argv[2], cache_ready);
	return 0;
}

/* the definition a base comes from, for its errors: OUT with ".where" for
   ".json", which the generator writes beside it (lua/imagegen/plan.lua),
   {"ctx": "build.lua:3"}; neither an input nor on the command line, so
   that a line moved runs nothing again */
static void
basewhere(const char *out)
{
	static char ctx[1024];
	size_t n = strlen(out);
	char *path = n > 5 && strcmp(out + n - 5, ".json") == 0 ? xasprintf("%.*s.where", (int)(n - 5), out)
	                                                        : xasprintf("%s.where", out);
	json_t *where = access(path, F_OK) == 0 ? readspec(path) : NULL;
	const char *s = json_string_value(json_object_get(where, "ctx"));

	if (s && strlen(s) < sizeof(ctx)) {
		memcpy(ctx, s, strlen(s) + 1);
		fatalwhere = ctx;
	}
	json_decref(where);
	free(path);
}

static int
cmdbase(int argc, char *argv[])
{
	if (argc >= 5)
		basewhere(argv[argc - 2]);
	if (argc == 6 && strcmp(argv[0], "oci") == 0)
		base_fromlayout(argv[1], argv[2], argv[3], argv[4], argv[5]);
	else if (argc == 5 && strcmp(argv[0], "archive") == 0)
		base_fromarchive(argv[1], argv[3], argv[4]);
	else if (argc == 5 && strcmp(argv[0], "pull") == 0)
		base_frompull(argv[1], argv[2], argv[3], argv[4]);
	else
		return -1;
	return 0;
}

/* the blobs a push --image sends that a build cache hit left out of the store */
static int
fillfromcache(const char *store, const char *digest)
{
	return cache_blob(store, digest, NULL) < 0 ? -1 : 0;
}

/* push's and copy's options, --json and --digest-file FILE, into out; argc
   and argv past them */
static void
pushoptions(int *argc, char ***argv, struct pushout *out)
{
	for (; *argc > 0; (*argc)--, (*argv)++) {
		if (strcmp((*argv)[0], "--json") == 0)
			out->json = 1;
		else if (strcmp((*argv)[0], "--digest-file") == 0 && *argc > 1 && *(*argv)[1])
			out->digestfile = *++(*argv), (*argc)--;
		else
			break;
	}
}

static int
cmdpush(int argc, char *argv[])
{
	static const struct blobfrom fromcache = {cache_mountfrom, fillfromcache};
	struct pushout out = {0, NULL, NULL};
	char *record;

	pushoptions(&argc, &argv, &out);
	/* the blobs this machine pushed, where later pushes mount them from */
	record = xasprintf("%s/pushed", downloaddir());
	if (argc >= 4 && strcmp(argv[0], "--image") == 0)
		push_image(argv[1], argv[2], argv + 4, argc - 4, argv[3], record, &fromcache, &out);
	else if (argc == 2 && argv[0][0] != '-')
		push_layout(argv[0], argv[1], record, &out);
	else
		argc = -1;
	free(record);
	return argc < 0 ? -1 : 0;
}

/* sign's and verify's target: an OCI layout (a folder), else a registry reference */
static int
islayout(const char *target)
{
	struct stat st;

	return stat(target, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
cmdsign(int argc, char *argv[])
{
	struct signer s = {NULL, NULL, NULL};
	int attachments = 0;

	for (; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		if (strcmp(argv[0], "--attachments") == 0)
			attachments = 1;
		else if (argc > 1 && strcmp(argv[0], "--key") == 0)
			s.key = *++argv, argc--;
		else if (argc > 1 && strcmp(argv[0], "--key-command") == 0)
			s.command = *++argv, argc--;
		else if (argc > 1 && strcmp(argv[0], "--public-key") == 0)
			s.public = *++argv, argc--;
		else
			return -1;
	}
	if (argc != 1 || (s.key && s.command))
		return -1;
	if (!s.key && !s.command && !sign_fromenv(&s))
		fatal("sign %s: no key: --key KEY.pem, --key-command COMMAND, or IMAGEGEN_SIGN_KEY", argv[0]);
	if (islayout(argv[0]))
		sign_layout(argv[0], &s, attachments);
	else if (attachments)
		fatal("sign %s: --attachments signs a layout's SBOMs and provenance; sign the layout, then push it",
		      argv[0]);
	else
		push_sign(argv[0], &s);
	return 0;
}

static int
cmdverify(int argc, char *argv[])
{
	const char *key = NULL, *definition = NULL;
	char *tmp = NULL, *layout = NULL;
	int bad, rebuilt = 0;

	/* trouble is 2, as diff's: 1 says the image is not what it should be */
	fatalstatus = 2;
	for (; argc > 1 && argv[0][0] == '-'; argc -= 2, argv += 2) {
		if (strcmp(argv[0], "--key") == 0)
			key = argv[1];
		else if (strcmp(argv[0], "--rebuild") == 0)
			definition = argv[1];
		else
			return -1;
	}
	if (argc != 1 || (!key && !definition))
		return -1;
	/* a registry's image: copied with its referrers into a scratch layout first */
	if (!islayout(argv[0])) {
		const char *tmpdir = getenv("TMPDIR");
		struct pushout out = {0};
		tmp = xasprintf("%s/imagegen-verify.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
		if (!mkdtemp(tmp))
			fatal("%s:", tmp);
		layout = xasprintf("%s/layout", tmp);
		copy_image(argv[0], layout, NULL, &out);
	}
	bad = key ? sign_verifylayout(layout ? layout : argv[0], key) : 0;
	if (definition)
		rebuilt = rebuild_compare(layout ? layout : argv[0], definition);
	if (tmp)
		removetree(tmp);
	free(layout);
	free(tmp);
	return rebuilt == 2 ? 2 : (bad || rebuilt);
}

static int
cmdcopy(int argc, char *argv[])
{
	struct pushout out = {0, NULL, NULL};
	char *record;

	pushoptions(&argc, &argv, &out);
	if (argc != 2 || argv[0][0] == '-' || argv[1][0] == '-')
		return -1;
	/* the blobs this machine pushed, where later pushes mount them from */
	record = xasprintf("%s/pushed", downloaddir());
	copy_image(argv[0], argv[1], record, &out);
	free(record);
	return 0;
}

static int
cmdcached(int argc, char *argv[])
{
	if (argc < 3)
		return -1;
	return cache_run(argv[0], argv[1], argv + 2);
}

static int
cmdstep(int argc, char *argv[])
{
	if (argc != 2)
		return -1;
	return step_run(argv[0], argv[1]);
}

static int
cmdfetch(int argc, char *argv[])
{
	char digest[72], *end;
	long long size;
	json_t *spec;

	if (argc == 1) {
		/* the build's packages together: {"fetch": [{url, path, sha256, size, name}...]} */
		spec = readjson(argv[0]);
		fetch_all(json_object_get(spec, "fetch"), argv[0]);
		json_decref(spec);
		return 0;
	}
	if (argc != 4)
		return -1;
	snprintf(digest, sizeof(digest), "sha256:%s", argv[1]);
	size = strtoll(argv[2], &end, 10);
	if (!store_validdigest(digest) || *end || size < 0 || end == argv[2])
		fatal("fetch %s: '%s %s' is not a sha256 and a size", argv[0], argv[1], argv[2]);
	if (sha256verify(argv[3], argv[1]) != 0)
		fetch_file(argv[0], argv[3], argv[1], size);
	return 0;
}

static int
cmddiff(int argc, char *argv[])
{
	return diff_main(argc, argv);
}

static int
cmdinspect(int argc, char *argv[])
{
	return inspect_main(argc, argv);
}

/* the commands of the Lua side (imagegen.main): generating, and lock */
static int
cmdlua(int argc, char *argv[])
{
	return host_main("imagegen.main", argc, argv);
}

static const char generate[] =
	"Read the definition and write the build file whose rules build its images\n"
	"(then run ninja). With -G make it writes a makefile to include instead; GNU\n"
	"make can also load imagegen.so and call $(imagegen DEFINITION.lua).\n"
	"\n"
	"  -o FILE     write the build file to FILE (default build.ninja, or\n"
	"              images.mk with -G make)\n"
	"  -G BACKEND  ninja (default) or make (write a makefile to include)\n"
	"  -D NAME=VALUE\n"
	"              a build argument: what arg(\"NAME\", default) returns in the\n"
	"              definitions (wins over IMAGEGEN_ARG_NAME); repeatable, and\n"
	"              kept in the build file's command that regenerates it\n"
	"  --compression gzip|zstd|none\n"
	"              how layers are compressed unless an image says (gzip)\n"
	"  --format oci|docker\n"
	"              the media types of images that do not say: OCI's (oci)\n"
	"              or Docker's (docker: image manifest v2, schema 2)\n"
	"  --max-layers N\n"
	"              the layer budget of an image unless it says (maxlayers):\n"
	"              packages beyond it share layers (100)\n"
	"  --locked    fail, naming the command that fixes it, when imagegen.lock\n"
	"              does not match the definition's packages (for CI)\n"
	"  --cache HOST/REPOSITORY\n"
	"              a registry repository as the build cache machines share:\n"
	"              layers, cache = true commands and SBOMs are taken from it\n"
	"              when it has them (a layer's bytes only when an output here\n"
	"              needs them, verified), and push-NAME mounts layers from it\n"
	"  --cache-push  upload what this machine makes to the cache (for trusted\n"
	"              CI only: whoever writes the cache decides what a hit holds)\n";

static const struct command commands[] = {
	{"generate", USAGE_GENERATE, generate, cmdlua, 0},
	{"lock", USAGE_LOCK,
	 "Resolve every image's Debian packages and pulled tags again and write\n"
	 "imagegen.lock beside the definition; builds use only the lock. --json\n"
	 "prints what changed as one canonical JSON document: packages, pulled\n"
	 "bases and repositories added, removed or changed (\"changed\": false when\n"
	 "nothing did).\n",
	 cmdlua, 0},
	{"push", "imagegen push [--json] [--digest-file FILE] LAYOUT HOST/REPOSITORY[:TAG]\n"
	         "imagegen push [OPTION...] --image IMAGE STORE HOST/REPOSITORY[:TAG] [SBOM...]",
	 "Push an OCI image layout's image, its index and SBOMs to a registry,\n"
	 "uploading only the blobs it lacks and mounting those this machine pushed\n"
	 "to another repository of it. With --image (what push-NAME runs): an\n"
	 "image file of this build, its blobs from the store STORE, layers a build\n"
	 "cache gave mounted from there. On a terminal, a progress line.\n"
	 "\n"
	 "OPTION..., before LAYOUT or --image:\n"
	 "  --json      print what was pushed as one canonical JSON document: the\n"
	 "              digest, media type and size the tag names, each manifest\n"
	 "              and SBOM with its blobs (uploaded, mounted or present)\n"
	 "  --digest-file FILE\n"
	 "              write the pushed digest to FILE (sha256:<hex> and a newline)\n",
	 cmdpush, 0},
	{"sign", "imagegen sign [--key KEY.pem | --key-command COMMAND [--public-key PUB.pem]] [--attachments] "
	         "LAYOUT|REFERENCE",
	 "Sign an image as cosign does: the simple-signing payload of its manifest\n"
	 "(or index) digest, signed with an ECDSA P-256 or Ed25519 private key (an\n"
	 "unencrypted PEM file), or by COMMAND (sh -c), which reads the payload on\n"
	 "stdin and writes the signature (DER or base64) on stdout; --public-key\n"
	 "checks what it wrote. Without either, IMAGEGEN_SIGN_KEY or\n"
	 "IMAGEGEN_SIGN_COMMAND. A LAYOUT (a folder) gets the signature as an\n"
	 "artifact in index.json, which push sends; a registry REFERENCE gets it\n"
	 "pushed as a referrer and under the tag sha256-HEX.sig. --attachments\n"
	 "signs a layout's SBOMs and provenance too.\n",
	 cmdsign, 0},
	{"verify", "imagegen verify [--key PUB.pem] [--rebuild DEFINITION] LAYOUT|REFERENCE",
	 "Check that each image of an OCI layout (or of a registry, copied with\n"
	 "its referrers into a scratch layout) has a good signature by the\n"
	 "public key PUB.pem, and show what its provenance says (a provenance that\n"
	 "names another image fails). --rebuild builds the image again in a scratch\n"
	 "folder from DEFINITION and its lock, as the provenance says, and compares\n"
	 "the digests (imagegen diff when they differ). One of the two at least.\n"
	 "Exit 0 when all is good, 1\n"
	 "when a signature is missing or the rebuild differs, 2 on trouble.\n",
	 cmdverify, 0},
	{"copy", "imagegen copy [--json] [--digest-file FILE] SRC DST",
	 "Copy an image (its index, manifests and every blob) and the artifacts\n"
	 "that refer to it (its SBOMs, any referrer) from SRC to DST, the digests\n"
	 "unchanged. SRC and DST are each an OCI layout (DIR, DIR:TAG, and for SRC\n"
	 "DIR@DIGEST) or a registry reference (HOST/REPOSITORY[:TAG], and for SRC\n"
	 "@DIGEST). A registry's referrers are read from its referrers API and\n"
	 "its referrers tag (sha256-HEX); they go to a registry as push sends\n"
	 "them. Blobs the destination has are not sent; a registry mounts those\n"
	 "of another of its repositories; a layout's tag is the source's unless\n"
	 "DST names one. On a terminal, a progress line.\n"
	 "\n"
	 "  --json      print what was copied as one canonical JSON document\n"
	 "  --digest-file FILE\n"
	 "              write the copied digest to FILE (sha256:<hex> and a newline)\n",
	 cmdcopy, 0},
	{"diff", "imagegen diff [--json] [--platform OS/ARCH] IMAGE IMAGE",
	 "What differs between two images: layers, files (content, mode, owner,\n"
	 "link), package versions and config. Exit 0 when they are the same, 1 when\n"
	 "they differ, 2 on trouble. --json prints a canonical JSON document.\n"
	 "An IMAGE is an OCI layout (DIR or DIR:TAG), a docker-archive (a file) or a\n"
	 "registry reference (HOST/REPOSITORY[:TAG][@DIGEST]); --platform chooses in\n"
	 "an image of several (default: this machine's).\n",
	 cmddiff, 0},
	{"inspect", "imagegen inspect [--json] [--platform OS/ARCH] [--check waste=LIMIT] IMAGE",
	 "One screen about an image: platforms, layers, config, packages. IMAGE as\n"
	 "for diff. --json prints it as one canonical JSON document (the layers\n"
	 "and packages listed). On a terminal, a progress line while a registry's\n"
	 "layers download. --check waste=5% (or waste=20MB) exits 1, with a line\n"
	 "saying so, when the bytes that later layers hide are over that share of\n"
	 "the layers' files (or that many bytes): a check for CI.\n",
	 cmdinspect, 0},
	{"help", "imagegen help [COMMAND]",
	 "How to use imagegen, or one of its commands.\n",
	 cmdhelp, 0},
	{"layer", "imagegen layer [-m] [--part BUNDLE SUM] SPEC DESC DEPFILE STORE",
	 "Write the canonical layer SPEC describes into STORE, its descriptor to\n"
	 "DESC and the files it read to DEPFILE (from the build cache, when the\n"
	 "build has one and it has the layer).\n",
	 cmdlayer, HELPER | MAKEMODE | PART},
	{"image", "imagegen image [-m] [--part BUNDLE SUM] SPEC IMAGE STORE",
	 "Write an image's config and manifest blobs; the image file IMAGE records\n"
	 "them and the layers.\n",
	 cmdimage, HELPER | MAKEMODE | PART},
	{"index", "imagegen index [-m] INDEX STORE IMAGE...",
	 "The image index of an image's platforms; INDEX records it and their image\n"
	 "files.\n",
	 cmdindex, HELPER | MAKEMODE},
	{"layout", "imagegen layout [-m] IMAGE DIR STORE [SBOM...]",
	 "Make DIR an OCI image layout of IMAGE (an image file or an index file),\n"
	 "with the SBOM artifacts the records SBOM name, and DIR.digest its digest\n"
	 "(the manifest's or the index's: sha256:<hex> and a newline).\n",
	 cmdlayout, HELPER | MAKEMODE},
	{"archive", "imagegen archive IMAGE TAR STORE",
	 "Write a docker-archive of an image to TAR (podman load, docker load).\n",
	 cmdarchive, HELPER},
	{"pkginfo", "imagegen pkginfo DEB OUT PACKAGE VERSION ARCH",
	 "Write what an SBOM says of the Debian package DEB to OUT; its control\n"
	 "must name PACKAGE, VERSION and ARCH (its lock line's).\n",
	 cmdpkginfo, HELPER},
	{"sbom", "imagegen sbom [-m] [--part BUNDLE SUM] SPEC IMAGE RECORD SPDX STORE",
	 "Write an image's SPDX document to SPDX and its OCI artifact into STORE,\n"
	 "which the record RECORD describes.\n",
	 cmdsbom, HELPER | MAKEMODE | PART},
	{"provenance", "imagegen provenance [-m] [--part BUNDLE SUM] SPEC IMAGE RECORD OUT STORE",
	 "Write an image's SLSA provenance (an in-toto statement) to OUT and its OCI\n"
	 "artifact into STORE, which the record RECORD describes.\n",
	 cmdprovenance, HELPER | MAKEMODE | PART},
	{"report", "imagegen report [-m] [--part BUNDLE SUM] REPORT HTML STORE",
	 "Write an image's report page to HTML (the report spec REPORT names its\n"
	 "image files).\n",
	 cmdreport, HELPER | MAKEMODE | PART},
	{"base", "imagegen base [-m] oci DIR TAG PLATFORM OUT STORE\n"
	         "imagegen base [-m] archive FILE PLATFORM OUT STORE\n"
	         "imagegen base [-m] pull REF@DIGEST PLATFORM OUT STORE",
	 "Import a base image from an OCI layout, a docker-archive or a registry\n"
	 "(pinned by digest): its blobs into STORE, verified, its config and layers\n"
	 "to OUT.\n",
	 cmdbase, HELPER | MAKEMODE},
	{"cached", "imagegen cached [-m] SPEC STORE COMMAND...",
	 "The outputs SPEC names from the build cache, or made by running COMMAND\n"
	 "(then, with --cache-push, put there).\n",
	 cmdcached, HELPER | MAKEMODE},
	{"step", "imagegen step [-m] SPEC STORE",
	 "Run a command that runs in an image of the build (in bubblewrap, over the\n"
	 "image's root file system unpacked once) or writes folders; then write\n"
	 "the manifest of each folder, when its contents changed.\n",
	 cmdstep, HELPER | MAKEMODE},
	{"fetch", "imagegen fetch URL SHA256 SIZE FILE\n"
	          "imagegen fetch SPEC",
	 "Download URL to FILE, verified by its sha256 and size; or each file the\n"
	 "fetch spec SPEC lists, over a few kept connections.\n",
	 cmdfetch, HELPER},
};

enum { NCOMMANDS = sizeof(commands) / sizeof(commands[0]) };

static const char about[] =
	"  -h, --help  this text; imagegen help COMMAND (or COMMAND --help) for one\n"
	"  -V, --version  print the version\n"
	"\n"
	"ninja out/NAME.html (or make) writes an image's report page: its layers\n"
	"and where each was declared, a clickable size map, its packages with\n"
	"licence and why, and the bytes later layers waste. Self-contained.\n";

static const char environment[] =
	"Environment: SOURCE_DATE_EPOCH (timestamps in images, default 0),\n"
	"IMAGEGEN_CACHE (the download folder, default $XDG_CACHE_HOME/imagegen or\n"
	"~/.cache/imagegen), IMAGEGEN_INSECURE_REGISTRIES (host:port,... spoken\n"
	"to over plain http; loopback registries always are), REGISTRY_AUTH_FILE\n"
	"and DOCKER_CONFIG (registry credentials), IMAGEGEN_THREADS (compression\n"
	"threads; the bytes do not depend on it), IMAGEGEN_HTTP_TIMEOUT and\n"
	"IMAGEGEN_HTTP_STALL (seconds: a request in all, and without progress;\n"
	"default 900 and 30), IMAGEGEN_EVAL_SECONDS and IMAGEGEN_EVAL_MEMORY (CPU\n"
	"seconds and MiB for the definitions; default 60 and 4096), IMAGEGEN_LUA\n"
	"(load lua/ and rules/ from this folder instead of the copies built in),\n"
	"IMAGEGEN_DEBUG (tracebacks for Lua errors), IMAGEGEN_CACHE_REPO and\n"
	"IMAGEGEN_CACHE_PUSH=1 (--cache and --cache-push, read when generating),\n"
	"IMAGEGEN_CACHE_TIMEOUT (seconds a build cache request may take; default\n"
	"10: then the build goes on without the cache, after one warning),\n"
	"IMAGEGEN_ARG_NAME (what arg(\"NAME\") returns when -D does not give it;\n"
	"under the make plugin, make's variable of that name).\n";

static const struct command *
lookup(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

/* a usage text, each line after "usage: " or as far in */
static void
printusage(FILE *f, const char *usage, int first)
{
	const char *nl;

	for (; *usage; usage = nl + 1) {
		nl = strchr(usage, '\n');
		if (!nl)
			nl = usage + strlen(usage);
		fprintf(f, "%s%.*s\n", first ? "usage: " : "       ", (int)(nl - usage), usage);
		first = 0;
		if (!*nl)
			break;
	}
}

static void
overview(void)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++) {
		if (!(commands[i].flags & HELPER))
			printusage(stdout, commands[i].usage, i == 0);
	}
	printusage(stdout, "imagegen -h | --help | -V | --version", 0);
	printf("\n%s\n%s\nHelpers, run by the generated rules (STORE is the build's blob store):\n",
	       generate, about);
	for (i = 0; i < NCOMMANDS; i++) {
		if (commands[i].flags & HELPER)
			printusage(stdout, commands[i].usage, 0);
	}
	printf("  -m: make mode: an output whose bytes did not change is touched (ninja's\n"
	       "  restat keeps it untouched), and changes are reported on stdout.\n"
	       "  --part BUNDLE SUM: the spec is the one of that path in BUNDLE, which\n"
	       "  holds the specs of one image; SUM is its digest, for ninja to see it change.\n"
	       "\n%s", environment);
}

static int
cmdhelp(int argc, char *argv[])
{
	const struct command *c;

	if (argc == 0) {
		overview();
		return 0;
	}
	if (argc != 1)
		return -1;
	c = lookup(argv[0]);
	if (!c) {
		fprintf(stderr, "%s: unknown command '%s' (see imagegen --help)\n", argv0, argv[0]);
		return 2;
	}
	printusage(stdout, c->usage, 1);
	printf("\n%s", c->about);
	return 0;
}

/* whether a first argument that is no command names a definition: an
   option of the generator, a .lua file, or anything that exists */
static int
isdefinition(const char *arg)
{
	struct stat st;
	size_t n = strlen(arg);

	return arg[0] == '-' || strchr(arg, '/') || (n > 4 && strcmp(arg + n - 4, ".lua") == 0) ||
	       stat(arg, &st) == 0;
}

int
main(int argc, char *argv[])
{
	const struct command *c;
	const char *name = argc > 1 ? argv[1] : "";
	size_t seed;
	int status;

	/* file names are bytes, handed to libarchive as UTF-8 whatever the user's
	   locale: set when the first library is loaded (base/lib.c), so that a
	   helper that loads none never reads the locale's files */
	liblocale = "C.UTF-8";
	/* jansson's hash seed from one system call, not its open, read and close of /dev/urandom */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		json_object_seed(seed);
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		overview();
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		puts("imagegen " VERSION);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	c = lookup(name);
	if (!c && argc > 1 && !isdefinition(name)) {
		fprintf(stderr, "%s: unknown command '%s' (see imagegen --help)\n", argv0, name);
		return 2;
	}
	if (!c)
		return cmdlua(argc - 1, argv + 1);
	argc -= 2;
	argv += 2;
	if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		printusage(stdout, c->usage, 1);
		printf("\n%s", c->about);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if ((c->flags & MAKEMODE) && argc > 0 && strcmp(argv[0], "-m") == 0) {
		makemode = 1;
		argc--;
		argv++;
	}
	/* a spec that is a part of a bundle: SUM, its digest, is only there for
	   ninja to see the command change when the part does (rules/ninja.lua) */
	if ((c->flags & PART) && argc > 2 && strcmp(argv[0], "--part") == 0) {
		specbundle = argv[1];
		argc -= 3;
		argv += 3;
	}
	/* lock takes its own name back: imagegen.main reads it */
	if (c->run == cmdlua && strcmp(c->name, "lock") == 0)
		status = cmdlua(argc + 1, argv - 1);
	else
		status = c->run(argc, argv);
	if (status < 0) {
		printusage(stderr, c->usage, 1);
		return 2;
	}
	if (fflush(stdout) != 0)
		fatal("write stdout:");
	return status;
}
