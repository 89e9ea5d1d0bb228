/* Kernel context switch and FP/SIMD state (arm64). The callee-saved registers x19-x30 go on the
 * old thread's kernel stack, its sp into *save; the new thread's stack gives its own back. A new
 * thread's stack starts with zeroed registers and x30 = uk_arch_arm64_thread_entry, which
 * returns to the struct uk_regs at the top of its kernel stack. The kernel is built with
 * -mgeneral-regs-only: the FP/SIMD registers belong to the program, saved only on a switch. */
	.text
	.globl uk_arch_arm64_ctx_switch
	.p2align 4
uk_arch_arm64_ctx_switch:	/* void uk_arch_arm64_ctx_switch(uint64_t *save, uint64_t sp) */
	stp x19, x20, [sp, #-96]!
	stp x21, x22, [sp, #16]
	stp x23, x24, [sp, #32]
	stp x25, x26, [sp, #48]
	stp x27, x28, [sp, #64]
	stp x29, x30, [sp, #80]
	mov x2, sp
	str x2, [x0]
	mov sp, x1
	ldp x21, x22, [sp, #16]
	ldp x23, x24, [sp, #32]
	ldp x25, x26, [sp, #48]
	ldp x27, x28, [sp, #64]
	ldp x29, x30, [sp, #80]
	ldp x19, x20, [sp], #96
	ret

	.globl uk_arch_arm64_thread_entry
uk_arch_arm64_thread_entry:	/* first switch to a new thread lands here; sp = its uk_regs */
	mov x0, sp
	bl uk_arch_thread_started	/* void uk_arch_thread_started(struct uk_regs *) */
	mov x0, sp
	b uk_arch_arm64_regs_return

	.globl uk_arch_arm64_fpu_save
uk_arch_arm64_fpu_save:		/* void uk_arch_arm64_fpu_save(void *area) */
	stp q0, q1, [x0, #0]
	stp q2, q3, [x0, #32]
	stp q4, q5, [x0, #64]
	stp q6, q7, [x0, #96]
	stp q8, q9, [x0, #128]
	stp q10, q11, [x0, #160]
	stp q12, q13, [x0, #192]
	stp q14, q15, [x0, #224]
	stp q16, q17, [x0, #256]
	stp q18, q19, [x0, #288]
	stp q20, q21, [x0, #320]
	stp q22, q23, [x0, #352]
	stp q24, q25, [x0, #384]
	stp q26, q27, [x0, #416]
	stp q28, q29, [x0, #448]
	stp q30, q31, [x0, #480]
	mrs x1, fpsr
	mrs x2, fpcr
	str x1, [x0, #512]
	str x2, [x0, #520]
	ret

	.globl uk_arch_arm64_fpu_restore
uk_arch_arm64_fpu_restore:	/* void uk_arch_arm64_fpu_restore(const void *area) */
	ldp q0, q1, [x0, #0]
	ldp q2, q3, [x0, #32]
	ldp q4, q5, [x0, #64]
	ldp q6, q7, [x0, #96]
	ldp q8, q9, [x0, #128]
	ldp q10, q11, [x0, #160]
	ldp q12, q13, [x0, #192]
	ldp q14, q15, [x0, #224]
	ldp q16, q17, [x0, #256]
	ldp q18, q19, [x0, #288]
	ldp q20, q21, [x0, #320]
	ldp q22, q23, [x0, #352]
	ldp q24, q25, [x0, #384]
	ldp q26, q27, [x0, #416]
	ldp q28, q29, [x0, #448]
	ldp q30, q31, [x0, #480]
	ldr x1, [x0, #512]
	ldr x2, [x0, #520]
	msr fpsr, x1
	msr fpcr, x2
	ret
