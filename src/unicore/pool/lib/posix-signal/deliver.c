/* Delivery (posix-signal): on the way back to the program a thread takes the signals it does
 * not block, lowest first: a handler gets a signal frame (and the syscall it interrupted ends
 * with EINTR or, for SA_RESTART, runs again after it), else the default action applies. A CPU
 * fault in the program goes straight to its handler when one is installed and not blocked;
 * otherwise the crash report follows, as a process would dump core. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/posix-process.h>
#include "signal_priv.h"

static bool on_altstack(const struct uk_posix_signal_thread *st, uintptr_t sp)
{
	return st->ss_size && sp > st->ss_sp && sp <= st->ss_sp + st->ss_size;
}

/* uc_stack as Linux fills it: the alternate stack, SS_ONSTACK when the handler was on it. */
static int altstack_flags(const struct uk_posix_signal_thread *st, uintptr_t sp)
{
	if (!st->ss_size)
		return SS_DISABLE;
	return (on_altstack(st, sp) ? SS_ONSTACK : 0) | (int)(st->ss_flags & SS_AUTODISARM);
}

static void end_interrupted_syscall(struct uk_posix_signal_thread *st, struct uk_regs *r, unsigned long flags)
{
	long result;

	if (uk_arch_frame_syscall(r, &result) < 0 || result != -EINTR || st->no_restart)
		return;
	if (flags & SA_RESTART)
		uk_arch_syscall_restart(r);
}

/* A frame for the handler of sig; 0, -1 when the stack cannot take it. */
static int run_handler(struct uk_posix_signal_thread *st, struct uk_regs *r, int sig,
		       const struct uk_posix_signal_info *info)
{
	struct k_sigaction *a = &uk_posix_signal_proc.actions[sig];
	uint64_t old = st->restore_mask ? st->saved_mask : st->blocked;
	bool alt = (a->flags & SA_ONSTACK) && st->ss_size && !on_altstack(st, uk_arch_regs_sp(r));
	struct uk_arch_signal s = { sig, info, a->handler, a->restorer, old, alt ? st->ss_sp + st->ss_size : 0,
				    st->ss_sp, st->ss_size, altstack_flags(st, uk_arch_regs_sp(r)) };

	end_interrupted_syscall(st, r, a->flags);
	if (uk_arch_signal_push(r, &s) < 0)
		return -1;
	if (alt && (st->ss_flags & SS_AUTODISARM))
		st->ss_size = 0, st->ss_sp = 0, st->ss_flags = SS_DISABLE;
	st->restore_mask = false;
	st->blocked |= (a->mask | ((a->flags & SA_NODEFER) ? 0 : BIT(sig))) & ~UNBLOCKABLE;
	if (a->flags & SA_RESETHAND)
		*a = (struct k_sigaction){ 0 };
	return 0;
}

static _Noreturn void no_frame(int sig)
{
	uk_core_printk("unicore: no room on the stack for the handler of signal %d\n", sig);
	uk_posix_signal_default(UK_SIGSEGV);
	uk_plat_exit(128 + UK_SIGSEGV);
}

void uk_posix_signal_return_hook(struct uk_regs *r)
{
	struct uk_posix_signal_thread *st = uk_posix_signal_self();
	struct uk_posix_signal_info info;

	while (uk_posix_signal_take(st, ~st->blocked, &info)) {
		uintptr_t h = uk_posix_signal_proc.actions[info.signo].handler;
		if (h == SIG_IGN && info.signo != UK_SIGKILL)
			continue;
		if (h == SIG_DFL || info.signo == UK_SIGKILL || info.signo == UK_SIGSTOP)
			uk_posix_signal_default(info.signo);
		else if (run_handler(st, r, info.signo, &info) < 0)
			no_frame(info.signo);
	}
	if (st->restore_mask)
		st->blocked = st->saved_mask;
	st->restore_mask = st->no_restart = false;
}

static int fault_code(const struct uk_arch_fault *f)
{
	switch (f->signal) {
	case UK_SIGSEGV: return !f->access ? UK_SI_KERNEL : (f->error & 1) ? 2 : 1; /* SEGV_ACCERR : SEGV_MAPERR */
	case UK_SIGFPE: return 1;  /* FPE_INTDIV */
	case UK_SIGILL: return 2;  /* ILL_ILLOPN */
	case UK_SIGBUS: return 1;  /* BUS_ADRALN */
	default: return UK_SI_KERNEL;
	}
}

/* A fault of the program: its handler when one is installed and the signal is not blocked
 * (a blocked or ignored fault kills, as Linux forces it). */
int uk_posix_signal_fault(struct uk_regs *r, const struct uk_arch_fault *f)
{
	struct uk_posix_signal_thread *st = uk_posix_signal_self();
	struct uk_posix_signal_info info;
	int sig = f->signal;

	if (sig < 1 || sig > UK_SIGNALS || (st->blocked & BIT(sig)) ||
	    uk_posix_signal_proc.actions[sig].handler <= SIG_IGN)
		return 0;
	uk_posix_signal_info_init(&info, sig, fault_code(f));
	info.u.fault.addr = f->access ? f->addr : f->pc;
	return run_handler(st, r, sig, &info) == 0;
}
