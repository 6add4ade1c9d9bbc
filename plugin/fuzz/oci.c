/*
 * fuzz-oci: OCI and Docker documents as they arrive from registries,
 * layouts and archives: the checks every manifest, index and config passes,
 * and the choice of a platform's manifest in an index.
 */
#include <stdint.h>
#include <jansson.h>
#include "image/base.h"
#include "base/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const platforms[] = {"linux/amd64", "linux/arm64/v8", "linux/arm/v7"};
	json_t *j = json_loadb((const char *)data, size, 0, NULL), *layers;
	char why[256];
	size_t i;

	if (!j)
		return 0;
	oci_checkdescriptor(j, "fuzz", why, sizeof(why));
	oci_checkmanifest(j, why, sizeof(why));
	layers = json_object_get(j, "layers");
	oci_checkconfig(j, json_array_size(layers), why, sizeof(why));
	if (oci_checkindex(j, why, sizeof(why)) == 0) {
		for (i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++)
			oci_pickplatform(j, platforms[i], "fuzz");
	}
	oci_isindex(json_string_value(json_object_get(j, "mediaType")) ?
	             json_string_value(json_object_get(j, "mediaType")) : "");
	json_decref(j);
	return 0;
}
