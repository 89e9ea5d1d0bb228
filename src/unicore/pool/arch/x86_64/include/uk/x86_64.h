/* uk/x86_64.h: x86_64-private helpers (port I/O, MSRs, TSC, CPUID) for the x86_64 arch library
 * and for platforms that run on x86_64 (plat/qemu). Portable code includes <uk/arch.h> only. */
#ifndef UK_X86_64_H
#define UK_X86_64_H
#include <stdbool.h>
#include <stdint.h>

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

uint64_t uk_arch_tsc_hz_cpuid(void); /* TSC frequency from CPUID, 0 when unknown */
/* The address of the last page fault: CR2 at CPL0; the signal's fault address in a Linux process
 * (arch/x86_64/linux). crash_x86_64.c, shared by both, reads it through this. */
uintptr_t uk_arch_x86_64_fault_addr(void);

/* Arch-private symbols shared between the x86_64 sources. */
extern const uint64_t uk_arch_trap_stubs[32]; /* traps_x86_64.S */
extern char uk_arch_syscall_entry[];          /* syscall_x86_64.S: the LSTAR target */
extern uint64_t uk_arch_gdt[5];               /* cpu_x86_64.c, loaded by the entry code */
struct uk_regs;
void uk_arch_start(uintptr_t start_info);     /* entry_x86_64.S calls it in long mode */
void uk_arch_trap(struct uk_regs *r);         /* traps_x86_64.S calls it for every vector */
#define UK_X86_64_SYSCALL_VECTOR 0x100         /* vector slot of a syscall's struct uk_regs */
extern uint64_t uk_arch_kstack_top, uk_arch_syscall_depth; /* syscall_x86_64.S: the running thread's */
void uk_arch_fpu_save(void *area);            /* thread_x86_64.c */
void uk_arch_fpu_restore(const void *area);
bool uk_arch_fpu_xsave(void);                 /* XSAVE in use (else FXSAVE) */
void uk_arch_irq_init(void);                  /* irq_x86_64.c: IDT gates of the interrupt vectors */
void uk_arch_idt_set(int vector, uint64_t stub, int ist); /* cpu_x86_64.c: an interrupt gate */
extern const uint64_t uk_arch_irq_stubs[16];  /* irq_x86_64.S: vectors 32-47 */
extern const uint64_t uk_arch_irq_spurious_stub; /* vector 255 */
void uk_arch_ctx_switch(uint64_t *save, uint64_t sp); /* switch_x86_64.S */
extern char uk_arch_thread_entry[];           /* where a new thread's first switch returns */
/* C halves of the stubs: */
void uk_arch_syscall(struct uk_regs *r);      /* dispatch; the result in r->rax */
int uk_arch_irq(struct uk_regs *r);           /* 1: the program was interrupted */
void uk_arch_irq_return(struct uk_regs *r);   /* on the thread's kernel stack */
void uk_arch_thread_started(struct uk_regs *r);
#endif
