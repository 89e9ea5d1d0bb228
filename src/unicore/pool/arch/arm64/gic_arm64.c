/* Interrupts (arm64): the GICv2 (QEMU virt's default) at the addresses the platform read from
 * the device tree; handlers per interrupt ID (PPIs and SPIs below UK_ARM64_IRQS), the idle wait.
 * Interrupts are taken only while the program runs or the CPU idles: kernel code runs with
 * PSTATE.I set. */
#include <uk/arch.h>
#include <uk/arm64.h>

#define UK_ARM64_IRQS 64
#define GICD_CTLR 0x000
#define GICD_ISENABLER 0x100
#define GICD_IPRIORITYR 0x400
#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010
#define SPURIOUS 1020

static volatile uint32_t *gicd, *gicc;
static void (*handlers[UK_ARM64_IRQS])(void);

void uk_arch_arm64_gic_irq(void);

static inline volatile uint32_t *reg(volatile uint32_t *base, unsigned off) { return base + off / 4; }

void uk_arch_arm64_gic_init(uintptr_t dist, uintptr_t cpu)
{
	gicd = (volatile uint32_t *)dist;
	gicc = (volatile uint32_t *)cpu;
	*reg(gicd, GICD_CTLR) = 1;
	*reg(gicc, GICC_PMR) = 0xff; /* every priority passes */
	*reg(gicc, GICC_CTLR) = 1;
}

/* `vector` is the GIC interrupt ID (e.g. 27, the virtual timer's PPI). */
void uk_arch_irq_set(int vector, void (*fn)(void))
{
	if (vector < 0 || vector >= UK_ARM64_IRQS || !gicd)
		return;
	handlers[vector] = fn;
	((volatile uint8_t *)reg(gicd, GICD_IPRIORITYR))[vector] = 0x80;
	*reg(gicd, GICD_ISENABLER + 4 * (unsigned)(vector / 32)) = 1u << (vector % 32);
}

void uk_arch_arm64_gic_irq(void)
{
	uint32_t iar = *reg(gicc, GICC_IAR), id = iar & 0x3ff;

	if (id >= SPURIOUS)
		return;
	if (id < UK_ARM64_IRQS && handlers[id])
		handlers[id]();
	*reg(gicc, GICC_EOIR) = iar;
}

/* WFI wakes on a pending interrupt even while PSTATE.I masks it; unmasking then takes it. */
void uk_arch_idle_wait(void)
{
	__asm__ volatile("dsb sy\n\twfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
}
