/* TCP echo server for the net tests: listens on argv[1] (port), prints "listening PORT",
 * serves argv[2] connections one after another (each: echo until EOF), then exits 0. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 7000, count = argc > 2 ? atoi(argv[2]) : 1, one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int l = socket(AF_INET, SOCK_STREAM, 0);
	char buf[65536];

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 16)) {
		perror("bind/listen");
		return 1;
	}
	printf("listening %d\n", port);
	fflush(stdout);
	for (int i = 0; i < count; i++) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		int c = accept(l, (struct sockaddr *)&peer, &plen);
		long n, total = 0;
		if (c < 0) {
			perror("accept");
			return 1;
		}
		while ((n = read(c, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				long w = write(c, buf + off, n - off);
				if (w <= 0) {
					perror("write");
					return 1;
				}
				off += w;
			}
			total += n;
		}
		close(c);
		printf("echoed %ld\n", total);
		fflush(stdout);
	}
	return 0;
}
