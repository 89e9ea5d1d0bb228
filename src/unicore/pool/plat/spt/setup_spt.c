/* spt platform start: the tender's boot information (RAM, command line) to core's boot info;
 * exit and crash as the process's status, with a control line the runner reads. No devices. */
#include <uk/arch.h>
#include <uk/plat.h>
#include "spt.h"

static struct uk_bootinfo bootinfo = { .module = -1 };

void uk_plat_start(uintptr_t arg)
{
	const struct uk_spt_boot *boot = (const void *)arg;

	if (boot->magic != UK_SPT_BOOT_MAGIC)
		uk_arch_halt();
	uk_plat_spt_clock_init(boot);
	bootinfo.ram[0] = (struct uk_memregion){ boot->ram_base, boot->ram_len };
	bootinfo.nram = 1;
	bootinfo.cmdline = (char *)boot->cmdline; /* core copies it first */
	uk_core_start(&bootinfo);
}

int uk_plat_devices(struct uk_plat_device *out, int max) { return 0; }

static void control_line(const char *word, int value)
{
	char line[24];
	int n = 0;

	while (*word)
		line[n++] = *word++;
	line[n++] = ' ';
	if (value >= 100)
		line[n++] = (char)('0' + value / 100);
	if (value >= 10)
		line[n++] = (char)('0' + value / 10 % 10);
	line[n++] = (char)('0' + value % 10);
	line[n++] = '\n';
	uk_plat_spt_write_all(UK_LINUX_FD_CONTROL, line, (size_t)n);
}

_Noreturn void uk_plat_exit(int status)
{
	control_line("exit", status & 255);
	for (;;)
		uk_linux_syscall3(UK_LINUX_NR_EXIT_GROUP, status & 255, 0, 0);
}

_Noreturn void uk_plat_crash(int signal)
{
	control_line("crash", signal);
	for (;;)
		uk_linux_syscall3(UK_LINUX_NR_EXIT_GROUP, 128 + signal, 0, 0);
}
