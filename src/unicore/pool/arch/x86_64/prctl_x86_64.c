/* arch_prctl(2) (x86_64): FS/GS base for the program's TLS (musl sets FS at startup). */
#include <uk/arch.h>
#include <uk/x86_64.h>
#include <uk/syscall.h>

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

UK_SYSCALL(arch_prctl)
{
	switch (a0) {
	case ARCH_SET_FS:
		uk_arch_set_tls((uint64_t)a1);
		return 0;
	case ARCH_GET_FS:
		*(uint64_t *)a1 = uk_arch_get_tls();
		return 0;
	case ARCH_SET_GS:
		uk_wrmsr(UK_MSR_GS_BASE, (uint64_t)a1);
		return 0;
	case ARCH_GET_GS:
		*(uint64_t *)a1 = uk_rdmsr(UK_MSR_GS_BASE);
		return 0;
	}
	return -EINVAL;
}
