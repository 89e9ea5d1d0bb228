/* Kernel console and shutdown (QEMU virt, arm64): the PL011 UART (output only, polled) carries
 * kernel messages and crash reports; QEMU virt has only one UART, so the control channel's
 * lines (`exit N`, `crash SIG`) travel as fd-4 frames on the console channel
 * (console_qemu.c); then PSCI SYSTEM_OFF ends QEMU (exit status 0: the runner takes the
 * program's status from the control line, docs/design.md). */
#include <uk/arch.h>
#include <uk/plat.h>
#include "qemu.h"
#include "virt_arm64.h"

#define UARTDR 0x00
#define UARTFR 0x18
#define UARTFR_TXFF (1u << 5)
#define PSCI_SYSTEM_OFF 0x84000008u

/* QEMU's PL011 needs no baud or line set-up; its interrupts stay masked (reset state). */
void uk_plat_qemu_serial_init(void) {}

static void uart_putc(char c)
{
	volatile uint32_t *uart = (volatile uint32_t *)uk_plat_qemu_virt.uart;

	while (uart[UARTFR / 4] & UARTFR_TXFF)
		uk_arch_pause();
	uart[UARTDR / 4] = (uint8_t)c;
}

void uk_plat_kernel_write(const char *buf, size_t len)
{
	if (!uk_plat_qemu_virt.uart)
		return;
	for (size_t i = 0; i < len; i++)
		uart_putc(buf[i]);
}

void uk_plat_qemu_ctl_write(const char *line)
{
	size_t n = 0;

	while (line[n])
		n++;
	uk_plat_qemu_console_ctl(line, n);
}

static _Noreturn void system_off(void)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;

	if (uk_plat_qemu_virt.psci_hvc)
		__asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
	else
		__asm__ volatile("smc #0" : "+r"(x0) : : "memory");
	uk_arch_halt(); /* without PSCI: stop here */
}

/* "WORD N\n" on the control channel, N in 0..255. */
static void ctl_number(const char *word, unsigned n)
{
	char line[24], digits[4];
	size_t len = 0;
	int k = 0;

	while (*word && len < 16)
		line[len++] = *word++;
	line[len++] = ' ';
	do
		digits[k++] = (char)('0' + n % 10);
	while ((n /= 10) && k < 3);
	while (k)
		line[len++] = digits[--k];
	line[len++] = '\n';
	line[len] = 0;
	uk_plat_qemu_ctl_write(line);
}

_Noreturn void uk_plat_exit(int status)
{
	ctl_number("exit", (unsigned)status & 0xff);
	system_off();
}

_Noreturn void uk_plat_crash(int signal)
{
	ctl_number("crash", (unsigned)signal & 0xff);
	system_off();
}

_Noreturn void uk_plat_qemu_fatal(const char *msg)
{
	uk_plat_qemu_say_panic(msg);
	system_off(); /* before core runs there is no console channel for a status */
}
