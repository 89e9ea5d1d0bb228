/* x86_64 register frames in assembly: the general registers pushed in the order of struct uk_regs
 * (arch_defs.h) and popped back, shared by the trap, interrupt and syscall entries so that the
 * three frames cannot drift apart. Included by .S files only. */
#ifndef UK_X86_64_REGS_H
#define UK_X86_64_REGS_H

.macro UK_PUSH_GPRS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro UK_POP_GPRS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
.endm

#endif
