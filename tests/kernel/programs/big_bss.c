/* A 100 MiB bss: its segments cover the image payload (16 MiB), which must move out of the way. */
#include <stdio.h>
char big[100<<20];
int main(int c, char **v){big[c*1000000]=1; printf("%d\n", big[c*1000000]); return 0;}
