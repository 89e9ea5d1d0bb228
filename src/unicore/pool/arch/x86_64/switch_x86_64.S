/* Kernel context switch (x86_64): the callee-saved registers go on the old thread's kernel
 * stack, its %rsp into *save; the new thread's stack gives its own back. Everything else a
 * thread owns (FS base, FPU/SSE state, its kernel stack top) is switched in C
 * (thread_x86_64.c). A new thread's stack starts with zeroed registers and the address of
 * uk_arch_thread_entry, which returns to the struct uk_regs at the top of its kernel stack. */
	.text
	.globl uk_arch_ctx_switch
	.p2align 4
uk_arch_ctx_switch:		/* void uk_arch_ctx_switch(uint64_t *save, uint64_t sp) */
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.globl uk_arch_thread_entry
uk_arch_thread_entry:		/* first switch to a new thread lands here; %rsp = its uk_regs */
	movq %rsp, %rdi
	call uk_arch_thread_started	/* void uk_arch_thread_started(struct uk_regs *) */
	jmp uk_arch_regs_return
