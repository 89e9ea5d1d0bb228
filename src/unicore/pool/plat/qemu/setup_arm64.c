/* QEMU virt platform start (arm64): read the device tree (fdt_arm64.c) for RAM, the command
 * line and the devices, bring up the interrupt controller and hand over to core; device
 * discovery from the tree's virtio-mmio nodes. */
#include <uk/arch.h>
#include <uk/arm64.h>
#include <uk/plat.h>
#include "qemu.h"
#include "virt_arm64.h"

#define MAPPED_LIMIT (4ULL << 30) /* the boot page tables map 4 GiB */

static struct uk_bootinfo bootinfo = { .module = -1 };
bool uk_plat_qemu_debug;

static void add_ram(void)
{
	const struct uk_plat_qemu_virt *v = &uk_plat_qemu_virt;

	for (int i = 0; i < v->nram; i++) {
		uint64_t base = v->ram[i].base, size = v->ram[i].len;
		if (base >= MAPPED_LIMIT)
			continue;
		if (base + size > MAPPED_LIMIT)
			size = MAPPED_LIMIT - base;
		bootinfo.ram[bootinfo.nram++] = (struct uk_memregion){ base, size };
	}
}

void uk_plat_start(uintptr_t dtb)
{
	const struct uk_plat_qemu_virt *v = &uk_plat_qemu_virt;

	if (!uk_plat_qemu_fdt_read(dtb))
		uk_arch_halt(); /* no device tree: not even a UART to say so */
	uk_plat_qemu_serial_init();
	if (!v->nram)
		uk_plat_qemu_fatal("the device tree has no memory node");
	if (!v->gicd || !v->gicc || !v->timer_irq)
		uk_plat_qemu_fatal("the device tree has no GICv2 or generic timer (QEMU virt with gic-version=2 expected)");
	uk_arch_arm64_gic_init(v->gicd, v->gicc);
	uk_plat_qemu_timer_init();
	add_ram();
	bootinfo.cmdline = v->bootargs ? (char *)v->bootargs : "";
	uk_plat_qemu_debug = uk_plat_qemu_kernel_token(bootinfo.cmdline, "debug");
	uk_core_start(&bootinfo);
}

/* The device tree's virtio-mmio transports; an empty one answers device id 0 (the driver probes). */
int uk_plat_devices(struct uk_plat_device *out, int max)
{
	int n = 0;

	for (; n < max && n < uk_plat_qemu_virt.nvirtio; n++)
		out[n] = uk_plat_qemu_virt.virtio[n];
	return n;
}
