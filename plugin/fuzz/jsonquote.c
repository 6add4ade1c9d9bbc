/*
 * fuzz-jsonquote: base/json.c's jsonquote, which the SBOM writes its strings
 * with (names spelt from layers and packages from outside), against
 * jansson's own dump of the same string: the input is the string (up to its
 * first NUL); when it is valid UTF-8 the two must be the same bytes, and
 * when it is not jsonquote must refuse it (jansson has no string of it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct buf out;
	char *s = xmalloc(size + 1), *want;
	jmp_buf back;
	json_t *j;
	volatile int refused = 0;

	memcpy(s, data, size);
	s[size] = '\0';
	out.len = 0;
	fatalreturn = &back;
	if (setjmp(back) == 0)
		jsonquote(&out, s);
	else
		refused = 1;
	fatalreturn = NULL;
	j = json_string(s);
	if (!j) {
		if (!refused || utf8valid(s))
			abort();
		free(s);
		return 0;
	}
	want = json_dumps(j, JSON_ENCODE_ANY);
	if (refused || !want || strlen(want) != out.len || memcmp(want, out.data, out.len) != 0)
		abort();
	free(want);
	json_decref(j);
	free(s);
	return 0;
}
