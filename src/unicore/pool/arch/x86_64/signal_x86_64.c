/* Signal frames (x86_64): Linux's rt_sigframe, the layout glibc and musl read (ucontext_t's
 * uc_mcontext, uc_sigmask, the fpregs pointer) and their sa_restorer's rt_sigreturn pops. From
 * the top of the stack down: the red zone of the interrupted code, the FPU state (XSAVE with
 * Linux's software-reserved bytes and end magic, or FXSAVE), then the frame: the return address
 * (sa_restorer), the ucontext and the siginfo. The program runs at CPL0, so cs/ss stay the
 * kernel's and IF stays set whatever a frame says. */
#include <uk/arch.h>
#include <uk/x86_64.h>

struct sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate, reserved[8];
};
struct ucontext {
	uint64_t flags, link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct sigcontext mc;
	uint64_t sigmask;
};
struct rt_sigframe {
	uint64_t pretcode;
	struct ucontext uc;
	uint8_t info[128];
};
_Static_assert(sizeof(struct sigcontext) == 256 && sizeof(struct ucontext) == 304, "Linux's layout");

#define UC_FP_XSTATE 1
#define UC_SIGCONTEXT_SS 2
#define UC_STRICT_RESTORE_SS 4
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define RED_ZONE 128
/* What a frame may change in RFLAGS: the status flags, TF, DF, OF, AC (Linux's FIX_EFLAGS). */
#define USER_FLAGS 0x40dd5UL
#define RFLAGS_IF 0x200UL

static uint64_t xcr0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* Linux's struct _fpx_sw_bytes in the FXSAVE area's software-reserved bytes (464..511): a
 * reader finds the XSAVE state's size and features there, and MAGIC2 right after it. */
static void fpu_mark(uint8_t *fp, size_t size)
{
	uint32_t *sw = (uint32_t *)(fp + 464);

	if (!uk_arch_fpu_xsave())
		return;
	sw[0] = FP_XSTATE_MAGIC1;
	sw[1] = (uint32_t)size + 4;                 /* extended_size */
	*(uint64_t *)&sw[2] = xcr0();               /* xfeatures */
	sw[4] = (uint32_t)size;                     /* xstate_size */
	*(uint32_t *)(fp + size) = FP_XSTATE_MAGIC2;
}

static void save_regs(struct sigcontext *mc, const struct uk_regs *r)
{
	*mc = (struct sigcontext){ .r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11, .r12 = r->r12,
				   .r13 = r->r13, .r14 = r->r14, .r15 = r->r15, .rdi = r->rdi, .rsi = r->rsi,
				   .rbp = r->rbp, .rbx = r->rbx, .rdx = r->rdx, .rax = r->rax, .rcx = r->rcx,
				   .rsp = r->rsp, .rip = r->rip, .eflags = r->rflags, .cs = (uint16_t)r->cs,
				   .ss = (uint16_t)r->ss };
	if (r->vector < 32) { /* a CPU exception */
		mc->trapno = r->vector;
		mc->err = r->error;
		if (r->vector == 14)
			mc->cr2 = uk_arch_x86_64_fault_addr(); /* CR2, or the host signal's address on spt */
	}
}

int uk_arch_signal_push(struct uk_regs *r, const struct uk_arch_signal *s)
{
	size_t fsize = uk_arch_fpu_size();
	uintptr_t top = s->stack_top ? s->stack_top : r->rsp - RED_ZONE;
	uintptr_t fp = (top - fsize - 4) & ~63UL;
	struct rt_sigframe *f = (struct rt_sigframe *)(((fp - sizeof(*f)) & ~15UL) - 8);

	if ((uintptr_t)f < UK_PAGE_SIZE || (uintptr_t)f > top)
		return -1;
	uk_arch_fpu_save((void *)fp);
	fpu_mark((uint8_t *)fp, fsize);
	f->pretcode = s->restorer;
	f->uc = (struct ucontext){ .flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (uk_arch_fpu_xsave() ? UC_FP_XSTATE : 0),
				   .ss_sp = s->ss_sp, .ss_flags = s->ss_flags, .ss_size = s->ss_size, .sigmask = s->mask };
	save_regs(&f->uc.mc, r);
	f->uc.mc.oldmask = s->mask;
	f->uc.mc.fpstate = fp;
	for (int i = 0; i < 128; i++)
		f->info[i] = ((const uint8_t *)s->info)[i];
	r->rip = s->handler;
	r->rsp = (uint64_t)f;
	r->rdi = (uint64_t)s->signo;
	r->rsi = (uint64_t)f->info;
	r->rdx = (uint64_t)&f->uc;
	r->rax = 0;
	r->rflags &= ~(0x100UL | 0x400UL | 0x40000UL); /* TF, DF, AC clear, as a handler expects */
	return 0;
}

/* An FPU image is restorable when aligned, with no reserved MXCSR bit set and, for XSAVE, no
 * feature beyond XCR0 and a standard-form header: anything else would fault in the kernel. */
static bool fpu_valid(uintptr_t fp)
{
	if (fp & 63)
		return false;
	if (*(const uint32_t *)(fp + 24) & 0xffff0000u)
		return false;
	if (!uk_arch_fpu_xsave())
		return true;
	const uint64_t *hdr = (const uint64_t *)(fp + 512);
	if (hdr[0] & ~xcr0() || hdr[1])
		return false;
	for (int i = 2; i < 8; i++)
		if (hdr[i])
			return false;
	return true;
}

static void load_regs(struct uk_regs *r, const struct sigcontext *mc)
{
	r->r8 = mc->r8, r->r9 = mc->r9, r->r10 = mc->r10, r->r11 = mc->r11;
	r->r12 = mc->r12, r->r13 = mc->r13, r->r14 = mc->r14, r->r15 = mc->r15;
	r->rdi = mc->rdi, r->rsi = mc->rsi, r->rbp = mc->rbp, r->rbx = mc->rbx;
	r->rdx = mc->rdx, r->rax = mc->rax, r->rcx = mc->rcx, r->rsp = mc->rsp, r->rip = mc->rip;
	r->rflags = (r->rflags & ~USER_FLAGS) | (mc->eflags & USER_FLAGS) | RFLAGS_IF;
}

/* The handler's `ret` popped pretcode: the frame starts 8 bytes below the sp of rt_sigreturn. */
int uk_arch_signal_return(struct uk_regs *r, uint64_t *mask, uintptr_t *ss_sp, uint64_t *ss_size, int *ss_flags)
{
	const struct rt_sigframe *f = (const struct rt_sigframe *)(r->rsp - 8);
	const struct ucontext *uc = &f->uc;

	if (r->rsp < UK_PAGE_SIZE || (uc->mc.fpstate && !fpu_valid(uc->mc.fpstate)))
		return -1;
	if (uc->mc.fpstate) /* NULL: the handler dropped it, the state stays as it is */
		uk_arch_fpu_restore((const void *)uc->mc.fpstate);
	load_regs(r, &uc->mc);
	*mask = uc->sigmask;
	*ss_sp = uc->ss_sp;
	*ss_size = uc->ss_size;
	*ss_flags = uc->ss_flags;
	return 0;
}

long uk_arch_frame_syscall(const struct uk_regs *r, long *result)
{
	*result = (long)r->rax;
	return r->vector == UK_X86_64_SYSCALL_VECTOR ? (long)r->error : -1;
}

/* The entry kept the number in the error slot; `syscall` is two bytes (0f 05). */
void uk_arch_syscall_restart(struct uk_regs *r)
{
	r->rax = r->error;
	r->rip -= 2;
}
