/* Interrupt stubs (x86_64): vectors 32-47 and 255 (spurious). Interrupts reach us at CPL0 with
 * no stack switch of their own, so every vector runs on IST2: the program's red zone is never
 * written. The C handler (uk_arch_irq) runs there; when it says the interrupted code was the
 * program and a return hook wants to run (preemption, signals), the frame is moved to the
 * running thread's kernel stack, which is empty while the program runs, and the hook runs
 * there: it may switch threads, and IST2 is free for the next interrupt. */
#include <uk/x86_64_regs.h>
	.text

.macro IRQ n
	.p2align 3
uk_irq_\n:
	pushq $0
	pushq $\n
	jmp uk_irq_common
.endm

.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,255
IRQ \n
.endr

#define UK_REGS_SIZE (22 * 8)

uk_irq_common:
	UK_PUSH_GPRS
	cld
	movq %rsp, %rdi
	call uk_arch_irq		/* int uk_arch_irq(struct uk_regs *) */
	testl %eax, %eax
	jz uk_arch_regs_return
	movq %rsp, %rsi			/* move the frame to the kernel stack */
	movq uk_arch_kstack_top(%rip), %rdi
	subq $UK_REGS_SIZE, %rdi
	movq %rdi, %rsp
	movl $22, %ecx
	rep movsq
	movq %rsp, %rdi
	call uk_arch_irq_return		/* void uk_arch_irq_return(struct uk_regs *) */
	jmp uk_arch_regs_return

	.section .rodata
	.p2align 3
	.globl uk_arch_irq_stubs
uk_arch_irq_stubs:
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.quad uk_irq_\n
.endr
	.globl uk_arch_irq_spurious_stub
uk_arch_irq_spurious_stub:
	.quad uk_irq_255
