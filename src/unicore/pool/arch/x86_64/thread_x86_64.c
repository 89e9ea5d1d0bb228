/* Threads and syscall frames (x86_64): the C half of the syscall entry, the per-thread state
 * a context switch saves and restores (kernel stack, syscall depth, FS base, FPU/SSE/AVX state
 * with XSAVE when the CPU has it, FXSAVE otherwise) and the first return of a new thread. */
#include <uk/arch.h>
#include <uk/x86_64.h>
#include <uk/syscall.h>

static struct uk_regs *syscall_regs;
struct uk_regs *uk_arch_syscall_regs(void) { return syscall_regs; }

void uk_arch_syscall(struct uk_regs *r)
{
	long args[6] = { (long)r->rdi, (long)r->rsi, (long)r->rdx, (long)r->r10, (long)r->r8, (long)r->r9 };
	struct uk_regs *outer = syscall_regs;

	syscall_regs = r;
	r->rax = (uint64_t)uk_syscall_dispatch((long)r->rax, args);
	syscall_regs = outer;
	if (uk_arch_syscall_depth == 1)
		uk_core_return_to_program(r);
}

static int xsave_ok = -1;

static bool have_xsave(void)
{
	if (xsave_ok < 0) { /* CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE, readable at any privilege */
		uint32_t r[4];
		uk_cpuid(1, 0, r);
		xsave_ok = !!(r[2] & (1U << 27));
	}
	return xsave_ok;
}

bool uk_arch_fpu_xsave(void) { return have_xsave(); }

size_t uk_arch_fpu_size(void)
{
	uint32_t r[4];

	if (!have_xsave())
		return 512;
	uk_cpuid(0xd, 0, r);
	return r[1]; /* bytes for the components enabled in XCR0 */
}

void uk_arch_fpu_save(void *area)
{
	if (have_xsave()) {
		uint32_t lo, hi;
		uint64_t *header = (uint64_t *)area + 64; /* bytes 512-575 */
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
		/* XSAVE saves every enabled component; its header is rewritten as "all saved": some
		 * virtual CPUs (this project's PVM hosts, at CPL3) leave XSTATE_BV and the reserved
		 * bytes unwritten, and XRSTOR faults on garbage there */
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		for (int i = 0; i < 8; i++)
			header[i] = 0;
		header[0] = (uint64_t)hi << 32 | lo;
	} else {
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
	}
}

void uk_arch_fpu_restore(const void *area)
{
	if (have_xsave())
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

void uk_arch_thread_switch(struct uk_arch_thread *from, struct uk_arch_thread *to)
{
	from->depth = uk_arch_syscall_depth;
	from->tls = uk_arch_get_tls();
	from->kstack_top = uk_arch_kstack_top;
	uk_arch_fpu_save(from->fpu);
	uk_arch_syscall_depth = to->depth;
	uk_arch_kstack_top = to->kstack_top;
	uk_arch_set_tls(to->tls);
	uk_arch_fpu_restore(to->fpu);
	uk_arch_ctx_switch(&from->sp, to->sp);
}

/* Stack of a new thread, from the top: its uk_regs, then what uk_arch_ctx_switch pops (six
 * zeroed callee-saved registers and the address of uk_arch_thread_entry). */
void uk_arch_thread_init(struct uk_arch_thread *t, uint64_t kstack_top, void *fpu, const struct uk_regs *regs)
{
	struct uk_regs *frame = (struct uk_regs *)kstack_top - 1;
	uint64_t *sp = (uint64_t *)frame - 7;

	*frame = *regs;
	uk_arch_fill(sp, 0, 6 * sizeof(uint64_t));
	sp[6] = (uint64_t)uk_arch_thread_entry;
	*t = (struct uk_arch_thread){ .sp = (uint64_t)sp, .kstack_top = kstack_top, .depth = 0,
				      .tls = uk_arch_get_tls(), .fpu = fpu };
	uk_arch_fpu_save(fpu);
}

void uk_arch_thread_started(struct uk_regs *r)
{
	uk_core_return_to_program(r);
}
