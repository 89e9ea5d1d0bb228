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
	.globl uk_syscall_user_rsp
uk_syscall_user_rsp:
	.quad 0

	.text
	.globl uk_syscall_entry
	.p2align 4
uk_syscall_entry:
	movq %rsp, uk_syscall_user_rsp(%rip)
	leaq uk_syscall_stack_top(%rip), %rsp
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
	movq (%rsp), %r11		/* Linux leaves RFLAGS in %r11 */
	popfq
	movq uk_syscall_user_rsp(%rip), %rsp
	jmpq *%rcx
