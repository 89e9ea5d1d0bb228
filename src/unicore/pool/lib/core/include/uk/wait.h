/* uk/wait.h: timers and wait queues, the kernel's one way to wait (core). Every blocking call
 * (futex, pipes, poll, epoll, sleeps, the network later) puts a waiter on the wait queue of
 * what it waits for and blocks its thread until a waker, its deadline or a signal ends the
 * wait. Kernel code runs with interrupts off, so checking a condition and then blocking loses
 * no wakeup. With the sched library threads block and others run; without it (one thread)
 * blocking halts the CPU until a timer (a deadline, alarm) wakes the only thread. */
#ifndef UK_WAIT_H
#define UK_WAIT_H
#include <stdbool.h>
#include <stdint.h>

/* ---- timers on the monotonic clock (timer.c): callbacks run in interrupt context ---- */
struct uk_timer {
	uint64_t deadline;             /* monotonic ns */
	void (*fn)(struct uk_timer *);
	struct uk_timer *next;
	bool armed;
};
void uk_core_timer_add(struct uk_timer *t, uint64_t deadline); /* re-adds when armed */
void uk_core_timer_del(struct uk_timer *t);
bool uk_core_timer_pending(void);   /* any timer armed (something may still wake a thread) */
void uk_core_timer_run(void);       /* run the expired ones and arm the hardware for the next */

/* ---- wait queues (wait.c) ---- */
struct uk_waitq;
struct uk_waiter {
	struct uk_waiter *next, *prev;
	struct uk_waitq *q;
	void *thread;                  /* uk_core_thread_current() of the waiter */
	uintptr_t key;                 /* futex: address; others: 0 */
	uint32_t bits;                 /* futex bitset */
	bool woken;
	/* Instead of waking a thread, call this (epoll: the file changed); the waiter is dequeued
	 * as any woken one. NULL for a waiting thread. Set after uk_core_waitq_add. */
	void (*notify)(struct uk_waiter *w);
};
struct uk_waitq {
	struct uk_waiter *head;
};

#define UK_WAKE_EVENT 0
#define UK_WAKE_TIMEOUT 1
#define UK_WAKE_SIGNAL 2

void uk_core_waitq_add(struct uk_waitq *q, struct uk_waiter *w);  /* for the running thread */
void uk_core_waitq_del(struct uk_waiter *w);                      /* no-op when already woken */
typedef bool (*uk_core_waiter_pick)(const struct uk_waiter *w, const void *arg);
int uk_core_waitq_wake_if(struct uk_waitq *q, int n, uk_core_waiter_pick pick, const void *arg); /* only picked ones */
int uk_core_waitq_wake(struct uk_waitq *q, int n);                /* wake (and dequeue) up to n; the count */
static inline int uk_core_waitq_wake_all(struct uk_waitq *q) { return uk_core_waitq_wake(q, 1 << 30); }
/* Block on q until woken: 0, -ETIMEDOUT at `deadline` (monotonic ns, 0 = none), -EINTR. */
long uk_core_waitq_sleep(struct uk_waitq *q, uint64_t deadline, const char *what);

/* ---- the thread that waits (the sched library's when linked, else the only one) ---- */
void *uk_core_thread_current(void);
/* Block the running thread until uk_core_thread_wake, the deadline or a signal: UK_WAKE_*. */
int uk_core_thread_block(uint64_t deadline, const char *what);
void uk_core_thread_wake(void *thread, int reason);
bool uk_core_thread_alone(void);    /* no other thread exists that could wake a waiter */
/* (uk_core_thread_yield_until and uk_core_return_to_program: uk/plat.h and uk/arch.h) */
#endif
