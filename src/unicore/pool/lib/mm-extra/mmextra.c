/* Memory calls beside posix-mm (mm-extra). The memory is RAM, identity-mapped, never paged
 * out, and file maps are private copies (MAP_SHARED is read-only in vfs), so: nothing to write
 * back, everything locked already. Arguments are checked as Linux does. mincore is posix-mm's
 * (it knows the mapping list). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/syscall.h>
#include <uk/mm-extra.h>

UK_SYSCALL(msync)
{
	if (a0 % UK_PAGE_SIZE || (a2 & ~(UK_MS_ASYNC | UK_MS_INVALIDATE | UK_MS_SYNC)) ||
	    ((a2 & UK_MS_ASYNC) && (a2 & UK_MS_SYNC)))
		return -EINVAL;
	return 0;
}

UK_SYSCALL(mlock) { return 0; }
UK_SYSCALL(munlock) { return 0; }
UK_SYSCALL(mlock2) { return (a2 & ~1L) ? -EINVAL : 0; } /* MLOCK_ONFAULT only */
UK_SYSCALL(munlockall) { return 0; }

UK_SYSCALL(mlockall)
{
	if (!a0 || (a0 & ~(long)(UK_MCL_CURRENT | UK_MCL_FUTURE | UK_MCL_ONFAULT)) || a0 == UK_MCL_ONFAULT)
		return -EINVAL;
	return 0;
}
