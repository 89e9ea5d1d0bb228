/* Interrupts (x86_64): IDT gates for vectors 32-47 (handlers set by the platform's drivers) and
 * the spurious vector 255, all on IST2; the idle wait. Interrupts are taken only while the
 * program runs or the CPU idles: kernel code runs with IF clear. */
#include <uk/arch.h>
#include <uk/x86_64.h>

static void (*handlers[UK_ARCH_IRQ_COUNT])(void);
static volatile int idling;

void uk_arch_irq_init(void)
{
	for (int i = 0; i < UK_ARCH_IRQ_COUNT; i++)
		uk_arch_idt_set(UK_ARCH_IRQ_FIRST + i, uk_arch_irq_stubs[i], 2);
	uk_arch_idt_set(255, uk_arch_irq_spurious_stub, 2);
}

void uk_arch_irq_set(int vector, void (*fn)(void))
{
	if (vector >= UK_ARCH_IRQ_FIRST && vector < UK_ARCH_IRQ_FIRST + UK_ARCH_IRQ_COUNT)
		handlers[vector - UK_ARCH_IRQ_FIRST] = fn;
}

/* On IST2. Returns 1 when the interrupted code was the program (not the idle wait): the frame
 * then moves to the thread's kernel stack for uk_arch_irq_return. */
int uk_arch_irq(struct uk_regs *r)
{
	uint64_t v = r->vector;

	if (v >= UK_ARCH_IRQ_FIRST && v < UK_ARCH_IRQ_FIRST + UK_ARCH_IRQ_COUNT && handlers[v - UK_ARCH_IRQ_FIRST])
		handlers[v - UK_ARCH_IRQ_FIRST]();
	return !idling && uk_arch_syscall_depth == 0;
}

void uk_arch_irq_return(struct uk_regs *r) { uk_core_return_to_program(r); }

void uk_arch_idle_wait(void)
{
	idling = 1;
	__asm__ volatile("sti; hlt; cli" ::: "memory"); /* sti's shadow: no wakeup lost before hlt */
	idling = 0;
}
