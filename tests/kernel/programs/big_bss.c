/* A 100 MiB bss: runs in a 256 MiB guest, and a 64 MiB one says it is out of memory. */
#include <stdio.h>
char big[100<<20];
int main(int c, char **v){big[c*1000000]=1; printf("%d\n", big[c*1000000]); return 0;}
