/* Kernel boot sequence (core): parse the command line, set up the page allocator over the
 * largest RAM range above the image, run the init table (the process library's entry is
 * last and never returns). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/image.h>
#include <uk/plat.h>
#include <uk/link.h>
#include <uk/net.h>

UK_OPTIONAL(uk_net_drain);

struct uk_bootargs uk_core_boot;
struct uk_palloc uk_core_pages;
static struct uk_bootinfo *boot_info; /* its busy ranges move with the payload */
/* Fully written before use: kept out of .bss so the entry code need not zero them. */
#define NOZERO __attribute__((section(".bss..nozero.core")))
static char cmdline_copy[4096] NOZERO;  /* the host's buffer may sit in RAM we hand out */
static char *argvec[UK_MAX_ARGS] NOZERO;

#define MAX_MARKS 24
static struct { const char *what; uk_init_fn fn; uint64_t cycles; } marks[MAX_MARKS];
static int nmarks;

static void mark(const char *what, uk_init_fn fn)
{
	if (nmarks < MAX_MARKS)
		marks[nmarks].what = what, marks[nmarks].fn = fn, marks[nmarks++].cycles = uk_arch_cycles();
}

void uk_core_mark(const char *what) { mark(what, 0); }

/* The init function's name, for its mark (from the image's symbol table). */
static const char *init_name(uk_init_fn fn)
{
	uintptr_t offset;
	const char *name = uk_core_symbol((uintptr_t)fn, &offset);

	return name ? name : "init";
}

void uk_core_marks_print(void)
{
	uint64_t last = uk_arch_boot_cycles;

	for (int i = 0; i < nmarks; i++) {
		uint64_t ns = uk_plat_cycles_to_ns(marks[i].cycles - last);
		uk_core_printk("unicore: boot phase %s %lu.%03lu us\n", marks[i].fn ? init_name(marks[i].fn) : marks[i].what, (unsigned long)(ns / 1000),
			       (unsigned long)(ns % 1000));
		last = marks[i].cycles;
	}
}


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

static bool overlaps(uintptr_t at, size_t len, struct uk_memregion r)
{
	return len && r.len && at < r.base + r.len && r.base < at + len;
}

/* Where `len` bytes can end at or below `top` inside r: 0 if they cannot. */
static uintptr_t below(uintptr_t top, size_t len, struct uk_memregion r)
{
	top = UK_ALIGN_DOWN(top, 4096);
	return top >= r.base + len ? top - len : 0;
}

#define LOW_FLOOR 0x10000 /* the first 64 KiB stay out: page 0 is unmapped, real-mode data */

/* The RAM below the kernel (below 640 KiB on a PC; what the platform passed there has been read
 * by now), page-aligned, above LOW_FLOOR; len 0 if there is none. */
static struct uk_memregion low_region(const struct uk_bootinfo *bi)
{
	for (int i = 0; i < bi->nram; i++) {
		uintptr_t start = bi->ram[i].base < LOW_FLOOR ? LOW_FLOOR : bi->ram[i].base;
		uintptr_t end = UK_ALIGN_DOWN(bi->ram[i].base + bi->ram[i].len, 4096);
		start = UK_ALIGN_UP(start, 4096);
		if (end <= (uintptr_t)_uk_image_start && end > start)
			return (struct uk_memregion){ start, end - start };
	}
	return (struct uk_memregion){ 0, 0 };
}

/* The bitmap goes below the kernel, so that it is in no program's way; failing that into the
 * highest pages of the range that hold nothing yet: the payload sits at its bottom (right after
 * the kernel) and the platform's busy ranges (the PVH module, which QEMU puts at the top of RAM)
 * must survive. Returns 0 when there is no room. */
static uintptr_t bitmap_place(const struct uk_bootinfo *bi, struct uk_memregion low, struct uk_memregion r,
			      struct uk_memregion payload, size_t len)
{
	uintptr_t at = low.len >= len ? low.base + low.len - len : 0;

	if (at)
		return at;
	at = below(r.base + r.len, len, r);
	for (bool moved = true; at && moved;) {
		moved = false;
		if (overlaps(at, len, payload))
			at = below(payload.base, len, r), moved = true;
		for (int i = 0; at && i < bi->nbusy; i++)
			if (overlaps(at, len, bi->busy[i]))
				at = below(bi->busy[i].base, len, r), moved = true;
	}
	return at;
}

static void reserve(uintptr_t start, uintptr_t end)
{
	start = UK_ALIGN_DOWN(start, 4096);
	if (end > start)
		uk_core_pa_reserve(&uk_core_pages, start, (UK_ALIGN_UP(end, 4096) - start) / 4096);
}

/* One allocator from the RAM below the kernel to the end of the largest RAM range above it (the
 * legacy hole and the kernel in between are taken); payload, busy ranges and the allocator's own
 * bitmap are taken before anything can allocate. Pages go from the top: low RAM is used last. */
static void mem_init(const struct uk_bootinfo *bi)
{
	struct uk_memregion r = usable_region(bi), low = low_region(bi);
	struct uk_memregion payload = { (uintptr_t)_uk_payload_start, _uk_payload_end - _uk_payload_start };
	uintptr_t base = low.len ? low.base : r.base;
	size_t npages = (r.base + r.len - base) / 4096;
	size_t bitmap_len = UK_ALIGN_UP(uk_core_pa_bitmap_words(npages) * 8, 4096);
	uintptr_t bits = bitmap_place(bi, low, r, payload, bitmap_len);

	if (payload.len && (payload.base < r.base || payload.base + payload.len > r.base + r.len))
		uk_core_panic("out of memory: the image's payload (0x%lx-0x%lx) is not in RAM (0x%lx-0x%lx): boot with more memory (-m)",
			 payload.base, payload.base + payload.len, r.base, r.base + r.len);
	if (!bits || r.len < 16 * 4096)
		uk_core_panic("out of memory: %lu KiB of RAM above the kernel image: boot with more memory (-m)",
			 (unsigned long)(r.len / 1024));
	uk_core_pa_init(&uk_core_pages, base, npages, (uint64_t *)bits);
	reserve(base, r.base);
	if (low.len)
		uk_core_pa_free(&uk_core_pages, (void *)low.base, low.len / 4096);
	reserve(bits, bits + bitmap_len);
	reserve(payload.base, payload.base + payload.len);
	for (int i = 0; i < bi->nbusy; i++)
		reserve(bi->busy[i].base, bi->busy[i].base + bi->busy[i].len);
}

_Noreturn void uk_core_start(struct uk_bootinfo *bi)
{
	uk_core_boot.loglevel = UK_CORE_LOGLEVEL;
	if (strlen(bi->cmdline) >= sizeof(cmdline_copy))
		uk_core_panic("command line longer than %lu bytes", (unsigned long)sizeof(cmdline_copy) - 1);
	memcpy(cmdline_copy, bi->cmdline, strlen(bi->cmdline) + 1);
	if (uk_core_cmdline_parse(cmdline_copy, &uk_core_boot, argvec, UK_MAX_ARGS))
		uk_core_panic("command line: more than %d arguments and variables", UK_MAX_ARGS / 2 - 3);
	uk_core_mark("command line");
	mem_init(bi);
	boot_info = bi;
	uk_core_mark("page allocator");
	uk_core_log(UK_LOG_DEBUG, "RAM for allocation: 0x%lx-0x%lx", uk_core_pages.base, uk_core_pages.base + uk_core_pages.npages * 4096);
	for (const uk_init_fn *fn = __uk_inittab_start; fn < __uk_inittab_end; fn++) {
		(*fn)();
		mark(0, *fn); /* the last one (the program's start) never returns: it marks itself */
	}
	uk_core_panic("nothing to run: the image has no process library");
}

intptr_t uk_core_payload_offset;

/* The highest run of n free pages outside [lo, hi), reserved; 0 if there is none. */
static uintptr_t take_outside(size_t n, uintptr_t lo, uintptr_t hi)
{
	size_t run = 0;

	for (uintptr_t p = uk_core_pages.base + uk_core_pages.npages * 4096; p > uk_core_pages.base;) {
		p -= 4096;
		if (p >= lo && p < hi) {
			p = lo > uk_core_pages.base ? lo : uk_core_pages.base, run = 0;
			continue;
		}
		run = uk_core_pa_is_free(&uk_core_pages, p, 1) ? run + 1 : 0;
		if (run == n) {
			uk_core_pa_reserve(&uk_core_pages, p, n);
			return p;
		}
	}
	return 0;
}

/* Copy the pages holding [start, end) out of [lo, hi) and free them: the offset moved by. */
static intptr_t move_out(uintptr_t start, uintptr_t end, uintptr_t lo, uintptr_t hi, const char *what)
{
	start = UK_ALIGN_DOWN(start, 4096), end = UK_ALIGN_UP(end, 4096);
	size_t n = (end - start) / 4096;

	if (!n || end <= lo || start >= hi)
		return 0;
	uintptr_t to = take_outside(n, lo, hi);
	if (!to)
		uk_core_panic("out of memory: no room to move %s (%lu KiB) out of the program's way (0x%lx-0x%lx): boot with more memory (-m)",
			 what, (unsigned long)(n * 4), lo, hi);
	memcpy((void *)to, (void *)start, n * 4096);
	uk_core_page_free((void *)start, n);
	return (intptr_t)to - (intptr_t)start;
}

/* A fixed-address program's segments [lo, hi) may cover the payload or a busy range (the PVH
 * module, which QEMU puts at the top of RAM): they move to free pages first. */
static bool payload_yielded;

int uk_core_payload_yield_tail(uintptr_t lo, uintptr_t hi)
{
	uintptr_t start = (uintptr_t)_uk_payload_start, end = UK_ALIGN_UP((uintptr_t)_uk_payload_end, 4096);

	if (uk_core_payload_offset || _uk_initrd_end != _uk_initrd_start || start >= lo || end <= lo || end > hi)
		return 0;
	uk_core_pa_free(&uk_core_pages, (void *)lo, (end - lo) / 4096);
	payload_yielded = true;
	return 1;
}

void uk_core_payload_move_from(uintptr_t lo, uintptr_t hi)
{
	if (!uk_core_payload_offset && !payload_yielded)
		uk_core_payload_offset = move_out((uintptr_t)_uk_payload_start, (uintptr_t)_uk_payload_end, lo, hi, "the image's payload");
	for (int i = 0; boot_info && i < boot_info->nbusy; i++) {
		struct uk_memregion *b = &boot_info->busy[i];
		intptr_t by = move_out(b->base, b->base + b->len, lo, hi, "the boot module");
		b->base += by;
	}
}

int uk_core_initrd(const void **buf, size_t *len)
{
	if (boot_info && boot_info->module >= 0 && boot_info->busy[boot_info->module].len) {
		*buf = (const void *)boot_info->busy[boot_info->module].base;
		*len = boot_info->busy[boot_info->module].len;
		return 0;
	}
	if (_uk_initrd_end - _uk_initrd_start == 0)
		return -1;
	*buf = _uk_initrd_start + uk_core_payload_offset;
	*len = (size_t)(_uk_initrd_end - _uk_initrd_start);
	return 0;
}

/* Give back the pages of whichever archive was used: whole pages only, a partial one may hold
 * other data. */
void uk_core_initrd_release(void)
{
	static bool released;
	const void *buf;
	size_t len;

	if (released || uk_core_initrd(&buf, &len))
		return;
	released = true;
	uintptr_t start = UK_ALIGN_UP((uintptr_t)buf, 4096), end = UK_ALIGN_DOWN((uintptr_t)buf + len, 4096);
	if (end > start)
		uk_core_page_free((void *)start, (end - start) / 4096);
}

const char *uk_core_boot_param(const char *key) { return uk_core_bootargs_param(&uk_core_boot, key); }

void *uk_core_page_alloc(size_t npages) { return uk_core_pa_alloc(&uk_core_pages, npages); }
void uk_core_page_free(void *addr, size_t npages) { uk_core_pa_free(&uk_core_pages, addr, npages); }

_Noreturn void uk_core_exit(int status)
{
	if (uk_net_drain)
		uk_net_drain();
	uk_plat_exit(status);
}
