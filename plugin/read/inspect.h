/* inspect: a one-screen summary of an image (imagegen inspect) */

/* imagegen inspect [--platform P] IMAGE, its arguments after "inspect": the
   exit status, -1 for a wrong usage */
int inspect_main(int argc, char *argv[]);
