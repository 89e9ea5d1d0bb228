/* Console benchmark: writes argv[1] MiB of a repeating pattern to stdout in 64 KiB writes. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[65536];
	long left = (argc > 1 ? atol(argv[1]) : 1) << 20;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	while (left > 0) {
		ssize_t n = write(1, buf, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n <= 0)
			return 1;
		left -= n;
	}
	return 0;
}
