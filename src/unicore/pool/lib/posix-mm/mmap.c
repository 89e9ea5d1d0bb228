/* Anonymous memory (posix-mm): mmap takes zeroed pages from the page allocator (one address
 * space, identity-mapped: protection bits are accepted and not enforced). */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/syscall.h>
#include <uk/posix-mm.h>
#include <uk/vfs.h>

#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MADV_DONTNEED 4

static size_t pages_of(long len) { return UK_ALIGN_UP((uintptr_t)len, UK_PAGE_SIZE) / UK_PAGE_SIZE; }

/* File-backed mappings are the vfs's, when the plan has one. */
UK_OPTIONAL(uk_vfs_mmap_file);

static long map_fixed(uintptr_t addr, size_t n, long flags)
{
	if (addr % UK_PAGE_SIZE)
		return -EINVAL;
	if (!uk_core_pa_is_free(&uk_core_pages, addr, n) && (flags & MAP_FIXED_NOREPLACE))
		return -EEXIST;
	uk_core_pa_reserve(&uk_core_pages, addr, n); /* replaces what was there, as Linux does */
	memset((void *)addr, 0, n * UK_PAGE_SIZE);
	return (long)addr;
}

UK_SYSCALL(mmap)
{
	if (a1 <= 0)
		return -EINVAL;
	if (!(a3 & MAP_ANONYMOUS))
		return uk_vfs_mmap_file ? uk_vfs_mmap_file(a0, a1, a2, a3, a4, a5) : -ENODEV;
	size_t n = pages_of(a1);
	if (a3 & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		return map_fixed((uintptr_t)a0, n, a3);
	void *p = uk_core_page_alloc(n);
	if (!p)
		return -ENOMEM;
	return (long)memset(p, 0, n * UK_PAGE_SIZE);
}

UK_SYSCALL(munmap)
{
	if (a0 % UK_PAGE_SIZE || a1 <= 0)
		return -EINVAL;
	uk_core_page_free((void *)a0, pages_of(a1));
	return 0;
}

UK_SYSCALL(mprotect) { return a0 % UK_PAGE_SIZE ? -EINVAL : 0; }

UK_SYSCALL(madvise)
{
	if (a2 == MADV_DONTNEED) /* the next read must see zeros */
		memset((void *)a0, 0, pages_of(a1) * UK_PAGE_SIZE);
	return 0;
}

UK_SYSCALL(mremap)
{
	uintptr_t old = (uintptr_t)a0;
	size_t oldn = pages_of(a1), newn = pages_of(a2);

	if (old % UK_PAGE_SIZE || !newn)
		return -EINVAL;
	if (newn <= oldn) {
		uk_core_page_free((void *)(old + newn * UK_PAGE_SIZE), oldn - newn);
		return (long)old;
	}
	uintptr_t tail = old + oldn * UK_PAGE_SIZE;
	if (uk_core_pa_is_free(&uk_core_pages, tail, newn - oldn)) {
		uk_core_pa_reserve(&uk_core_pages, tail, newn - oldn);
		memset((void *)tail, 0, (newn - oldn) * UK_PAGE_SIZE);
		return (long)old;
	}
	if (!(a3 & MREMAP_MAYMOVE))
		return -ENOMEM;
	void *p = uk_core_page_alloc(newn);
	if (!p)
		return -ENOMEM;
	memcpy(p, (void *)old, oldn * UK_PAGE_SIZE);
	memset((char *)p + oldn * UK_PAGE_SIZE, 0, (newn - oldn) * UK_PAGE_SIZE);
	uk_core_page_free((void *)old, oldn);
	return (long)p;
}
