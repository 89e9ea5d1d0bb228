/* spt's gate for lib/hostfs (host volumes): the one way a library reaches the host. It makes
 * the host call from the kernel's code (the region syscall user dispatch lets through); what
 * it may be is the tender's business: its seccomp filter allows, with volumes, only the file
 * calls docs/spt.md lists, each pinned to the volume fds, and Landlock keeps their paths
 * under the volume directories. */
#include <uk/plat.h>
#include "spt.h"

long uk_plat_spt_volume_call(long nr, long a0, long a1, long a2, long a3, long a4)
{
	return uk_linux_syscall6(nr, a0, a1, a2, a3, a4, 0);
}
