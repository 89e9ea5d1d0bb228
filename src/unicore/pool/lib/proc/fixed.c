/* A fixed-address program in a process (proc): exec places an ET_EXEC object at its own addresses,
 * where virtual is physical (the identity map). When another process has the RAM there (the
 * parent runs the same program, or another one linked at that address), the exec'ing process,
 * which has an address space of its own, gets fresh pages mapped at those addresses instead, as
 * fork's copies are, and holds the RAM of the range for as long as its space lives: that RAM is
 * never given to the kernel's allocator meanwhile, so the kernel never uses RAM whose address
 * this process sees as its own.
 *
 * Only RAM that programs have can be covered that way: the kernel reads its own memory (heap,
 * page tables, the image's payload) through the identity map in every space, so a range with
 * such a page in it keeps the exec library's error. A program's page is one of an identity
 * mapping of some space (its segments, stack, low fixed maps) or inside a hold of one. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/posix-mm.h>
#include "proc_priv.h"

/* The end of the program's range of space s (the live copy for the running process) around pa,
 * or 0 when pa is not in one. */
static uintptr_t program_range_end(const struct uk_memory_space *s, const struct proc_mm *m, uintptr_t pa)
{
	for (const struct uk_memory_vma *v = s->vmas; v; v = v->next)
		if (!(v->flags & UK_MEMORY_DEMAND) && v->lo <= pa && pa < v->hi && v->hi <= UK_ARCH_IDENTITY_TOP)
			return v->hi;
	for (const struct hold *h = m->holds; h; h = h->next)
		if (h->lo <= pa && pa < h->hi)
			return h->hi;
	return 0;
}

static uintptr_t any_program_range_end(uintptr_t pa)
{
	struct proc *cur = uk_proc_cur();

	for (struct proc *p = uk_proc_all; p; p = p->all_next) {
		if (!p->mm)
			continue;
		const struct uk_memory_space *s = p->mm == cur->mm ? &uk_memory_current : p->mm;
		uintptr_t end = program_range_end(s, (const struct proc_mm *)p->mm, pa);
		if (end)
			return end;
	}
	return 0;
}

/* Every page of [lo, hi) is free or a program's. */
static bool programs_only(uintptr_t lo, uintptr_t hi)
{
	uintptr_t top = uk_core_pages.base + uk_core_pages.npages * UK_PAGE_SIZE;

	if (lo < uk_core_pages.base || hi > top)
		return false;
	for (uintptr_t pa = lo; pa < hi;) {
		uintptr_t end;
		if (uk_core_pa_is_free(&uk_core_pages, pa, 1))
			pa += UK_PAGE_SIZE;
		else if ((end = any_program_range_end(pa)))
			pa = end;
		else
			return false;
	}
	return true;
}

static void unmap_cb(uintptr_t va, uint64_t *e, void *arg)
{
	(void)va;
	(void)arg;
	uk_core_page_free((void *)uk_arch_pt_entry_addr(*e), 1);
	*e = 0;
}

/* Fresh pages at [lo, hi) of the running space; none left on failure. */
static int map_fresh(uintptr_t lo, uintptr_t hi)
{
	uintptr_t root = uk_memory_current.root;

	for (uintptr_t va = lo; va < hi; va += UK_PAGE_SIZE) {
		void *n = uk_core_page_alloc(1);
		if (!n || uk_arch_pt_map(root, va, (uintptr_t)n, UK_PROT_READ | UK_PROT_WRITE | UK_PROT_EXEC)) {
			uk_core_page_free(n, 1);
			uk_arch_pt_walk(root, lo, va, unmap_cb, NULL);
			return -1;
		}
	}
	uk_memory_count(&uk_memory_current, (long)((hi - lo) / UK_PAGE_SIZE));
	return 0;
}

/* The hold comes first: the fresh pages must not be taken from the range itself. */
int uk_proc_exec_fixed(uintptr_t lo, uintptr_t hi)
{
	struct proc_mm *m = (struct proc_mm *)uk_proc_cur()->mm;

	if (!m || uk_memory_current.root == uk_arch_pt_boot() || !programs_only(lo, hi))
		return -1;
	if (uk_proc_mm_hold(m, lo, hi))
		return -1;
	if (map_fresh(lo, hi))
		return -1; /* the hold goes with the space: the exec fails and the process ends */
	return 0;
}
