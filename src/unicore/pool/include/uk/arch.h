/* uk/arch.h: the architecture contract. Every arch library (pool/arch/<arch>/) implements the
 * uk_arch_ functions below and provides <uk/arch_defs.h>: UK_ARCH_NAME, UK_ARCH_ELF_MACHINE,
 * UK_PAGE_SHIFT, UK_PAGE_SIZE, struct uk_regs (the trap frame) and the inline uk_arch_cycles,
 * uk_arch_regs_sp, uk_arch_pause, uk_arch_frame_pointer, uk_arch_copy, uk_arch_fill,
 * uk_arch_regs_set_return and uk_arch_regs_set_sp (a syscall frame's result and stack pointer,
 * e.g. clone's child), uk_arch_regs_exec (a frame starting a new program image); and <uk/arch_abi.h>: struct uk_stat, Linux's struct stat of the
 * architecture (its layout differs: x86_64 has its own, arm64 the generic one), included by the
 * vfs library's ABI header. Portable code includes only
 * this header; an arch-private header (e.g. <uk/x86_64.h>) is for arch and platform code.
 *
 * Direction: the arch's entry code calls uk_plat_start (uk/plat.h); a CPU exception calls
 * core's uk_core_trap (last section), which prints the report through the hooks below. */
#ifndef UK_ARCH_H
#define UK_ARCH_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <uk/arch_defs.h>

/* Set by the arch's entry code: uk_arch_cycles() when the image started running (boottime). */
extern uint64_t uk_arch_boot_cycles;

void uk_arch_cpu_init(void);                 /* traps, FPU/SIMD, syscall entry */
void uk_arch_set_tls(uint64_t base);         /* the program's thread pointer (x86_64: FS base) */
uint64_t uk_arch_get_tls(void);
uint64_t uk_arch_hwcap(void);                /* value for AT_HWCAP, as Linux gives it */
int uk_arch_rdrand64(uint64_t *out);         /* 1 when the CPU produced a random word */
_Noreturn void uk_arch_halt(void);
int uk_arch_page_unmap(uintptr_t va);        /* guard page: later accesses fault; 0 or -1 */
_Noreturn void uk_arch_enter_program(uintptr_t entry, uintptr_t sp);

/* Page tables of one address space, rooted at `root` (uk_arch_pt_root(): the boot tables). Only
 * for addresses above the identity map (UK_ARCH_IDENTITY_TOP). prot: UK_PROT_* (Linux's PROT_*);
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
 * instruction runs again), 0 to report it as a crash (SIGSEGV). error: UK_ARCH_PF_* bits (x86_64's
 * error code has them at these positions; other architectures translate their syndrome). */
#define UK_ARCH_PF_PRESENT 0x1   /* the page was mapped: a protection fault */
#define UK_ARCH_PF_WRITE 0x2
#define UK_ARCH_PF_FETCH 0x10
extern int (*uk_arch_page_fault)(uintptr_t addr, unsigned long error);
int uk_arch_page_fault_resolve(unsigned long error);
/* Address spaces of their own (processes): a new root shares the kernel (the identity map below
 * UK_ARCH_IDENTITY_TOP) with every other and nothing of the program's part; uk_arch_pt_map of a
 * low address in it gives that root its own copy of the tables on the way (the boot root's
 * identity map is never edited). Free after every leaf was freed; switch loads it on the CPU. */
uintptr_t uk_arch_pt_new(void);              /* 0 when out of pages */
void uk_arch_pt_free(uintptr_t root);
void uk_arch_pt_switch(uintptr_t root);
uintptr_t uk_arch_pt_boot(void);             /* the boot root (the first process's) */


/* ---- crash report hooks (core's uk_core_trap formats the report) ---- */
struct uk_arch_fault {
	const char *what;        /* "page fault" */
	unsigned long vector;    /* the CPU's exception number */
	uint64_t error;          /* its error code, 0 when none */
	int signal;              /* the Linux signal a process would get (exit status 128+signal) */
	const char *pc_name;     /* the program counter's register name ("rip") */
	uintptr_t pc, sp, fp;    /* where, and the frame chain to walk */
	const char *access;      /* memory faults: "unmapped read from", ...; NULL otherwise */
	uintptr_t addr;          /* memory faults: the address */
	uintptr_t link;          /* a link register's return address (arm64 lr), 0 when none: a leaf
				  * function's caller is there, not in the frame chain */
};
void uk_arch_fault_describe(const struct uk_regs *r, struct uk_arch_fault *out);

/* The registers for the report, in print order: `full` ones as columns of 16 hex digits, the
 * others appended on one last line. Returns how many were written (at most max). */
struct uk_arch_reg {
	const char *name;
	uint64_t value;
	bool full;
};
int uk_arch_regs(const struct uk_regs *r, struct uk_arch_reg *out, int max);

/* One step up a frame-pointer chain: the caller's frame pointer, and in *ret the return
 * address saved in frame fp. The caller checks fp points into RAM before calling. */
uintptr_t uk_arch_frame_caller(uintptr_t fp, uintptr_t *ret);

/* ---- threads: what a context switch saves and restores ---- */
struct uk_arch_thread {
	uint64_t sp;          /* kernel stack pointer while switched out */
	uint64_t kstack_top;  /* its kernel stack, empty while it runs the program */
	uint64_t depth;       /* syscalls in progress */
	uint64_t tls;         /* the program's thread pointer */
	void *fpu;            /* FPU/SIMD state: uk_arch_fpu_size() bytes, 64-byte aligned */
};
extern char uk_arch_boot_kstack_top[];       /* the first thread's kernel stack */
size_t uk_arch_fpu_size(void);
/* The running thread's state into `from`, `to`'s onto the CPU, then switch kernel stacks. */
void uk_arch_thread_switch(struct uk_arch_thread *from, struct uk_arch_thread *to);
/* A thread that starts by returning to the program with `regs` (copied to the top of its
 * kernel stack, which ends at kstack_top); its FPU state is a copy of the running thread's. */
void uk_arch_thread_init(struct uk_arch_thread *t, uint64_t kstack_top, void *fpu, const struct uk_regs *regs);
struct uk_regs *uk_arch_syscall_regs(void);  /* the frame of the syscall being handled */

/* ---- interrupts: the kernel runs with them off, the program and the idle wait with them on ---- */
#define UK_ARCH_IRQ_FIRST 32
#define UK_ARCH_IRQ_COUNT 16
void uk_arch_irq_set(int vector, void (*fn)(void)); /* fn acknowledges its device */
void uk_arch_idle_wait(void);                /* halt until an interrupt was handled (off on return) */

/* ---- signals: the frame a handler runs on (Linux's rt_sigframe of this arch, as libcs expect) ---- */
struct uk_arch_signal {
	int signo;
	const void *info;        /* the 128-byte siginfo the handler gets */
	uintptr_t handler, restorer;
	uint64_t mask;           /* the signal mask rt_sigreturn restores (uc_sigmask) */
	uintptr_t stack_top;     /* top of the alternate stack to use, 0: below the interrupted sp */
	uintptr_t ss_sp;         /* the thread's alternate stack (uc_stack) */
	uint64_t ss_size;
	int ss_flags;
};
/* Save the interrupted registers and FPU state in a frame on the program's stack and point r at
 * the handler (signo, &info, &ucontext). 0, or -1 when no frame fits (the caller kills). */
int uk_arch_signal_push(struct uk_regs *r, const struct uk_arch_signal *s);
/* rt_sigreturn, r its syscall frame: restore the frame the handler returned from into r (FPU
 * state included); the mask it carried and its uc_stack. 0, or -1 for a corrupt frame. */
int uk_arch_signal_return(struct uk_regs *r, uint64_t *mask, uintptr_t *ss_sp, uint64_t *ss_size, int *ss_flags);
/* The syscall whose frame r is (its number, -1 for an interrupt or exception frame) and in
 * *result what it returns; restart rewinds r so the program issues it again (SA_RESTART). */
long uk_arch_frame_syscall(const struct uk_regs *r, long *result);
void uk_arch_syscall_restart(struct uk_regs *r);

/* ---- implemented by core, called by the arch ---- */
_Noreturn void uk_core_trap(const struct uk_regs *r); /* any CPU exception: report, then crash */
/* A CPU exception in the program (not in the kernel): 1 when a signal handler now runs for it
 * (r rewritten: return to it), 0 to report the crash. */
int uk_core_trap_signal(struct uk_regs *r);
/* On the running thread's kernel stack, about to return to the program: after a syscall, an
 * interrupt of the program, and a new thread's start. May switch threads or rewrite regs. */
void uk_core_return_to_program(struct uk_regs *r);
#endif
