/* sign: signatures of images in cosign's format (imagegen sign, verify) */

struct json_t;

/* the artifact type of a signature, and its layers' media type */
#define MT_COSIGN_SIG "application/vnd.dev.cosign.artifact.sig.v1+json"
#define MT_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
/* the annotation of a layer that holds its signature (base64) */
#define COSIGN_SIGNATURE "dev.cosignproject.cosign/signature"

/* who signs: a private key's PEM file, or a command that reads the
   payload on stdin and writes the signature (DER or base64) on stdout,
   checked against public when given */
struct signer {
	const char *key, *command, *public;
};

/* the signer the environment names (IMAGEGEN_SIGN_KEY, else
   IMAGEGEN_SIGN_COMMAND with IMAGEGEN_SIGN_PUBLIC_KEY): 1, or 0 when none */
int sign_fromenv(struct signer *s);
/* the tag cosign finds the signatures of digest under: "sha256-HEX.sig" (free it) */
char *sign_tag(const char *digest);
/* a signature of the manifest subject (a descriptor) of repository repo by s,
   added to the signature artifact old (its manifest, NULL: none) as one more
   layer: the new artifact manifest written into store, its descriptor
   (artifactType MT_COSIGN_SIG, subject the manifest) */
struct json_t *sign_artifact(const char *store, struct json_t *subject, const char *repo, const struct signer *s,
                             struct json_t *old);
/* sign the images of the OCI layout dir (with attachments, their SBOMs
   and provenance too): the signature artifacts go into it */
void sign_layout(const char *dir, const struct signer *s, int attachments);
/* check the signatures of the images of the OCI layout dir against the
   public key pub, and show their provenance: 0 when every image has a
   good signature (and a provenance, if any, names it), 1 if not */
int sign_verifylayout(const char *dir, const char *pub);
/* the provenance statement of the layout dir's first image (of its first
   platform, for an index), and that image's digest in digest; NULL when it
   has none */
struct json_t *sign_statement(const char *dir, char digest[72]);
