/* Timer interrupt (QEMU microvm, x86_64): the local APIC timer in one-shot mode on vector 32,
 * programmed for the next deadline on the monotonic clock (tickless). Its rate is measured
 * once against the TSC, on first use. The legacy 8259 PICs are masked at boot: microvm has
 * them, and LINT0 of the boot CPU is wired to them (the PIT the clock calibrates on would
 * otherwise raise vector 0 as soon as the program runs with interrupts on). */
#include <uk/arch.h>
#include <uk/x86_64.h>
#include <uk/plat.h>
#include "qemu.h"

#define APIC_BASE_MSR 0x1b
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_INIT_COUNT 0x380
#define APIC_CUR_COUNT 0x390
#define APIC_DIVIDE 0x3e0
#define LVT_MASKED (1u << 16)
#define TIMER_VECTOR 32

static volatile uint32_t *apic;
static uint64_t apic_hz, ticks_mult; /* ticks = ns * ticks_mult >> 32 */
static void (*tick)(void);

static uint32_t apic_read(uint32_t reg) { return apic[reg / 4]; }
static void apic_write(uint32_t reg, uint32_t v) { apic[reg / 4] = v; }

void uk_plat_qemu_timer_init(void)
{
	uk_outb(0x21, 0xff); /* mask every line of both 8259s */
	uk_outb(0xa1, 0xff);
}

static void timer_irq(void)
{
	apic_write(APIC_EOI, 0);
	if (tick)
		tick();
}

/* Count down from the maximum for ~200 us of the monotonic clock. */
static uint64_t measure_apic_hz(void)
{
	uint64_t t0 = uk_plat_monotonic_ns(), t1;

	apic_write(APIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
	apic_write(APIC_INIT_COUNT, 0xffffffffu);
	while ((t1 = uk_plat_monotonic_ns()) - t0 < 200000)
		uk_arch_pause();
	uint64_t counted = 0xffffffffu - apic_read(APIC_CUR_COUNT);
	apic_write(APIC_INIT_COUNT, 0);
	return counted ? counted * 1000000000ULL / (t1 - t0) : 1000000000ULL;
}

static void apic_init(void)
{
	if (apic)
		return;
	apic = (volatile uint32_t *)(uk_rdmsr(APIC_BASE_MSR) & ~0xfffULL);
	apic_write(APIC_SVR, 0x100 | 0xff); /* software enable, spurious vector 255 */
	apic_write(APIC_LVT_LINT0, LVT_MASKED);
	apic_write(APIC_LVT_LINT1, LVT_MASKED);
	apic_write(APIC_DIVIDE, 0xb); /* divide by 1 */
	apic_hz = measure_apic_hz();
	ticks_mult = (apic_hz << 32) / 1000000000ULL;
	uk_arch_irq_set(TIMER_VECTOR, timer_irq);
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR); /* one-shot */
}

void uk_plat_timer_set_handler(void (*fn)(void))
{
	apic_init();
	tick = fn;
}

void uk_plat_timer_arm(uint64_t deadline_ns)
{
	apic_init();
	if (!deadline_ns) {
		apic_write(APIC_INIT_COUNT, 0);
		return;
	}
	uint64_t now = uk_plat_monotonic_ns(), ns = deadline_ns > now ? deadline_ns - now : 0;
	uint64_t ticks = (uint64_t)(((unsigned __int128)ns * ticks_mult) >> 32);
	apic_write(APIC_INIT_COUNT, ticks < 1 ? 1 : ticks > 0xffffffffu ? 0xffffffffu : (uint32_t)ticks);
}

/* Nothing else to run: halt until the deadline (the timer may fire early when its counter
 * cannot reach that far; we then sleep again). */
void uk_plat_wait_until(uint64_t deadline_ns)
{
	while (uk_plat_monotonic_ns() < deadline_ns) {
		uk_plat_timer_arm(deadline_ns);
		uk_arch_idle_wait();
	}
}
