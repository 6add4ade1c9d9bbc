#include <stdio.h>

int
main(void)
{
	puts("hello from an imagegen image");
	return 0;
}
