/* Syscall entry (x86_64, LSTAR). The program runs at CPL0 like the kernel, so `syscall` stays
 * at CPL0 and we return with a plain jmp (sysret would drop to CPL3). We must not touch the
 * program's stack: its red zone (128 bytes below %rsp) may hold live data, so we switch to a
 * kernel stack first. Linux ABI: nr in %rax, args in %rdi %rsi %rdx %r10 %r8 %r9; %rcx and
 * %r11 are clobbered (return RIP and RFLAGS); every other register is preserved. */
#include <uk_config.h>

	.section .bss..nozero.syscall, "aw", @nobits
	.p2align 4
uk_syscall_stack:
	.skip UK_ARCH_X86_64_SYSCALL_STACK_KB * 1024
uk_syscall_stack_top:

	.bss
	.p2align 3
uk_syscall_depth:
	.quad 0
uk_syscall_scratch:
	.quad 0

	/* Nesting: a signal handler the kernel runs (posix-process) may make syscalls itself. The
	 * outermost entry takes the top of the kernel stack; a nested one continues below the
	 * caller's red zone on the current stack. The caller's %rsp is saved on the new stack. */
	.text
	.globl uk_arch_syscall_entry
	.p2align 4
uk_arch_syscall_entry:
	movq %rsp, uk_syscall_scratch(%rip)
	cmpq $0, uk_syscall_depth(%rip)
	jne 1f
	leaq uk_syscall_stack_top(%rip), %rsp
	jmp 2f
1:	subq $128, %rsp
	andq $-16, %rsp
2:	incq uk_syscall_depth(%rip)
	pushq uk_syscall_scratch(%rip)	/* the caller's stack pointer */
	pushq $0			/* keeps the call below 16-byte aligned */
	pushq %r11			/* RFLAGS at the syscall */
	pushq %rcx			/* return address */
	pushq %r9			/* a5 ... a0: ascending in memory, a long[6] */
	pushq %r8
	pushq %r10
	pushq %rdx
	pushq %rsi
	pushq %rdi
	movq %rax, %rdi
	movq %rsp, %rsi
	call uk_syscall_dispatch	/* long uk_syscall_dispatch(long nr, long args[6]) */
	popq %rdi
	popq %rsi
	popq %rdx
	popq %r10
	popq %r8
	popq %r9
	popq %rcx
	decq uk_syscall_depth(%rip)
	movq (%rsp), %r11		/* Linux leaves RFLAGS in %r11 */
	popfq				/* nothing below may change the flags */
	leaq 8(%rsp), %rsp
	popq %rsp
	jmpq *%rcx
