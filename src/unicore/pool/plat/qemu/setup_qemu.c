/* QEMU microvm platform start (PVH): read struct hvm_start_info (command line, E820-style
 * memory map, module), bring up the console and hand over to core; device discovery. */
#include <uk/arch.h>
#include <uk/plat.h>
#include "qemu.h"

#define HVM_START_MAGIC 0x336ec578u
#define MEMMAP_RAM 1
#define MAPPED_LIMIT (4ULL << 30) /* the boot page tables map 4 GiB */

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

#define VIRTIO_MMIO_BASE 0xfeb00000UL /* microvm's virtio-mmio transports, 0x200 apart */
#define VIRTIO_MMIO_STRIDE 0x200
#define VIRTIO_MMIO_SLOTS 24

static struct uk_bootinfo bootinfo = { .module = -1 };
bool uk_plat_qemu_debug;
/* the PVH module (QEMU -initrd), if any: core moves it when a program's segments cover it */
static struct uk_memregion *const module = &bootinfo.busy[0];

static void add_region(uint64_t base, uint64_t size)
{
	if (base >= MAPPED_LIMIT || bootinfo.nram == UK_MAX_MEMREGIONS)
		return;
	if (base + size > MAPPED_LIMIT)
		size = MAPPED_LIMIT - base;
	bootinfo.ram[bootinfo.nram++] = (struct uk_memregion){ base, size };
}

void uk_plat_start(uintptr_t boot_info)
{
	const struct hvm_start_info *si = (const void *)boot_info;

	uk_plat_qemu_serial_init();
	uk_plat_qemu_timer_init();
	uk_core_mark("serial, PIC");
	if (si->magic != HVM_START_MAGIC)
		uk_plat_qemu_fatal("not booted through PVH (start info magic)");
	if (si->version < 1 || !si->memmap_entries)
		uk_plat_qemu_fatal("PVH start info has no memory map");
	const struct hvm_memmap_entry *map = (const void *)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (map[i].type == MEMMAP_RAM)
			add_region(map[i].addr, map[i].size);
	bootinfo.cmdline = si->cmdline_paddr ? (char *)si->cmdline_paddr : "";
	uk_plat_qemu_debug = uk_plat_qemu_kernel_token(bootinfo.cmdline, "debug");
	if (si->nr_modules && si->modlist_paddr) {
		const struct hvm_modlist_entry *m = (const void *)si->modlist_paddr;
		*module = (struct uk_memregion){ m->paddr, m->size }; /* kept until it has been read */
		bootinfo.nbusy = 1;
		bootinfo.module = 0; /* the root file system archive */
	}
	uk_core_mark("start info");
	uk_core_start(&bootinfo);
}

/* Every virtio-mmio slot of microvm: QEMU fills them from the highest down, and an empty one
 * answers device id 0 (the driver probes). */
int uk_plat_devices(struct uk_plat_device *out, int max)
{
	int n = 0;

	for (; n < max && n < VIRTIO_MMIO_SLOTS; n++)
		out[n] = (struct uk_plat_device){ UK_PLAT_DEV_VIRTIO_MMIO, VIRTIO_MMIO_BASE + (uintptr_t)n * VIRTIO_MMIO_STRIDE,
						  VIRTIO_MMIO_STRIDE };
	return n;
}


