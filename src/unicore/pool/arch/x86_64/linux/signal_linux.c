/* Host signals as the x86_64 arch's traps and interrupts (a Linux process, plat/spt): SIGSYS
 * from syscall user dispatch is the program's `syscall`, SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP
 * are CPU exceptions (the kernel's trap number and error code come in the signal frame),
 * SIGALRM is the timer interrupt. Handlers run on the alternate stack the tender set up. As on
 * the CPL0 arch, the kernel runs with "interrupts off": a timer signal that arrives while kernel
 * code runs is held (pending) until the kernel returns to the program or waits idle. */
#include <uk/arch.h>
#include <uk/x86_64.h>
#include <uk/linux_host.h>
#include "linux.h"

static void (*handlers[UK_ARCH_IRQ_COUNT])(void);
static volatile int idling, pending;
static uintptr_t fault_addr;

uintptr_t uk_arch_x86_64_fault_addr(void) { return fault_addr; }

static void regs_from(const struct uk_linux_sigcontext *m, struct uk_regs *r, uint64_t vector, uint64_t error)
{
	*r = (struct uk_regs){ m->r15, m->r14, m->r13, m->r12, m->r11, m->r10, m->r9, m->r8, m->rbp, m->rdi,
			       m->rsi, m->rdx, m->rcx, m->rbx, m->rax, vector, error, m->rip, m->cs, m->eflags,
			       m->rsp, m->ss };
}

static bool in_kernel(uint64_t pc) { return pc >= (uintptr_t)_uk_image_start && pc < (uintptr_t)_end; }

/* Build the frame on the thread's kernel stack (below the caller's red zone when nested) and
 * make the signal return continue in `stub` on it. */
static void redirect(struct uk_linux_sigcontext *m, uint64_t vector, uint64_t error, void *stub)
{
	uint64_t top = uk_arch_syscall_depth ? ((m->rsp - 128) & ~15UL) : uk_arch_kstack_top;
	struct uk_regs *r = (struct uk_regs *)top - 1;

	regs_from(m, r, vector, error);
	m->rsp = (uint64_t)r;
	m->rip = (uint64_t)stub;
}

void uk_arch_linux_on_syscall(int sig, struct uk_linux_siginfo *si, struct uk_linux_ucontext *uc)
{
	redirect(&uc->mc, UK_X86_64_SYSCALL_VECTOR, uc->mc.rax, uk_arch_linux_syscall_stub);
	uk_arch_syscall_depth++;
}

static void run_pending(struct uk_regs *r)
{
	while (pending) {
		pending = 0;
		if (handlers[0])
			handlers[0]();
		uk_core_return_to_program(r);
	}
}

/* The C half of the syscall stub: dispatch, then the timer interrupt held meanwhile. */
void uk_arch_linux_syscall(struct uk_regs *r)
{
	uk_arch_syscall(r);
	uk_arch_syscall_depth--;
	if (!uk_arch_syscall_depth)
		run_pending(r);
}

void uk_arch_linux_irq(struct uk_regs *r)
{
	run_pending(r);
}

void uk_arch_linux_on_timer(int sig, struct uk_linux_siginfo *si, struct uk_linux_ucontext *uc)
{
	pending = 1;
	if (idling) {
		pending = 0;
		if (handlers[0])
			handlers[0]();
	} else if (!in_kernel(uc->mc.rip) && !uk_arch_syscall_depth) {
		redirect(&uc->mc, UK_ARCH_IRQ_FIRST, 0, uk_arch_linux_irq_stub);
	}
}

/* A CPU exception: a page fault the memory library resolves runs the instruction again; any
 * other is reported by core (it never returns). */
void uk_arch_linux_on_fault(int sig, struct uk_linux_siginfo *si, struct uk_linux_ucontext *uc)
{
	struct uk_regs r;
	/* kernel and program share one privilege here, as at CPL0: the page fault's user bit (2),
	 * always set in a process, says nothing */
	uint64_t err = uc->mc.trapno == 14 ? uc->mc.err & ~4UL : uc->mc.err;

	fault_addr = uc->mc.trapno == 14 ? uc->mc.cr2 : si->addr;
	if (uc->mc.trapno == 14 && uk_arch_page_fault && uk_arch_page_fault(fault_addr, err))
		return;
	regs_from(&uc->mc, &r, uc->mc.trapno, err);
	uk_core_trap(&r);
}

void uk_arch_irq_set(int vector, void (*fn)(void))
{
	if (vector >= UK_ARCH_IRQ_FIRST && vector < UK_ARCH_IRQ_FIRST + UK_ARCH_IRQ_COUNT)
		handlers[vector - UK_ARCH_IRQ_FIRST] = fn;
}

/* Wait for the timer signal. A signal between the check and the sleep is handled at once
 * (idling is set) and the sleep is bounded, so a wake-up is at most a millisecond late. */
void uk_arch_idle_wait(void)
{
	static const long ms[2] = { 0, 1000000 };

	idling = 1;
	__asm__ volatile("" ::: "memory");
	if (!pending)
		uk_linux_syscall6(UK_LINUX_NR_PPOLL, 0, 0, (long)ms, 0, 8, 0);
	idling = 0;
	if (pending) {
		pending = 0;
		if (handlers[0])
			handlers[0]();
	}
}
