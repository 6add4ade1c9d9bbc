/* layer: canonical layers from a layer spec */

/* write the layer that spec describes into the store, its descriptor
   (mediaType, digest, size, diffid) to desc and its inputs to depfile;
   in make mode the depfile also has an empty rule per input, so that a
   deleted input is no error */
void layer_build(const char *spec, const char *desc, const char *depfile, const char *store);
/* write a layer's descriptor: its media type and compression annotation
   from comp (an enum compression) and level, its digest, size and diff_id */
void layer_describe(const char *descpath, int comp, int level, const char *digest, long long size, const char *diffid);
