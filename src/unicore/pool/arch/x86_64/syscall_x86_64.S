/* Syscall entry (x86_64, LSTAR). The program runs at CPL0 like the kernel, so `syscall` stays
 * at CPL0 and we return with iretq (sysret would drop to CPL3). We must not touch the program's
 * stack: its red zone (128 bytes below %rsp) may hold live data, so we switch to the current
 * thread's kernel stack (uk_arch_kstack_top: the scheduler changes it on every switch) first.
 * The entry saves the whole register file as a struct uk_regs (the frame of traps and
 * interrupts too), so that clone can copy it, signal delivery can rewrite it and rt_sigreturn
 * can restore every register, %rcx and %r11 included. Linux ABI: nr in %rax, args in %rdi %rsi
 * %rdx %r10 %r8 %r9; %rcx and %r11 are clobbered (return RIP and RFLAGS); every other register
 * is preserved. */
#include <uk/x86_64_regs.h>
#include <uk_config.h>

	.section .bss..nozero.syscall, "aw", @nobits
	.p2align 4
uk_syscall_stack:
	.skip UK_ARCH_X86_64_SYSCALL_STACK_KB * 1024
	.globl uk_arch_boot_kstack_top
uk_arch_boot_kstack_top:

	.data
	.p2align 3
	.globl uk_arch_kstack_top, uk_arch_syscall_depth
uk_arch_kstack_top:		/* the running thread's kernel stack (empty while it runs the program) */
	.quad uk_arch_boot_kstack_top
uk_arch_syscall_depth:		/* syscalls in progress on the running thread */
	.quad 0
uk_syscall_scratch:
	.quad 0

	/* Nesting: a signal handler the kernel runs as a function (the single-threaded
	 * posix-process) may make syscalls itself. The outermost entry takes the top of the kernel
	 * stack; a nested one continues below the caller's red zone on the current stack. */
	.text
	.globl uk_arch_syscall_entry
	.p2align 4
uk_arch_syscall_entry:
	movq %rsp, uk_syscall_scratch(%rip)
	cmpq $0, uk_arch_syscall_depth(%rip)
	jne 1f
	movq uk_arch_kstack_top(%rip), %rsp
	jmp 2f
1:	subq $128, %rsp
	andq $-16, %rsp
2:	incq uk_arch_syscall_depth(%rip)
	pushq $0x10			/* ss: an iretq frame, as an interrupt would push */
	pushq uk_syscall_scratch(%rip)	/* the caller's stack pointer */
	pushq %r11			/* RFLAGS at the syscall */
	pushq $0x08			/* cs */
	pushq %rcx			/* return address */
	pushq %rax			/* error slot: the syscall number */
	pushq $0x100			/* vector slot: 0x100 marks a syscall frame */
	UK_PUSH_GPRS
	movq %rsp, %rdi
	call uk_arch_syscall		/* void uk_arch_syscall(struct uk_regs *): result in ->rax */
	decq uk_arch_syscall_depth(%rip)
	.globl uk_arch_regs_return
uk_arch_regs_return:		/* %rsp = a struct uk_regs: restore it all and return to it */
	UK_POP_GPRS
	addq $16, %rsp
	iretq
