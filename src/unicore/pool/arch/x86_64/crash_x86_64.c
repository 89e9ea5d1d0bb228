/* Crash report hooks (x86_64): what an exception was, the registers and one frame-pointer
 * step, for core's report (lib/core/crash.c). The trap stubs (traps_x86_64.S) call
 * uk_arch_trap with the register frame; it hands over to core. */
#include <uk/arch.h>
#include <uk/x86_64.h>

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
	"device not available", "double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection fault", "page fault", "reserved",
	"x87 FPU error", "alignment check", "machine check", "SIMD FP exception", "virtualization",
	"control protection",
};

/* The Linux signal a process would have received for this vector (exit status 128+sig). */
static int signal_of(uint64_t vector)
{
	switch (vector) {
	case 0: case 16: case 19: return 8;	/* SIGFPE */
	case 1: case 3: return 5;		/* SIGTRAP */
	case 6: return 4;			/* SIGILL */
	case 17: return 7;			/* SIGBUS */
	default: return 11;			/* SIGSEGV */
	}
}

static const char *page_fault_access(uint64_t error)
{
	if (error & 16)
		return (error & 1) ? "protection violation on instruction fetch at" : "unmapped instruction fetch at";
	if (error & 2)
		return (error & 1) ? "protection violation on write to" : "unmapped write to";
	return (error & 1) ? "protection violation on read from" : "unmapped read from";
}

void uk_arch_fault_describe(const struct uk_regs *r, struct uk_arch_fault *f)
{
	*f = (struct uk_arch_fault){ r->vector < 32 && names[r->vector] ? names[r->vector] : "exception", r->vector,
				     r->error, signal_of(r->vector), "rip", r->rip, r->rsp, r->rbp, NULL, 0, 0 };
	if (r->vector == 14) {
		f->addr = uk_arch_x86_64_fault_addr();
		f->access = page_fault_access(r->error);
	}
}

#define FULL(reg) { #reg, r->reg, true }

int uk_arch_regs(const struct uk_regs *r, struct uk_arch_reg *out, int max)
{
	const struct uk_arch_reg regs[] = {
		FULL(rax), FULL(rbx), FULL(rcx), FULL(rdx), FULL(rsi), FULL(rdi), FULL(rbp), FULL(rsp),
		FULL(r8), FULL(r9), FULL(r10), FULL(r11), FULL(r12), FULL(r13), FULL(r14), FULL(r15),
		{ "rflags", r->rflags, false }, { "cs", r->cs, false }, { "fs.base", uk_arch_get_tls(), false },
	};
	int n = 0;

	for (; n < max && n < (int)(sizeof(regs) / sizeof(regs[0])); n++)
		out[n] = regs[n];
	return n;
}

/* The x86_64 frame: [fp] = the caller's rbp, [fp + 8] = the return address. */
uintptr_t uk_arch_frame_caller(uintptr_t fp, uintptr_t *ret)
{
	*ret = ((const uintptr_t *)fp)[1];
	return ((const uintptr_t *)fp)[0];
}

/* A fault of the program (no syscall in progress) may go to its signal handler. */
void uk_arch_trap(struct uk_regs *r)
{
	if (uk_arch_syscall_depth == 0 && uk_core_trap_signal(r))
		return;
	uk_core_trap(r);
}
