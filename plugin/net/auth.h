/* auth: registry credentials from docker and podman auth files and helpers */

struct creds {
	char *user, *secret;
	/* where they came from, for messages: a file or a helper */
	char *from;
};

/* the credentials for host (host[:port]); 0 if found, -1 if none */
int auth_find(const char *host, struct creds *c);
/* the "Authorization: Basic ..." header for them (free it) */
char *auth_basic(const struct creds *c);
/* free what auth_find filled */
void auth_free(struct creds *c);
