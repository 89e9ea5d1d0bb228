/* brk(2) (posix-mm): the break starts right after the program's segments and grows while
 * the following pages are free (the page allocator hands out pages from the top, so they
 * usually are). When it cannot grow, it returns the old break, and musl falls back to mmap.
 * The mapping list records the heap as one identity mapping, [heap] in /proc/self/maps. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/process.h>
#include <uk/syscall.h>
#include <uk/posix-mm.h>

static uintptr_t cur;

UK_SYSCALL(brk)
{
	uintptr_t want = (uintptr_t)a0;

	if (!cur)
		cur = uk_process_self.brk_start;
	if (want < uk_process_self.brk_start)
		return (long)cur;
	uintptr_t have_end = UK_ALIGN_UP(cur, UK_PAGE_SIZE), want_end = UK_ALIGN_UP(want, UK_PAGE_SIZE);
	if (want_end > have_end) {
		size_t n = (want_end - have_end) / UK_PAGE_SIZE;
		if (!uk_core_pa_is_free(&uk_core_pages, have_end, n))
			return (long)cur;
		uk_core_pa_reserve(&uk_core_pages, have_end, n);
		memset((void *)have_end, 0, want_end - have_end);
	} else if (want_end < have_end) {
		uk_core_pa_free(&uk_core_pages, (void *)want_end, (have_end - want_end) / UK_PAGE_SIZE);
	}
	cur = want;
	uk_memory_remove(&uk_memory_current, uk_process_self.brk_start, have_end);
	if (want_end > uk_process_self.brk_start)
		uk_memory_insert(&uk_memory_current, uk_process_self.brk_start, want_end, UK_PROT_READ | UK_PROT_WRITE, UK_MEMORY_HEAP, NULL, 0);
	return (long)cur;
}
