/* QEMU microvm platform start (PVH): read struct hvm_start_info (command line, E820-style
 * memory map, module), bring up the console and hand over to core; the initrd hooks. */
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

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

static struct uk_bootinfo bootinfo;
/* the PVH module (QEMU -initrd), if any: core moves it when a program's segments cover it */
static struct uk_memregion *const module = &bootinfo.busy[0];
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
	if (si->nr_modules && si->modlist_paddr) {
		const struct hvm_modlist_entry *m = (const void *)si->modlist_paddr;
		*module = (struct uk_memregion){ m->paddr, m->size }; /* kept until it has been read */
		bootinfo.nbusy = 1;
	}
	uk_core_start(&bootinfo);
}

extern char _uk_initrd_start[], _uk_initrd_end[]; /* the archive linked into the payload */

/* For the initrd library (docs/fs.md): the PVH module, else the archive linked into the image
 * (where it is now: the payload may have moved), else -1. */
int uk_plat_initrd(const void **buf, size_t *len)
{
	if (module->len) {
		*buf = (const void *)module->base;
		*len = module->len;
		return 0;
	}
	if (_uk_initrd_end == _uk_initrd_start)
		return -1;
	*buf = _uk_initrd_start + uk_payload_offset;
	*len = (size_t)(_uk_initrd_end - _uk_initrd_start);
	return 0;
}

/* Give back the pages of whichever archive was used. */
void uk_plat_initrd_release(void)
{
	static bool released;
	const void *buf;
	size_t len;

	if (released || uk_plat_initrd(&buf, &len))
		return;
	released = true;
	uintptr_t start = UK_ALIGN_UP((uintptr_t)buf, 4096); /* whole pages only: a partial one may hold other data */
	uintptr_t end = UK_ALIGN_DOWN((uintptr_t)buf + len, 4096);
	if (end > start)
		uk_page_free((void *)start, (end - start) / 4096);
}
