/* rebuild: an image of a layout built again from its definition, and compared */

/* build the image of the layout again in a scratch folder from definition
   (and its lock), as its provenance says: 0 when it is the same image, 1
   when it is another (imagegen diff of the two shown), 2 on trouble */
int rebuild_compare(const char *layout, const char *definition);
