/* diff: what differs between two images (imagegen diff) */

/* imagegen diff [--json] [--platform P] A B, its arguments after "diff": 0 same,
   1 differ, 2 trouble, -1 a wrong usage */
int diff_main(int argc, char *argv[]);
