/* Exception dispatch (arm64): the C half of the vectors. A synchronous exception is a syscall
 * (svc #0: number in x8, arguments in x0-x5, result in x0; every other register preserved), a
 * page fault the memory library may resolve, a fault the program's signal handler takes, or a
 * crash (core's report); an interrupt goes to
 * the GIC (gic_arm64.c). After a syscall or an interrupt of the program, core may switch threads
 * or rewrite the frame (uk_core_return_to_program). */
#include <uk/arch.h>
#include <uk/arm64.h>
#include <uk/syscall.h>

#define EC_SVC64 0x15
#define EC_IABT_CUR 0x21
#define EC_DABT_CUR 0x25
#define SPSR_MODE_EL1T 0x4

uint64_t uk_arch_arm64_syscall_depth;
static struct uk_regs *syscall_regs;
struct uk_regs *uk_arch_syscall_regs(void) { return syscall_regs; }

void uk_arch_arm64_gic_irq(void);
void uk_arch_arm64_sync(struct uk_regs *r);
void uk_arch_arm64_irq(struct uk_regs *r);
_Noreturn void uk_arch_arm64_unexpected(struct uk_regs *r);

static bool from_program(const struct uk_regs *r) { return (r->pstate & 0xf) == SPSR_MODE_EL1T; }

static void syscall(struct uk_regs *r)
{
	long args[6] = { (long)r->x[0], (long)r->x[1], (long)r->x[2], (long)r->x[3], (long)r->x[4], (long)r->x[5] };
	struct uk_regs *outer = syscall_regs;

	uk_arch_arm64_syscall_depth++;
	syscall_regs = r;
	r->orig_x0 = r->x[0];
	r->x[0] = (uint64_t)uk_syscall_dispatch((long)r->x[8], args);
	syscall_regs = outer;
	if (--uk_arch_arm64_syscall_depth == 0 && from_program(r))
		uk_core_return_to_program(r);
}

/* Translation or permission fault (DFSC/IFSC 0b0001xx, 0b0011xx) as UK_ARCH_PF_* bits. */
static int page_fault(struct uk_regs *r, unsigned ec)
{
	unsigned fsc = r->esr & 0x3f;
	unsigned long error = 0;

	if ((fsc & 0x3c) != 0x04 && (fsc & 0x3c) != 0x0c)
		return 0;
	if ((fsc & 0x3c) == 0x0c)
		error |= UK_ARCH_PF_PRESENT;
	if (ec == EC_IABT_CUR)
		error |= UK_ARCH_PF_FETCH;
	else if (r->esr & (1 << 6)) /* WnR */
		error |= UK_ARCH_PF_WRITE;
	return uk_arch_page_fault && uk_arch_page_fault(r->far, error);
}

void uk_arch_arm64_sync(struct uk_regs *r)
{
	unsigned ec = (unsigned)(r->esr >> 26) & 0x3f;

	if (ec == EC_SVC64) {
		syscall(r);
		return;
	}
	if ((ec == EC_DABT_CUR || ec == EC_IABT_CUR) && page_fault(r, ec))
		return;
	/* a fault of the program (no syscall in progress) may go to its signal handler */
	if (from_program(r) && uk_arch_arm64_syscall_depth == 0 && uk_core_trap_signal(r))
		return;
	uk_core_trap(r);
}

void uk_arch_arm64_irq(struct uk_regs *r)
{
	uk_arch_arm64_gic_irq();
	if (from_program(r) && uk_arch_arm64_syscall_depth == 0)
		uk_core_return_to_program(r);
}

_Noreturn void uk_arch_arm64_unexpected(struct uk_regs *r) { uk_core_trap(r); }

int uk_arch_page_fault_resolve(unsigned long error) { return 0; } /* faults go through page_fault() */
int (*uk_arch_page_fault)(uintptr_t addr, unsigned long error);
