/* step: a command that runs in an image of the graph or writes folders */

/* imagegen step SPEC STORE: run the step SPEC describes, check its folders
   and write their manifests; the status to exit with */
int step_run(const char *spec, const char *store);
