/* brk(2) (posix-mm): the break starts right after the program's segments and grows while
 * the following pages are free (the page allocator hands out pages from the top, so they
 * usually are). When it cannot grow, it returns the old break, and musl falls back to mmap.
 * The mapping list records the heap as one identity mapping, [heap] in /proc/self/maps.
 * With processes (lib/proc) the break lives in the demand-paged part instead, from 4 GiB up
 * (as Linux's randomised break, not right after the program): fork then shares the heap
 * copy-on-write. A heap a process inherited in the identity-mapped part (its own copy there)
 * may move the break inside that copy but not grow past it (the allocator then uses mmap). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/process.h>
#include <uk/syscall.h>
#include <uk/posix-mm.h>
#include <uk/proc.h>

UK_OPTIONAL(uk_proc_getpid);

#define DEMAND_BRK UK_ARCH_IDENTITY_TOP

static long move_copied(struct uk_memory_space *s, const struct uk_memory_vma *heap, uintptr_t want)
{
	if (UK_ALIGN_UP(want, UK_PAGE_SIZE) <= heap->hi)
		s->brk = want;
	return (long)s->brk;
}

static bool free_range(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi)
{
	for (struct uk_memory_vma *v = s->vmas; v && v->lo < hi; v = v->next)
		if (v->hi > lo)
			return false;
	return true;
}

/* The break in the demand-paged part: the heap mapping grows or shrinks at its end. */
static long move_demand(struct uk_memory_space *s, uintptr_t start, uintptr_t want)
{
	uintptr_t have_end = UK_ALIGN_UP(s->brk, UK_PAGE_SIZE), want_end = UK_ALIGN_UP(want, UK_PAGE_SIZE);
	struct uk_memory_vma *heap = have_end > start ? uk_memory_find(s, have_end - 1) : NULL;

	if (want_end > have_end) {
		if (!free_range(s, have_end, want_end))
			return (long)s->brk;
		if (heap && heap->hi == have_end && (heap->flags & UK_MEMORY_HEAP))
			heap->hi = want_end;
		else if (uk_memory_insert(s, have_end, want_end, UK_PROT_READ | UK_PROT_WRITE,
					  UK_MEMORY_DEMAND | UK_MEMORY_HEAP, NULL, 0))
			return (long)s->brk;
	} else if (want_end < have_end) {
		uk_memory_remove(s, want_end, have_end);
	}
	s->brk = want;
	return (long)s->brk;
}

UK_SYSCALL(brk)
{
	struct uk_memory_space *s = &uk_memory_current;

	if (uk_proc_getpid && uk_process_self.brk_start < UK_ARCH_IDENTITY_TOP && !s->brk)
		uk_process_self.brk_start = DEMAND_BRK;
	uintptr_t want = (uintptr_t)a0, start = uk_process_self.brk_start;
	if (!s->brk)
		s->brk = start;
	if (want < start)
		return (long)s->brk;
	if (start >= UK_ARCH_IDENTITY_TOP)
		return move_demand(s, start, want);
	struct uk_memory_vma *heap = uk_memory_find(s, start);
	if (heap && (heap->flags & UK_MEMORY_DEMAND))
		return move_copied(s, heap, want);
	uintptr_t have_end = UK_ALIGN_UP(s->brk, UK_PAGE_SIZE), want_end = UK_ALIGN_UP(want, UK_PAGE_SIZE);
	if (want_end > have_end) {
		size_t n = (want_end - have_end) / UK_PAGE_SIZE;
		if (!uk_core_pa_is_free(&uk_core_pages, have_end, n))
			return (long)s->brk;
		uk_core_pa_reserve(&uk_core_pages, have_end, n);
		memset((void *)have_end, 0, want_end - have_end);
	} else if (want_end < have_end) {
		for (uintptr_t pa = want_end; pa < have_end; pa += UK_PAGE_SIZE)
			uk_memory_page_put(pa);
	}
	s->brk = want;
	uk_memory_remove(s, start, have_end);
	if (want_end > start)
		uk_memory_insert(s, start, want_end, UK_PROT_READ | UK_PROT_WRITE, UK_MEMORY_HEAP, NULL, 0);
	return (long)s->brk;
}
