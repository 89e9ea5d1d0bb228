/* Process start (process): the last init step. Load the program embedded in the image
 * (section .uk_app), reserve its pages, build its stack and jump to its entry. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/plat.h>
#include <uk/process.h>
#include <uk/image.h>
#include <uk/exec.h>
#include <uk/posix-mm.h>

/* posix-mm's mapping list, when linked: the program's segments and stack are recorded there. */
UK_OPTIONAL(uk_memory_record);

/* posix-mm's demand stack, for a guest whose RAM cannot hold the stack whole. */
UK_OPTIONAL(uk_memory_stack_map);

/* Present when the exec library is linked: it loads the program itself (lib/exec), later. */
UK_OPTIONAL(uk_exec_load);

struct uk_process uk_process_self;

static void check_program(const struct uk_elf_layout *l)
{
	if (l->interp)
		uk_core_panic("the program is dynamically linked (interpreter %s): not supported yet", l->interp);
	if (l->type != 2)
		uk_core_panic("the program is position-independent: link it with -static -no-pie");
	if (l->lo < (uintptr_t)_end)
		uk_core_panic("the program (0x%lx) overlaps the kernel image (ends at 0x%lx)", l->lo, (uintptr_t)_end);
}

static struct uk_elf_layout layout;

/* Early (before any library allocates): the program's pages are taken first, moving the payload
 * or the boot module out of their way, so that nothing allocated at boot lands there. */
static void reserve_program(void)
{
	const char *err;

	if (uk_exec_load)
		return;
	if (uk_process_elf_parse(uk_app_start, (size_t)(uk_app_end - uk_app_start), 0, &layout, &err))
		uk_core_panic("embedded program: %s", err);
	check_program(&layout);
	if (uk_process_elf_loads_in_place(uk_app_start, layout.lo))
		uk_core_payload_yield_tail(layout.lo, layout.hi); /* uk_process_elf_load loads top-down */
	uk_core_payload_move_from(layout.lo, layout.hi);
	if (uk_core_pa_reserve(&uk_core_pages, layout.lo, (layout.hi - layout.lo) / UK_PAGE_SIZE))
		uk_core_panic("out of memory: the program needs RAM 0x%lx-0x%lx: boot with more memory (-m)", layout.lo, layout.hi);
}
UK_INIT(reserve_program, 1);

static void load_program(struct uk_elf_layout *l)
{
	const char *app = uk_app_start + uk_core_payload_offset, *app_end = uk_app_end + uk_core_payload_offset;

	*l = layout;
	uk_process_elf_load(app, 0);
	/* the embedded copy is not needed any more (the crash symbols are in .uk_ksyms); its last
	 * page may hold the root file system archive */
	uintptr_t first = UK_ALIGN_DOWN((uintptr_t)app, UK_PAGE_SIZE), last = UK_ALIGN_DOWN((uintptr_t)app_end, UK_PAGE_SIZE);
	if (first < l->lo && last > l->lo)
		last = l->lo; /* its tail was the program's own pages (uk_core_payload_yield_tail) */
	if (last > first)
		uk_core_page_free((void *)first, (last - first) / UK_PAGE_SIZE);
	uk_process_self.brk_start = l->hi;
	uk_process_self.entry = l->entry;
	if (uk_memory_record)
		uk_memory_record(l->lo, l->hi, UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC, 0, uk_core_boot.argv[0]);
}

/* The stack in RAM taken whole, the lowest page left unmapped (overflow faults); NULL when RAM
 * cannot hold it (then posix-mm, if linked, backs it as it is touched). */
static void *eager_stack(size_t npages)
{
	char *guard = uk_core_page_alloc(npages + 1), *stack = guard ? guard + UK_PAGE_SIZE : NULL;

	if (!stack)
		return NULL;
	uk_arch_page_unmap((uintptr_t)guard);
	if (uk_memory_record)
		uk_memory_record((uintptr_t)stack, (uintptr_t)stack + npages * UK_PAGE_SIZE, UK_PROT_READ | UK_PROT_WRITE, UK_MEMORY_STACK, NULL);
	return stack;
}

uintptr_t uk_process_stack(const uint64_t *auxv)
{
	size_t npages = UK_PROCESS_STACK_KB / 4;
	void *stack = eager_stack(npages);
	uint8_t random[16];

	if (!stack && uk_memory_stack_map)
		stack = (void *)uk_memory_stack_map(npages * UK_PAGE_SIZE);
	if (!stack)
		uk_core_panic("out of memory: no room for the program's %d KiB stack (UK_PROCESS_STACK_KB): boot with more memory (-m)", UK_PROCESS_STACK_KB);
	uk_core_random_fill(random, sizeof(random));
	uintptr_t sp = uk_process_stack_build(stack, npages * UK_PAGE_SIZE, uk_core_boot.argc, uk_core_boot.argv, uk_core_boot.envp,
				      auxv, random, UK_ARCH_NAME);
	if (!sp)
		uk_core_panic("arguments and environment do not fit the program's stack");
	return sp;
}

static uintptr_t build_stack(const struct uk_elf_layout *l)
{
	const uint64_t auxv[] = {
		UK_AT_PHDR, l->phdr, UK_AT_PHENT, l->phent, UK_AT_PHNUM, l->phnum,
		UK_AT_PAGESZ, UK_PAGE_SIZE, UK_AT_BASE, 0, UK_AT_FLAGS, 0, UK_AT_ENTRY, l->entry,
		UK_AT_UID, 0, UK_AT_EUID, 0, UK_AT_GID, 0, UK_AT_EGID, 0, UK_AT_SECURE, 0,
		UK_AT_HWCAP, uk_arch_hwcap(), UK_AT_CLKTCK, 100, UK_AT_PLATFORM, 0,
		UK_AT_RANDOM, 0, UK_AT_EXECFN, 0, UK_AT_NULL, 0,
	};
	return uk_process_stack(auxv);
}

void uk_process_report_boot_time(void)
{
	uint64_t cycles = uk_arch_cycles() - uk_arch_boot_cycles;
	uint64_t ns = uk_plat_cycles_to_ns(cycles); /* calibrates the clock: after the measurement */

	uk_core_printk("unicore: boot %lu cycles, %lu.%03lu us (PVH entry to program entry)\n",
		  (unsigned long)cycles, (unsigned long)(ns / 1000), (unsigned long)(ns % 1000));
	uk_core_marks_print();
}

static void uk_process_main(void)
{
	struct uk_elf_layout l;

	load_program(&l);
	uk_core_mark("program load");
	uintptr_t sp = build_stack(&l);
	uk_core_mark("program stack");
	if (uk_core_boot.boottime)
		uk_process_report_boot_time();
	uk_arch_enter_program(l.entry, sp);
}
UK_INIT(uk_process_main, 9);
