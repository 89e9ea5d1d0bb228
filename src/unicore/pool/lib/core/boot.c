/* Kernel boot sequence (core): parse the command line, set up the page allocator over the
 * largest RAM range above the image, run the init table (the process library's entry is
 * last and never returns). */
#include <uk/core.h>
#include <uk/plat.h>

struct uk_bootargs uk_boot;
struct uk_palloc uk_pages;
/* Fully written before use: kept out of .bss so the entry code need not zero them. */
#define NOZERO __attribute__((section(".bss..nozero.core")))
static char cmdline_copy[4096] NOZERO;  /* the host's buffer may sit in RAM we hand out */
static char *argvec[UK_MAX_ARGS] NOZERO;
extern char _end[], _uk_payload_start[], _uk_payload_end[]; /* linker script */
extern const uk_init_fn __uk_inittab_start[], __uk_inittab_end[];

static struct uk_memregion usable_region(const struct uk_bootinfo *bi)
{
	struct uk_memregion best = { 0, 0 };
	uintptr_t floor = UK_ALIGN_UP((uintptr_t)_end, 4096);

	for (int i = 0; i < bi->nram; i++) {
		uintptr_t start = bi->ram[i].base, end = start + bi->ram[i].len;
		start = UK_ALIGN_UP(start < floor ? floor : start, 4096);
		end = UK_ALIGN_DOWN(end, 4096);
		if (end > start && end - start > best.len)
			best = (struct uk_memregion){ start, end - start };
	}
	return best;
}

/* The bitmap lives in the first pages of the range it describes. */
static void mem_init(const struct uk_bootinfo *bi)
{
	struct uk_memregion r = usable_region(bi);
	size_t npages = r.len / 4096;
	size_t words = uk_pa_bitmap_words(npages);
	size_t bitmap_pages = UK_ALIGN_UP(words * 8, 4096) / 4096;

	if (npages <= bitmap_pages + 16)
		uk_panic("not enough RAM above the kernel image (%lu pages)", (unsigned long)npages);
	uk_pa_init(&uk_pages, r.base, npages, (uint64_t *)r.base);
	uk_pa_reserve(&uk_pages, r.base, bitmap_pages);
	uintptr_t payload = UK_ALIGN_DOWN((uintptr_t)_uk_payload_start, 4096);
	size_t payload_pages = (UK_ALIGN_UP((uintptr_t)_uk_payload_end, 4096) - payload) / 4096;
	if (payload_pages && uk_pa_reserve(&uk_pages, payload, payload_pages))
		uk_panic("the image's payload (0x%lx-0x%lx) is not in RAM: boot with more memory",
			 payload, (uintptr_t)_uk_payload_end);
}

_Noreturn void uk_core_start(struct uk_bootinfo *bi)
{
	uk_boot.loglevel = UK_CORE_LOGLEVEL;
	if (strlen(bi->cmdline) >= sizeof(cmdline_copy))
		uk_panic("command line longer than %lu bytes", (unsigned long)sizeof(cmdline_copy) - 1);
	memcpy(cmdline_copy, bi->cmdline, strlen(bi->cmdline) + 1);
	if (uk_cmdline_parse(cmdline_copy, &uk_boot, argvec, UK_MAX_ARGS))
		uk_panic("command line: more than %d arguments and variables", UK_MAX_ARGS / 2 - 3);
	mem_init(bi);
	uk_log(UK_LOG_DEBUG, "RAM for allocation: 0x%lx-0x%lx", uk_pages.base, uk_pages.base + uk_pages.npages * 4096);
	for (const uk_init_fn *fn = __uk_inittab_start; fn < __uk_inittab_end; fn++)
		(*fn)();
	uk_panic("nothing to run: the image has no process library");
}

intptr_t uk_payload_offset;

void uk_payload_move_from(uintptr_t lo, uintptr_t hi)
{
	uintptr_t start = UK_ALIGN_DOWN((uintptr_t)_uk_payload_start, 4096);
	uintptr_t end = UK_ALIGN_UP((uintptr_t)_uk_payload_end, 4096);
	size_t n = (end - start) / 4096;

	if (!n || end <= lo || start >= hi || uk_payload_offset)
		return;
	char *to = uk_page_alloc(n); /* the highest free pages: above the program if RAM allows */
	if (!to || ((uintptr_t)to < hi && (uintptr_t)to + n * 4096 > lo))
		uk_panic("no room to move the image's payload out of the program's way: boot with more memory");
	memcpy(to, (void *)start, n * 4096);
	uk_page_free((void *)start, n);
	uk_payload_offset = (intptr_t)to - (intptr_t)start;
}

void *uk_page_alloc(size_t npages) { return uk_pa_alloc(&uk_pages, npages); }
void uk_page_free(void *addr, size_t npages) { uk_pa_free(&uk_pages, addr, npages); }
