/* uk/arch_defs.h (arm64): the machine definitions <uk/arch.h> requires of every architecture:
 * its name, page size, trap register frame, and the inline cycle counter and helpers. */
#ifndef UK_ARCH_DEFS_H
#define UK_ARCH_DEFS_H
#include <stddef.h>
#include <stdint.h>

#define UK_ARCH_NAME "aarch64" /* uname machine, AT_PLATFORM */
#define UK_ARCH_ELF_MACHINE 183 /* EM_AARCH64: the programs this arch runs */
#define UK_PAGE_SHIFT 12
#define UK_PAGE_SIZE 4096UL

/* The register frame the exception vectors save (vectors_arm64.S: offsets fixed there). */
struct uk_regs {
	uint64_t x[31];           /* x0..x30: x29 is the frame pointer, x30 the link register */
	uint64_t sp;              /* the interrupted stack pointer (the program's: SP_EL0) */
	uint64_t pc;              /* ELR_EL1 */
	uint64_t pstate;          /* SPSR_EL1 */
	uint64_t esr, far;        /* syndrome and fault address of a synchronous exception */
	uint64_t vector;          /* vector table slot (0-15) */
	uint64_t orig_x0;         /* a syscall's first argument (x0 gets the result): a restart needs it */
};

/* The generic timer's virtual count: monotonic, rate in CNTFRQ_EL0. */
static inline uint64_t uk_arch_cycles(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}
/* Bulk copy and fill for core's memcpy/memset, 8 bytes a step when both ends are aligned. */
static inline void uk_arch_copy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (!(((uintptr_t)d | (uintptr_t)s) & 7))
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(uint64_t *)d = *(const uint64_t *)s;
	while (n--)
		*d++ = *s++;
}
static inline void uk_arch_fill(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t w = 0x0101010101010101UL * (unsigned char)c;

	if (!((uintptr_t)d & 7))
		for (; n >= 8; n -= 8, d += 8)
			*(uint64_t *)d = w;
	while (n--)
		*d++ = (unsigned char)c;
}
static inline void uk_arch_pause(void) { __asm__ volatile("yield"); }
static inline uintptr_t uk_arch_frame_pointer(void) { return (uintptr_t)__builtin_frame_address(0); }
static inline uintptr_t uk_arch_regs_sp(const struct uk_regs *r) { return r->sp; } /* the stack pointer of a frame */
/* A syscall frame's result and stack pointer (clone's child). */
static inline void uk_arch_regs_set_return(struct uk_regs *r, long v) { r->x[0] = (uint64_t)v; }
static inline void uk_arch_regs_set_sp(struct uk_regs *r, uint64_t sp) { r->sp = sp; }
/* A frame that starts a new program image (execve): every general register zero, the program's
 * mode (EL1t, interrupts on) whatever the frame held. */
static inline void uk_arch_regs_exec(struct uk_regs *r, uintptr_t entry, uintptr_t sp)
{
	for (int i = 0; i < 31; i++)
		r->x[i] = 0;
	r->sp = sp;
	r->pc = entry;
	r->pstate = 0x344;
}
#endif
