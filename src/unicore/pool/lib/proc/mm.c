/* Address spaces of processes (proc): fork's copy, copy-on-write, and the end of a space.
 *
 * After fork, a private demand page (above 4 GiB) is mapped read-only in both spaces and counted
 * shared; the first write in either copies it (uk_proc_cow_fault), the last one keeps it.
 * MAP_SHARED pages stay writable in both. The identity-mapped part of a program (its segments,
 * stack and heap below 4 GiB, where virtual is physical for the kernel too) cannot be shared that
 * way: the child gets copies at the same addresses in tables of its own, and holds the parent's
 * pages at those addresses reserved (a hold), so that the kernel never uses RAM whose address the
 * child sees as its own; a hold is one more sharer of the page, released when the child's space
 * ends. The share counts are one 16-bit counter per RAM page: extra sharers, 0 for one owner. */
#include <uk/arch.h>
#include <uk/core.h>
#include <uk/posix-mm.h>
#include "proc_priv.h"

static uint16_t *shares;
static size_t shared_now;

void uk_proc_pages_init(void)
{
	size_t bytes = uk_core_pages.npages * sizeof(uint16_t);

	shares = uk_core_page_alloc(UK_ALIGN_UP(bytes, UK_PAGE_SIZE) / UK_PAGE_SIZE);
	if (!shares)
		uk_core_panic("out of memory: no room for the page share counts of processes");
	memset(shares, 0, bytes);
}

static uint16_t *count_of(uintptr_t pa)
{
	size_t i = (pa - uk_core_pages.base) / UK_PAGE_SIZE;

	return pa >= uk_core_pages.base && i < uk_core_pages.npages ? &shares[i] : NULL;
}

static void page_get(uintptr_t pa)
{
	uint16_t *c = count_of(pa);

	if (c && !(*c)++)
		shared_now++;
}

void uk_proc_page_put(uintptr_t pa)
{
	uint16_t *c = count_of(pa);

	if (c && *c) {
		if (!--*c)
			shared_now--;
		return;
	}
	uk_core_page_free((void *)pa, 1);
}

int uk_proc_page_shared(uintptr_t pa)
{
	uint16_t *c = count_of(pa);

	return c && *c;
}

size_t uk_proc_pages_shared(void) { return shared_now; }

/* ---- copy-on-write ---- */

int uk_proc_cow_fault(struct uk_memory_space *s, uintptr_t va)
{
	struct uk_memory_vma *v = uk_memory_find(s, va);
	uintptr_t pa = uk_arch_pt_lookup(s->root, va);

	if (!v || !pa)
		return 0;
	if (!uk_proc_page_shared(pa))
		return uk_arch_pt_map(s->root, va, pa, v->prot) == 0; /* the other sharers are gone */
	void *n = uk_core_page_alloc(1);
	if (!n)
		return 0;
	memcpy(n, (void *)pa, UK_PAGE_SIZE);
	if (uk_arch_pt_map(s->root, va, (uintptr_t)n, v->prot)) {
		uk_core_page_free(n, 1);
		return 0;
	}
	uk_proc_page_put(pa);
	s->faults++;
	return 1;
}

void uk_proc_mm_write32(struct uk_memory_space *s, uintptr_t va, uint32_t value)
{
	uintptr_t page = UK_ALIGN_DOWN(va, UK_PAGE_SIZE), pa = uk_arch_pt_lookup(s->root, page);

	if (pa && uk_proc_page_shared(pa) && uk_memory_find(s, page) && !(uk_memory_find(s, page)->flags & UK_MEMORY_SHARED)) {
		uk_proc_cow_fault(s, page);
		pa = uk_arch_pt_lookup(s->root, page);
	}
	if (!pa && va < UK_ARCH_IDENTITY_TOP)
		pa = page; /* the identity map */
	if (pa)
		*(uint32_t *)(pa + (va - page)) = value;
}

/* ---- fork's copy ---- */

struct copy {
	struct uk_memory_space *child;
	const struct uk_memory_vma *v;
	int err;
};

static int map_copy(struct uk_memory_space *c, uintptr_t va, const void *from, int prot)
{
	void *n = uk_core_page_alloc(1);

	if (!n)
		return -1;
	memcpy(n, from, UK_PAGE_SIZE);
	if (uk_arch_pt_map(c->root, va, (uintptr_t)n, prot)) {
		uk_core_page_free(n, 1);
		return -1;
	}
	uk_memory_count(c, 1);
	return 0;
}

/* One resident page of a parent's demand mapping. */
static void demand_cb(uintptr_t va, uint64_t *e, void *arg)
{
	struct copy *k = arg;
	uintptr_t pa = uk_arch_pt_entry_addr(*e);
	int prot = k->v->prot;

	if (k->err)
		return;
	if (va < UK_ARCH_IDENTITY_TOP) { /* a forked process's own low copy: copied again */
		k->err = map_copy(k->child, va, (void *)pa, prot);
		return;
	}
	if (!(k->v->flags & UK_MEMORY_SHARED) && (prot & UK_PROT_WRITE)) {
		prot &= ~UK_PROT_WRITE;
		*e = uk_arch_pt_entry(pa, prot); /* the parent's too: its next write copies */
	}
	if (!(*e & 1))
		prot = 0; /* PROT_NONE: resident, not accessible */
	if (uk_arch_pt_map(k->child->root, va, pa, prot)) {
		k->err = -1;
		return;
	}
	page_get(pa);
	uk_memory_count(k->child, 1);
}

/* Another space's pages count one sharer more; a free page (exec's fixed range, uk_proc_exec_fixed)
 * is taken: the hold owns it, and its release frees it. */
int uk_proc_mm_hold(struct proc_mm *m, uintptr_t lo, uintptr_t hi)
{
	struct hold *h = uk_core_zalloc(sizeof(*h));

	if (!h)
		return -1;
	*h = (struct hold){ lo, hi, m->holds };
	m->holds = h;
	for (uintptr_t pa = lo; pa < hi; pa += UK_PAGE_SIZE)
		if (uk_core_pa_is_free(&uk_core_pages, pa, 1))
			uk_core_pa_reserve(&uk_core_pages, pa, 1);
		else
			page_get(pa);
	return 0;
}

/* An identity mapping of the parent: copies at the same addresses, the parent's pages held. Of
 * the forking thread's stack only the part in use: below its stack pointer (and red zone) the
 * child starts with zero pages on demand, as nothing there is live. */
static int copy_identity(struct proc_mm *m, const struct uk_memory_vma *v)
{
	int prot = v->prot | UK_PROT_READ;
	uintptr_t sp = uk_arch_regs_sp(uk_arch_syscall_regs()), from = v->lo;

	if ((v->flags & UK_MEMORY_STACK) && sp - 256 > v->lo && sp <= v->hi)
		from = UK_ALIGN_DOWN(sp - 256, UK_PAGE_SIZE);
	for (uintptr_t va = from; va < v->hi; va += UK_PAGE_SIZE)
		if (map_copy(&m->s, va, (void *)va, prot))
			return -1;
	return uk_proc_mm_hold(m, v->lo, v->hi);
}

/* Low addresses of the child start absent, not as the identity map's pages (which are others'). */
static int clear_low(struct uk_memory_space *c, uintptr_t lo, uintptr_t hi)
{
	for (uintptr_t va = lo; va < hi && va < UK_ARCH_IDENTITY_TOP; va += UK_PAGE_SIZE)
		if (uk_arch_pt_map(c->root, va, 0, 0))
			return -1;
	return 0;
}

static int copy_vma(struct proc_mm *m, const struct uk_memory_vma *v, struct uk_memory_space *parent)
{
	int flags = (v->flags | UK_MEMORY_DEMAND) & ~UK_MEMORY_ENFORCED; /* its own entries now */

	if (uk_memory_insert(&m->s, v->lo, v->hi, v->prot, flags, v->name, v->off) || clear_low(&m->s, v->lo, v->hi))
		return -1;
	if (!(v->flags & UK_MEMORY_DEMAND))
		return copy_identity(m, v);
	struct copy k = { &m->s, v, 0 };
	uk_arch_pt_walk(parent->root, v->lo, v->hi, demand_cb, &k);
	return k.err;
}

struct uk_memory_space *uk_proc_mm_new(void)
{
	struct proc_mm *m = uk_core_zalloc(sizeof(*m));

	if (!m || !(m->s.root = uk_arch_pt_new())) {
		uk_core_free(m);
		return NULL;
	}
	static uint16_t next_id;
	m->users = 1;
	m->id = ++next_id ? next_id : ++next_id;
	return &m->s;
}

unsigned uk_proc_space_id(void) { return ((struct proc_mm *)uk_proc_cur()->mm)->id; }

struct uk_memory_space *uk_proc_mm_fork(struct uk_memory_space *parent)
{
	struct proc_mm *pm = (struct proc_mm *)parent, *m = (struct proc_mm *)uk_proc_mm_new();

	if (!m)
		return NULL;
	m->s.brk = parent->brk;
	for (const struct uk_memory_vma *v = parent->vmas; v; v = v->next)
		if (copy_vma(m, v, parent))
			goto fail;
	for (const struct hold *h = pm->holds; h; h = h->next) /* the grandparent's pages too */
		if (uk_proc_mm_hold(m, h->lo, h->hi))
			goto fail;
	m->s.hiwater_pages = m->s.rss_pages;
	uk_arch_pt_switch(uk_arch_pt_root()); /* the parent's pages now read-only: flush the TLB */
	return &m->s;
fail:
	uk_proc_mm_put(&m->s);
	return NULL;
}

/* ---- the end of a space (exit, execve) ---- */

static void drop_identity(const struct uk_memory_vma *v)
{
	for (uintptr_t pa = v->lo; pa < v->hi; pa += UK_PAGE_SIZE)
		uk_proc_page_put(pa);
}

void uk_proc_mm_put(struct uk_memory_space *s)
{
	struct proc_mm *m = (struct proc_mm *)s;

	if (--m->users > 0)
		return;
	while (s->vmas) {
		struct uk_memory_vma *v = s->vmas;
		if ((v->flags & UK_MEMORY_ENFORCED) && !(v->flags & UK_MEMORY_DEMAND))
			for (uintptr_t va = v->lo; va < v->hi; va += UK_PAGE_SIZE) /* mprotect'ed: the kernel writes them next */
				uk_arch_pt_map(s->root, va, va, UK_PROT_READ | UK_PROT_WRITE);
		if (!(v->flags & UK_MEMORY_DEMAND))
			drop_identity(v);
		uk_memory_remove(s, v->lo, v->hi);
	}
	while (m->holds) {
		struct hold *h = m->holds;
		m->holds = h->next;
		drop_identity(&(struct uk_memory_vma){ .lo = h->lo, .hi = h->hi });
		uk_core_free(h);
	}
	uk_arch_pt_free(s->root);
	uk_core_free(m);
}
