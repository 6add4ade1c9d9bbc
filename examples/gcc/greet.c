/* greet: prints the message installed beside it, and the compiler that built it */
#include <stdio.h>

#ifndef MESSAGE
#define MESSAGE "/usr/local/share/greet/message.txt"
#endif

int
main(void)
{
	char line[256];
	FILE *f = fopen(MESSAGE, "r");

	if (!f || !fgets(line, sizeof(line), f)) {
		perror(MESSAGE);
		return 1;
	}
	fclose(f);
	printf("%sbuilt by gcc %s\n", line, __VERSION__);
	return 0;
}
