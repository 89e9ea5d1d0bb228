/* COM1 kernel console (kernel messages, crash reports; the program's output only when there is
 * no console channel, console_qemu.c) and COM2 control channel (16550 UARTs, output only,
 * polled), and shutdown through isa-debug-exit. */
#include <uk/arch.h>
#include <uk/x86_64.h>
#include <uk/plat.h>
#include "qemu.h"

#define COM1 0x3f8
#define COM2 0x2f8
#define LSR 5
#define LSR_THRE 0x20
#define DEBUG_EXIT_PORT 0xf4

/* QEMU's UARTs need no baud or line setup: we only mask their interrupts. */
void uk_plat_qemu_serial_init(void)
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

void uk_plat_qemu_ctl_write(const char *line)
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

/* "WORD N\n" on the control channel, N in 0..999. */
static void ctl_number(const char *word, unsigned n)
{
	char line[24], *p = line + sizeof(line) - 1;

	*p = 0;
	*--p = '\n';
	do
		*--p = (char)('0' + n % 10);
	while ((n /= 10) && p > line + 16);
	*--p = ' ';
	uk_plat_qemu_ctl_write(word);
	uk_plat_qemu_ctl_write(p);
}

_Noreturn void uk_plat_exit(int status)
{
	ctl_number("exit", (unsigned)status & 0xff);
	debug_exit(0);
}

_Noreturn void uk_plat_crash(int signal)
{
	ctl_number("crash", (unsigned)signal & 0xff);
	debug_exit(1);
}

_Noreturn void uk_plat_qemu_fatal(const char *msg)
{
	uk_plat_qemu_say_panic(msg);
	uk_plat_crash(6); /* as core's panic does: SIGABRT */
}
