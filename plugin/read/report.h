/* report: the report page of an image of this build (out/NAME.html) */

/* write the page of the image the report spec names to html, reading its
   blobs from store; ready (when not NULL) is called first on each image
   file read, to make its blobs present (cache_ready) */
void report_build(const char *spec, const char *html, const char *store, void (*ready)(const char *image,
                  const char *store));
