#include <dirent.h>
#include <stdio.h>

int
main(void)
{
	DIR *d = opendir("/srv/www");
	struct dirent *de;

	printf("hello from the web service, serving:\n");
	if (!d)
		return 1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			printf("  %s\n", de->d_name);
	closedir(d);
	return 0;
}
