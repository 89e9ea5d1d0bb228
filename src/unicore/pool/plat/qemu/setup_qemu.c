/* QEMU microvm platform start (PVH): read struct hvm_start_info (command line, E820-style
 * memory map), bring up the console and hand over to core. */
#include <uk/arch.h>
#include <uk/plat.h>
#include <uk/core.h>

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

static struct uk_bootinfo bootinfo;
static uintptr_t ram_top;
void uk_plat_serial_init(void);

uintptr_t uk_plat_ram_top(void) { return ram_top; }

static void add_region(uint64_t base, uint64_t size)
{
	if (base >= MAPPED_LIMIT || bootinfo.nram == UK_MAX_MEMREGIONS)
		return;
	if (base + size > MAPPED_LIMIT)
		size = MAPPED_LIMIT - base;
	bootinfo.ram[bootinfo.nram++] = (struct uk_memregion){ base, size };
	if (base + size > ram_top)
		ram_top = base + size;
}

void uk_plat_start(uintptr_t boot_info)
{
	const struct hvm_start_info *si = (const void *)boot_info;

	uk_plat_serial_init();
	if (si->magic != HVM_START_MAGIC)
		uk_panic("not booted through PVH (start info magic 0x%x)", si->magic);
	if (si->version < 1 || !si->memmap_entries)
		uk_panic("PVH start info has no memory map (version %u)", si->version);
	const struct hvm_memmap_entry *map = (const void *)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (map[i].type == MEMMAP_RAM)
			add_region(map[i].addr, map[i].size);
	bootinfo.cmdline = si->cmdline_paddr ? (char *)si->cmdline_paddr : "";
	uk_core_start(&bootinfo);
}
