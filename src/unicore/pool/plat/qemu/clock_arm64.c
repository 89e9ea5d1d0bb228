/* Clocks and the timer interrupt (QEMU virt, arm64): the generic timer's virtual counter for
 * the monotonic clock (rate CNTFRQ_EL0, no calibration), the PL031 RTC (seconds) for the wall
 * clock's start, and the virtual timer (CNTV, its PPI from the device tree) as the one-shot
 * interrupt. */
#include <uk/arch.h>
#include <uk/arm64.h>
#include <uk/plat.h>
#include "qemu.h"
#include "virt_arm64.h"

#define CNTV_ENABLE 1u
#define CNTV_IMASK 2u

static uint64_t freq, ns_mult, cycles_mult, wall_base_ns, wall_base_cycles; /* mults: 32.32 fixed point */
static void (*tick)(void);

static void clock_init(void)
{
	if (freq)
		return;
	freq = UK_ARM64_SYSREG_READ(cntfrq_el0);
	if (!freq)
		freq = 62500000; /* QEMU's default when firmware did not set it */
	ns_mult = (1000000000ULL << 32) / freq;
	cycles_mult = (freq << 32) / 1000000000ULL;
	wall_base_cycles = uk_arch_cycles();
	if (uk_plat_qemu_virt.rtc)
		wall_base_ns = (uint64_t)*(volatile uint32_t *)uk_plat_qemu_virt.rtc * 1000000000ULL;
}

uint64_t uk_plat_cycles_to_ns(uint64_t cycles)
{
	clock_init();
	return (uint64_t)(((unsigned __int128)cycles * ns_mult) >> 32);
}

uint64_t uk_plat_monotonic_ns(void) { return uk_plat_cycles_to_ns(uk_arch_cycles() - uk_arch_boot_cycles); }

uint64_t uk_plat_wall_ns(void)
{
	clock_init();
	return wall_base_ns + uk_plat_cycles_to_ns(uk_arch_cycles() - wall_base_cycles);
}

static void timer_irq(void)
{
	UK_ARM64_SYSREG_WRITE(cntv_ctl_el0, CNTV_IMASK); /* one shot: quiet until armed again */
	if (tick)
		tick();
}

void uk_plat_qemu_timer_init(void)
{
	clock_init();
	UK_ARM64_SYSREG_WRITE(cntv_ctl_el0, 0);
	uk_arch_irq_set(uk_plat_qemu_virt.timer_irq, timer_irq);
}

void uk_plat_timer_set_handler(void (*fn)(void)) { tick = fn; }

void uk_plat_timer_arm(uint64_t deadline_ns)
{
	clock_init();
	if (!deadline_ns) {
		UK_ARM64_SYSREG_WRITE(cntv_ctl_el0, 0);
		return;
	}
	uint64_t cycles = (uint64_t)(((unsigned __int128)deadline_ns * cycles_mult) >> 32);
	UK_ARM64_SYSREG_WRITE(cntv_cval_el0, uk_arch_boot_cycles + cycles + 1);
	UK_ARM64_SYSREG_WRITE(cntv_ctl_el0, CNTV_ENABLE);
}

/* Nothing else to run: halt until the deadline. */
void uk_plat_wait_until(uint64_t deadline_ns)
{
	while (uk_plat_monotonic_ns() < deadline_ns) {
		uk_plat_timer_arm(deadline_ns);
		uk_arch_idle_wait();
	}
}
