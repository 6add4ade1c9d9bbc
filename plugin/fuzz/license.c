/*
 * fuzz-license: Debian copyright files as the SBOM reads them: the DEP-5
 * paragraphs, their License lines, and the SPDX expression made of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "debian/license.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	json_t *refs = json_object();

	memcpy(text, data, size);
	text[size] = '\0';
	free(license_dep5(text, refs));
	json_decref(refs);
	free(text);
	return 0;
}
