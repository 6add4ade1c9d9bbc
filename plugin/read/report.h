/* report: the report page of an image of this build (out/NAME.html) */

/* write the page of the image the report spec names to html, reading its blobs from store */
void report_build(const char *spec, const char *html, const char *store);
