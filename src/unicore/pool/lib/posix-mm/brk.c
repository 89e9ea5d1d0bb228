/* brk(2) (posix-mm): the break starts right after the program's segments and grows while
 * the following pages are free (the page allocator hands out pages from the top, so they
 * usually are). When it cannot grow, it returns the old break, and musl falls back to mmap.
 * The mapping list records the heap as one identity mapping, [heap] in /proc/self/maps.
 * A forked process's heap is its own copy (a demand mapping of its own root): it may move
 * the break inside that copy but not grow past it (the allocator then uses mmap). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/process.h>
#include <uk/syscall.h>
#include <uk/posix-mm.h>

static long move_copied(struct uk_memory_space *s, const struct uk_memory_vma *heap, uintptr_t want)
{
	if (UK_ALIGN_UP(want, UK_PAGE_SIZE) <= heap->hi)
		s->brk = want;
	return (long)s->brk;
}

UK_SYSCALL(brk)
{
	struct uk_memory_space *s = &uk_memory_current;
	uintptr_t want = (uintptr_t)a0, start = uk_process_self.brk_start;

	if (!s->brk)
		s->brk = start;
	if (want < start)
		return (long)s->brk;
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
