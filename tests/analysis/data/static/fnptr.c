/* getppid is reached only through a function pointer stored by `mov [rip + hook], imm32`
 * (position-dependent code): address-taken functions must count as reachable. */
#include <unistd.h>

static pid_t (*volatile hook)(void);

static pid_t via_pointer(void)
{
    return getppid();
}

int main(void)
{
    hook = via_pointer;
    return hook() > 0 ? 0 : 1;
}
