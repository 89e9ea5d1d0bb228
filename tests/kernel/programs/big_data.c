/* 3 MiB of initialised data: the image payload (right after the kernel) then reaches the
 * program's own addresses (4 MiB), so the kernel must move it out of the way before loading. */
#include <stdio.h>
char big[3 << 20] = { 1 };
int main(int c, char **v) { big[c * 1000000] = 2; printf("%d %d\n", big[0], big[c * 1000000]); return 0; }
