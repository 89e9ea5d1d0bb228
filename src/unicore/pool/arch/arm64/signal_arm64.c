/* Signal frames (arm64): Linux's rt_sigframe (arch/arm64/kernel/signal.c), the layout glibc and
 * musl read: the siginfo, then the ucontext (uc_sigmask padded to glibc's 1024-bit sigset, then
 * the sigcontext with x0-x30, sp, pc, pstate and 4 KiB of records: the FP/SIMD registers as an
 * fpsimd_context, then a terminating empty record), then a frame record {fp, lr} for unwinders.
 * The handler runs with x0 = signo, x1 = &info, x2 = &uc, sp at the frame, x30 = its restorer:
 * the libc's sa_restorer (musl passes one), else the kernel's own `mov x8, #139; svc #0` (glibc
 * relies on the vDSO's there; the program runs at EL1 and may execute kernel text). */
#include <uk/arch.h>
#include <uk/arm64.h>

#define FPSIMD_MAGIC 0x46508001u
#define NR_RT_SIGRETURN 139
#define EC_SVC64 0x15
#define PSTATE_NZCV 0xf0000000UL

struct ctx_head {
	uint32_t magic, size;
};
struct fpsimd_context {
	struct ctx_head head;
	uint32_t fpsr, fpcr;
	uint64_t vregs[64];  /* q0-q31, 16 bytes each */
};
struct sigcontext {
	uint64_t fault_address;
	uint64_t regs[31];
	uint64_t sp, pc, pstate;
	uint8_t reserved[4096] __attribute__((aligned(16)));
};
struct ucontext {
	uint64_t flags, link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	uint64_t sigmask;
	uint8_t unused[1024 / 8 - 8];
	struct sigcontext mc __attribute__((aligned(16)));
};
struct rt_sigframe {
	uint8_t info[128];
	struct ucontext uc;
	uint64_t next_fp, next_lr; /* the frame record x29 points at */
};
_Static_assert(sizeof(struct sigcontext) == 4384 && __builtin_offsetof(struct ucontext, mc) == 176, "Linux's layout");

/* The area uk_arch_arm64_fpu_save writes: q0-q31, fpsr, fpcr. */
struct fpu_area {
	uint64_t q[64];
	uint64_t fpsr, fpcr;
};

void uk_arch_arm64_sigreturn_trampoline(void);
__asm__(".text\n.globl uk_arch_arm64_sigreturn_trampoline\nuk_arch_arm64_sigreturn_trampoline:\n"
	"\tmov x8, #139\n\tsvc #0\n");

static void save_fp(struct fpsimd_context *c)
{
	struct fpu_area a;

	uk_arch_arm64_fpu_save(&a);
	c->head = (struct ctx_head){ FPSIMD_MAGIC, sizeof(*c) };
	c->fpsr = (uint32_t)a.fpsr, c->fpcr = (uint32_t)a.fpcr;
	uk_arch_copy(c->vregs, a.q, sizeof(a.q));
	((struct ctx_head *)(c + 1))->magic = 0, ((struct ctx_head *)(c + 1))->size = 0; /* the end */
}

int uk_arch_signal_push(struct uk_regs *r, const struct uk_arch_signal *s)
{
	uintptr_t top = s->stack_top ? s->stack_top : r->sp;
	struct rt_sigframe *f = (struct rt_sigframe *)((top - sizeof(struct rt_sigframe)) & ~15UL);

	if ((uintptr_t)f < UK_PAGE_SIZE || (uintptr_t)f > top)
		return -1;
	uk_arch_fill(&f->uc, 0, sizeof(f->uc));
	uk_arch_copy(f->info, s->info, sizeof(f->info));
	f->uc.ss_sp = s->ss_sp, f->uc.ss_flags = s->ss_flags, f->uc.ss_size = s->ss_size, f->uc.sigmask = s->mask;
	uk_arch_copy(f->uc.mc.regs, r->x, sizeof(r->x));
	f->uc.mc.sp = r->sp, f->uc.mc.pc = r->pc, f->uc.mc.pstate = r->pstate;
	f->uc.mc.fault_address = r->far;
	save_fp((struct fpsimd_context *)f->uc.mc.reserved);
	f->next_fp = r->x[29], f->next_lr = r->x[30];
	r->x[0] = (uint64_t)s->signo;
	r->x[1] = (uint64_t)f->info;
	r->x[2] = (uint64_t)&f->uc;
	r->x[29] = (uint64_t)&f->next_fp;
	r->x[30] = s->restorer ? s->restorer : (uint64_t)uk_arch_arm64_sigreturn_trampoline;
	r->sp = (uint64_t)f;
	r->pc = s->handler;
	return 0;
}

/* The fpsimd_context among the records, NULL when the handler removed it or a record is bad. */
static const struct fpsimd_context *find_fp(const struct sigcontext *mc)
{
	size_t off = 0;

	while (off + sizeof(struct ctx_head) <= sizeof(mc->reserved)) {
		const struct ctx_head *h = (const struct ctx_head *)(mc->reserved + off);
		if (!h->magic || h->size < sizeof(*h) || h->size % 16 || off + h->size > sizeof(mc->reserved))
			return NULL;
		if (h->magic == FPSIMD_MAGIC)
			return h->size >= sizeof(struct fpsimd_context) ? (const struct fpsimd_context *)h : NULL;
		off += h->size;
	}
	return NULL;
}

/* rt_sigreturn: the handler returned to its restorer with sp back at the frame. */
int uk_arch_signal_return(struct uk_regs *r, uint64_t *mask, uintptr_t *ss_sp, uint64_t *ss_size, int *ss_flags)
{
	const struct rt_sigframe *f = (const struct rt_sigframe *)r->sp;
	const struct sigcontext *mc = &f->uc.mc;

	if (r->sp < UK_PAGE_SIZE || (r->sp & 15))
		return -1;
	const struct fpsimd_context *fp = find_fp(mc);
	if (fp) {
		struct fpu_area a = { .fpsr = fp->fpsr, .fpcr = fp->fpcr };
		uk_arch_copy(a.q, fp->vregs, sizeof(a.q));
		uk_arch_arm64_fpu_restore(&a);
	}
	uk_arch_copy(r->x, mc->regs, sizeof(r->x));
	r->sp = mc->sp, r->pc = mc->pc;
	r->pstate = (r->pstate & ~PSTATE_NZCV) | (mc->pstate & PSTATE_NZCV); /* the mode stays EL1t */
	*mask = f->uc.sigmask;
	*ss_sp = f->uc.ss_sp;
	*ss_size = f->uc.ss_size;
	*ss_flags = f->uc.ss_flags;
	return 0;
}

static bool is_syscall(const struct uk_regs *r)
{
	return (r->vector == 0 || r->vector == 4) && ((r->esr >> 26) & 0x3f) == EC_SVC64;
}

long uk_arch_frame_syscall(const struct uk_regs *r, long *result)
{
	*result = (long)r->x[0];
	return is_syscall(r) ? (long)r->x[8] : -1;
}

/* svc #0 is 4 bytes; x8 still holds the number, x0 gets its argument back. */
void uk_arch_syscall_restart(struct uk_regs *r)
{
	r->x[0] = r->orig_x0;
	r->pc -= 4;
}
