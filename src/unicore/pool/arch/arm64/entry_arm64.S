/* Entry (arm64): QEMU's -kernel loads a Linux arm64 Image (the header below) at RAM base +
 * text_offset and jumps here at EL1, MMU off, x0 = the device tree's physical address. We build
 * the identity map of the first 4 GiB (the first GiB, where QEMU virt puts its devices, as
 * device memory in 2 MiB blocks with block 0 unmapped so that NULL dereferences fault; RAM from
 * 1 GiB as normal cacheable memory in 1 GiB blocks), turn on the MMU, FP/SIMD and the vectors,
 * and call uk_arch_start(dtb) in C. */
#include <uk_config.h>

#define DESC_TABLE 0x3
#define BLOCK_NORMAL 0x705			/* valid block, AttrIndx 1, inner shareable, AF */
#define BLOCK_DEVICE (0x401 | (3 << 53))	/* valid block, AttrIndx 0 (nGnRnE), AF, PXN, UXN */
#define MAIR_VALUE 0xff00			/* attr0 device nGnRnE, attr1 normal write-back */
/* T0SZ 16 (48-bit VA), walks inner/outer write-back, inner shareable, 4 KiB granule, no TTBR1
 * walks (EPD1), 40-bit physical addresses */
#define TCR_VALUE ((16) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
#define SCTLR_VALUE 0x30d01805			/* RES1 bits, M, C, I */

	.section .text.boot, "ax"
	.globl uk_arch_arm64_image
uk_arch_arm64_image:				/* the Linux arm64 Image header (Documentation/arm64/booting) */
	b uk_arch_arm64_start			/* code0 */
	.long 0					/* code1 */
	.quad 0x80000				/* text_offset: loaded at RAM base + 512 KiB */
	.quad _uk_payload_end - uk_arch_arm64_image	/* image_size: what must be free after the load address */
	.quad 0x2				/* flags: little-endian, 4 KiB pages */
	.quad _uk_payload_load - uk_arch_arm64_image	/* res2: where the payload is in the file (image/facts.py) */
	.quad 0, 0
	.ascii "ARM\x64"			/* magic */
	.long 0

uk_arch_arm64_start:
	mov x19, x0				/* the device tree */
	mrs x20, cntvct_el0
	msr daifset, #0xf
	mov x1, #(3 << 20)			/* CPACR_EL1.FPEN: FP/SIMD at EL1 and EL0 untrapped */
	msr cpacr_el1, x1
	ldr x1, =uk_arch_arm64_vectors
	msr vbar_el1, x1
	bl move_payload				/* first: the page tables are where its file bytes are */
	bl build_identity_map
	ldr x1, =MAIR_VALUE
	msr mair_el1, x1
	ldr x1, =TCR_VALUE
	msr tcr_el1, x1
	ldr x1, =_uk_pagetables
	msr ttbr0_el1, x1
	isb
	tlbi vmalle1
	dsb nsh
	ldr x1, =SCTLR_VALUE
	msr sctlr_el1, x1
	isb
	adrp x1, uk_arch_boot_cycles
	str x20, [x1, :lo12:uk_arch_boot_cycles]
	ldr x1, =__bss_start			/* zero .bss (large buffers live in .bss..nozero) */
	ldr x2, =__bss_end
1:	cmp x1, x2
	b.hs 2f
	str xzr, [x1], #8
	b 1b
2:	ldr x1, =uk_arch_boot_kstack_top
	mov sp, x1
	mov x29, #0
	mov x30, #0
	mov x0, x19
	bl uk_arch_start
3:	wfi
	b 3b

/* The file holds the payload right after the kernel's loaded sections (_uk_payload_load), where
 * .bss will be; it belongs above _end (_uk_payload_start): copy it up, last bytes first (the two
 * ranges may overlap), with the MMU still off (aligned 16-byte accesses). QEMU puts the device tree after the file's end: one that lies where the
 * payload goes moves above the payload first (its size is the big-endian totalsize at +4). */
move_payload:
	ldr x1, =_uk_payload_load
	ldr x2, =_uk_payload_start
	ldr x3, =_uk_payload_end
	sub x4, x3, x2				/* bytes, a multiple of 16 */
	add x5, x1, x4				/* the file's end */
	cmp x19, x5
	b.lo 2f
	cmp x19, x3
	b.hs 2f
	ldr w6, [x19, #4]
	rev w6, w6
	add x6, x6, #15
	and x6, x6, #~15
	add x7, x19, x6				/* the tree to _uk_payload_end, last bytes first */
	add x8, x3, x6
1:	cmp x7, x19
	b.ls 3f
	ldp x9, x10, [x7, #-16]!
	stp x9, x10, [x8, #-16]!
	b 1b
3:	mov x19, x3
2:	add x8, x3, #0				/* the payload: from the file's end down */
4:	cmp x5, x1
	b.ls 5f
	ldp x9, x10, [x5, #-16]!
	stp x9, x10, [x8, #-16]!
	b 4b
5:	ret

/* Three tables in the pages the linker script reserves (_uk_pagetables): L0, L1, and the L2 of
 * the first GiB. Written with the MMU off (device memory: aligned 64-bit stores only). */
build_identity_map:
	ldr x0, =_uk_pagetables		/* L0 */
	add x1, x0, #4096			/* L1 */
	add x2, x0, #8192			/* L2 of 0-1 GiB */
	mov x3, x0
	add x4, x0, #(3 * 4096)
1:	str xzr, [x3], #8			/* zero the three pages */
	cmp x3, x4
	b.lo 1b
	orr x3, x1, #DESC_TABLE
	str x3, [x0]				/* L0[0] -> L1 */
	orr x3, x2, #DESC_TABLE
	str x3, [x1]				/* L1[0] -> L2 */
	mov x3, #(1 << 30)			/* L1[1..3]: RAM, 1 GiB blocks */
	mov x5, #1
	ldr x7, =BLOCK_NORMAL
	mov x8, #(1 << 30)
2:	orr x4, x7, x3
	str x4, [x1, x5, lsl #3]
	add x3, x3, x8
	add x5, x5, #1
	cmp x5, #4
	b.lo 2b
	mov x5, #1				/* L2[1..511]: devices, 2 MiB blocks; L2[0] stays unmapped */
	ldr x6, =BLOCK_DEVICE
3:	orr x4, x6, x5, lsl #21
	str x4, [x2, x5, lsl #3]
	add x5, x5, #1
	cmp x5, #512
	b.lo 3b
	dsb ish
	ret

	.data
	.globl uk_arch_boot_cycles
	.p2align 3
uk_arch_boot_cycles:
	.quad 0

	.section .bss..nozero.kstack, "aw", @nobits
	.p2align 4
uk_boot_kstack:
	.skip UK_ARCH_ARM64_KSTACK_KB * 1024
	.globl uk_arch_boot_kstack_top
uk_arch_boot_kstack_top:
