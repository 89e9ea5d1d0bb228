/* Exception stubs (x86_64): vectors 0-31 push a uniform frame (struct uk_regs in uk/arch.h)
 * and call uk_arch_trap(), except a page fault the memory library resolves (demand paging),
 * which returns to the faulting instruction; uk_arch_trap returns when the program's signal
 * handler is to run (the frame rewritten to it). Every vector runs on IST1, so a fault in the program never writes
 * into its red zone or overflows onto a broken stack. */
#include <uk/x86_64_regs.h>
	.text

.macro TRAP_NOERR n
	.p2align 3
uk_trap_\n:
	pushq $0
	pushq $\n
	jmp uk_trap_common
.endm
.macro TRAP_ERR n
	.p2align 3
uk_trap_\n:
	pushq $\n
	jmp uk_trap_common
.endm

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR 8
TRAP_NOERR 9
TRAP_ERR 10
TRAP_ERR 11
TRAP_ERR 12
TRAP_ERR 13
TRAP_ERR 14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR 17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR 21
TRAP_NOERR 22
TRAP_NOERR 23
TRAP_NOERR 24
TRAP_NOERR 25
TRAP_NOERR 26
TRAP_NOERR 27
TRAP_NOERR 28
TRAP_ERR 29
TRAP_ERR 30
TRAP_NOERR 31

uk_trap_common:
	UK_PUSH_GPRS
	cld
	movq %rsp, %rbx			/* the frame (callee-saved across the calls) */
	andq $-16, %rsp
	cmpq $14, 15*8(%rbx)		/* page fault: the memory library may resolve it */
	jne 2f
	movq 16*8(%rbx), %rdi		/* error code */
	call uk_arch_page_fault_resolve
	testl %eax, %eax
	jz 2f
3:	movq %rbx, %rsp			/* resolved: run the instruction again */
	UK_POP_GPRS
	addq $16, %rsp			/* vector and error code */
	iretq
2:	movq %rbx, %rdi
	call uk_arch_trap		/* returns when a signal handler runs for it: the frame says where */
	jmp 3b

	.section .rodata
	.p2align 3
	.globl uk_arch_trap_stubs
uk_arch_trap_stubs:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad uk_trap_\n
.endr
