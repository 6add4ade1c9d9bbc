/* tarref: the canonical tar through libarchive, the writer tar.c replaced
   and is held to (tar_open with libarchive set: tests/t-tar.sh, fuzz-tar) */
#include <stddef.h>

struct tarhead;
struct tarref;

/* a libarchive writer handing its stream to out(arg, ...) */
struct tarref *tarref_open(int (*out)(void *arg, const void *data, size_t len), void *arg);
/* tar_header's */
int tarref_header(struct tarref *t, const struct tarhead *h);
/* tar_data's */
int tarref_data(struct tarref *t, const void *data, size_t len);
/* tar_close's */
int tarref_close(struct tarref *t);
/* tar_error's */
const char *tarref_error(const struct tarref *t);
/* tar_free's */
void tarref_free(struct tarref *t);
