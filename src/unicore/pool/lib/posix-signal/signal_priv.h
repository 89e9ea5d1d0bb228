/* posix-signal's own state, shared by its sources: the process's actions and pending set, each
 * thread's mask, pending set and alternate stack. */
#ifndef POSIX_SIGNAL_PRIV_H
#define POSIX_SIGNAL_PRIV_H
#include <stdbool.h>
#include <stdint.h>
#include <uk/posix-signal.h>

#define SIG_DFL 0
#define SIG_IGN 1
#define SA_SIGINFO 0x4
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define BIT(sig) (1ULL << ((sig) - 1))
#define UNBLOCKABLE (BIT(UK_SIGKILL) | BIT(UK_SIGSTOP))

struct k_sigaction { /* the kernel's struct sigaction (rt_sigaction) */
	uintptr_t handler;
	unsigned long flags;
	uintptr_t restorer;
	uint64_t mask;
};

struct uk_posix_signal_thread {
	uint64_t blocked, pending;
	uint64_t saved_mask;          /* sigsuspend/ppoll: the mask back at the return */
	bool restore_mask, no_restart;
	uintptr_t ss_sp;              /* sigaltstack */
	uint64_t ss_size;
	int ss_flags;
	void *thread;                 /* uk_core_thread_current() of it */
	int tid;
	struct uk_posix_signal_info info[UK_SIGNALS];
};

struct uk_posix_signal_process {
	struct k_sigaction actions[UK_SIGNALS + 1];
	uint64_t pending;
	struct uk_posix_signal_info info[UK_SIGNALS];
};

extern struct uk_posix_signal_process uk_posix_signal_proc;
struct uk_posix_signal_thread *uk_posix_signal_self(void);
struct uk_posix_signal_thread *uk_posix_signal_of_tid(int tid);   /* NULL: no such thread */
bool uk_posix_signal_ignored(int sig);                           /* its action drops it */
void uk_posix_signal_drop(int sig);                              /* forget it everywhere */
bool uk_posix_signal_take(struct uk_posix_signal_thread *st, uint64_t set, struct uk_posix_signal_info *info);
void uk_posix_signal_default(int sig);                           /* its default action */
void uk_posix_signal_info_init(struct uk_posix_signal_info *i, int sig, int code);
int uk_posix_signal_pid(void);                                   /* the running process's */
#endif
