/* Memory syscalls (posix-mm): mmap, munmap, mprotect, madvise, mremap, mincore over the mapping
 * list (vmspace.c). Anonymous maps are demand maps above 4 GiB (reserved, backed on first touch,
 * protection enforced), so a program may reserve far more than the guest's RAM as on Linux.
 * MAP_FIXED below 4 GiB (into the identity-mapped RAM: a program's own segments) takes and
 * zeroes those pages at once, as before; mprotect there rewrites the identity map's entries (its
 * 2 MiB pages split), and those pages get their full rights back before they are reused. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/syscall.h>
#include <uk/posix-mm.h>
#include <uk/vfs.h>

#define MAP_SHARED 0x01
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_POPULATE 0x8000
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MADV_DONTNEED 4
#define MADV_FREE 8

static size_t pages_of(long len) { return UK_ALIGN_UP((uintptr_t)len, UK_PAGE_SIZE) / UK_PAGE_SIZE; }
static bool demand(uintptr_t a) { return a >= UK_ARCH_IDENTITY_TOP; }
static struct uk_memory_space *mm(void) { return &uk_memory_current; }

/* File-backed mappings are the vfs's, when the plan has one. */
UK_OPTIONAL(uk_vfs_mmap_file);

static bool overlaps(uintptr_t lo, uintptr_t hi)
{
	for (struct uk_memory_vma *v = mm()->vmas; v && v->lo < hi; v = v->next)
		if (v->hi > lo)
			return true;
	return false;
}

static bool fits(uintptr_t lo, size_t len)
{
	return lo + len > lo && lo + len <= UK_ARCH_USER_TOP;
}

/* A forked process's own copy of low pages (a demand mapping of its own root, lib/proc): its
 * entries map other pages than the identity map's, so they are protected as demand ones. */
static bool own_low(uintptr_t lo)
{
	struct uk_memory_vma *v = uk_memory_find(mm(), lo);

	return v && (v->flags & UK_MEMORY_DEMAND);
}

/* Identity pages in [lo, hi) that mprotect restricted get read and write back (the kernel
 * zeroes or reuses them next). */
static void identity_release(uintptr_t lo, uintptr_t hi)
{
	for (struct uk_memory_vma *v = mm()->vmas; v && v->lo < hi; v = v->next)
		if ((v->flags & UK_MEMORY_ENFORCED) && !(v->flags & UK_MEMORY_DEMAND) && v->hi > lo)
			for (uintptr_t va = v->lo > lo ? v->lo : lo; va < v->hi && va < hi; va += UK_PAGE_SIZE)
				uk_arch_pt_map(mm()->root, va, va, UK_PROT_READ | UK_PROT_WRITE);
}

static long protect_identity(uintptr_t lo, uintptr_t hi, long prot)
{
	for (uintptr_t va = lo; va < hi; va += UK_PAGE_SIZE)
		if (uk_arch_pt_map(mm()->root, va, va, (int)prot))
			return -ENOMEM; /* no page for the split table */
	uk_memory_protect(mm(), lo, hi, (int)prot);
	for (struct uk_memory_vma *v = uk_memory_find(mm(), lo); v && v->lo < hi; v = v->next)
		v->flags |= UK_MEMORY_ENFORCED;
	return 0;
}

static long map_identity(uintptr_t addr, size_t n, long prot, long flags)
{
	if (!uk_core_pa_is_free(&uk_core_pages, addr, n) && (flags & MAP_FIXED_NOREPLACE))
		return -EEXIST;
	identity_release(addr, addr + n * UK_PAGE_SIZE);
	uk_core_pa_reserve(&uk_core_pages, addr, n); /* replaces what was there, as Linux does */
	memset((void *)addr, 0, n * UK_PAGE_SIZE);
	uk_memory_insert(mm(), addr, addr + n * UK_PAGE_SIZE, (int)prot, 0, NULL, 0);
	return (long)addr;
}

static long map_demand(uintptr_t addr, size_t len, long prot, long flags)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!fits(addr, len))
			return -ENOMEM;
		if ((flags & MAP_FIXED_NOREPLACE) && overlaps(addr, addr + len))
			return -EEXIST;
	} else if (!addr || addr % UK_PAGE_SIZE || !demand(addr) || !fits(addr, len) || overlaps(addr, addr + len)) {
		if (!(addr = uk_memory_gap(mm(), len)))
			return -ENOMEM; /* the hint is only a hint */
	}
	int kind = UK_MEMORY_DEMAND | ((flags & MAP_SHARED) ? UK_MEMORY_SHARED : 0);
	if (uk_memory_insert(mm(), addr, addr + len, (int)prot, kind, NULL, 0))
		return -ENOMEM;
	if ((flags & MAP_POPULATE) && uk_memory_populate(mm(), addr, addr + len)) {
		uk_memory_remove(mm(), addr, addr + len);
		return -ENOMEM;
	}
	return (long)addr;
}

UK_SYSCALL(mmap)
{
	uintptr_t addr = (uintptr_t)a0;

	if (a1 <= 0)
		return -EINVAL;
	if (!(a3 & MAP_ANONYMOUS))
		return uk_vfs_mmap_file ? uk_vfs_mmap_file(a0, a1, a2, a3, a4, a5) : -ENODEV;
	if ((a3 & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && addr % UK_PAGE_SIZE)
		return -EINVAL;
	if ((a3 & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && !demand(addr))
		return map_identity(addr, pages_of(a1), a2, a3);
	return map_demand(addr, pages_of(a1) * UK_PAGE_SIZE, a2, a3);
}

UK_SYSCALL(munmap)
{
	uintptr_t lo = (uintptr_t)a0, hi = lo + pages_of(a1) * UK_PAGE_SIZE;

	if (lo % UK_PAGE_SIZE || a1 <= 0)
		return -EINVAL;
	if (!demand(lo)) {
		identity_release(lo, hi);
		for (uintptr_t va = lo; va < hi; va += UK_PAGE_SIZE) {
			struct uk_memory_vma *v = uk_memory_find(mm(), va);
			if (!v || !(v->flags & UK_MEMORY_DEMAND))
				uk_memory_page_put(va); /* identity RAM; a process's own low pages go with the mapping */
		}
	}
	uk_memory_remove(mm(), lo, hi);
	return 0;
}

/* Enforced everywhere; below 4 GiB only on ranges the mapping list knows (the program's own),
 * elsewhere there it is accepted and ignored, as before the list recorded every segment. */
UK_SYSCALL(mprotect)
{
	uintptr_t lo = (uintptr_t)a0, hi = lo + pages_of(a1) * UK_PAGE_SIZE;

	if (lo % UK_PAGE_SIZE || a1 < 0)
		return -EINVAL;
	if (lo == hi)
		return 0;
	if (demand(lo) || own_low(lo))
		return uk_memory_protect(mm(), lo, hi, (int)a2);
	if (uk_memory_covered(mm(), lo, hi))
		return protect_identity(lo, hi, a2);
	return 0;
}

UK_SYSCALL(madvise)
{
	uintptr_t lo = (uintptr_t)a0, hi = lo + pages_of(a1) * UK_PAGE_SIZE;

	if (lo % UK_PAGE_SIZE || a1 < 0)
		return -EINVAL;
	if (demand(lo) && !uk_memory_covered(mm(), lo, hi))
		return -ENOMEM;
	if (a2 != MADV_DONTNEED && a2 != MADV_FREE)
		return 0;
	if (demand(lo)) /* the pages go back; the next touch sees zeros */
		uk_memory_drop_pages(mm(), lo, hi);
	else
		memset((void *)lo, 0, hi - lo);
	return 0;
}

UK_SYSCALL(mincore)
{
	uintptr_t lo = (uintptr_t)a0, hi = lo + pages_of(a1) * UK_PAGE_SIZE;

	if (lo % UK_PAGE_SIZE)
		return -EINVAL;
	if (lo == hi)
		return 0;
	if (!fits(lo, hi - lo))
		return -ENOMEM;
	return uk_memory_resident(mm(), lo, hi, (unsigned char *)a2);
}
