/* Its whole output is one write: stubbed or faked, nothing reaches stdout. */
#include <unistd.h>

int main(void)
{
	return write(1, "hello\n", 6) == 6 ? 0 : 1;
}
