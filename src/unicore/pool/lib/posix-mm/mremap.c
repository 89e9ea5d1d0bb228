/* mremap (posix-mm). A demand map grows in place when the addresses after it are free, else
 * (MREMAP_MAYMOVE) moves: its page-table entries move to the new place, no byte is copied.
 * Identity-mapped RAM (below 4 GiB) grows into free pages or is copied, as before. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/syscall.h>
#include <uk/posix-mm.h>

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2

static size_t pages_of(long len) { return UK_ALIGN_UP((uintptr_t)len, UK_PAGE_SIZE) / UK_PAGE_SIZE; }

static bool free_range(struct uk_memory_space *s, uintptr_t lo, uintptr_t hi)
{
	if (hi < lo || hi > UK_ARCH_USER_TOP)
		return false;
	for (struct uk_memory_vma *v = s->vmas; v && v->lo < hi; v = v->next)
		if (v->hi > lo)
			return false;
	return true;
}

struct move { struct uk_memory_space *s; uintptr_t from, to; int prot; };

static void move_cb(uintptr_t va, uint64_t *e, void *arg)
{
	struct move *m = arg;

	uk_arch_pt_map(m->s->root, m->to + (va - m->from), uk_arch_pt_entry_addr(*e), m->prot);
	*e = 0;
}

static long move_demand(struct uk_memory_space *s, struct uk_memory_vma *v, uintptr_t old, size_t oldlen, size_t newlen, uintptr_t to)
{
	struct move m = { s, old, to, v->prot };
	int flags = v->flags;

	if (!to || uk_memory_insert(s, to, to + newlen, v->prot, flags, NULL, 0))
		return -ENOMEM;
	uk_arch_pt_walk(s->root, old, old + (oldlen < newlen ? oldlen : newlen), move_cb, &m);
	uk_memory_remove(s, old, old + oldlen);
	return (long)to;
}

static long remap_demand(uintptr_t old, size_t oldlen, size_t newlen, long flags, uintptr_t fixed)
{
	struct uk_memory_space *s = &uk_memory_current;
	struct uk_memory_vma *v = uk_memory_find(s, old);

	if (!v || !uk_memory_covered(s, old, old + oldlen))
		return -EFAULT;
	if (flags & MREMAP_FIXED) {
		if (fixed % UK_PAGE_SIZE || fixed < UK_ARCH_IDENTITY_TOP || !(flags & MREMAP_MAYMOVE))
			return -EINVAL;
		uk_memory_remove(s, fixed, fixed + newlen);
		return move_demand(s, v, old, oldlen, newlen, fixed);
	}
	if (newlen <= oldlen) {
		uk_memory_remove(s, old + newlen, old + oldlen);
		return (long)old;
	}
	if (free_range(s, old + oldlen, old + newlen)) {
		uk_memory_insert(s, old + oldlen, old + newlen, v->prot, v->flags, NULL, 0);
		return (long)old;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	return move_demand(s, v, old, oldlen, newlen, uk_memory_gap(s, newlen));
}

static long remap_identity(uintptr_t old, size_t oldn, size_t newn, long flags)
{
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
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	void *p = uk_core_page_alloc(newn);
	if (!p)
		return -ENOMEM;
	memcpy(p, (void *)old, oldn * UK_PAGE_SIZE);
	memset((char *)p + oldn * UK_PAGE_SIZE, 0, (newn - oldn) * UK_PAGE_SIZE);
	uk_core_page_free((void *)old, oldn);
	return (long)p;
}

UK_SYSCALL(mremap)
{
	uintptr_t old = (uintptr_t)a0;
	size_t oldn = pages_of(a1), newn = pages_of(a2);

	if (old % UK_PAGE_SIZE || !newn || (a3 & ~(long)(MREMAP_MAYMOVE | MREMAP_FIXED)))
		return -EINVAL;
	if (old >= UK_ARCH_IDENTITY_TOP)
		return remap_demand(old, oldn * UK_PAGE_SIZE, newn * UK_PAGE_SIZE, a3, (uintptr_t)a4);
	struct uk_memory_vma *v = uk_memory_find(&uk_memory_current, old);
	int prot = v ? v->prot : UK_PROT_READ | UK_PROT_WRITE;
	long r = remap_identity(old, oldn, newn, a3);
	if (r >= 0) { /* the list follows */
		uk_memory_remove(&uk_memory_current, old, old + oldn * UK_PAGE_SIZE);
		uk_memory_insert(&uk_memory_current, (uintptr_t)r, (uintptr_t)r + newn * UK_PAGE_SIZE, prot, 0, NULL, 0);
	}
	return r;
}
