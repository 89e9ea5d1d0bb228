/* spt clock and timer: the host's CLOCK_MONOTONIC (from the image's start) and CLOCK_REALTIME
 * through clock_gettime; TSC cycles to ns at the rate the tender measured; the one-shot timer
 * is ITIMER_REAL, its SIGALRM the arch's timer interrupt (vector 32). */
#include <uk/arch.h>
#include <uk/plat.h>
#include "spt.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define ITIMER_REAL 0

static uint64_t mono0, tsc_mult; /* ns = cycles * tsc_mult >> 32 */
static void (*tick)(void);

static uint64_t host_clock(int id)
{
	struct { long s, ns; } ts = { 0, 0 };

	uk_linux_syscall3(UK_LINUX_NR_CLOCK_GETTIME, id, &ts, 0);
	return (uint64_t)ts.s * 1000000000ULL + (uint64_t)ts.ns;
}

void uk_plat_spt_clock_init(const struct uk_spt_boot *boot)
{
	mono0 = boot->mono_ns;
	tsc_mult = boot->tsc_hz ? (1000000000ULL << 32) / boot->tsc_hz : 1ULL << 32;
}

uint64_t uk_plat_monotonic_ns(void) { return host_clock(CLOCK_MONOTONIC) - mono0; }
uint64_t uk_plat_wall_ns(void) { return host_clock(CLOCK_REALTIME); }
uint64_t uk_plat_cycles_to_ns(uint64_t cycles) { return (uint64_t)(((unsigned __int128)cycles * tsc_mult) >> 32); }

static void timer_irq(void)
{
	if (tick)
		tick();
}

void uk_plat_timer_set_handler(void (*fn)(void))
{
	tick = fn;
	uk_arch_irq_set(UK_ARCH_IRQ_FIRST, timer_irq);
}

void uk_plat_timer_arm(uint64_t deadline_ns)
{
	struct { long is, ius, s, us; } it = { 0, 0, 0, 0 };

	if (deadline_ns) {
		uint64_t now = uk_plat_monotonic_ns(), us = deadline_ns > now ? (deadline_ns - now + 999) / 1000 : 1;
		it.s = (long)(us / 1000000);
		it.us = (long)(us % 1000000);
	}
	uk_linux_syscall3(UK_LINUX_NR_SETITIMER, ITIMER_REAL, &it, 0);
}

void uk_plat_wait_until(uint64_t deadline_ns)
{
	while (uk_plat_monotonic_ns() < deadline_ns) {
		uk_plat_timer_arm(deadline_ns);
		uk_arch_idle_wait();
	}
}
