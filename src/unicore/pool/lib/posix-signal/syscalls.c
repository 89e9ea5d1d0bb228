/* Signal syscalls (posix-signal): actions, masks, pending sets, waiting for signals, the
 * alternate stack, rt_sigreturn, and sending (kill, tkill, tgkill, rt_[tg]sigqueueinfo). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/wait.h>
#include <uk/posix-process.h>
#include <uk/proc.h>
#include "signal_priv.h"

#define SIGSET_SIZE 8
#define NS 1000000000LL

struct timespec64 {
	int64_t tv_sec, tv_nsec;
};

static bool bad_signal(long sig) { return sig < 1 || sig > UK_SIGNALS; }

UK_SYSCALL(rt_sigaction)
{
	const struct k_sigaction *act = (const void *)a1;
	struct k_sigaction *old = (void *)a2;
	struct k_sigaction *cur = &uk_posix_signal_proc.actions[a0 < 1 || a0 > UK_SIGNALS ? 0 : a0];

	if (bad_signal(a0) || a3 != SIGSET_SIZE || ((a0 == UK_SIGKILL || a0 == UK_SIGSTOP) && act))
		return -EINVAL;
	if (old)
		*old = *cur;
	if (act) {
		*cur = *act;
		cur->mask &= ~UNBLOCKABLE;
		if (uk_posix_signal_ignored((int)a0)) /* POSIX: a pending signal now ignored is dropped */
			uk_posix_signal_drop((int)a0);
	}
	return 0;
}

UK_SYSCALL(rt_sigprocmask)
{
	struct uk_posix_signal_thread *st = uk_posix_signal_self();
	const uint64_t *set = (const void *)a1;
	uint64_t *old = (void *)a2, was = st->blocked;

	if (a3 != SIGSET_SIZE)
		return -EINVAL;
	if (set) {
		switch (a0) {
		case 0: st->blocked |= *set; break;   /* SIG_BLOCK */
		case 1: st->blocked &= ~*set; break;  /* SIG_UNBLOCK */
		case 2: st->blocked = *set; break;    /* SIG_SETMASK */
		default: return -EINVAL;
		}
		st->blocked &= ~UNBLOCKABLE;
	}
	if (old)
		*old = was;
	return 0;
}

UK_SYSCALL(rt_sigpending)
{
	struct uk_posix_signal_thread *st = uk_posix_signal_self();

	if (a1 != SIGSET_SIZE)
		return -EINVAL;
	*(uint64_t *)a0 = (st->pending | uk_posix_signal_proc.pending) & st->blocked;
	return 0;
}

/* Wait until a signal the thread takes is pending (it is delivered on the way out). */
static long wait_for_signal(uint64_t deadline, const char *what)
{
	struct uk_posix_signal_thread *st = uk_posix_signal_self();

	st->no_restart = true;
	while (!uk_posix_signal_interrupts())
		if (uk_core_thread_block(deadline, what) == UK_WAKE_TIMEOUT)
			return -EAGAIN;
	return -EINTR;
}

UK_SYSCALL(rt_sigsuspend)
{
	if (a1 != SIGSET_SIZE)
		return -EINVAL;
	uk_posix_signal_mask_during(*(const uint64_t *)a0);
	return wait_for_signal(0, "a signal (sigsuspend)");
}

UK_SYSCALL(pause) { return wait_for_signal(0, "a signal (pause)"); }

static int64_t timeout_deadline(const struct timespec64 *ts)
{
	if (!ts)
		return 0;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NS)
		return -1;
	return (int64_t)(uk_plat_monotonic_ns() + (uint64_t)ts->tv_sec * NS + (uint64_t)ts->tv_nsec);
}

/* sigtimedwait: the signals of `set` are unblocked while it waits, so that sending one wakes it;
 * it takes one of them (its number), or another signal interrupts it (EINTR), or time runs out. */
UK_SYSCALL(rt_sigtimedwait)
{
	struct uk_posix_signal_thread *st = uk_posix_signal_self();
	struct uk_posix_signal_info info, *out = (void *)a1;
	uint64_t set = *(const uint64_t *)a0 & ~UNBLOCKABLE, was = st->blocked;
	int64_t deadline = timeout_deadline((const void *)a2);
	long ret = 0;

	if (a3 != SIGSET_SIZE || deadline < 0)
		return -EINVAL;
	st->blocked &= ~set;
	while (!uk_posix_signal_take(st, set, &info)) {
		if (a2 && deadline <= (int64_t)uk_plat_monotonic_ns()) {
			ret = -EAGAIN;
			break;
		}
		if (uk_posix_signal_interrupts() && !((st->pending | uk_posix_signal_proc.pending) & set)) {
			ret = -EINTR;
			break;
		}
		uk_core_thread_block(a2 ? (uint64_t)deadline : 0, "a signal (sigtimedwait)");
	}
	st->blocked = was;
	st->no_restart = true;
	if (ret)
		return ret;
	if (out)
		*out = info;
	return info.signo;
}

UK_SYSCALL(sigaltstack)
{
	struct uk_posix_signal_thread *st = uk_posix_signal_self();
	struct stack { uintptr_t sp; int flags; uint64_t size; } *old = (void *)a1;
	const struct stack *ss = (const void *)a0;
	uintptr_t sp = uk_arch_regs_sp(uk_arch_syscall_regs());
	bool on = st->ss_size && sp > st->ss_sp && sp <= st->ss_sp + st->ss_size;

	if (old)
		*old = (struct stack){ st->ss_sp, st->ss_size ? (on ? SS_ONSTACK : 0) | (int)(st->ss_flags & SS_AUTODISARM) : SS_DISABLE,
				       st->ss_size };
	if (!ss)
		return 0;
	if (on)
		return -EPERM;
	if (ss->flags & SS_DISABLE) {
		st->ss_sp = 0, st->ss_size = 0, st->ss_flags = SS_DISABLE;
		return 0;
	}
	if (ss->flags & ~(int)SS_AUTODISARM)
		return -EINVAL;
	if (ss->size < 2048) /* MINSIGSTKSZ */
		return -ENOMEM;
	st->ss_sp = ss->sp, st->ss_size = ss->size, st->ss_flags = ss->flags;
	return 0;
}

/* Back from a handler: the interrupted registers, FPU state, mask and alternate stack. */
UK_SYSCALL(rt_sigreturn)
{
	struct uk_posix_signal_thread *st = uk_posix_signal_self();
	struct uk_regs *r = uk_arch_syscall_regs();
	uintptr_t ss_sp;
	uint64_t mask, ss_size;
	int ss_flags;

	if (uk_arch_signal_return(r, &mask, &ss_sp, &ss_size, &ss_flags) < 0) {
		uk_core_printk("unicore: rt_sigreturn found a corrupt signal frame\n");
		uk_posix_signal_default(UK_SIGSEGV);
	}
	st->blocked = mask & ~UNBLOCKABLE;
	if (!(ss_flags & SS_DISABLE) && ss_size >= 2048)
		st->ss_sp = ss_sp, st->ss_size = ss_size, st->ss_flags = ss_flags & (int)SS_AUTODISARM;
	st->no_restart = true; /* the frame's result is final */
	long result;
	uk_arch_frame_syscall(r, &result);
	return result; /* the entry stores it in the frame again */
}

/* With processes (lib/proc) another pid, a group or all go there; it reports whether the
 * caller is among the targets. Without, the one process is pid 1, its group and all. */
UK_OPTIONAL(uk_proc_kill);

static bool is_self(long pid)
{
	return pid == uk_posix_signal_pid() || (!uk_proc_kill && (pid == 0 || pid == -1));
}

static long send(int pid, int tid, long sig, int code, const struct uk_posix_signal_info *user)
{
	struct uk_posix_signal_info info;

	if (sig == 0) /* only whether the target exists */
		return pid != uk_posix_signal_pid() || (tid && !uk_posix_signal_of_tid(tid)) ? -ESRCH : 0;
	if (bad_signal(sig))
		return -EINVAL;
	if (user)
		info = *user;
	else
		uk_posix_signal_info_init(&info, (int)sig, code);
	return uk_posix_signal_send(pid, tid, (int)sig, &info);
}

static long kill_to(long pid, long sig, const struct uk_posix_signal_info *user)
{
	int code = user ? 0 : UK_SI_USER;

	if (is_self(pid) || !uk_proc_kill)
		return send(is_self(pid) ? uk_posix_signal_pid() : (int)pid, 0, sig, code, user);
	if (bad_signal(sig) && sig)
		return -EINVAL;
	long r = uk_proc_kill(pid, (int)sig);
	return r == 1 ? send(uk_posix_signal_pid(), 0, sig, code, user) : r;
}

UK_SYSCALL(kill) { return kill_to((int)a0, a1, NULL); }
UK_SYSCALL(tkill) { return (int)a0 <= 0 ? -EINVAL : send(uk_posix_signal_pid(), (int)a0, a1, UK_SI_TKILL, NULL); }
UK_SYSCALL(tgkill) { return (int)a0 <= 0 || (int)a1 <= 0 ? -EINVAL : send((int)a0, (int)a1, a2, UK_SI_TKILL, NULL); }
UK_SYSCALL(rt_sigqueueinfo) { return kill_to((int)a0, a1, (const void *)a2); }
UK_SYSCALL(rt_tgsigqueueinfo) { return send((int)a0, (int)a1, a2, 0, (const void *)a3); }
