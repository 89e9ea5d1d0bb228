/* Signals (posix-process): handlers and the mask are recorded and reported back. A signal sent
 * to ourselves runs its handler, is ignored, or ends the program with status 128+sig as a shell
 * shows for a killed process (abort() relies on this: musl's a_crash() would halt the CPU).
 * With processes (lib/proc) the dispositions are per process (it swaps this state), kill to
 * another process or a group goes there, and a fatal signal ends only this process. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/posix-process.h>
#include <uk/link.h>
#include <uk/proc.h>

UK_OPTIONAL(uk_proc_kill);
UK_OPTIONAL(uk_proc_killed);
UK_OPTIONAL(uk_proc_getpid);

#define SIG_DFL 0
#define SIG_IGN 1
#define SA_SIGINFO 4

struct k_sigaction {
	uintptr_t handler;
	unsigned long flags;
	uintptr_t restorer;
	uint64_t mask;
};

static struct sigstate {
	struct k_sigaction act[UK_NSIG + 1];
	uint64_t mask;
	uint64_t pending;     /* posted by another process (SIGCHLD): run at the next sigsuspend */
} st;
#define actions (st.act)
#define blocked (st.mask)

/* For processes: this process's signal state, to save and restore whole. */
void *uk_posix_process_sigstate(unsigned long *size)
{
	*size = sizeof(st);
	return &st;
}

/* execve: caught signals go back to their default action; ignored ones stay ignored. */
void uk_posix_process_sig_exec(void)
{
	for (int i = 1; i <= UK_NSIG; i++)
		if (actions[i].handler != SIG_IGN)
			actions[i] = (struct k_sigaction){ 0 };
}

static bool ignored_by_default(long sig);

void uk_posix_process_sig_post(void *saved, int sig)
{
	((struct sigstate *)saved)->pending |= 1ULL << (sig - 1);
}

/* What `sig` does to a process with saved state `s`: 0 nothing, 1 terminate it, 2 a handler. */
int uk_posix_process_sig_effect(const void *saved, int sig)
{
	const struct sigstate *s = saved;
	uintptr_t h = s->act[sig].handler;

	if (sig == 9 || sig == 19)
		return 1;
	if (h == SIG_IGN || (h == SIG_DFL && ignored_by_default(sig)))
		return 0;
	return h == SIG_DFL ? 1 : 2;
}

UK_SYSCALL(rt_sigaction)
{
	long sig = a0;
	const struct k_sigaction *act = (const void *)a1;
	struct k_sigaction *old = (void *)a2;

	if (sig < 1 || sig > UK_NSIG || ((sig == 9 || sig == 19) && act))
		return -EINVAL;
	if (old)
		*old = actions[sig];
	if (act)
		actions[sig] = *act;
	return 0;
}

UK_SYSCALL(rt_sigprocmask)
{
	const uint64_t *set = (const void *)a1;
	uint64_t *old = (void *)a2;

	if (old)
		*old = blocked;
	if (!set)
		return 0;
	switch (a0) {
	case 0: blocked |= *set; break;   /* SIG_BLOCK */
	case 1: blocked &= ~*set; break;  /* SIG_UNBLOCK */
	case 2: blocked = *set; break;    /* SIG_SETMASK */
	default: return -EINVAL;
	}
	return 0;
}

static bool ignored_by_default(long sig) { return sig == 17 || sig == 23 || sig == 28; } /* CHLD URG WINCH */

static long deliver(long sig)
{
	if (sig == 0)
		return 0;
	if (sig < 1 || sig > UK_NSIG)
		return -EINVAL;
	uintptr_t h = actions[sig].handler;
	if (h == SIG_IGN || (h == SIG_DFL && ignored_by_default(sig)))
		return 0;
	if (h == SIG_DFL || (sig == 9 || sig == 19)) {
		uk_core_log(UK_LOG_WARN, "program killed by signal %ld", sig);
		if (uk_proc_killed)
			uk_proc_killed((int)sig);
		uk_plat_exit(128 + (int)sig);
	}
	if (actions[sig].flags & SA_SIGINFO)
		((void (*)(int, void *, void *))h)((int)sig, NULL, NULL);
	else
		((void (*)(int))h)((int)sig);
	return 0;
}

static long self_pid(void) { return uk_proc_getpid ? uk_proc_getpid() : UK_PID; }
static bool is_self(long pid) { return pid == self_pid() || (!uk_proc_kill && (pid == 0 || pid == -1)); }

/* This process's own signal (also what lib/proc calls for a kill that includes it). */
long uk_posix_process_signal_self(int sig) { return deliver(sig); }

UK_SYSCALL(kill)
{
	long pid = (int)a0; /* pid_t */

	if (is_self(pid))
		return deliver(a1);
	return uk_proc_kill ? uk_proc_kill(pid, (int)a1) : -ESRCH;
}
UK_SYSCALL(tkill) { return (int)a0 == self_pid() ? deliver(a1) : -ESRCH; }
UK_SYSCALL(tgkill) { return is_self((int)a0) && (int)a1 == self_pid() ? deliver(a2) : -ESRCH; }

const char uk_posix_process_sigsuspend_what[] = "a signal (sigsuspend)";

/* Wait until a signal posted by another process arrives (the only kind that can arrive while
 * waiting here), then run its handler: what a shell waiting for SIGCHLD needs. */
UK_SYSCALL(rt_sigsuspend)
{
	uint64_t mask = a0 ? *(const uint64_t *)a0 : 0;

	for (;;) {
		uint64_t ready = st.pending & ~mask;
		if (ready) {
			int sig = __builtin_ctzll(ready) + 1;
			st.pending &= ~(1ULL << (sig - 1));
			deliver(sig);
			return -EINTR;
		}
		if (uk_core_thread_alone())
			return -EINTR; /* nothing could ever post one */
		uk_core_thread_block(0, uk_posix_process_sigsuspend_what);
	}
}
