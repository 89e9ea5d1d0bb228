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

/* ---- threads (thread_x86_64.c, switch_x86_64.S): what the scheduler switches ---- */
struct uk_arch_thread {
	uint64_t sp;          /* kernel stack pointer while switched out */
	uint64_t kstack_top;  /* its empty kernel stack: syscall entry and preempted frames */
	uint64_t depth;       /* syscalls in progress */
	uint64_t fs_base;     /* the program's TLS */
	void *fpu;            /* FPU/SSE/AVX state (uk_arch_fpu_size bytes, 64-byte aligned) */
};
extern uint64_t uk_arch_kstack_top, uk_arch_syscall_depth;
extern char uk_arch_boot_kstack_top[];
size_t uk_arch_fpu_size(void);
void uk_arch_fpu_save(void *area);
/* The running thread's state into `from`, `to`'s onto the CPU, then switch kernel stacks. */
void uk_arch_thread_switch(struct uk_arch_thread *from, struct uk_arch_thread *to);
/* A thread that starts by returning to `regs` (copied to the top of its kernel stack
 * [kstack_top - size, kstack_top)); its FPU state is a copy of the running thread's. */
void uk_arch_thread_init(struct uk_arch_thread *t, uint64_t kstack_top, void *fpu, const struct uk_regs *regs);
/* The register frame of the syscall being handled (outermost on this thread). */
struct uk_regs *uk_arch_syscall_regs(void);
#define UK_ARCH_SYSCALL_VECTOR 0x100

/* ---- interrupts (irq_x86_64.c): vectors 32-47 on IST2 ---- */
#define UK_ARCH_IRQ_FIRST 32
#define UK_ARCH_IRQ_COUNT 16
void uk_arch_irq_set(int vector, void (*fn)(void));
void uk_arch_irq_init(void);                           /* IDT gates of the vectors (cpu init) */
void uk_arch_idt_set(int vector, uint64_t stub, int ist);
/* Halt until an interrupt has been handled (called with interrupts off, returns with them off). */
void uk_arch_idle_wait(void);
/* Called (when linked) on the running thread's kernel stack after an interrupt of the program
 * and before every return from a syscall: preemption and signal delivery. May rewrite regs. */
void uk_sched_return_hook(struct uk_regs *regs) __attribute__((weak));

/* Crash reporting (crash_x86_64.c): symbol lookup in the image's embedded table. */
const char *uk_arch_symbol(uintptr_t addr, uintptr_t *offset);
#endif
