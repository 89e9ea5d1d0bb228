/* uk/arch_defs.h (x86_64): the machine definitions <uk/arch.h> requires of every architecture:
 * its name, page size, trap register frame, and the inline cycle counter and helpers. */
#ifndef UK_ARCH_DEFS_H
#define UK_ARCH_DEFS_H
#include <stddef.h>
#include <stdint.h>

#define UK_ARCH_NAME "x86_64" /* uname machine, AT_PLATFORM */
#define UK_ARCH_ELF_MACHINE 62 /* EM_X86_64: the programs this arch runs */
#define UK_PAGE_SHIFT 12
#define UK_PAGE_SIZE 4096UL

/* The register frame pushed by the trap stubs (traps_x86_64.S), lowest address first. */
struct uk_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* A free-running cycle counter (the TSC): cheap, monotonic, rate given by the platform. */
static inline uint64_t uk_arch_cycles(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
/* Bulk copy and fill for core's memcpy/memset: rep movs/stos, 8 bytes a step where possible
 * (TCG runs every rep iteration separately: program loading and page copies are dominated by it). */
static inline void uk_arch_copy(void *dst, const void *src, size_t n)
{
	size_t q = n / 8, r = n % 8;

	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(q) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(r) : : "memory");
}
static inline void uk_arch_fill(void *dst, int c, size_t n)
{
	if (!c && !(n & 7) && !((uintptr_t)dst & 7)) { /* page zeroing */
		size_t q = n / 8;
		__asm__ volatile("rep stosq" : "+D"(dst), "+c"(q) : "a"(0UL) : "memory");
		return;
	}
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
}
static inline uintptr_t uk_arch_regs_sp(const struct uk_regs *r) { return r->rsp; } /* the stack pointer of a frame */
static inline void uk_arch_pause(void) { __asm__ volatile("pause"); }
static inline uintptr_t uk_arch_frame_pointer(void) { return (uintptr_t)__builtin_frame_address(0); }
/* A syscall frame's result and stack pointer (clone's child). */
static inline void uk_arch_regs_set_return(struct uk_regs *r, long v) { r->rax = (uint64_t)v; }
static inline void uk_arch_regs_set_sp(struct uk_regs *r, uint64_t sp) { r->rsp = sp; }
/* A frame that starts a new program image (execve): every general register zero. */
static inline void uk_arch_regs_exec(struct uk_regs *r, uintptr_t entry, uintptr_t sp)
{
	__builtin_memset(r, 0, __builtin_offsetof(struct uk_regs, vector));
	r->rip = entry;
	r->rsp = sp;
}
#endif
