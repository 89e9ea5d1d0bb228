/* Reads stdin to end of file and prints its length and a checksum (Fletcher-32 style). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	unsigned char buf[4096];
	unsigned long total = 0, a = 1, b = 0;
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			a = (a + buf[i]) % 65521;
			b = (b + a) % 65521;
		}
		total += (unsigned long)n;
	}
	printf("bytes=%lu adler32=%08lx\n", total, (b << 16) | a);
	return n < 0 ? 1 : 0;
}
