/*
 * main: the imagegen command. Without a subcommand it reads a definition
 * and writes the build file (the Lua side, imagegen.main); the subcommands
 * are the helpers that the generated rules run.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/env.h"
#include "base/spec.h"
#include "base/store.h"
#include "net/fetch.h"
#include "net/registry.h"
#include "lua/host.h"
#include "layer/layer.h"
#include "image/image.h"
#include "image/layout.h"
#include "image/base.h"
#include "image/sbom.h"
#include "cache/cache.h"
#include "read/diff.h"
#include "read/inspect.h"
#include "read/report.h"

static const char usage[] =
	"usage: imagegen [-G ninja|make] [-o FILE] [--locked] [--compression C]\n"
	"                [--cache HOST/REPOSITORY [--cache-push]] DEFINITION.lua\n"
	"       imagegen --help | --version\n"
	"       imagegen layer [-m] [--part BUNDLE SUM] SPEC DESC DEPFILE STORE\n"
	"       imagegen image [-m] [--part BUNDLE SUM] SPEC IMAGE STORE\n"
	"       imagegen index [-m] INDEX STORE IMAGE...\n"
	"       imagegen layout [-m] IMAGE DIR STORE [SBOM...]\n"
	"       imagegen pkginfo DEB OUT PACKAGE\n"
	"       imagegen sbom [-m] [--part BUNDLE SUM] SPEC IMAGE RECORD SPDX STORE\n"
	"       imagegen archive IMAGE TAR STORE\n"
	"       imagegen report [-m] [--part BUNDLE SUM] REPORT HTML STORE\n"
	"       imagegen base oci DIR TAG PLATFORM OUT STORE\n"
	"       imagegen base archive FILE PLATFORM OUT STORE\n"
	"       imagegen base pull REF@DIGEST PLATFORM OUT STORE\n"
	"       imagegen push LAYOUT HOST/REPOSITORY:TAG\n"
	"       imagegen push --image IMAGE STORE HOST/REPOSITORY:TAG [SBOM...]\n"
	"       imagegen cached [-m] SPEC STORE COMMAND...\n"
	"       imagegen diff [--json] [--platform OS/ARCH] IMAGE IMAGE\n"
	"       imagegen inspect [--platform OS/ARCH] IMAGE\n"
	"       imagegen lock DEFINITION.lua\n"
	"       imagegen fetch URL SHA256 SIZE FILE\n";

static const char help[] =
	"imagegen reads an image definition (Lua) and writes a ninja build file\n"
	"whose rules build reproducible OCI images. Then run ninja. With -G make\n"
	"it writes a makefile to include instead; GNU make can also load\n"
	"imagegen.so and call $(imagegen DEFINITION.lua) directly.\n"
	"\n"
	"  -o FILE     write the build file to FILE (default build.ninja, or\n"
	"              images.mk with -G make)\n"
	"  -G BACKEND  ninja (default) or make (write a makefile to include)\n"
	"  --help      this text\n"
	"  --version   print the version\n"
	"  --compression gzip|zstd|none\n"
	"              how layers are compressed unless an image says (gzip)\n"
	"  --locked    fail, naming the command that fixes it, when imagegen.lock\n"
	"              does not match the definition's packages (for CI)\n"
	"  --cache HOST/REPOSITORY\n"
	"              a registry repository as the build cache machines share:\n"
	"              layers, cache = true commands and SBOMs are taken from it\n"
	"              when it has them (a layer's bytes only when an output here\n"
	"              needs them, verified), and push-NAME mounts layers from it\n"
	"  --cache-push  upload what this machine makes to the cache (for trusted\n"
	"              CI only: whoever writes the cache decides what a hit holds)\n"
	"\n"
	"ninja out/NAME.html (or make) writes an image's report page: its layers\n"
	"and where each was declared, a clickable size map, its packages with\n"
	"licence and why, and the bytes later layers waste. Self-contained.\n"
	"\n"
	"imagegen diff [--json] [--platform OS/ARCH] A B compares two images: layers,\n"
	"files (content, mode, owner, link), package versions and config. Exit 0\n"
	"when they are the same, 1 when they differ, 2 on trouble. --json prints a\n"
	"canonical JSON document instead of text.\n"
	"imagegen inspect [--platform OS/ARCH] IMAGE prints one screen about an image.\n"
	"An IMAGE is an OCI layout (DIR or DIR:TAG), a docker-archive (a file) or a\n"
	"registry reference (HOST/REPOSITORY[:TAG][@DIGEST]); --platform chooses in\n"
	"an image of several (default: this machine's).\n"
	"\n"
	"imagegen lock DEFINITION.lua resolves every image's Debian packages\n"
	"and pulled tags again and writes imagegen.lock beside the definition;\n"
	"builds use only the lock.\n";

/* the rest of --help: the helpers, and the environment */
static const char helpers[] =
	"Helpers, run by the generated rules (STORE is the build's blob store):\n"
	"  layer SPEC DESC DEPFILE STORE   write the canonical layer SPEC describes\n"
	"                                  into STORE, its descriptor to DESC and\n"
	"                                  the files it read to DEPFILE\n"
	"  image SPEC IMAGE STORE          write config and manifest blobs; IMAGE\n"
	"                                  records them and the layers\n"
	"  index INDEX STORE IMAGE...      the image index of an image's platforms;\n"
	"                                  INDEX records it and their image files\n"
	"  layout IMAGE DIR STORE [SBOM...] make DIR an OCI image layout (IMAGE an\n"
	"                                  image file or an index file), with the\n"
	"                                  SBOM artifacts the records name\n"
	"  pkginfo DEB OUT PACKAGE         what an SBOM says of a Debian package\n"
	"  sbom SPEC IMAGE RECORD SPDX STORE\n"
	"                                  the image's SPDX document, and its OCI\n"
	"                                  artifact, which RECORD describes\n"
	"  archive IMAGE TAR STORE         write a docker-archive (podman/docker load)\n"
	"  report REPORT HTML STORE        write an image's report page (the report\n"
	"                                  spec REPORT names its image file)\n"
	"  --part BUNDLE SUM (layer, image, sbom, report): the spec is the one of\n"
	"                                  that path in BUNDLE, which holds the\n"
	"                                  specs of one image; SUM is the\n"
	"                                  spec's digest, for ninja to see it change\n"
	"  fetch URL SHA256 SIZE FILE      download a package to FILE, verified\n"
	"  push LAYOUT REF                 push an OCI layout's image to a registry\n"
	"                                  (uploading only the blobs it lacks)\n"
	"  push --image IMAGE STORE REF [SBOM...]\n"
	"                                  push an image file from the store (with a\n"
	"                                  build cache: its layers mounted from there)\n"
	"  cached SPEC STORE COMMAND...    the spec's outputs from the build cache,\n"
	"                                  or made by running COMMAND\n"
	"  base oci|archive|pull ... OUT STORE\n"
	"                                  import a base image from an OCI layout,\n"
	"                                  a docker-archive or a registry (pinned by\n"
	"                                  digest): its blobs into STORE, verified,\n"
	"                                  its config and layers to OUT\n"
	"  -m          make mode: an output whose bytes did not change is touched\n"
	"              (ninja's restat keeps it untouched), changes are reported on\n"
	"              stdout, and a layer's depfile has an empty rule per input\n";

static const char environment[] =
	"Environment: SOURCE_DATE_EPOCH (timestamps in images, default 0),\n"
	"IMAGEGEN_CACHE (downloads, default $XDG_CACHE_HOME/imagegen or\n"
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
	"10: then the build goes on without the cache, after one warning).\n";

static void
need(int argc, int n)
{
	if (argc != n) {
		fputs(usage, stderr);
		exit(2);
	}
}

int
main(int argc, char *argv[])
{
	const char *cmd = argc > 1 ? argv[1] : "";

	/* file names are bytes, handed to libarchive as UTF-8 whatever the user's locale */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		fatal("the C.UTF-8 locale is missing");
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage, stdout);
		fputs("\n", stdout);
		fputs(help, stdout);
		fputs("\n", stdout);
		fputs(helpers, stdout);
		fputs("\n", stdout);
		fputs(environment, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		puts("imagegen " VERSION);
		return 0;
	}
	if (strcmp(cmd, "diff") == 0)
		return diff_main(argc - 2, argv + 2);
	if (strcmp(cmd, "inspect") == 0)
		return inspect_main(argc - 2, argv + 2);
	if (argc > 2 && strcmp(argv[2], "-m") == 0 && strcmp(cmd, "archive") != 0) {
		makemode = 1;
		argv[2] = argv[1];
		argv++;
		argc--;
	}
	/* a spec that is a part of a bundle: SUM, its digest, is only there for
	   ninja to see the command change when the part does (rules/ninja.lua) */
	if (argc > 4 && strcmp(argv[2], "--part") == 0 && (strcmp(cmd, "layer") == 0 || strcmp(cmd, "image") == 0 ||
	                                                   strcmp(cmd, "sbom") == 0 || strcmp(cmd, "report") == 0)) {
		specbundle = argv[3];
		argv[4] = argv[1];
		argv += 3;
		argc -= 3;
	}
	if (strcmp(cmd, "layer") == 0) {
		need(argc, 6);
		layer_build(argv[2], argv[3], argv[4], argv[5]);
	} else if (strcmp(cmd, "image") == 0) {
		need(argc, 5);
		image_build(argv[2], argv[3], argv[4]);
	} else if (strcmp(cmd, "index") == 0) {
		if (argc < 5) {
			fputs(usage, stderr);
			return 2;
		}
		image_index(argv[2], argv[3], argv + 4, argc - 4);
	} else if (strcmp(cmd, "layout") == 0) {
		if (argc < 5) {
			fputs(usage, stderr);
			return 2;
		}
		layout_write(argv[2], argv[3], argv[4], argv + 5, argc - 5);
	} else if (strcmp(cmd, "pkginfo") == 0) {
		need(argc, 5);
		sbom_pkginfo(argv[2], argv[3], argv[4]);
	} else if (strcmp(cmd, "sbom") == 0) {
		need(argc, 7);
		sbom_write(argv[2], argv[3], argv[4], argv[5], argv[6]);
	} else if (strcmp(cmd, "base") == 0 && argc == 8 && strcmp(argv[2], "oci") == 0) {
		base_fromlayout(argv[3], argv[4], argv[5], argv[6], argv[7]);
	} else if (strcmp(cmd, "base") == 0 && argc == 7 && strcmp(argv[2], "archive") == 0) {
		base_fromarchive(argv[3], argv[5], argv[6]);
	} else if (strcmp(cmd, "base") == 0 && argc == 7 && strcmp(argv[2], "pull") == 0) {
		registry_pull(argv[3], argv[4], argv[5], argv[6]);
	} else if (strcmp(cmd, "base") == 0) {
		fputs(usage, stderr);
		return 2;
	} else if (strcmp(cmd, "push") == 0 && argc >= 6 && strcmp(argv[2], "--image") == 0) {
		char *record = xasprintf("%s/pushed", downloaddir());
		registry_pushimage(argv[3], argv[4], argv + 6, argc - 6, argv[5], record);
		free(record);
	} else if (strcmp(cmd, "push") == 0) {
		char *record;
		need(argc, 4);
		record = xasprintf("%s/pushed", downloaddir());
		registry_push(argv[2], argv[3], record);
		free(record);
	} else if (strcmp(cmd, "cached") == 0) {
		if (argc < 5) {
			fputs(usage, stderr);
			return 2;
		}
		return cache_run(argv[2], argv[3], argv + 4);
	} else if (strcmp(cmd, "fetch") == 0) {
		char digest[72], *end;
		long long size;
		need(argc, 6);
		snprintf(digest, sizeof(digest), "sha256:%s", argv[3]);
		size = strtoll(argv[4], &end, 10);
		if (!store_validdigest(digest) || *end || size < 0 || end == argv[4])
			fatal("fetch %s: '%s %s' is not a sha256 and a size", argv[2], argv[3], argv[4]);
		if (sha256verify(argv[5], argv[3]) != 0)
			fetch_file(argv[2], argv[5], argv[3], size);
	} else if (strcmp(cmd, "report") == 0) {
		need(argc, 5);
		report_build(argv[2], argv[3], argv[4]);
	} else if (strcmp(cmd, "archive") == 0) {
		need(argc, 5);
		layout_archive(argv[2], argv[3], argv[4]);
	} else {
		return host_main("imagegen.main", argc - 1, argv + 1);
	}
	if (fflush(stdout) != 0)
		fatal("write stdout:");
	return 0;
}
