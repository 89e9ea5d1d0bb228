/* COM1 kernel console (kernel messages, crash reports; the program's output only when there is
 * no console channel, console_qemu.c) and COM2 control channel (16550 UARTs, output only,
 * polled), and shutdown through isa-debug-exit. */
#include <uk/arch.h>
#include <uk/plat.h>
#include <uk/core.h>

#define COM1 0x3f8
#define COM2 0x2f8
#define LSR 5
#define LSR_THRE 0x20
#define DEBUG_EXIT_PORT 0xf4

/* QEMU's UARTs need no baud or line setup: we only mask their interrupts. */
void uk_plat_serial_init(void)
{
	uk_outb(COM1 + 1, 0x00);
	uk_outb(COM2 + 1, 0x00);
}

static void uart_putc(uint16_t port, char c)
{
	while (!(uk_inb(port + LSR) & LSR_THRE))
		uk_arch_pause();
	uk_outb(port, (uint8_t)c);
}

void uk_plat_kernel_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		uart_putc(COM1, buf[i]);
}

void uk_plat_ctl_write(const char *line)
{
	while (*line)
		uart_putc(COM2, *line++);
}

/* isa-debug-exit: QEMU exits with (v << 1) | 1. 0 = normal exit, 1 = crash (docs/design.md). */
static _Noreturn void debug_exit(uint8_t v)
{
	uk_outb(DEBUG_EXIT_PORT, v);
	uk_arch_halt(); /* without the device: stop here */
}

_Noreturn void uk_plat_exit(int status)
{
	char line[24];

	uk_snprintf(line, sizeof(line), "exit %d\n", status & 0xff);
	uk_plat_ctl_write(line);
	debug_exit(0);
}

_Noreturn void uk_plat_crash(int signal)
{
	char line[24];

	uk_snprintf(line, sizeof(line), "crash %d\n", signal);
	uk_plat_ctl_write(line);
	debug_exit(1);
}
