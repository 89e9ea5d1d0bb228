/* getrandom(2) (random): never blocks, entropy is available from boot. */
#include <uk/core.h>
#include <uk/syscall.h>
#include <uk/random.h>

UK_SYSCALL(getrandom)
{
	if (a2 & ~(long)(UK_GRND_NONBLOCK | UK_GRND_RANDOM | UK_GRND_INSECURE))
		return -EINVAL;
	if (a1 < 0)
		return -EINVAL;
	uk_core_random_fill((void *)a0, (size_t)a1);
	return a1;
}
