/* Wait queues (core): doubly linked waiters; waking one dequeues it and marks it woken, so a
 * count of wakes (futex) never counts a waiter twice. The thread half (uk_thread_*) below is
 * for an image with one thread: the sched library defines the real one, which wins at link
 * time over these weak definitions. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/wait.h>

void uk_waitq_add(struct uk_waitq *q, struct uk_waiter *w)
{
	w->thread = uk_thread_current();
	w->q = q;
	w->woken = false;
	w->prev = NULL;
	w->next = q->head;
	if (q->head)
		q->head->prev = w;
	q->head = w;
}

void uk_waitq_del(struct uk_waiter *w)
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

/* Oldest waiters first: the list is pushed at its head, so wake from its tail. */
int uk_waitq_wake(struct uk_waitq *q, int n)
{
	struct uk_waiter *w = q->head;
	int woken = 0;

	while (w && w->next)
		w = w->next;
	while (w && woken < n) {
		struct uk_waiter *prev = w->prev;
		uk_waitq_del(w);
		w->woken = true;
		uk_thread_wake(w->thread, UK_WAKE_EVENT);
		woken++;
		w = prev;
	}
	return woken;
}

long uk_waitq_sleep(struct uk_waitq *q, uint64_t deadline, const char *what)
{
	struct uk_waiter w = { 0 };

	uk_waitq_add(q, &w);
	int why = uk_thread_block(deadline, what);
	uk_waitq_del(&w);
	if (w.woken)
		return 0;
	return why == UK_WAKE_SIGNAL ? -EINTR : why == UK_WAKE_TIMEOUT ? -ETIMEDOUT : 0;
}

/* ---- one thread ---- */
static volatile int wake_reason = -1;
static int the_thread;

__attribute__((weak)) void *uk_thread_current(void) { return &the_thread; }

__attribute__((weak)) void uk_thread_wake(void *thread, int reason)
{
	(void)thread;
	wake_reason = reason;
}

__attribute__((weak)) bool uk_thread_alone(void) { return true; }

static void timeout(struct uk_timer *t)
{
	(void)t;
	if (wake_reason < 0)
		wake_reason = UK_WAKE_TIMEOUT;
}

/* Halt until a timer or interrupt wakes us; with no deadline and no timer armed nothing ever
 * could: that is a deadlock, reported instead of hanging until the host's timeout. */
__attribute__((weak)) int uk_thread_block(uint64_t deadline, const char *what)
{
	struct uk_timer t = { .fn = timeout };

	wake_reason = -1;
	if (deadline)
		uk_timer_add(&t, deadline);
	while (wake_reason < 0) {
		if (!uk_timer_pending()) {
			uk_printk("unicore: waiting for %s with no timeout, and no other thread to wake it: deadlock\n", what);
			uk_panic("deadlock");
		}
		uk_arch_idle_wait();
	}
	uk_timer_del(&t);
	return wake_reason;
}
