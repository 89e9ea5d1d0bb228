/* uname(2) (posix-process): Linux-compatible so that programs checking the kernel are content. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/syscall.h>

struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

UK_SYSCALL(uname)
{
	struct utsname *u = (void *)a0;

	if (!u)
		return -EFAULT;
	uk_core_strncpy_z(u->sysname, "Linux", 65);
	uk_core_strncpy_z(u->nodename, UK_POSIX_PROCESS_NODENAME, 65);
	uk_core_strncpy_z(u->release, "6.1.0-unicore", 65);
	uk_core_strncpy_z(u->version, "#1 unicore", 65);
	uk_core_strncpy_z(u->machine, UK_ARCH_NAME, 65);
	uk_core_strncpy_z(u->domainname, "(none)", 65);
	return 0;
}
