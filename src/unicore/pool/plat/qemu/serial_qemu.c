/* COM1 console and COM2 control channel (16550 UARTs), and shutdown through isa-debug-exit.
 * No interrupts: output polls the transmitter, input polls the receiver. The stdin wire is
 * ours alone: framed bytes on COM1 (or in the PVH module with stdin=initrd), deframed here. */
#include <uk/arch.h>
#include <uk/x86_64.h>
#include <uk/plat.h>
#include "qemu.h"

#define COM1 0x3f8
#define COM2 0x2f8
#define LSR 5
#define LSR_DATA 0x01
#define LSR_THRE 0x20
#define DEBUG_EXIT_PORT 0xf4

/* QEMU's UARTs need no baud or line setup: we only mask their interrupts. The receive FIFO
 * stays off until the program first reads stdin (enabling it resets it). */
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

void uk_plat_console_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		uart_putc(COM1, buf[i]);
}

/* Enable COM1's receive FIFO (QEMU then delivers up to 14 bytes at a time instead of one) and
 * tell the host it may send stdin now: nothing sent earlier can be lost in the FIFO reset. */
static void console_input_start(void)
{
	static bool started;

	if (started)
		return;
	started = true;
	uk_outb(COM1 + 2, 0xc7); /* FIFO on, both cleared, trigger level 14 */
	uk_plat_qemu_ctl_write("stdin\n");
}

/* Between empty polls we wait without touching the port: under TCG every port access takes
 * QEMU's global lock, and polling it back to back starves the thread that delivers input. */
/* Whole pages of the module already read go back to the allocator: a long script piped in
 * takes no more RAM than its unread part (the smallest -m depends on it). */
static void release_read(uintptr_t start, uintptr_t pos)
{
	static uintptr_t done;

	const uintptr_t page = UK_PLAT_QEMU_PAGE;

	if (!done)
		done = (start + page - 1) & ~(page - 1);
	if ((pos & ~(page - 1)) > done) {
		uk_core_page_free((void *)done, ((pos & ~(page - 1)) - done) / page);
		done = pos & ~(page - 1);
	}
}

/* stdin=initrd: bytes come from memory (fast), then end-of-file frames for ever. */
static int module_getc(void)
{
	static const uint8_t *pos, *end;
	static uintptr_t start;
	static unsigned after;

	if (!pos) {
		const struct uk_memregion *m = uk_plat_qemu_stdin_module();
		pos = (const uint8_t *)m->base;
		end = pos + m->len;
		start = m->base;
	}
	if (pos < end) {
		if (((uintptr_t)pos & 4095) == 0)
			release_read(start, (uintptr_t)pos);
		return *pos++;
	}
	return (after++ & 1) ? 0x00 : 0xff;
}

static int console_getc(void)
{
	if (uk_plat_qemu_stdin_module())
		return module_getc();
	console_input_start(); /* whoever reads first: the host waits for this */
	while (!(uk_inb(COM1 + LSR) & LSR_DATA))
		for (volatile int i = 0; i < 2000; i++)
			uk_arch_pause();
	return uk_inb(COM1);
}

/* The runner frames stdin (docs/design.md): 0xFF 0x00 is end of file, 0xFF 0xFF a literal
 * 0xFF. Like a terminal, a read returns at the end of a line. */
long uk_plat_console_read(char *buf, size_t len)
{
	static bool eof;
	size_t n = 0;

	while (n < len && !eof) {
		int c = console_getc();
		if (c == 0xff && (c = console_getc()) == 0x00) {
			eof = true;
			break;
		}
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	return (long)n;
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
	const char *p = msg;

	uk_plat_console_write("unicore: panic: ", 16);
	while (*p)
		p++;
	uk_plat_console_write(msg, (size_t)(p - msg));
	uk_plat_console_write("\n", 1);
	uk_plat_crash(6); /* as core's panic does: SIGABRT */
}
