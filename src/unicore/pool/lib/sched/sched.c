/* Scheduler (sched): the run queue (FIFO), switching, blocking and waking, preemption by a
 * time-slice timer, and the idle halt. Everything here runs with interrupts off: in a
 * syscall, in the timer interrupt, or on the way back to the program. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/sched.h>
#include <uk/proc.h>

UK_OPTIONAL(uk_proc_switch);      /* threads of two processes: address space, files, signals */
UK_OPTIONAL(uk_proc_return_hook);

static struct uk_thread *runq_head, *runq_tail;
static struct uk_timer slice;
static bool need_resched;

static void slice_expired(struct uk_timer *t)
{
	(void)t;
	need_resched = true;
}

/* A slice runs only while another thread waits for the CPU. */
static void slice_start(void)
{
	if (runq_head)
		uk_core_timer_add(&slice, uk_plat_monotonic_ns() + UK_SCHED_SLICE_US * 1000ULL);
	else
		uk_core_timer_del(&slice);
}

void uk_sched_enqueue(struct uk_thread *t)
{
	t->state = UK_THREAD_RUNNABLE;
	t->run_next = NULL;
	if (runq_tail)
		runq_tail->run_next = t;
	else
		runq_head = t;
	runq_tail = t;
	slice.fn = slice_expired;
	if (!slice.armed)
		slice_start();
}

static struct uk_thread *dequeue(void)
{
	struct uk_thread *t = runq_head;

	if (t && !(runq_head = t->run_next))
		runq_tail = NULL;
	return t;
}


static void switch_to(struct uk_thread *next)
{
	struct uk_thread *prev = uk_sched_current;

	next->state = UK_THREAD_RUNNING;
	need_resched = false;
	slice_start();
	if (next == prev)
		return;
	if (next->proc != prev->proc && uk_proc_switch)
		uk_proc_switch(prev->proc, next->proc);
	uk_sched_current = next;
	uk_arch_thread_switch(&prev->arch, &next->arch);
	uk_sched_reap(); /* back on prev's stack: a thread that died is off its own */
}

static _Noreturn void deadlock(void)
{
	uk_core_printk("unicore: deadlock: every thread waits and nothing can wake them:\n");
	for (struct uk_thread *t = uk_sched_threads; t; t = t->all_next)
		if (t->state == UK_THREAD_BLOCKED)
			uk_core_printk("unicore:   thread %d waits for %s\n", t->tid, t->waiting_for);
	uk_core_panic("deadlock");
}

/* Give the CPU to the next runnable thread; the running one must have been queued or blocked.
 * With nothing runnable the CPU halts until an interrupt (a timer) wakes a thread. */
static void schedule(void)
{
	struct uk_thread *next;

	while (!(next = dequeue())) {
		if (!uk_core_timer_pending())
			deadlock();
		uk_arch_idle_wait();
	}
	switch_to(next);
}

_Noreturn void uk_sched_leave(void)
{
	uk_sched_current->state = UK_THREAD_DEAD;
	schedule();
	uk_core_panic("a dead thread was scheduled");
}

void uk_sched_yield(void)
{
	if (!runq_head)
		return;
	uk_sched_enqueue(uk_sched_current);
	schedule();
}

void *uk_sched_self(void) { return uk_sched_current; }

static void block_timeout(struct uk_timer *tm)
{
	struct uk_thread *t = (struct uk_thread *)((char *)tm - __builtin_offsetof(struct uk_thread, timeout));
	uk_sched_wake(t, UK_WAKE_TIMEOUT);
}

int uk_sched_block(uint64_t deadline, const char *what)
{
	struct uk_thread *t = uk_sched_current;

	t->state = UK_THREAD_BLOCKED;
	t->waiting_for = what;
	t->timeout.fn = block_timeout;
	if (deadline)
		uk_core_timer_add(&t->timeout, deadline);
	schedule();
	uk_core_timer_del(&t->timeout);
	return t->wake_reason;
}

void uk_sched_wake(void *thread, int reason)
{
	struct uk_thread *t = thread;

	if (t->state != UK_THREAD_BLOCKED)
		return;
	t->wake_reason = reason;
	uk_sched_enqueue(t);
}

bool uk_sched_alone(void) { return uk_sched_live_threads() == 1; }

/* On the way back to the program (after a syscall, or an interrupt of the program). */
void uk_sched_return_hook(struct uk_regs *regs)
{
	(void)regs;
	if (need_resched)
		uk_sched_yield();
	need_resched = false;
	if (uk_sched_current->killed && uk_proc_return_hook)
		uk_proc_return_hook();
}

