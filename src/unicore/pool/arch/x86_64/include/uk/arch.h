/* uk/arch.h (x86_64): the architecture interface used by plat, core and the libraries.
 * Everything arch-specific (port I/O, MSRs, TSC, CPU features, the register frame of a trap)
 * lives here so that an arm64 arch library can provide the same names. */
#ifndef UK_ARCH_H
#define UK_ARCH_H
#include <stdint.h>
#include <stddef.h>

#define UK_ARCH_NAME "x86_64"
#define UK_PAGE_SHIFT 12
#define UK_PAGE_SIZE 4096UL

/* AT_HWCAP on x86_64 is CPUID.1:EDX, like Linux. */
#define UK_MSR_EFER 0xc0000080u
#define UK_MSR_STAR 0xc0000081u
#define UK_MSR_LSTAR 0xc0000082u
#define UK_MSR_FMASK 0xc0000084u
#define UK_MSR_FS_BASE 0xc0000100u
#define UK_MSR_GS_BASE 0xc0000101u

static inline void uk_outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t uk_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t uk_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t uk_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void uk_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void uk_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline void uk_arch_pause(void) { __asm__ volatile("pause"); }
static inline uintptr_t uk_arch_frame_pointer(void) { return (uintptr_t)__builtin_frame_address(0); }

/* The register frame pushed by the trap stubs (traps_x86_64.S), lowest address first. */
struct uk_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Set at the PVH entry: TSC when the image started running (for the boottime flag). */
extern uint64_t uk_arch_boot_tsc;

void uk_arch_cpu_init(void);                 /* GDT/TSS/IDT, SSE/AVX, syscall MSRs */
void uk_arch_set_tls(uint64_t base);         /* FS base for the program's TLS */
uint64_t uk_arch_get_tls(void);
uint64_t uk_arch_hwcap(void);                /* value for AT_HWCAP */
int uk_arch_rdrand64(uint64_t *out);         /* 1 when the CPU produced a random word */
uint64_t uk_arch_tsc_hz_cpuid(void);         /* TSC frequency from CPUID, 0 when unknown */
_Noreturn void uk_arch_halt(void);
int uk_arch_page_unmap(uintptr_t va);        /* guard page: later accesses fault; 0 or -1 */
_Noreturn void uk_arch_enter_program(uintptr_t entry, uintptr_t sp);

/* Page tables (pt_x86_64.c) of one address space, rooted at `root` (uk_arch_pt_root(): the boot
 * tables). Only for addresses above the 4 GiB identity map. prot: UK_PROT_* (Linux's PROT_*);
 * PROT_NONE keeps the page resident but not accessible. */
#define UK_PROT_READ 1
#define UK_PROT_WRITE 2
#define UK_PROT_EXEC 4
#define UK_ARCH_IDENTITY_TOP (1UL << 32)   /* first address above the identity map */
#define UK_ARCH_USER_TOP (1UL << 47)       /* end of the canonical lower half */
typedef void (*uk_arch_pt_fn)(uintptr_t va, uint64_t *entry, void *arg);
uintptr_t uk_arch_pt_root(void);
void uk_arch_pt_init(void);                  /* enforce read-only entries at CPL0 too */
int uk_arch_pt_map(uintptr_t root, uintptr_t va, uintptr_t pa, int prot); /* 0, -1 out of pages */
uintptr_t uk_arch_pt_lookup(uintptr_t root, uintptr_t va); /* physical page, 0 when none */
void uk_arch_pt_walk(uintptr_t root, uintptr_t lo, uintptr_t hi, uk_arch_pt_fn fn, void *arg);
uint64_t uk_arch_pt_entry(uintptr_t pa, int prot); /* a leaf entry, for walk callbacks */
uintptr_t uk_arch_pt_entry_addr(uint64_t entry);
/* Page-fault policy, set by the memory library: 1 when the fault at addr was resolved (the
 * instruction runs again), 0 to report it as a crash (SIGSEGV). error: the CPU's error code. */
extern int (*uk_arch_page_fault)(uintptr_t addr, unsigned long error);
int uk_arch_page_fault_resolve(unsigned long error);

/* Crash reporting (crash_x86_64.c): symbol lookup in the image's embedded table. */
const char *uk_arch_symbol(uintptr_t addr, uintptr_t *offset);
#endif
