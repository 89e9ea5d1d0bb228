/* Signals (posix-signal): sending, the choice of thread, and delivery. A signal is pending on a
 * thread (tgkill, faults, SIGPIPE) or on the process (kill, timers); a thread takes what it does
 * not block on its way back to the program (after a syscall, an interrupt, its start): the
 * handler runs on a Linux signal frame (uk_arch_signal_push), or the default action applies. A
 * thread waiting in a syscall is woken (the wait returns EINTR; with SA_RESTART the syscall runs
 * again after the handler, unless it is one Linux never restarts: sleeps, poll, sigsuspend). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/sched.h>
#include <uk/wait.h>
#include <uk/posix-process.h>
#include <uk/proc.h>
#include "signal_priv.h"

UK_OPTIONAL(uk_proc_getpid);  /* with processes (lib/proc): this state is per process, it swaps it */
UK_OPTIONAL(uk_proc_killed);
UK_OPTIONAL(uk_sched_self);
UK_OPTIONAL(uk_sched_find);
UK_OPTIONAL(uk_sched_threads);

struct uk_posix_signal_process uk_posix_signal_proc;
static struct uk_posix_signal_thread only; /* without the sched library: the one thread */

int uk_posix_signal_pid(void) { return uk_proc_getpid ? (int)uk_proc_getpid() : UK_PID; }

/* A thread of the running process (all are, without processes). */
static bool ours(const struct uk_thread *t)
{
	return !uk_sched_self || t->proc == ((struct uk_thread *)uk_sched_self())->proc;
}

static struct uk_posix_signal_thread *state_of(struct uk_thread *t)
{
	if (!t->signals) {
		if (!(t->signals = uk_core_zalloc(sizeof(*t->signals))))
			uk_core_panic("out of memory for a thread's signal state");
		t->signals->thread = t;
		t->signals->tid = t->tid;
	}
	return t->signals;
}

struct uk_posix_signal_thread *uk_posix_signal_self(void)
{
	if (uk_sched_self)
		return state_of(uk_sched_self());
	only.thread = uk_core_thread_current();
	only.tid = uk_posix_signal_pid();
	return &only;
}

struct uk_posix_signal_thread *uk_posix_signal_of_tid(int tid)
{
	if (!uk_sched_find)
		return tid == UK_PID ? uk_posix_signal_self() : NULL;
	struct uk_thread *t = uk_sched_find(tid);
	return t ? state_of(t) : NULL;
}

void uk_posix_signal_thread_start(struct uk_thread *child, struct uk_thread *parent)
{
	state_of(child)->blocked = state_of(parent)->blocked;
}

void uk_posix_signal_thread_end(struct uk_thread *t)
{
	uk_core_free(t->signals);
	t->signals = NULL;
}

enum action { TERMINATE, CORE, IGNORE, STOP };

static enum action default_action(int sig)
{
	switch (sig) {
	case 3: case 4: case 5: case 6: case 7: case 8: case 11: case 24: case 25: case 31:
		return CORE;
	case 17: case 18: case 23: case 28:
		return IGNORE;
	case 19: case 20: case 21: case 22:
		return STOP;
	default:
		return TERMINATE;
	}
}

bool uk_posix_signal_ignored(int sig)
{
	uintptr_t h = uk_posix_signal_proc.actions[sig].handler;

	if (sig == UK_SIGKILL || sig == UK_SIGSTOP)
		return false;
	return h == SIG_IGN || (h == SIG_DFL && default_action(sig) == IGNORE);
}

void uk_posix_signal_info_init(struct uk_posix_signal_info *i, int sig, int code)
{
	*i = (struct uk_posix_signal_info){ .signo = sig, .code = code };
	if (code == UK_SI_USER || code == UK_SI_TKILL)
		i->u.kill.pid = uk_posix_signal_pid();
}

static void wake(struct uk_posix_signal_thread *st) { uk_core_thread_wake(st->thread, UK_WAKE_SIGNAL); }

static void queue(uint64_t *pending, struct uk_posix_signal_info *slot, int sig, const struct uk_posix_signal_info *info)
{
	if (*pending & BIT(sig))
		return; /* one instance of each (real-time ones are not queued twice) */
	*pending |= BIT(sig);
	if (info)
		*slot = *info;
	else
		uk_posix_signal_info_init(slot, sig, UK_SI_KERNEL);
	slot->signo = sig;
}

/* A process-directed signal goes to the running thread if it takes it, else to the first that
 * does not block it; when all block it, it stays pending until one unblocks it. */
static void wake_taker(int sig)
{
	struct uk_posix_signal_thread *self = uk_posix_signal_self();

	if (!(self->blocked & BIT(sig)) || !uk_sched_self) {
		if (!(self->blocked & BIT(sig)))
			wake(self);
		return;
	}
	for (struct uk_thread *t = uk_sched_threads; t; t = t->all_next)
		if (t->state != UK_THREAD_DEAD && ours(t) && !(state_of(t)->blocked & BIT(sig))) {
			wake(state_of(t));
			return;
		}
}

static struct uk_waitq sent; /* signalfd readers and pollers */

struct uk_waitq *uk_posix_signal_sent_queue(void) { return &sent; }

uint64_t uk_posix_signal_pending_of(uint64_t set)
{
	return (uk_posix_signal_self()->pending | uk_posix_signal_proc.pending) & set;
}

bool uk_posix_signal_dequeue(uint64_t set, struct uk_posix_signal_info *out)
{
	return uk_posix_signal_take(uk_posix_signal_self(), set, out);
}

int uk_posix_signal_send(int pid, int tid, int sig, const struct uk_posix_signal_info *info)
{
	struct uk_posix_signal_process *p = &uk_posix_signal_proc;

	if (sig < 1 || sig > UK_SIGNALS)
		return -EINVAL;
	if (pid != uk_posix_signal_pid())
		return -ESRCH;
	struct uk_posix_signal_thread *st = tid == UK_POSIX_SIGNAL_SELF ? uk_posix_signal_self()
					    : tid ? uk_posix_signal_of_tid(tid) : NULL;
	if (tid && !st)
		return -ESRCH;
	if (uk_posix_signal_ignored(sig))
		return 0;
	if (st) {
		queue(&st->pending, &st->info[sig - 1], sig, info);
		if (!(st->blocked & BIT(sig)))
			wake(st);
	} else {
		queue(&p->pending, &p->info[sig - 1], sig, info);
		wake_taker(sig);
	}
	uk_core_waitq_wake_all(&sent);
	return 0;
}

static uint64_t deliverable(const struct uk_posix_signal_thread *st)
{
	return (st->pending | uk_posix_signal_proc.pending) & ~st->blocked;
}

bool uk_posix_signal_interrupts(void) { return deliverable(uk_posix_signal_self()) != 0; }

/* Take the lowest pending signal of `set`, the thread's own before the process's: its number. */
bool uk_posix_signal_take(struct uk_posix_signal_thread *st, uint64_t set, struct uk_posix_signal_info *info)
{
	struct uk_posix_signal_process *p = &uk_posix_signal_proc;
	uint64_t mine = st->pending & set, any = (st->pending | p->pending) & set;

	if (!any)
		return false;
	int sig = __builtin_ctzll(any) + 1;
	if (mine & BIT(sig)) {
		st->pending &= ~BIT(sig);
		*info = st->info[sig - 1];
	} else {
		p->pending &= ~BIT(sig);
		*info = p->info[sig - 1];
	}
	return true;
}

void uk_posix_signal_drop(int sig)
{
	uk_posix_signal_proc.pending &= ~BIT(sig);
	if (!uk_sched_self) {
		only.pending &= ~BIT(sig);
		return;
	}
	for (struct uk_thread *t = uk_sched_threads; t; t = t->all_next)
		if (t->signals && ours(t))
			t->signals->pending &= ~BIT(sig);
}

/* ---- processes (lib/proc) ---- */

void *uk_posix_signal_state(unsigned long *size)
{
	*size = sizeof(uk_posix_signal_proc);
	return &uk_posix_signal_proc;
}

/* execve: caught signals go back to their default action; ignored ones stay ignored, pending
 * ones stay pending, as on Linux. */
void uk_posix_signal_exec(void)
{
	for (int sig = 1; sig <= UK_SIGNALS; sig++)
		if (uk_posix_signal_proc.actions[sig].handler != SIG_IGN)
			uk_posix_signal_proc.actions[sig] = (struct k_sigaction){ 0 };
}

/* A signal for a process that is not running: its saved state, its live threads. It is pending
 * on the process (unless its action drops it) and wakes a thread that does not block it; that
 * thread takes it on its way back to the program. */
void uk_posix_signal_send_saved(void *saved, struct uk_thread *const *threads, int n, int sig,
				const struct uk_posix_signal_info *info)
{
	struct uk_posix_signal_process *p = saved;
	uintptr_t h = p->actions[sig].handler;

	if (sig != UK_SIGKILL && sig != UK_SIGSTOP && (h == SIG_IGN || (h == SIG_DFL && default_action(sig) == IGNORE)))
		return;
	queue(&p->pending, &p->info[sig - 1], sig, info);
	for (int i = 0; i < n; i++)
		if (!(state_of(threads[i])->blocked & BIT(sig)) || sig == UK_SIGKILL) {
			wake(state_of(threads[i]));
			return;
		}
}

void uk_posix_signal_no_restart(void) { uk_posix_signal_self()->no_restart = true; }

void uk_posix_signal_mask_during(uint64_t mask)
{
	struct uk_posix_signal_thread *st = uk_posix_signal_self();

	if (!st->restore_mask)
		st->saved_mask = st->blocked;
	st->restore_mask = true;
	st->blocked = mask & ~UNBLOCKABLE;
}
/* Default actions: the process ends with 128+sig as a shell reports a killed process (core
 * dumping ones alike: there is no core file); stopping is ignored, as nothing could continue
 * the one process. */
void uk_posix_signal_default(int sig)
{
	switch (default_action(sig)) {
	case IGNORE:
		return;
	case STOP:
		uk_core_log(UK_LOG_WARN, "signal %d would stop the program: ignored (nothing could continue it)", sig);
		return;
	default:
		uk_core_log(UK_LOG_WARN, "program killed by signal %d", sig);
		if (uk_proc_killed) /* this process only: the first one's end is the unikernel's */
			uk_proc_killed(sig);
		uk_plat_exit(128 + sig);
	}
}
