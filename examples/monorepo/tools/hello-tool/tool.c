#include <stdio.h>

int
main(int argc, char *argv[])
{
	printf("hello from the tool, %d argument(s)\n", argc - 1);
	(void)argv;
	return 0;
}
