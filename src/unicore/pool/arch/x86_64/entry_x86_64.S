/* PVH entry (x86_64): QEMU jumps here in 32-bit protected mode, paging off, %ebx = physical
 * address of struct hvm_start_info. We identity-map the first 4 GiB (2 MiB pages, except the
 * first 2 MiB which use 4 KiB pages so that page 0 stays unmapped and NULL dereferences fault),
 * enter long mode and call uk_arch_start(start_info) in C. */
#include <uk_config.h>

#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80

	/* PVH ELF note: owner "Xen", type 18 (XEN_ELFNOTE_PHYS32_ENTRY), the 32-bit entry address. */
	.section .note.uk.pvh, "a", @note
	.p2align 2
	.long 4, 8, 18
	.asciz "Xen"
	.p2align 2
	.quad uk_arch_pvh_start

	.data
	.globl uk_arch_boot_cycles
	.p2align 3
uk_arch_boot_cycles:
	.quad 0

	/* The boot page tables live in the 7 pages the linker script reserves after the image
	 * (_uk_pagetables): a page-aligned section would make the linker pad the file by 4 KiB.
	 * They and the boot stack are fully written before use: no need to zero them. */
	.set uk_pml4, _uk_pagetables
	.set uk_pdpt, _uk_pagetables + 4096
	.set uk_pd, _uk_pagetables + 2 * 4096
	.set uk_pt0, _uk_pagetables + 6 * 4096

	.section .bss..nozero.boot, "aw", @nobits
	.p2align 4
uk_boot_stack:	.skip 16384
uk_boot_stack_top:

	.section .text.boot, "ax"
	.code32
	.globl uk_arch_pvh_start
uk_arch_pvh_start:
	cli
	cld
	movl %ebx, %esi			/* keep start info across the setup */
	rdtsc
	movl %eax, uk_arch_boot_cycles
	movl %edx, uk_arch_boot_cycles + 4

	/* zero .bss (small: large buffers live in .bss..nozero) */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	/* PML4 and PDPT: one entry each in use, the rest zero */
	movl $uk_pml4, %edi
	movl $2048, %ecx
	rep stosl			/* zeroes uk_pml4 and uk_pdpt (adjacent) */
	movl $(uk_pdpt + PTE_P + PTE_W), uk_pml4
	movl $uk_pdpt, %edi
	movl $(uk_pd + PTE_P + PTE_W), %eax
	movl $4, %ecx
1:	movl %eax, (%edi)
	addl $4096, %eax
	addl $8, %edi
	loop 1b

	/* 2048 PD entries of 2 MiB each = 4 GiB; unrolled by 8 because under TCG every loop
	 * iteration is a translated-block dispatch */
	movl $uk_pd, %edi
	movl $(PTE_P + PTE_W + PTE_PS), %eax
	xorl %edx, %edx			/* high half of the physical address */
	movl $256, %ecx
2:
	.rept 8
	movl %eax, (%edi)
	movl %edx, 4(%edi)
	addl $0x200000, %eax
	adcl $0, %edx
	addl $8, %edi
	.endr
	decl %ecx
	jnz 2b
	movl $(uk_pt0 + PTE_P + PTE_W), uk_pd
	movl $0, uk_pd + 4

	/* first 2 MiB in 4 KiB pages; entry 0 not present */
	movl $uk_pt0, %edi
	movl $(PTE_P + PTE_W), %eax
	xorl %edx, %edx
	movl $64, %ecx
3:
	.rept 8
	movl %eax, (%edi)
	movl %edx, 4(%edi)
	addl $4096, %eax
	addl $8, %edi
	.endr
	decl %ecx
	jnz 3b
	movl $0, uk_pt0

	/* PAE, page tables, EFER.LME|SCE (syscall), paging */
	movl %cr4, %eax
	orl $0x20, %eax
	movl %eax, %cr4
	movl $uk_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x101, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax
	movl %eax, %cr0
	lgdt uk_boot_gdt_ptr
	ljmp $0x08, $uk_long_entry

	.code64
uk_long_entry:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movq $uk_boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl %esi, %edi			/* zero-extends: start info physical address */
	call uk_arch_start
4:	hlt
	jmp 4b

	.section .rodata
	.p2align 3
uk_boot_gdt_ptr:
	.word 5 * 8 - 1
	.quad uk_arch_gdt
