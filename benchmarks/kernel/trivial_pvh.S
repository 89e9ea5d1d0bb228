/* The VMM floor: a PVH kernel that prints "hi" on COM1 and exits through isa-debug-exit. */
	.section .note.pvh, "a", @note
	.p2align 2
	.long 4, 4, 18
	.asciz "Xen"
	.long _start

	.text
	.code32
	.globl _start
_start:
	movw $0x3f8, %dx
	movb $'h', %al
	outb %al, %dx
	movb $'i', %al
	outb %al, %dx
	movb $'\n', %al
	outb %al, %dx
	movw $0xf4, %dx
	xorb %al, %al
	outb %al, %dx
1:	hlt
	jmp 1b
