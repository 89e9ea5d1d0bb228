/* Wait queues (core): doubly linked waiters; waking one dequeues it and marks it woken, so a
 * count of wakes (futex) never counts a waiter twice. The thread half (uk_core_thread_*) below
 * is the sched library's when the image has threads, else that of the one thread. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/wait.h>
#include <uk/link.h>
#include <uk/sched.h>
#include <uk/posix-signal.h>

void uk_core_waitq_add(struct uk_waitq *q, struct uk_waiter *w)
{
	w->thread = uk_core_thread_current();
	w->q = q;
	w->woken = false;
	w->notify = NULL;
	w->prev = NULL;
	w->next = q->head;
	if (q->head)
		q->head->prev = w;
	q->head = w;
}

void uk_core_waitq_del(struct uk_waiter *w)
{
	if (!w->q)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		w->q->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->q = NULL;
}

/* Oldest waiters first: the list is pushed at its head, so wake from its tail. Only those
 * `pick` accepts (all, when NULL). */
int uk_core_waitq_wake_if(struct uk_waitq *q, int n, uk_core_waiter_pick pick, const void *arg)
{
	struct uk_waiter *w = q->head;
	int woken = 0;

	while (w && w->next)
		w = w->next;
	while (w && woken < n) {
		struct uk_waiter *prev = w->prev;
		if (!pick || pick(w, arg)) {
			uk_core_waitq_del(w);
			w->woken = true;
			if (w->notify)
				w->notify(w);
			else
				uk_core_thread_wake(w->thread, UK_WAKE_EVENT);
			woken++;
		}
		w = prev;
	}
	return woken;
}

int uk_core_waitq_wake(struct uk_waitq *q, int n)
{
	return uk_core_waitq_wake_if(q, n, NULL, NULL);
}

long uk_core_waitq_sleep(struct uk_waitq *q, uint64_t deadline, const char *what)
{
	struct uk_waiter w = { 0 };

	uk_core_waitq_add(q, &w);
	int why = uk_core_thread_block(deadline, what);
	uk_core_waitq_del(&w);
	if (w.woken)
		return 0;
	return why == UK_WAKE_SIGNAL ? -EINTR : why == UK_WAKE_TIMEOUT ? -ETIMEDOUT : 0;
}

/* ---- the waiting thread: the sched library's when linked, else the only one ---- */
UK_OPTIONAL(uk_sched_self);
UK_OPTIONAL(uk_sched_block);
UK_OPTIONAL(uk_sched_wake);
UK_OPTIONAL(uk_sched_alone);
UK_OPTIONAL(uk_sched_return_hook);
UK_OPTIONAL(uk_posix_signal_return_hook);
UK_OPTIONAL(uk_posix_signal_interrupts);
static volatile int wake_reason = -1;
static int the_thread;

void *uk_core_thread_current(void) { return uk_sched_self ? uk_sched_self() : &the_thread; }
bool uk_core_thread_alone(void) { return uk_sched_alone ? uk_sched_alone() : true; }

void uk_core_thread_wake(void *thread, int reason)
{
	if (uk_sched_wake)
		uk_sched_wake(thread, reason);
	else
		wake_reason = reason;
}

static void timeout(struct uk_timer *t)
{
	(void)t;
	if (wake_reason < 0)
		wake_reason = UK_WAKE_TIMEOUT;
}

/* One thread: halt until a timer or interrupt wakes it; with no deadline and no timer armed
 * nothing ever could: that is a deadlock, reported instead of hanging until the host's timeout. */
static int block_alone(uint64_t deadline, const char *what)
{
	struct uk_timer t = { .fn = timeout };

	wake_reason = -1;
	if (deadline)
		uk_core_timer_add(&t, deadline);
	while (wake_reason < 0) {
		if (!uk_core_timer_pending()) {
			uk_core_printk("unicore: waiting for %s with no timeout, and no other thread to wake it: deadlock\n", what);
			uk_core_panic("deadlock");
		}
		uk_arch_idle_wait();
	}
	uk_core_timer_del(&t);
	return wake_reason;
}

/* A signal already pending (sent while this thread ran) ends the wait before it starts. */
int uk_core_thread_block(uint64_t deadline, const char *what)
{
	if (uk_posix_signal_interrupts && uk_posix_signal_interrupts())
		return UK_WAKE_SIGNAL;
	return uk_sched_block ? uk_sched_block(deadline, what) : block_alone(deadline, what);
}

int uk_core_thread_yield_until(uint64_t monotonic_ns)
{
	if (uk_core_thread_alone())
		return 0;
	if (uk_sched_block) /* not interrupted by signals: the console read polls again */
		uk_sched_block(monotonic_ns, "console input");
	return 1;
}

void uk_core_return_to_program(struct uk_regs *r)
{
	if (uk_sched_return_hook)
		uk_sched_return_hook(r);
	if (uk_posix_signal_return_hook)
		uk_posix_signal_return_hook(r);
}
