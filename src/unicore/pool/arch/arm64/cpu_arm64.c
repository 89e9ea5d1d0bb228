/* CPU set-up and small queries (arm64): the C entry, the thread pointer (TPIDR_EL0, which musl
 * and glibc also write themselves), AT_HWCAP from the ID registers, the RNDR random number,
 * halting and the jump to the program at EL1t. */
#include <uk/arch.h>
#include <uk/arm64.h>
#include <uk/plat.h>

void uk_arch_start(uintptr_t dtb);

/* Traps, FP/SIMD and the syscall entry are the vectors entry_arm64.S installed; nothing else to do. */
void uk_arch_cpu_init(void) { uk_arch_pt_init(); }

/* Called from the entry with the device tree's physical address. */
void uk_arch_start(uintptr_t dtb)
{
	uk_arch_cpu_init();
	uk_plat_start(dtb);
}

void uk_arch_set_tls(uint64_t base) { UK_ARM64_SYSREG_WRITE(tpidr_el0, base); }
uint64_t uk_arch_get_tls(void) { return UK_ARM64_SYSREG_READ(tpidr_el0); }

#define HWCAP_FP (1UL << 0)
#define HWCAP_ASIMD (1UL << 1)
#define HWCAP_AES (1UL << 3)
#define HWCAP_PMULL (1UL << 4)
#define HWCAP_SHA1 (1UL << 5)
#define HWCAP_SHA2 (1UL << 6)
#define HWCAP_CRC32 (1UL << 7)
#define HWCAP_ATOMICS (1UL << 8)

/* Linux's AT_HWCAP bits for the features ID_AA64ISAR0_EL1 reports (FP/SIMD are always on here). */
uint64_t uk_arch_hwcap(void)
{
	uint64_t isar0 = UK_ARM64_SYSREG_READ(id_aa64isar0_el1), cap = HWCAP_FP | HWCAP_ASIMD;
	unsigned aes = (isar0 >> 4) & 0xf;

	cap |= aes >= 1 ? HWCAP_AES : 0;
	cap |= aes >= 2 ? HWCAP_PMULL : 0;
	cap |= ((isar0 >> 8) & 0xf) ? HWCAP_SHA1 : 0;
	cap |= ((isar0 >> 12) & 0xf) ? HWCAP_SHA2 : 0;
	cap |= ((isar0 >> 16) & 0xf) ? HWCAP_CRC32 : 0;
	cap |= ((isar0 >> 20) & 0xf) >= 2 ? HWCAP_ATOMICS : 0;
	return cap;
}

/* RNDR (FEAT_RNG, ID_AA64ISAR0_EL1.RNDR): NZCV.Z set means no number this time. */
int uk_arch_rdrand64(uint64_t *out)
{
	uint64_t ok;

	if (!(UK_ARM64_SYSREG_READ(id_aa64isar0_el1) >> 60))
		return 0;
	for (int tries = 0; tries < 10; tries++) {
		__asm__ volatile("mrs %0, s3_3_c2_c4_0\n\tcset %1, ne" : "=r"(*out), "=r"(ok) : : "cc");
		if (ok)
			return 1;
	}
	return 0;
}

_Noreturn void uk_arch_halt(void)
{
	for (;;)
		__asm__ volatile("msr daifset, #0xf; wfi");
}

#define SPSR_EL1T_IRQ_ON 0x344 /* EL1 on SP_EL0, debug, SError and FIQ masked, IRQ on */

/* Start the program: fresh registers (Linux zeroes them; x0 = 0 means no rtld_fini), its stack
 * in SP_EL0, the kernel stack empty again, interrupts on. The instruction cache forgets what the
 * kernel copied in. */
_Noreturn void uk_arch_enter_program(uintptr_t entry, uintptr_t sp)
{
	uk_arch_arm64_syscall_depth = 0;
	__asm__ volatile("ic iallu\n\tdsb nsh\n\tisb\n\t"
			 "msr sp_el0, %0\n\tmsr elr_el1, %1\n\tmsr spsr_el1, %2\n\tmov sp, %3\n\t"
			 "mov x0, xzr\n\tmov x1, xzr\n\tmov x2, xzr\n\tmov x3, xzr\n\tmov x4, xzr\n\tmov x5, xzr\n\t"
			 "mov x6, xzr\n\tmov x7, xzr\n\tmov x8, xzr\n\tmov x9, xzr\n\tmov x10, xzr\n\tmov x11, xzr\n\t"
			 "mov x12, xzr\n\tmov x13, xzr\n\tmov x14, xzr\n\tmov x15, xzr\n\tmov x16, xzr\n\tmov x17, xzr\n\t"
			 "mov x18, xzr\n\tmov x19, xzr\n\tmov x20, xzr\n\tmov x21, xzr\n\tmov x22, xzr\n\tmov x23, xzr\n\t"
			 "mov x24, xzr\n\tmov x25, xzr\n\tmov x26, xzr\n\tmov x27, xzr\n\tmov x28, xzr\n\tmov x29, xzr\n\t"
			 "mov x30, xzr\n\teret"
			 : : "r"(sp), "r"(entry), "r"((uint64_t)SPSR_EL1T_IRQ_ON), "r"(uk_arch_boot_kstack_top) : "memory");
	__builtin_unreachable();
}
