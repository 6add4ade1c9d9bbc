/* sandbox: a step run in bubblewrap over an image's root file system */

struct json_t;

/* who a step runs as, and where, in an image */
struct stepuser {
	long uid, gid;
	/* $HOME (an empty tmpfs), and the step's folder: the image's working directory, else /out */
	char *home, *dir;
};

/* a host path the step sees, read-only, at dst */
struct mount {
	const char *src;
	char *dst;
};

struct sandbox {
	/* "build.lua:3: command", and the image's name, for messages */
	const char *ctx, *image;
	/* the image's root file system and config (Env), the step's folder on this machine */
	const char *root, *work;
	struct json_t *config;
	struct stepuser user;
	struct mount *mounts;
	size_t nmounts;
	long long epoch;
	int network;
	/* argv is /bin/sh -c LINE: the image must have /bin/sh */
	int shell;
	char *const *argv;
};

/* the user of the image's config (User: a uid, uid:gid, or names of root's
   /etc/passwd and /etc/group; root when empty), its home and the step's folder */
void sandbox_user(const char *root, struct json_t *config, const char *ctx, struct stepuser *u);
/* free what sandbox_user made */
void sandbox_freeuser(struct stepuser *u);
/* make in root the mount points of u's steps: its folder and home, /tmp,
   /proc, /dev, and /etc/resolv.conf and /etc/hosts as empty files */
void sandbox_prepare(const char *root, const struct stepuser *u, const char *ctx);
/* what sandbox_run returns when bubblewrap could not start the step:
   the kernel refuses user namespaces, or another reason bwrap gave */
enum { SANDBOX_NOUSERNS = -2, SANDBOX_FAILED = -1 };

/* exit naming the trouble when the step cannot run: bwrap missing, or no
   /bin/sh in the image for a run given as a string */
void sandbox_check(const struct sandbox *s);
/* run the step; its exit status, or SANDBOX_NOUSERNS or SANDBOX_FAILED */
int sandbox_run(const struct sandbox *s);
