/* Checks setsid's result but needs nothing it does: a faked setsid (0) passes, a stubbed one
 * (ENOSYS) makes it fail. */
#include <unistd.h>

int main(void)
{
	if (setsid() < 0)
		return 3;
	write(1, "session\n", 8);
	return 0;
}
