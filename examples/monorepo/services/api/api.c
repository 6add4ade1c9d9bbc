#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
	FILE *f = fopen("/etc/api/api.conf", "r");
	char line[256];

	printf("hello from the api service\n");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		printf("config: %s", line);
	fclose(f);
	return 0;
}
