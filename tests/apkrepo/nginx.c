#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

const char *pcre_version(void);
const char *zlibVersion(void);

static const char body[] = "Welcome to nginx/" VERSION " (synthetic)\n";

int main(int argc, char **argv)
{
	char buf[4096];
	struct sockaddr_in sa;
	const char *port = getenv("NGINX_PORT");
	int s, c, n, one = 1;

	if (argc == 2 && strcmp(argv[1], "-v") == 0) {
		fprintf(stderr, "nginx version: nginx/%s\n", VERSION);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "-V") == 0) {
		fprintf(stderr, "nginx version: nginx/%s\nbuilt with PCRE %s and zlib %s\n",
			VERSION, pcre_version(), zlibVersion());
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "-g") != 0 || strcmp(argv[2], "daemon off;") != 0) {
		fprintf(stderr, "usage: nginx -v | -V | -g 'daemon off;'\n");
		return 2;
	}
	if (access("/etc/nginx/nginx.conf", R_OK) != 0) {
		perror("nginx: /etc/nginx/nginx.conf");
		return 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port ? atoi(port) : 80);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 16) < 0) {
		perror("nginx: listen");
		return 1;
	}
	for (;;) {
		if ((c = accept(s, NULL, NULL)) < 0)
			continue;
		if (read(c, buf, sizeof buf) >= 0) {
			n = snprintf(buf, sizeof buf, "HTTP/1.0 200 OK\r\nServer: nginx/%s\r\n"
				"Content-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
				VERSION, (int)(sizeof body - 1), body);
			if (write(c, buf, n) != n)
				perror("nginx: write");
		}
		close(c);
	}
}
