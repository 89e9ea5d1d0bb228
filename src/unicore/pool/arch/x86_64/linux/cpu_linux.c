/* CPU set-up and queries (x86_64 as a Linux process): nothing to load (the host owns the
 * descriptor tables; the tender installed the signal handlers that stand in for the IDT), the
 * thread pointer with WRFSBASE (Linux enables FSGSBASE), AT_HWCAP from CPUID, RDRAND, and the
 * jump into the program. */
#include <uk/arch.h>
#include <uk/plat.h>
#include <uk/x86_64.h>
#include <uk/syscall.h>
#include "linux.h"

void uk_arch_cpu_init(void) {}

void uk_arch_linux_start(uintptr_t boot)
{
	uk_arch_cpu_init();
	uk_plat_start(boot);
}

void uk_arch_set_tls(uint64_t base) { __asm__ volatile("wrfsbase %0" : : "r"(base)); }

uint64_t uk_arch_get_tls(void)
{
	uint64_t base;

	__asm__ volatile("rdfsbase %0" : "=r"(base));
	return base;
}

uint64_t uk_arch_hwcap(void)
{
	uint32_t r[4];

	uk_cpuid(1, 0, r);
	return r[3];
}

int uk_arch_rdrand64(uint64_t *out)
{
	unsigned char ok = 0;

	for (int tries = 0; tries < 10 && !ok; tries++)
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok));
	return ok;
}

_Noreturn void uk_arch_halt(void)
{
	for (;;)
		uk_linux_syscall3(UK_LINUX_NR_EXIT_GROUP, 125, 0, 0);
}

/* Start the program with fresh registers, as Linux does (%rdx = 0: no rtld_fini). */
_Noreturn void uk_arch_enter_program(uintptr_t entry, uintptr_t sp)
{
	uk_arch_linux_rewrite_sites();
	register uintptr_t e __asm__("r12") = entry;
	register uintptr_t s __asm__("r13") = sp;

	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%eax, %%eax\n\txor %%ebx, %%ebx\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
			 "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%ebp, %%ebp\n\t"
			 "xor %%r8d, %%r8d\n\txor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\txor %%r11d, %%r11d\n\t"
			 "jmp *%1"
			 : : "r"(s), "r"(e) : "memory");
	__builtin_unreachable();
}

/* A guard page in RAM: the host mapping of that page becomes inaccessible. */
int uk_arch_page_unmap(uintptr_t va)
{
	if (va % UK_PAGE_SIZE || va >= UK_ARCH_IDENTITY_TOP)
		return -1;
	return uk_arch_linux_map(va, va, UK_PAGE_SIZE, 0);
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

UK_SYSCALL(arch_prctl)
{
	uint64_t gs;

	switch (a0) {
	case ARCH_SET_FS:
		uk_arch_set_tls((uint64_t)a1);
		return 0;
	case ARCH_GET_FS:
		*(uint64_t *)a1 = uk_arch_get_tls();
		return 0;
	case ARCH_SET_GS:
		__asm__ volatile("wrgsbase %0" : : "r"((uint64_t)a1));
		return 0;
	case ARCH_GET_GS:
		__asm__ volatile("rdgsbase %0" : "=r"(gs));
		*(uint64_t *)a1 = gs;
		return 0;
	}
	return -EINVAL;
}
