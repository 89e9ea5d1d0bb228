/* Exception vectors (arm64, VBAR_EL1). The program runs at EL1 on SP_EL0 (EL1t) and the kernel
 * on SP_EL1 (EL1h), so an exception from the program arrives at the "current EL with SP0" slots
 * already on the running thread's kernel stack (SP_EL1 is that stack's top while the program
 * runs), and one from the kernel (a nested syscall, the idle wait's interrupt) at the "SPx"
 * slots, below the current frame. Every entry saves the whole register file as a struct uk_regs
 * (arch_defs.h: x0-x30, sp, pc, pstate, esr, far, vector), so that clone can copy it and signal
 * delivery can rewrite it. Synchronous exceptions (svc #0, faults) go to uk_arch_arm64_sync,
 * interrupts to uk_arch_arm64_irq; slots we never expect (FIQ, SError, lower ELs) crash. */
#define FRAME 304
#define OFF_SP 248
#define OFF_PC 256
#define OFF_ESR 272
#define OFF_VECTOR 288

	.macro SAVE from_program, vector
	sub sp, sp, #FRAME
	stp x0, x1, [sp, #0]
	stp x2, x3, [sp, #16]
	stp x4, x5, [sp, #32]
	stp x6, x7, [sp, #48]
	stp x8, x9, [sp, #64]
	stp x10, x11, [sp, #80]
	stp x12, x13, [sp, #96]
	stp x14, x15, [sp, #112]
	stp x16, x17, [sp, #128]
	stp x18, x19, [sp, #144]
	stp x20, x21, [sp, #160]
	stp x22, x23, [sp, #176]
	stp x24, x25, [sp, #192]
	stp x26, x27, [sp, #208]
	stp x28, x29, [sp, #224]
	.if \from_program
	mrs x21, sp_el0
	.else
	add x21, sp, #FRAME
	.endif
	stp x30, x21, [sp, #240]
	mrs x22, elr_el1
	mrs x23, spsr_el1
	stp x22, x23, [sp, #OFF_PC]
	mrs x24, esr_el1
	mrs x25, far_el1
	stp x24, x25, [sp, #OFF_ESR]
	mov x26, #\vector
	str x26, [sp, #OFF_VECTOR]
	mov x0, sp
	.endm

	.macro VENTRY label
	.p2align 7
	b \label
	.endm

	.text
	.p2align 11
	.globl uk_arch_arm64_vectors
uk_arch_arm64_vectors:
	VENTRY sync_program		/* current EL, SP_EL0: the program */
	VENTRY irq_program
	VENTRY bad_2
	VENTRY bad_3
	VENTRY sync_kernel		/* current EL, SP_EL1: the kernel */
	VENTRY irq_kernel
	VENTRY bad_6
	VENTRY bad_7
	.rept 8				/* lower ELs: nothing runs there */
	VENTRY bad_lower
	.endr

sync_program:
	SAVE 1, 0
	bl uk_arch_arm64_sync
	b uk_arch_regs_return_sp
irq_program:
	SAVE 1, 1
	bl uk_arch_arm64_irq
	b uk_arch_regs_return_sp
sync_kernel:
	SAVE 0, 4
	bl uk_arch_arm64_sync
	b uk_arch_regs_return_sp
irq_kernel:
	SAVE 0, 5
	bl uk_arch_arm64_irq
	b uk_arch_regs_return_sp

	.macro BAD label, vector, from_program
\label:
	SAVE \from_program, \vector
	bl uk_arch_arm64_unexpected
	.endm
	BAD bad_2, 2, 1
	BAD bad_3, 3, 1
	BAD bad_6, 6, 0
	BAD bad_7, 7, 0
	BAD bad_lower, 8, 0

	/* void uk_arch_arm64_regs_return(struct uk_regs *r): restore r (on the kernel stack, its
	 * top-most frame when it returns to the program) and return to it. */
	.globl uk_arch_arm64_regs_return
uk_arch_arm64_regs_return:
	mov sp, x0
uk_arch_regs_return_sp:
	ldp x22, x23, [sp, #OFF_PC]
	msr elr_el1, x22
	msr spsr_el1, x23
	and x24, x23, #0xf		/* SPSR.M: 0b0100 = EL1t, back to the program's SP_EL0 */
	cmp x24, #4
	b.ne 1f
	ldr x21, [sp, #OFF_SP]
	msr sp_el0, x21
1:	ldp x0, x1, [sp, #0]
	ldp x2, x3, [sp, #16]
	ldp x4, x5, [sp, #32]
	ldp x6, x7, [sp, #48]
	ldp x8, x9, [sp, #64]
	ldp x10, x11, [sp, #80]
	ldp x12, x13, [sp, #96]
	ldp x14, x15, [sp, #112]
	ldp x16, x17, [sp, #128]
	ldp x18, x19, [sp, #144]
	ldp x20, x21, [sp, #160]
	ldp x22, x23, [sp, #176]
	ldp x24, x25, [sp, #192]
	ldp x26, x27, [sp, #208]
	ldp x28, x29, [sp, #224]
	ldr x30, [sp, #240]
	add sp, sp, #FRAME
	eret
