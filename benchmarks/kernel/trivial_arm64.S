/* The VMM floor on QEMU virt (arm64): a Linux arm64 Image that prints "hi" on the PL011 and powers
 * off through PSCI (hvc). Addresses are QEMU virt's fixed ones: a floor measures QEMU, it reads no
 * device tree (the real platform does, plat/qemu fdt_arm64.c). */
	.text
	.globl _start
_start:
	b 1f
	.long 0
	.quad 0x80000			/* text_offset */
	.quad 4096			/* image_size */
	.quad 0x2			/* little-endian, 4 KiB pages */
	.quad 0, 0, 0
	.ascii "ARM\x64"
	.long 0
1:	mov x1, #0x09000000		/* PL011 data register */
	mov w2, #'h'
	str w2, [x1]
	mov w2, #'i'
	str w2, [x1]
	mov w2, #'\n'
	str w2, [x1]
	ldr x0, =0x84000008		/* PSCI SYSTEM_OFF */
	hvc #0
2:	wfi
	b 2b
