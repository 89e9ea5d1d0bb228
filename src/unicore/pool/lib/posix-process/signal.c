/* Signals (posix-process): handlers and the mask are recorded and reported back. A signal sent
 * to ourselves runs its handler, is ignored, or ends the program with status 128+sig as a shell
 * shows for a killed process (abort() relies on this: musl's a_crash() would halt the CPU). */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/posix-process.h>

#define SIG_DFL 0
#define SIG_IGN 1
#define SA_SIGINFO 4

struct k_sigaction {
	uintptr_t handler;
	unsigned long flags;
	uintptr_t restorer;
	uint64_t mask;
};

static struct k_sigaction actions[UK_NSIG + 1];
static uint64_t blocked;

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
		uk_plat_exit(128 + (int)sig);
	}
	if (actions[sig].flags & SA_SIGINFO)
		((void (*)(int, void *, void *))h)((int)sig, NULL, NULL);
	else
		((void (*)(int))h)((int)sig);
	return 0;
}

static bool is_self(long pid) { return pid == UK_PID || pid == 0 || pid == -1; }

UK_SYSCALL(kill) { return is_self(a0) ? deliver(a1) : -ESRCH; }
UK_SYSCALL(tkill) { return a0 == UK_PID ? deliver(a1) : -ESRCH; }
UK_SYSCALL(tgkill) { return is_self(a0) && a1 == UK_PID ? deliver(a2) : -ESRCH; }
