/* The demo program: greets its first argument (`make demo` passes "world"). */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("Hello, %s!\n", argc > 1 ? argv[1] : "unicore");
	return 0;
}
