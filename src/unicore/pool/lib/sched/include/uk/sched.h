/* uk/sched.h: threads of the one process and their scheduler (sched). One CPU, round robin,
 * preempted by the platform's timer interrupt after a time slice when another thread is
 * runnable; a thread that blocks (uk/wait.h) lets the next one run, and with nothing to run
 * the CPU halts until an interrupt. */
#ifndef UK_SCHED_H
#define UK_SCHED_H
#include <stdbool.h>
#include <stdint.h>
#include <uk/arch.h>
#include <uk/wait.h>

enum uk_thread_state { UK_THREAD_RUNNING, UK_THREAD_RUNNABLE, UK_THREAD_BLOCKED, UK_THREAD_DEAD };

struct uk_thread {
	struct uk_arch_thread arch;
	int tid;
	enum uk_thread_state state;
	int wake_reason;              /* UK_WAKE_* of the last block */
	const char *waiting_for;      /* what it blocks on (deadlock report) */
	struct uk_thread *run_next;   /* run queue */
	struct uk_thread *all_next;   /* every thread, live or dead-not-reaped */
	int *clear_tid;               /* CLONE_CHILD_CLEARTID / set_tid_address */
	struct uk_timer timeout;
	void *kstack;                 /* pages: guard, FPU area, kernel stack */
	size_t kstack_pages;
	struct uk_posix_signal_thread *signals; /* posix-signal's state of it (NULL without that library) */
	void *proc;                   /* its process (lib/proc), NULL without processes */
	bool killed;                  /* its process is ending: it leaves on its way to the program */
};

extern struct uk_thread *uk_sched_current;
extern struct uk_thread *uk_sched_threads; /* list through all_next */
void uk_sched_reap(void);                  /* free the threads that died (not the running one) */
struct uk_thread *uk_sched_find(int tid);
int uk_sched_live_threads(void);
void uk_sched_enqueue(struct uk_thread *t);
void uk_sched_yield(void);
_Noreturn void uk_sched_leave(void);       /* the running thread is dead: run another */
/* The running thread ends (exit): the process ends with `status` when it was the last. */
_Noreturn void uk_sched_thread_exit(int status);
/* posix-process's thread syscalls */
long uk_sched_gettid(void);
long uk_sched_set_tid_address(int *tidptr);
/* core's uk_core_thread_* (uk/wait.h) use these when the image has threads */
void *uk_sched_self(void);
int uk_sched_block(uint64_t deadline, const char *what);
void uk_sched_wake(void *thread, int reason);
bool uk_sched_alone(void);
void uk_sched_return_hook(struct uk_regs *regs);   /* preemption on the way to the program */
/* Create a thread returning to `regs` (a copy); its tid, or -ENOMEM. */
long uk_sched_thread_create(const struct uk_regs *regs, uint64_t tls, struct uk_thread **out);
#endif
