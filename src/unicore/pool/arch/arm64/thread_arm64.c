/* Threads (arm64): what a context switch saves and restores (kernel stack pointer, syscall
 * depth, TPIDR_EL0, FP/SIMD state) and the first return of a new thread. */
#include <uk/arch.h>
#include <uk/arm64.h>

#define FPU_SIZE 528 /* q0-q31, fpsr, fpcr */

size_t uk_arch_fpu_size(void) { return FPU_SIZE; }

void uk_arch_thread_switch(struct uk_arch_thread *from, struct uk_arch_thread *to)
{
	from->depth = uk_arch_arm64_syscall_depth;
	from->tls = uk_arch_get_tls();
	uk_arch_arm64_fpu_save(from->fpu);
	uk_arch_arm64_syscall_depth = to->depth;
	uk_arch_set_tls(to->tls);
	uk_arch_arm64_fpu_restore(to->fpu);
	uk_arch_arm64_ctx_switch(&from->sp, to->sp);
}

/* Stack of a new thread, from the top: its uk_regs, then what uk_arch_arm64_ctx_switch pops
 * (x19-x30 zeroed, x30 = uk_arch_arm64_thread_entry). */
void uk_arch_thread_init(struct uk_arch_thread *t, uint64_t kstack_top, void *fpu, const struct uk_regs *regs)
{
	struct uk_regs *frame = (struct uk_regs *)kstack_top - 1;
	uint64_t *sp = (uint64_t *)frame - 12;

	*frame = *regs;
	uk_arch_fill(sp, 0, 12 * sizeof(uint64_t));
	sp[11] = (uint64_t)uk_arch_arm64_thread_entry;
	*t = (struct uk_arch_thread){ .sp = (uint64_t)sp, .kstack_top = kstack_top, .depth = 0,
				      .tls = uk_arch_get_tls(), .fpu = fpu };
	uk_arch_arm64_fpu_save(fpu);
}

void uk_arch_thread_started(struct uk_regs *r);
void uk_arch_thread_started(struct uk_regs *r) { uk_core_return_to_program(r); }
