/* Entry and return paths of the x86_64 arch as a Linux process (plat/spt). The tender calls
 * uk_arch_linux_entry with %rdi = its boot information. A program's `syscall` never reaches the
 * host: syscall user dispatch turns it into SIGSYS, whose handler (signal_linux.c) copies the
 * program's registers into a struct uk_regs on the thread's kernel stack and makes the signal
 * return land in uk_arch_linux_syscall_stub, here, on that frame: from then on the path is the
 * one of the CPL0 arch (dispatch, return hook, context switch). uk_arch_regs_return restores a
 * frame in user mode: no iretq, so rflags and rip go just below the program's red zone and
 * `popfq; ret $128` finishes. */
#include <uk/x86_64_regs.h>
#include <uk/linux_host.h>
#include <uk_config.h>

#define UK_LINUX_ALTSTACK 65536

	.section .note.uk.host, "a", @note
	.p2align 2
	.long 8, 9 * 8, UK_LINUX_NOTE_TYPE
	.asciz "unicore"
	.p2align 2
	.quad 1
	.quad uk_arch_linux_on_syscall, uk_arch_linux_on_fault, uk_arch_linux_on_timer, uk_arch_linux_restorer
	.quad _uk_image_start, _end
	.quad uk_linux_altstack, UK_LINUX_ALTSTACK
	.p2align 2

	.section .bss..nozero.host, "aw", @nobits
	.p2align 4
uk_linux_altstack:
	.skip UK_LINUX_ALTSTACK
uk_syscall_stack:
	.skip UK_ARCH_X86_64_LINUX_SYSCALL_STACK_KB * 1024
	.globl uk_arch_boot_kstack_top
uk_arch_boot_kstack_top:
uk_boot_stack:
	.skip 16384
uk_boot_stack_top:

	.data
	.p2align 3
	.globl uk_arch_kstack_top, uk_arch_syscall_depth, uk_arch_boot_cycles
uk_arch_kstack_top:		/* the running thread's kernel stack (empty while it runs the program) */
	.quad uk_arch_boot_kstack_top
uk_arch_syscall_depth:		/* syscalls in progress on the running thread */
	.quad 0
uk_arch_boot_cycles:
	.quad 0
uk_fast_scratch:
	.quad 0

	.text
	.globl uk_arch_linux_entry
uk_arch_linux_entry:		/* from the tender: %rdi = struct uk_spt_boot * */
	rdtsc
	movl %eax, uk_arch_boot_cycles(%rip)
	movl %edx, uk_arch_boot_cycles+4(%rip)
	leaq uk_boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call uk_arch_linux_start
1:	ud2
	jmp 1b

	/* The signal handlers' return: rt_sigreturn from inside the kernel's region. */
	.globl uk_arch_linux_restorer
uk_arch_linux_restorer:
	movl $UK_LINUX_NR_RT_SIGRETURN, %eax
	syscall
	ud2

	.globl uk_arch_linux_syscall_stub
uk_arch_linux_syscall_stub:	/* %rsp = the struct uk_regs of the program's syscall */
	movq %rsp, %rdi
	call uk_arch_linux_syscall
	jmp uk_arch_regs_return

	.globl uk_arch_linux_irq_stub
uk_arch_linux_irq_stub:	/* %rsp = the struct uk_regs of the interrupted program */
	movq %rsp, %rdi
	call uk_arch_linux_irq
	jmp uk_arch_regs_return

	/* A rewritten syscall site (rewrite_linux.c) jumps here: %rax = the number, %rcx = the
	 * return address; the program's stack is left alone (its red zone), as by `syscall`. */
	.globl uk_arch_linux_fast_syscall
uk_arch_linux_fast_syscall:
	movq %rsp, uk_fast_scratch(%rip)
	cmpq $0, uk_arch_syscall_depth(%rip)
	jne 1f
	movq uk_arch_kstack_top(%rip), %rsp
	jmp 2f
1:	subq $128, %rsp			/* nested: below the caller's red zone */
	andq $-16, %rsp
2:	pushq $0x2b			/* ss */
	pushq uk_fast_scratch(%rip)	/* rsp */
	pushfq
	movq (%rsp), %r11		/* r11 = rflags, as `syscall` leaves it */
	pushq $0x33			/* cs */
	pushq %rcx			/* rip */
	pushq %rax			/* error slot: the number */
	pushq $0x100			/* vector slot: a syscall frame */
	UK_PUSH_GPRS
	incq uk_arch_syscall_depth(%rip)
	movq %rsp, %rdi
	call uk_arch_linux_syscall
	jmp uk_arch_regs_return

#define R_RIP (17 * 8)
#define R_RFLAGS (19 * 8)
#define R_RSP (20 * 8)
#define R_SS (21 * 8)
	.globl uk_arch_regs_return
uk_arch_regs_return:		/* %rsp = a struct uk_regs: restore it all and return to it */
	movq R_RSP(%rsp), %rax
	subq $144, %rax			/* below the red zone: [rflags][rip] */
	movq R_RFLAGS(%rsp), %rcx
	movq %rcx, (%rax)
	movq R_RIP(%rsp), %rcx
	movq %rcx, 8(%rax)
	movq %rax, R_SS(%rsp)		/* the ss slot, unused here, carries that stack pointer */
	UK_POP_GPRS
	leaq 6 * 8(%rsp), %rsp		/* vector, error, rip, cs, rflags, rsp: to the ss slot */
	popq %rsp
	popfq
	ret $128
