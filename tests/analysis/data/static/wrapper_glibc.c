/* glibc's syscall(2) wrapper called through the PLT: the number of the first call comes from
 * the caller's edi (a constant: resolved), the second one is computed at run time (unresolved). */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argv;
    long a = syscall(SYS_getppid);
    long b = syscall(SYS_getuid + 1000 * (argc - 1));
    return a > 0 && b >= 0 ? 0 : 1;
}
