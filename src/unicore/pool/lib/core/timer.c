/* Timers (core): a list sorted by deadline on the monotonic clock; the platform's one-shot
 * timer interrupt is armed for the first one. Callbacks run in interrupt context (or from a
 * thread's kernel code, which runs with interrupts off): they may wake threads. */
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/wait.h>

static struct uk_timer *timers;

static void rearm(void) { uk_plat_timer_arm(timers ? timers->deadline : 0); }

void uk_core_timer_del(struct uk_timer *t)
{
	if (!t->armed)
		return;
	for (struct uk_timer **p = &timers; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	t->armed = false;
	rearm();
}

void uk_core_timer_add(struct uk_timer *t, uint64_t deadline)
{
	static bool handler_set;
	struct uk_timer **p = &timers;

	if (!handler_set) {
		uk_plat_timer_set_handler(uk_core_timer_run);
		handler_set = true;
	}
	uk_core_timer_del(t);
	while (*p && (*p)->deadline <= deadline)
		p = &(*p)->next;
	t->deadline = deadline;
	t->next = *p;
	t->armed = true;
	*p = t;
	rearm();
}

bool uk_core_timer_pending(void) { return timers != NULL; }

void uk_core_timer_run(void)
{
	uint64_t now = uk_plat_monotonic_ns();

	while (timers && timers->deadline <= now) {
		struct uk_timer *t = timers;
		timers = t->next;
		t->armed = false;
		t->fn(t); /* may add timers */
		now = uk_plat_monotonic_ns();
	}
	rearm();
}
